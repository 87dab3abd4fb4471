from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from agentassist.coach import Coach, Hint, Phase, next_phase
from agentassist.errors import ConfigError, RubricError
from agentassist.pipeline import Pipeline, TurnAnalysis
from agentassist.readers import read_transcripts
from agentassist.resources import Resources
from agentassist.rubric import default_rubric_path, load_rubric, parse_rubric
from agentassist.transcript import Role

RUBRIC = load_rubric()
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def analysis(index: int, role: str, *present: str) -> TurnAnalysis:
    return TurnAnalysis(index, Role(role), dict.fromkeys(present, 0.9), frozenset(present))


def A(*present: str, text: str = "") -> tuple[str, tuple[str, ...], str]:  # noqa: N802
    return ("agent", present, text)


def C(*present: str, text: str = "") -> tuple[str, tuple[str, ...], str]:  # noqa: N802
    return ("customer", present, text)


def run(script, *, cooldown_turns: int = 0, rubric=RUBRIC, channel: str = "voice"):
    """Feed a script of turns to a coach; return (index shown at, kind, criterion, turn)."""
    coach = Coach(rubric, cooldown_turns=cooldown_turns, channel=channel)
    shown = []
    for index, (role, present, text) in enumerate(script):
        for hint in coach.observe(analysis(index, role, *present), text=text):
            shown.append((index, hint.kind, hint.criterion, hint.turn))
    return shown


# A personal, open opening: unique_customer and interest_in_needs are done at turn 0.
GOOD_OPENING = A("greeting", "open_question", "interest")


# -- phases ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("phase", "role", "present", "index", "text", "expected"),
    [
        ("opening", "customer", {"need"}, 1, "", "discovery"),
        ("opening", "customer", {"question", "closed_question"}, 1, "", "discovery"),
        ("opening", "customer", {"negative_emotion"}, 1, "", "discovery"),
        ("opening", "customer", {"confusion"}, 1, "", "discovery"),
        ("opening", "customer", set(), 1, "Hi there.", "opening"),  # small talk: no need yet
        ("opening", "agent", {"greeting", "information"}, 0, "", "opening"),
        ("opening", "agent", {"information"}, 1, "", "opening"),  # near miss: before index 2
        ("opening", "agent", set(), 2, "", "discovery"),  # the agent is answering
        ("opening", "agent", set(), 0, "Thanks for calling Northline.", "opening"),
        ("discovery", "agent", {"information"}, 4, "", "resolution"),
        ("discovery", "agent", {"guidance"}, 4, "", "resolution"),
        ("discovery", "agent", {"closed_question"}, 4, "", "discovery"),
        ("discovery", "customer", {"need"}, 5, "", "discovery"),
        ("discovery", "agent", {"check_understanding"}, 4, "", "discovery"),  # checks the need
        ("discovery", "agent", set(), 4, "Anything else I can help with?", "closing"),
        ("resolution", "agent", {"check_understanding"}, 8, "", "closing"),
        ("resolution", "agent", {"information"}, 8, "Have a lovely day!", "closing"),
        ("resolution", "customer", set(), 9, "No, that's everything, thanks.", "closing"),
        ("resolution", "customer", {"closed_question"}, 9,
         "Is there anything else? I read you do taxis.", "resolution"),  # customer asking
        ("resolution", "agent", {"information"}, 8, "", "resolution"),
        ("closing", "agent", {"greeting"}, 12, "", "closing"),  # never backwards
        ("closing", "customer", {"need"}, 13, "", "closing"),
        ("discovery", "system", set(), 3, "Goodbye.", "discovery"),  # system turns: no change
    ],
)
def test_phase_transitions(phase, role, present, index, text, expected):
    turn = analysis(index, role, *present)
    assert next_phase(Phase(phase), turn, text=text) is Phase(expected)


# -- each hint rule: positive, negative, near miss --------------------------------


@pytest.mark.parametrize(
    ("script", "expected"),
    [
        # distress: hint right after the customer's turn, before the agent answers
        ([GOOD_OPENING, C("negative_emotion")], [(1, "distress", "acknowledge_feelings", 1)]),
        ([GOOD_OPENING, C("need")], []),
        # near miss: one run of distress (no agent turn between) is one episode
        ([GOOD_OPENING, C("negative_emotion"), C("negative_emotion")],
         [(1, "distress", "acknowledge_feelings", 1)]),
        # near miss: the agent answered the last distress, so new distress is not hinted
        ([GOOD_OPENING, C("negative_emotion"), A("empathy"), C("negative_emotion")],
         [(1, "distress", "acknowledge_feelings", 1)]),
        # confusion: hint right after the customer's turn
        ([GOOD_OPENING, C("confusion")], [(1, "confusion", "clear_information", 1)]),
        ([GOOD_OPENING, C("closed_question")], []),
        ([GOOD_OPENING, C("confusion"), A("information", "guidance"), C("confusion")],
         [(1, "confusion", "clear_information", 1)]),
        # closed questions only, in discovery
        ([A("greeting"), C("need"), A("closed_question"), C(), A("closed_question")],
         [(4, "closed_questions", "interest_in_needs", 4)]),
        ([A("greeting"), C("need"), A("closed_question"), C(), A("open_question")], []),
        ([A("greeting"), C("need"), A("closed_question")], []),  # near miss: only one so far
        ([A("greeting"), C("need"), A("closed_question"), C(), A("closed_question", "interest")],
         []),  # near miss: a closed question that follows up on the customer shows interest
        # overdue: no personal greeting once the opening is over
        ([A("closed_question"), C("need")], [(1, "overdue", "unique_customer", 1)]),
        ([A("greeting"), C("need")], []),
        ([A("closed_question")], []),  # near miss: still in the opening
        ([A("personalization"), C("need")], []),  # near miss: personal without a greeting
        # overdue: no open question by the end of discovery
        ([A("greeting"), C("need"), A("information", "guidance")],
         [(2, "overdue", "interest_in_needs", 2)]),
        # overdue: nobody led the dialogue by the end of the resolution
        ([GOOD_OPENING, C("need"), A("information", "check_understanding"), C(),
          A(text="Anything else?")],
         [(4, "overdue", "lead_dialogue", 4)]),
        # the customer's name was given and not used in the agent's next turn
        ([GOOD_OPENING, C(text="It's Daniel. Daniel Okafor."), A("information")],
         [(2, "name_unused", "unique_customer", 1)]),
        ([GOOD_OPENING, C(text="It's Daniel. Daniel Okafor."), A("personalization")], []),
        ([GOOD_OPENING, C(text="It's Daniel. Daniel Okafor.")], []),  # near miss: no reply yet
        ([GOOD_OPENING, C(text="It's The 14:10 to Leeds."), A("information")], []),  # no name
        # information given and not checked when the conversation closes
        ([GOOD_OPENING, C("need"), A("information", "guidance"), C(),
          A(text="Anything else I can help with?")],
         [(4, "unconfirmed", "confirm_solution", 4)]),
        ([GOOD_OPENING, C("need"), A("information", "guidance"), C(), A("check_understanding")],
         []),
        ([GOOD_OPENING, C("need"), A("information", "guidance"), C(), A("information")],
         []),  # near miss: not closing yet
        ([A("greeting", "open_question", "check_understanding"), C("need"),
          A("information", "guidance"), C(), A(text="Bye now.")],
         [(4, "unconfirmed", "confirm_solution", 4)]),  # near miss: a check before it
    ],
)
def test_hint_rules(script, expected):
    assert run(script) == expected


def test_unanswered_distress_re_arms_acknowledge_feelings():
    script = [GOOD_OPENING, C("negative_emotion"), A("closed_question"), C(),
              A("information"), C("negative_emotion")]
    assert run(script) == [(1, "distress", "acknowledge_feelings", 1),
                           (5, "distress", "acknowledge_feelings", 5)]


def test_new_distress_before_any_answer_re_arms():
    script = [GOOD_OPENING, C("negative_emotion"), A("information"), C("negative_emotion")]
    assert run(script) == [(1, "distress", "acknowledge_feelings", 1),
                           (3, "distress", "acknowledge_feelings", 3)]


def test_always_needed_criteria_hint_once_per_conversation():
    script = [A("greeting"), C("need"), A("closed_question"), C(), A("closed_question"), C(),
              A("closed_question"), C("need"), A("closed_question")]
    assert [h[2] for h in run(script)] == ["interest_in_needs"]


# -- cooldown and priority ---------------------------------------------------------


def test_cooldown_holds_a_hint_back_and_shows_it_later_with_its_turn():
    script = [A("closed_question"), C("negative_emotion"), A(), C(), A()]
    assert run(script, cooldown_turns=3) == [(1, "distress", "acknowledge_feelings", 1),
                                             (4, "overdue", "unique_customer", 1)]


def test_a_held_back_hint_is_dropped_when_its_situation_is_over():
    script = [GOOD_OPENING, C("confusion"), A(), C("negative_emotion"), A("empathy"), C(), A()]
    assert run(script, cooldown_turns=3) == [(1, "confusion", "clear_information", 1)]


@pytest.mark.parametrize(("cooldown", "shown_at"), [(0, [1, 1]), (1, [1, 2]), (3, [1, 4])])
def test_at_most_one_hint_per_cooldown_turns(cooldown, shown_at):
    script = [A("closed_question"), C("negative_emotion"), A(), C(), A()]
    assert [h[0] for h in run(script, cooldown_turns=cooldown)] == shown_at


def test_most_urgent_hint_comes_first():
    # distress (priority 1) and no greeting (priority 2) are due at the same turn
    shown = run([A(), C("negative_emotion")], cooldown_turns=3)
    assert [h[2] for h in shown] == ["acknowledge_feelings"]
    both = run([A(), C("negative_emotion")], cooldown_turns=0)
    assert [h[2] for h in both] == ["acknowledge_feelings", "unique_customer"]


@pytest.mark.parametrize("bad", [-1, "3", True, 1.5])
def test_bad_cooldown_is_refused(bad):
    with pytest.raises(ConfigError, match=r"cooldown_turns must be a whole number >= 0, got"):
        Coach(RUBRIC, cooldown_turns=bad)


@pytest.mark.parametrize("bad", [-0.1, 1.5, "0.6", True])
def test_bad_trigger_confidence_is_refused(bad):
    with pytest.raises(ConfigError, match=r"trigger_confidence must be between 0 and 1, got"):
        Coach(RUBRIC, trigger_confidence=bad)


@pytest.mark.parametrize(("confidence", "hinted"), [(0.9, True), (0.6, True), (0.59, False)])
def test_a_customer_trigger_needs_confidence_to_interrupt_the_agent(confidence, hinted):
    coach = Coach(RUBRIC, cooldown_turns=0)
    coach.observe(analysis(0, "agent", "greeting", "open_question"))
    upset = TurnAnalysis(1, Role.CUSTOMER, {"negative_emotion": confidence},
                         frozenset({"negative_emotion"}))  # present at the model's threshold
    assert bool(coach.observe(upset)) is hinted


def test_unknown_channel_is_refused():
    with pytest.raises(ConfigError, match=r"unknown channel 'phone'"):
        Coach(RUBRIC, channel="phone")


# -- wording, wire format, channels --------------------------------------------------


def test_hint_text_comes_only_from_the_rubric():
    coach = Coach(RUBRIC, cooldown_turns=0)
    script = [A("closed_question"), C("negative_emotion", "confusion",
                                     text="It's Daniel and I'm fed up."),
              A("closed_question"), C(), A("closed_question", "information"), C(),
              A(text="Anything else?")]
    hints = []
    for index, (role, present, text) in enumerate(script):
        hints += coach.observe(analysis(index, role, *present), text=text)
    assert {h.criterion for h in hints} == {c.id for c in RUBRIC.criteria}
    for hint in hints:
        criterion = RUBRIC.criterion(hint.criterion)
        assert hint.text == criterion.hint_for(hint.kind)
        assert hint.priority == criterion.priority
        assert "Daniel" not in hint.text
    assert coach.hints == hints


def test_hint_json_has_exactly_the_design_fields():
    hint = Hint("distress", "acknowledge_feelings", "Acknowledge it.", 1, 4)
    assert hint.to_json() == {"kind": "distress", "criterion": "acknowledge_feelings",
                              "text": "Acknowledge it.", "priority": 1}


def test_system_turns_are_ignored():
    coach = Coach(RUBRIC, cooldown_turns=0)
    assert coach.observe(analysis(0, "system")) == []
    assert coach.phase is Phase.OPENING


def test_criteria_not_judged_on_the_channel_give_no_hints():
    data = yaml.safe_load(default_rubric_path().read_text(encoding="utf-8"))
    data["criteria"][1]["channels"] = ["chat"]  # acknowledge_feelings
    rubric = parse_rubric(data)
    script = [GOOD_OPENING, C("negative_emotion")]
    assert run(script, rubric=rubric, channel="voice") == []
    assert run(script, rubric=rubric, channel="chat") == [
        (1, "distress", "acknowledge_feelings", 1)]


# -- the rubric's optional hint wording ---------------------------------------------


def test_kind_specific_wording_falls_back_to_the_criterion_hint():
    criterion = RUBRIC.criterion("unique_customer")
    assert criterion.hint_for("name_unused") != criterion.hint
    assert criterion.hint_for("overdue") == criterion.hint


@pytest.mark.parametrize(
    ("hints", "message"),
    [
        ({"distres": "Say sorry."}, r"criteria\[1\]\.hints\.distres: unknown hint kind "
                                    r"'distres'.*did you mean 'distress'"),
        ({"distress": "  "}, r"criteria\[1\]\.hints\.distress: must be a non-empty text"),
        (["distress"], r"criteria\[1\]\.hints: expected a mapping of hint kind to text"),
    ],
)
def test_rubric_refuses_bad_hint_wording(hints, message):
    data = yaml.safe_load(default_rubric_path().read_text(encoding="utf-8"))
    data["criteria"][1]["hints"] = hints
    with pytest.raises(RubricError, match=message):
        parse_rubric(data, source="my.yaml")


# -- the bundled examples ------------------------------------------------------------


def coach_transcript(pipeline: Pipeline, path: Path) -> list[Hint]:
    transcript = next(iter(read_transcripts(path)))
    coach = Coach(RUBRIC, channel=transcript.channel)
    hints: list[Hint] = []
    for turn_analysis, turn in zip(pipeline.analyse(transcript), transcript.turns, strict=True):
        hints += coach.observe(turn_analysis, text=turn.text)
    return hints


POOR_CALL_FAULTS = {"acknowledge_feelings", "unique_customer", "interest_in_needs",
                    "clear_information", "confirm_solution"}


def test_examples_good_call_draws_at_most_one_hint_poor_call_its_faults(rules_pipeline):
    good = coach_transcript(rules_pipeline, EXAMPLES / "good_call.txt")
    assert len(good) <= 1
    poor = coach_transcript(rules_pipeline, EXAMPLES / "poor_call.txt")
    assert {h.criterion for h in poor} >= POOR_CALL_FAULTS
    assert [h.kind for h in poor if h.criterion == "acknowledge_feelings"] == ["distress"] * 2
    assert all("Daniel" not in h.text for h in poor)


@pytest.mark.slow
def test_examples_with_the_real_pipeline():
    pipeline = Pipeline.from_resources(Resources.load())
    good = coach_transcript(pipeline, EXAMPLES / "good_call.txt")
    assert len(good) <= 1, [(h.turn, h.kind, h.criterion) for h in good]
    poor = coach_transcript(pipeline, EXAMPLES / "poor_call.txt")
    hinted = {h.criterion for h in poor}
    assert {"acknowledge_feelings", "unique_customer", "interest_in_needs"} <= hinted, poor
