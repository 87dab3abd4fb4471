"""The project's own labelled conversations: reading, splitting, labelled-turn records.

``models/data/conversations/*.jsonl`` holds one conversation per line (see
docs/labelling.md). Splits are by conversation, decided by a hash of its id, so they
never move when conversations are added.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agentassist.behaviours import AGENT_BEHAVIOURS, CUSTOMER_BEHAVIOURS, QUESTION_BEHAVIOURS
from agentassist.errors import TranscriptFormatError
from agentassist.transcript import Channel, Role, Transcript, Turn

SPLITS = ("train", "validation", "test")
#: Shares of conversations per split (by hash of the conversation id).
SPLIT_SHARES = (0.70, 0.15, 0.15)
SIDE_LABELS = {
    "agent": AGENT_BEHAVIOURS,
    "customer": CUSTOMER_BEHAVIOURS + QUESTION_BEHAVIOURS,
}


@dataclass(frozen=True, slots=True)
class Conversation:
    """One labelled conversation of the corpus."""

    id: str
    industry: str
    channel: str
    turns: tuple[Turn, ...]
    labels: tuple[frozenset[str], ...]
    source: str

    @property
    def split(self) -> str:
        """Return the split this conversation belongs to."""
        return split_of(self.id)

    def transcript(self) -> Transcript:
        """Return the conversation as a Transcript."""
        return Transcript(self.id, self.turns, Channel(self.channel), "en",
                          {"industry": self.industry})


def split_of(conversation_id: str) -> str:
    """Return ``train``, ``validation`` or ``test`` for a conversation id (stable hash).

    Example:
        >>> split_of("telecom-chat-0001") in SPLITS
        True
    """
    digest = hashlib.sha256(conversation_id.encode()).digest()
    fraction = int.from_bytes(digest[:8], "big") / 2**64
    if fraction < SPLIT_SHARES[0]:
        return "train"
    if fraction < SPLIT_SHARES[0] + SPLIT_SHARES[1]:
        return "validation"
    return "test"


def corpus_dir() -> Path:
    """Return the folder of the project's labelled conversations."""
    from agentassist.resources import default_models_dir

    return default_models_dir() / "data" / "conversations"


def read_conversations(folder: Path | None = None) -> Iterator[Conversation]:
    """Yield every conversation of the corpus, validated."""
    folder = folder or corpus_dir()
    for path in sorted(folder.glob("*.jsonl")):
        with path.open(encoding="utf-8") as handle:
            for number, line in enumerate(handle, start=1):
                if line.strip():
                    yield _conversation(json.loads(line), path, number)


def _conversation(raw: dict[str, Any], path: Path, number: int) -> Conversation:
    cid = str(raw.get("conversation_id", ""))
    turns, labels = [], []
    for i, item in enumerate(raw.get("turns", [])):
        speaker = item.get("speaker")
        allowed = SIDE_LABELS.get(speaker)
        if allowed is None:
            raise TranscriptFormatError(f"unknown speaker {speaker!r}", source=path, line=number,
                                        transcript_id=cid, turn=i)
        unknown = set(item.get("labels", [])) - set(allowed)
        if unknown:
            raise TranscriptFormatError(
                f"labels {sorted(unknown)} are not {speaker} behaviours", source=path,
                line=number, transcript_id=cid, turn=i)
        turns.append(Turn(Role(speaker), item["text"]))
        labels.append(frozenset(item.get("labels", [])))
    return Conversation(cid, str(raw.get("industry", "")), str(raw.get("channel", "chat")),
                        tuple(turns), tuple(labels), path.name)


def turn_labels(present: frozenset[str], speaker: str) -> dict[str, int]:
    """Return a turn's label dict: 0/1 for each behaviour of ``speaker``, and ``question``.

    Example:
        >>> turn_labels(frozenset({"need", "closed_question"}), "customer")["question"]
        1
    """
    labels = {name: int(name in present) for name in SIDE_LABELS[speaker]}
    labels["question"] = int(bool(present & set(QUESTION_BEHAVIOURS)))
    return labels


def labelled_records(conversation: Conversation, *, context_turns: int = 20
                     ) -> Iterator[dict[str, Any]]:
    """Yield DESIGN.md labelled-turn records for every turn of ``conversation``."""
    for i, (turn, present) in enumerate(zip(conversation.turns, conversation.labels, strict=True)):
        labels = turn_labels(present, turn.role.value)
        yield {
            "id": f"{conversation.id}:{i}",
            "speaker": turn.role.value,
            "text": turn.text,
            "context": [{"speaker": t.role.value, "text": t.text}
                        for t in conversation.turns[max(0, i - context_turns):i]],
            "labels": labels,
            "conversation_id": conversation.id,
            "industry": conversation.industry,
            "channel": conversation.channel,
        }
