from __future__ import annotations

import pytest

from agentassist.registry import build_detector
from agentassist.transcript import Role
from tests.conftest import window_for
from tests.samples import ANYTHING_ELSE, ONE_FACT, OPEN, YES_NO


@pytest.mark.parametrize(
    ("text", "quotes"),
    [
        (OPEN, [OPEN]),
        (YES_NO, []),
        (ONE_FACT, []),                                        # near miss: one fact
        ("What a day!", []),                                   # wh-word, no question
        ("Could you tell me more about what you need the car for?",
         ["Could you tell me more about what you need the car for?"]),
        ("um so what happened when you tried to pay",
         ["um so what happened when you tried to pay"]),
        ("Can you tell me if you got the e-mail?", []),        # closed in open clothing
        (ANYTHING_ELSE, []),
        ("Right. And why do you think the app logged you out?",
         ["And why do you think the app logged you out?"]),
        ("and how about you", ["and how about you"]),                  # opinion, no mark
        ("so what do you think", ["so what do you think"]),
        ("I don't know what you think about it", []),                 # embedded, statement
    ],
)
def test_open_question_syntax(blank_resources, text, quotes):
    detector = build_detector("open_question.syntax.v1", blank_resources, {})
    hits = detector.detect(window_for(text, blank_resources))
    assert [text[h.start:h.end] for h in hits] == quotes


@pytest.mark.parametrize(
    ("text", "quotes"),
    [
        (YES_NO, [YES_NO]),
        (ONE_FACT, [ONE_FACT]),
        ("Morning or afternoon?", ["Morning or afternoon?"]),
        ("You got the e-mail, right?", ["You got the e-mail, right?"]),
        ("can you see it on the screen now", ["can you see it on the screen now"]),
        (ANYTHING_ELSE, [ANYTHING_ELSE]),
        (OPEN, []),
        ("I'll send it today.", []),
        # speech: no question mark, no inversion
        ("you're coming by car right", ["you're coming by car right"]),    # spoken tag
        ("it's the bigger room isn't it", ["it's the bigger room isn't it"]),
        ("so was it the weekend or", ["so was it the weekend or"]),        # cut-off either/or
        ("you have a garden or,", ["you have a garden or,"]),
        ("yeah that's right", []),                                      # near miss: agreement
        ("then turn right", []),                                         # near miss: direction
        ("we'll probably get a taxi or something", []),                 # near miss: "or something"
    ],
)
def test_closed_question_syntax(blank_resources, text, quotes):
    detector = build_detector("closed_question.syntax.v1", blank_resources, {})
    hits = detector.detect(window_for(text, blank_resources))
    assert [text[h.start:h.end] for h in hits] == quotes


def test_customer_questions_are_judged(rules_pipeline):
    from agentassist.transcript import Transcript, Turn

    transcript = Transcript("q", (Turn(Role.CUSTOMER, "Why was I charged twice?"),))
    (analysis,) = rules_pipeline.analyse(transcript)
    assert "open_question" in analysis.present
    assert analysis.confidences["question"] == analysis.confidences["open_question"]
