"""TurnWindow: one turn, the turns before it, its spaCy Doc and its vectors."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from agentassist.transcript import Role, Turn

if TYPE_CHECKING:
    from spacy.tokens import Doc


@dataclass(frozen=True, slots=True)
class Sentence:
    """One sentence of a turn: its text and its character span ``[start, end)`` in the turn."""

    text: str
    start: int
    end: int


def split_sentences(doc: Doc) -> tuple[Sentence, ...]:
    """Return the sentences of ``doc`` with surrounding whitespace trimmed from each span."""
    return tuple(_trimmed(doc))


def _trimmed(doc: Doc) -> Iterator[Sentence]:
    text = doc.text
    for sent in doc.sents:
        start, end = sent.start_char, sent.end_char
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        if end > start:
            yield Sentence(text[start:end], start, end)


@dataclass(frozen=True, slots=True)
class TurnWindow:
    """Everything a detector may look at for one turn, computed once by the pipeline.

    ``history`` holds the earlier turns, oldest first; nothing after ``turn`` is
    visible, so the same detector serves batch and live. ``sentence_vectors`` has one
    row per sentence of ``sentences`` (``doc.sents`` with blank ones dropped);
    ``turn_vector`` is their normalised mean. ``features`` (one row per sentence) is
    what the trained heads read: vectors, linguistic cues and context cues.
    """

    turn: Turn
    index: int
    history: tuple[Turn, ...]
    doc: Doc
    turn_vector: np.ndarray
    sentence_vectors: np.ndarray
    sentences: tuple[Sentence, ...] = ()
    features: np.ndarray | None = None
    transcript_id: str = ""

    @property
    def previous_other(self) -> Turn | None:
        """Return the latest earlier turn of the other side (agent ↔ customer), if any."""
        for turn in reversed(self.history):
            if turn.role is not self.turn.role and turn.role is not Role.SYSTEM:
                return turn
        return None
