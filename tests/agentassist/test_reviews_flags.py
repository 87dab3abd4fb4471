"""Flags for trainers: the rubric's flag rules, their validation, and the review order."""

from __future__ import annotations

import pytest
import yaml

from agentassist.errors import ConfigError, RubricError
from agentassist.rubric import default_rubric_path, load_rubric
from agentassist.scoring import flag_severity, review_key, score, verdict_uncertainty
from agentassist.transcript import Role, Transcript, Turn

ISSUE_FLAGS = {"unacknowledged_distress", "no_open_question", "solution_not_confirmed",
               "unresolved_confusion", "low_overall", "uncertain_verdict"}


def _write(tmp_path, data):
    path = tmp_path / "flags.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def test_default_rubric_flags_cover_the_issue_list_with_titles():
    rubric = load_rubric()
    ids = {rule.id for rule in rubric.flags}
    assert ISSUE_FLAGS | {"not_answered"} <= ids
    assert all(rule.title for rule in rubric.flags)
    assert rubric.flag_rule("unacknowledged_distress").severity == 3
    assert rubric.flag_rule("uncertain_verdict").label == "Uncertain verdict"
    assert rubric.flag_rule("nope") is None


def test_unanswered_contact_takes_its_flag_from_the_rubric(tmp_path, rules_pipeline):
    data = yaml.safe_load(default_rubric_path().read_text(encoding="utf-8"))
    for rule in data["flags"]:
        if rule["id"] == "not_answered":
            rule["severity"] = 2
    rubric = load_rubric(_write(tmp_path, data))
    transcript = Transcript("t-1", (Turn(Role.CUSTOMER, "Hello? Is anyone there?"),))
    scorecard = score(transcript, rules_pipeline.analyse(transcript), rubric)
    assert [(f.id, f.severity) for f in scorecard.flags] == [("not_answered", 2)]


def test_rubric_refuses_bad_flags_and_names_each(tmp_path):
    data = yaml.safe_load(default_rubric_path().read_text(encoding="utf-8"))
    data["flags"][0]["severity"] = "high"
    data["flags"][1]["colour"] = "red"
    data["flags"].append(dict(data["flags"][2]))
    with pytest.raises(RubricError) as caught:
        load_rubric(_write(tmp_path, data))
    message = str(caught.value)
    assert "flags[0].severity: must be a whole number >= 1" in message
    assert "got 'high'" in message
    assert "flags[1].colour: unknown key" in message
    assert f"flags[{len(data['flags']) - 1}].id: 'solution_not_confirmed' appears more than once" \
        in message


def test_scorecard_json_carries_margins_and_present_behaviours(rules_pipeline):
    transcript = Transcript("t-2", (
        Turn(Role.CUSTOMER, "I'm really worried, my card was stolen."),
        Turn(Role.AGENT, "Your new card will arrive on Tuesday."),
    ))
    data = score(transcript, rules_pipeline.analyse(transcript), load_rubric()).to_json()
    assert all("margin" in c for c in data["criteria"])
    assert "negative_emotion" in data["turns"][0]["present"]
    assert flag_severity(data) == 3
    assert 0.0 <= verdict_uncertainty(data) <= 1.0


def test_review_key_orders_by_severity_or_by_uncertainty():
    cards = {
        "calm": {"flags": [], "criteria": [{"status": "met", "margin": 0.5}], "overall": 0.9},
        "upset": {"flags": [{"id": "unacknowledged_distress", "severity": 3}],
                  "criteria": [{"status": "missed", "margin": 0.4}], "overall": 0.5},
        "two": {"flags": [{"id": "no_open_question", "severity": 2},
                          {"id": "solution_not_confirmed", "severity": 2}],
                "criteria": [{"status": "missed", "margin": 0.3}], "overall": 0.4},
        "unsure": {"flags": [{"id": "uncertain_verdict", "severity": 1}],
                   "criteria": [{"status": "met", "margin": 0.01}], "overall": 0.8},
    }
    assert sorted(cards, key=lambda k: review_key(cards[k])) == ["upset", "two", "unsure", "calm"]
    assert sorted(cards, key=lambda k: review_key(cards[k], by="uncertainty")) == [
        "unsure", "two", "upset", "calm"]
    with pytest.raises(ConfigError, match="review order must be one of severity, uncertainty, "
                       "got 'newest'"):
        review_key(cards["calm"], by="newest")  # type: ignore[arg-type]
