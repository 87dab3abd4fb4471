from __future__ import annotations

import pytest

from agentassist.registry import build_detector
from agentassist.transcript import Role, Turn
from tests.conftest import window_for
from tests.samples import (
    ANYTHING_ELSE,
    CHECK,
    EMPATHY,
    GREETING,
    GUIDANCE,
    INFORMATION,
    POLITE,
    REFUSAL,
)

UPSET_CUSTOMER = (Turn(Role.CUSTOMER, "My name is Maria. The train was cancelled and I'm stuck "
                                      "at Drammen station with my two kids."),)


@pytest.mark.parametrize(
    ("detector", "text", "found"),
    [
        ("greeting.rules.v1", GREETING, True),
        ("greeting.rules.v1", "Have a lovely evening, goodbye!", False),
        ("empathy.rules.v1", EMPATHY, True),
        ("empathy.rules.v1", "That must have been a horrible morning.", True),
        ("empathy.rules.v1", POLITE, False),                       # politeness is not empathy
        ("empathy.rules.v1", REFUSAL, False),                      # a refusal
        ("empathy.rules.v1", "I apologise for any inconvenience caused.", False),
        ("acknowledgement.rules.v1", "So what you're saying is the charge came twice.", True),
        ("acknowledgement.rules.v1", "You're right to query that.", True),
        ("acknowledgement.rules.v1", "ok", False),
        ("acknowledgement.rules.v1", "I understand, but that's our policy.", False),
        ("guidance.rules.v1", GUIDANCE, True),
        ("guidance.rules.v1", "One moment please.", False),
        ("guidance.rules.v1", "What time do you need to be there?", False),
        ("information.rules.v1", INFORMATION, True),
        ("information.rules.v1", "These things happen, it should be sorted at some point.", False),
        ("information.rules.v1", "How can I help?", False),
        ("check_understanding.rules.v1", CHECK, True),
        ("check_understanding.rules.v1", "Just to confirm, the refund goes to the Visa?", True),
        ("check_understanding.rules.v1", ANYTHING_ELSE, False),
        ("check_understanding.rules.v1", "Can you hear me?", False),
        ("interest.rules.v1", "What matters most to you in a new plan?", True),
        ("interest.rules.v1", ANYTHING_ELSE, False),
    ],
)
def test_agent_rule_detectors(blank_resources, detector, text, found):
    hits = build_detector(detector, blank_resources, {}).detect(window_for(text, blank_resources))
    assert bool([h for h in hits if h.confidence >= 0.5]) is found


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("I'm sorry Maria, let's get you and the kids moving.", True),    # uses the name
        ("Since you're stuck at Drammen station with the kids, take the bus.", True),
        ("Could you give me the booking reference?", False),
    ],
)
def test_personalization_uses_what_the_customer_said(blank_resources, text, found):
    detector = build_detector("personalization.rules.v1", blank_resources, {})
    hits = detector.detect(window_for(text, blank_resources, history=UPSET_CUSTOMER))
    assert bool(hits) is found


def test_late_greeting_counts_half(blank_resources):
    history = (Turn(Role.AGENT, "Hi."), Turn(Role.CUSTOMER, "hello?"), Turn(Role.AGENT, "Yes."))
    detector = build_detector("greeting.rules.v1", blank_resources, {})
    (hit,) = detector.detect(window_for("Hello, are you there?", blank_resources, history=history))
    assert hit.confidence < 0.5


def test_quotes_are_the_sentence_not_the_whole_turn(blank_resources):
    text = "Let me look. Oh no, that sounds really stressful. The next bus is at 14:05."
    hits = build_detector("empathy.rules.v1", blank_resources, {}).detect(
        window_for(text, blank_resources))
    assert [text[h.start:h.end] for h in hits] == ["Oh no, that sounds really stressful."]


@pytest.mark.parametrize(
    ("text", "found"),
    [
        # checks of understanding or agreement, also as speech without a question mark
        ("just to check, you'd like it on the monthly direct debit", True),
        ("Just to check: we're moving the delivery to the 22nd?", True),
        ("just to check that's the right one for you", True),
        ("you with me so far", True),
        ("Make sense?", True),
        ("ok so the first form is for your shoulder, make sense", True),
        ("Is any of that unclear?", True),
        ("anything in there you're unsure about", True),
        ("a missed payment may affect your credit file is that clear", True),
        # near misses: security questions, the agent's own checking, line checks, new needs
        ("just to check your date of birth please", False),
        ("let me just check that for you", False),
        ("I'll just check with my manager.", False),
        ("are you still there", False),
        ("This guide helps you make sense of your bill.", False),
        ("Is there anything else I can help with?", False),
    ],
)
def test_check_understanding_rule_table(blank_resources, text, found):
    detector = build_detector("check_understanding.rules.v1", blank_resources, {})
    hits = detector.detect(window_for(text, blank_resources))
    assert bool([h for h in hits if h.confidence >= 0.5]) is found
