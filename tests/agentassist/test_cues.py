"""Sentence cues the heads read beside the vectors (agentassist/cues.py)."""

from __future__ import annotations

import pytest

from agentassist.cues import question_form


@pytest.mark.parametrize(
    "text",
    [
        "thanks rosa, and since it's happened twice, do you remember the date of the first one",
        "twenty four hours, so you sleep with it on, is that safe",
        "hi im thinking of switching supplier, will i have to pay an exit fee",
        "yes please um and can we do a photo display",
        "okay so that's the thursday then are you happy with that",
        "oh twenty two years now can you believe it",          # exclamatory, but asks
    ],
)
def test_question_word_order_after_a_clause_boundary_is_a_cue(text: str) -> None:
    form = question_form(text)
    assert form.inverted_within
    assert not form.aux_first


@pytest.mark.parametrize(
    "text",
    [
        "do you have the booking reference",            # at the start: aux_first instead
        "um so can you read me the number",             # fillers, then inversion: aux_first
        "I'll call you tomorrow and we can sort it",    # subject before auxiliary
        "the problem is it keeps dropping out",         # "is it" with no clause boundary
        "so it might help to change the scene, have your cuppa inside",  # imperative
        "if you can, send it over today",
        "",
    ],
)
def test_near_misses_are_not_inversion_within(text: str) -> None:
    assert not question_form(text).inverted_within


def test_the_cue_leaves_the_rule_form_alone() -> None:
    """A feature for the heads: the rule detectors' verdict on the sentence is unchanged."""
    assert question_form("twenty four hours, so you sleep with it on, is that safe").kind == ""
