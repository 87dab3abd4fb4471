from __future__ import annotations

import pytest

from agentassist.errors import ConfigError, UnknownDetectorError
from agentassist.registry import available_detectors, build_detector, register_detector


def test_every_behaviour_has_rule_and_head_detectors():
    from agentassist.behaviours import BEHAVIOURS

    names = available_detectors()
    for behaviour in BEHAVIOURS:
        assert any(n.startswith(f"{behaviour}.") and ".head." in n for n in names), behaviour
        assert any(n.startswith(f"{behaviour}.") and ".head." not in n for n in names), behaviour


def test_unknown_detector_suggests_a_close_name(blank_resources):
    with pytest.raises(UnknownDetectorError,
                       match=r"'empathy.rule.v1'.*Did you mean 'empathy.rules.v1'"):
        build_detector("empathy.rule.v1", blank_resources)


def test_unknown_parameter_lists_accepted_ones(blank_resources):
    with pytest.raises(ConfigError, match=r"unknown parameter 'confidance'; accepted: confidence"):
        build_detector("open_question.syntax.v1", blank_resources, {"confidance": 0.5})


def test_out_of_range_parameter_is_refused(blank_resources):
    with pytest.raises(ConfigError, match="between 0 and 1, got 1.5"):
        build_detector("open_question.syntax.v1", blank_resources, {"confidence": 1.5})


def test_taken_name_with_another_factory_suggests_next_version():
    available_detectors()

    with pytest.raises(ConfigError, match=r"register the new one as 'empathy.rules.v2'"):

        @register_detector("empathy.rules.v1")
        class Other:  # pragma: no cover - never built
            behaviour = "empathy"


def test_badly_formed_name_is_refused():
    with pytest.raises(ConfigError, match="must look like"):
        register_detector("Empathy")
