"""Sentence features for the trained heads: vectors, linguistic cues, context cues.

One row per sentence of a turn. The pipeline builds them once per turn; every head
reads the same matrix, so adding a behaviour costs one dot product, not a second pass.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from typing import Any, Final

import numpy as np

from agentassist.behaviours import AGENT_BEHAVIOURS, CUSTOMER_BEHAVIOURS, QUESTION_BEHAVIOURS
from agentassist.cues import FIRST_PERSON, SECOND_PERSON, question_form, words
from agentassist.evidence import Hit
from agentassist.transcript import Role
from agentassist.window import TurnWindow

RULE_BEHAVIOURS: Final = tuple(dict.fromkeys(AGENT_BEHAVIOURS + CUSTOMER_BEHAVIOURS))
CUE_NAMES: Final[tuple[str, ...]] = (
    "question_mark", "wh_first", "aux_first", "tag_question", "form_open", "form_closed",
    "first_sentence", "last_sentence", "position", "log_words", "second_person",
    "first_person", "exclamation", "has_digit", "log_turn_index", "agent_turns_before",
    "is_agent", "prev_negative", "prev_question", "prev_overlap", "turn_sentences",
    "you_first", "trailing_or", "spoken_tag", "opinion", "wh_within", "inverted_within",
) + tuple(f"rule_{name}" for name in RULE_BEHAVIOURS)
_PREV_NEGATIVE = re.compile(
    r"\b(frustrat|annoy|angry|furious|upset|worr|anxious|stress|disappoint|scared|afraid|"
    r"fed up|sick of|ridiculous|joke|unacceptable|useless|third time|still|nobody|passed away|"
    r"died|lost|can't believe|struggl|desperate|awful|terrible|horrible|nightmare)"
)
_STOP: Final = frozenset(
    ["the", "a", "an", "and", "or", "but", "so", "to", "of", "in", "on", "at", "for", "with", "is",
     "are", "was", "were", "be", "it", "this", "that", "i", "you", "we", "my", "your", "me", "do",
     "did", "have", "has", "not", "no", "yes", "can", "just", "um", "uh", "like", "know", "yeah",
     "okay", "ok"]
)


def feature_dimension(vector_dimension: int) -> int:
    """Return the width of a feature row for an encoder of ``vector_dimension``."""
    return 2 * vector_dimension + len(CUE_NAMES)


def sentence_features(
    window: TurnWindow, rule_hits: Mapping[str, Sequence[Hit]] | None = None
) -> np.ndarray:
    """Return the feature matrix of ``window``: one row per sentence.

    ``rule_hits`` maps a behaviour to the rule detector's hits for this turn; each
    sentence gets the best rule confidence whose hit starts in it.
    """
    n = len(window.sentences)
    cues = np.zeros((n, len(CUE_NAMES)), dtype=np.float32)
    previous = window.previous_other
    prev_text = previous.text.lower() if previous is not None else ""
    prev_words = {w for w in words(prev_text) if w not in _STOP}
    agent_before = sum(t.role is Role.AGENT for t in window.history)
    offset = len(CUE_NAMES) - len(RULE_BEHAVIOURS)
    for row, sent in enumerate(window.sentences):
        form = question_form(sent.text)
        lowered = sent.text.lower()
        sent_words = words(lowered)
        overlap = len(prev_words & set(sent_words)) / (len(prev_words) ** 0.5 + 1.0)
        cues[row, :offset] = (
            form.question_mark, form.wh_first, form.aux_first, form.tag,
            form.kind == "open", form.kind == "closed", row == 0, row == n - 1,
            row / max(n - 1, 1), math.log1p(len(sent_words)) / 4.0,
            min(len(SECOND_PERSON.findall(lowered)), 3) / 3.0,
            min(len(FIRST_PERSON.findall(lowered)), 3) / 3.0,
            "!" in sent.text, any(ch.isdigit() for ch in sent.text),
            math.log1p(window.index) / 4.0, min(agent_before, 3) / 3.0,
            window.turn.role is Role.AGENT, bool(_PREV_NEGATIVE.search(prev_text)),
            "?" in prev_text, min(overlap, 2.0) / 2.0, math.log1p(n) / 3.0,
            form.you_first, form.trailing_or, form.spoken_tag, form.opinion, form.wh_within,
            form.inverted_within,
        )
    for column, name in enumerate(RULE_BEHAVIOURS, start=offset):
        for hit in (rule_hits or {}).get(name, ()):
            for row, sent in enumerate(window.sentences):
                if sent.start <= hit.start < sent.end:
                    cues[row, column] = max(cues[row, column], hit.confidence)
    turn_rows = np.repeat(window.turn_vector[None, :], n, axis=0)
    return np.hstack([window.sentence_vectors, turn_rows, cues]).astype(np.float32)


def rule_behaviours_for(role: Role) -> tuple[str, ...]:
    """Return the behaviours whose rule detectors feed the features of a ``role`` turn."""
    if role is Role.AGENT:
        return AGENT_BEHAVIOURS
    return CUSTOMER_BEHAVIOURS + QUESTION_BEHAVIOURS


def describe() -> dict[str, Any]:
    """Return the feature layout, for a model's manifest."""
    return {"cues": list(CUE_NAMES), "layout": ["sentence_vector", "turn_vector", "cues"]}
