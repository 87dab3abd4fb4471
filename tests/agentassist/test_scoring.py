from __future__ import annotations

import pytest
import yaml

from agentassist.behaviours import behaviours_for
from agentassist.evidence import Evidence
from agentassist.pipeline import TurnAnalysis
from agentassist.rubric import default_rubric_path, load_rubric, parse_rubric
from agentassist.scoring import Status, score
from agentassist.transcript import Channel, Role, Transcript, Turn

RUBRIC = load_rubric()


def build(turns: list[tuple[str, str, dict[str, float]]], channel: Channel = Channel.VOICE):
    """Make a transcript and hand-written analyses: (role, text, {behaviour: confidence})."""
    transcript = Transcript("s-1", tuple(Turn(Role(r), text) for r, text, _ in turns), channel)
    analyses = []
    for i, (role, text, found) in enumerate(turns):
        judged = behaviours_for(role)
        confidences = {b: found.get(b, 0.05) for b in judged}
        present = frozenset(b for b, c in confidences.items() if c >= 0.5)
        evidence = {b: (Evidence(i, role, b, text, 0, len(text), c, f"{b} found"),)
                    for b, c in confidences.items() if c >= 0.5}
        analyses.append(TurnAnalysis(i, Role(role), confidences, present, evidence,
                                     dict.fromkeys(judged, 0.5)))
    return transcript, analyses


def test_unanswered_transcript_scores_not_answered():
    transcript, analyses = build([("customer", "Hello? Anyone there?", {"need": 0.9})])
    scorecard = score(transcript, analyses, RUBRIC)
    assert {c.status for c in scorecard.criteria} == {Status.NOT_ANSWERED}
    assert all(c.score == 0.0 for c in scorecard.criteria)
    assert scorecard.overall == 0.0
    assert scorecard.to_json()["flags"][0]["id"] == "not_answered"


def test_empty_transcript_is_scored_not_dropped():
    scorecard = score(Transcript("empty", ()), [], RUBRIC)
    assert len(scorecard.criteria) == 6
    assert scorecard.criteria[0].status is Status.NOT_ANSWERED


def test_calm_call_needs_no_empathy_repair():
    transcript, analyses = build([
        ("agent", "Hi, Sam here.", {"greeting": 0.9}),
        ("customer", "I'd like a new plan.", {"need": 0.9}),
        ("agent", "The 20 GB plan is 199 a month.", {"information": 0.9}),
    ])
    result = score(transcript, analyses, RUBRIC).result("acknowledge_feelings")
    assert result.status is Status.NOT_APPLICABLE
    assert result.score is None


def test_unacknowledged_distress_is_missed_with_the_customers_turn_as_evidence():
    transcript, analyses = build([
        ("agent", "Yes?", {}),
        ("customer", "I'm so worried, the flight's gone.", {"negative_emotion": 0.92}),
        ("agent", "Booking number.", {"closed_question": 0.8}),
        ("agent", "The next flight is at 9.", {"information": 0.9}),
    ])
    scorecard = score(transcript, analyses, RUBRIC)
    result = scorecard.result("acknowledge_feelings")
    assert result.status is Status.MISSED
    assert result.evidence[0].turn == 1
    assert result.evidence[0].behaviour == "negative_emotion"
    assert "turn 1" in result.reason
    assert [f.turn for f in scorecard.flags if f.id == "unacknowledged_distress"] == [1]


def test_distress_answered_within_two_agent_turns_is_met():
    transcript, analyses = build([
        ("customer", "This is the third time I've called!", {"negative_emotion": 0.9}),
        ("agent", "Let me look.", {}),
        ("agent", "That sounds really frustrating.", {"empathy": 0.88}),
    ])
    result = score(transcript, analyses, RUBRIC).result("acknowledge_feelings")
    assert result.status is Status.MET
    assert result.evidence[0].quote == "That sounds really frustrating."


def test_solution_without_a_check_is_missed_and_flagged():
    transcript, analyses = build([
        ("agent", "Hello.", {"greeting": 0.9}),
        ("customer", "Can I move my booking?", {"need": 0.9, "closed_question": 0.9}),
        ("agent", "Yes, you can move it in the app under My Trips.", {"information": 0.9}),
    ])
    scorecard = score(transcript, analyses, RUBRIC)
    assert scorecard.result("confirm_solution").status is Status.MISSED
    assert "solution_not_confirmed" in {f.id for f in scorecard.flags}
    assert scorecard.result("clear_information").status is Status.MET


def test_overall_is_the_weighted_mean_of_applicable_criteria():
    transcript, analyses = build([
        ("agent", "Hi Maria, Sam here. What would work best for you?",
         {"greeting": 0.9, "personalization": 0.9, "open_question": 0.9, "interest": 0.9}),
        ("customer", "A cheaper plan.", {"need": 0.9}),
        ("agent", "First I'll check your usage. The 10 GB plan is 99. Does that work?",
         {"guidance": 0.9, "information": 0.9, "check_understanding": 0.9}),
    ])
    scorecard = score(transcript, analyses, RUBRIC)
    applicable = [c for c in scorecard.criteria if c.score is not None]
    assert len(applicable) == 5  # no distress: acknowledge_feelings is n/a
    assert scorecard.overall == pytest.approx(1.0)
    assert all(scorecard.survey[k] for k in ("personal_reception", "open_questions"))


def test_criterion_limited_to_other_channels_is_not_applicable():
    data = yaml.safe_load(default_rubric_path().read_text(encoding="utf-8"))
    data["criteria"][0]["channels"] = ["voice"]
    rubric = parse_rubric(data)
    transcript, analyses = build([("agent", "hi", {})], channel=Channel.CHAT)
    result = score(transcript, analyses, rubric).result("unique_customer")
    assert result.status is Status.NOT_APPLICABLE


def test_scorecard_json_has_the_design_keys():
    transcript, analyses = build([("agent", "Hello, Sam here.", {"greeting": 0.9})])
    data = score(transcript, analyses, RUBRIC).to_json()
    assert {"transcript_id", "language", "channel", "criteria", "turns", "flags",
            "overall"} <= set(data)
    criterion = data["criteria"][0]
    assert set(criterion) >= {"id", "status", "score", "reason", "evidence"}
    assert set(criterion["evidence"][0]) >= {"turn", "speaker", "quote", "start", "end",
                                             "behaviour", "confidence"}
    assert data["turns"][0]["behaviours"]["greeting"] == 0.9


def test_score_is_pure():
    transcript, analyses = build([
        ("agent", "Hi.", {"greeting": 0.9}),
        ("customer", "I'm furious.", {"negative_emotion": 0.9}),
        ("agent", "ok", {}),
    ])
    assert score(transcript, analyses, RUBRIC) == score(transcript, analyses, RUBRIC)


def test_every_missed_criterion_quotes_the_turn_where_it_was_needed():
    transcript, analyses = build([
        ("agent", "  Yeah?  ", {}),
        ("customer", "I need to change my ticket.", {"need": 0.9}),
        ("agent", "Done.", {}),
    ])
    scorecard = score(transcript, analyses, RUBRIC)
    for result in scorecard.criteria:
        if result.status is Status.MISSED:
            assert result.evidence, result.id
            for ev in result.evidence:
                assert transcript.turns[ev.turn].text[ev.start:ev.end] == ev.quote
    assert scorecard.result("unique_customer").evidence[0].quote == "Yeah?"
    assert scorecard.result("interest_in_needs").evidence[0].behaviour == "need"
