from __future__ import annotations

import pytest

from agentassist.registry import build_detector
from agentassist.transcript import Role
from tests.conftest import window_for
from tests.samples import CONFUSED, NEED, UPSET


@pytest.mark.parametrize(
    ("detector", "text", "found"),
    [
        ("negative_emotion.rules.v1", UPSET, True),
        ("negative_emotion.rules.v1", "I'm really worried we'll miss the flight.", True),
        ("negative_emotion.rules.v1", "honestly it's a joke", True),
        ("negative_emotion.rules.v1", "My card was declined yesterday.", False),   # calm report
        ("negative_emotion.rules.v1", "No worries, thanks!", False),
        ("confusion.rules.v1", CONFUSED, True),
        ("confusion.rules.v1", "so wait, do I pay now or later?", True),
        ("confusion.rules.v1", "Is the shop open on Sunday?", False),
        ("need.rules.v1", NEED, True),
        ("need.rules.v1", "Can you cancel the order please?", True),
        ("need.rules.v1", "It's 4421.", False),
        ("need.rules.v1", "Thanks, bye.", False),
    ],
)
def test_customer_rule_detectors(blank_resources, detector, text, found):
    window = window_for(text, blank_resources, role=Role.CUSTOMER)
    hits = build_detector(detector, blank_resources, {}).detect(window)
    assert bool(hits) is found
