"""Read and write DESIGN.md's labelled-turn JSONL (input of ``label`` and ``evaluate``)."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from agentassist.behaviours import LABEL_NAMES
from agentassist.errors import TranscriptFormatError
from agentassist.transcript import Role, Turn

logger = logging.getLogger(__name__)
SPEAKERS = ("agent", "customer", "system")


@dataclass(frozen=True, slots=True)
class LabelledTurn:
    """One record: the turn, its context (oldest first), its labels, and the raw record."""

    line: int
    turn: Turn
    context: tuple[Turn, ...]
    labels: Mapping[str, int]
    record: Mapping[str, Any]


@dataclass
class LabelStats:
    """Counts a reader gathers, for one warning with a count instead of one per item."""

    unknown_labels: int = 0
    unknown_names: set[str] | None = None


def read_labelled(path: str | Path, stats: LabelStats | None = None) -> Iterator[LabelledTurn]:
    """Yield the records of a labelled-turn JSONL file, validating each one.

    Labels outside the vocabulary are dropped and counted in ``stats`` (a notice, not
    an error); a malformed record raises ``TranscriptFormatError`` naming its line.
    """
    path = Path(path)
    stats = stats if stats is not None else LabelStats()
    stats.unknown_names = stats.unknown_names or set()
    try:
        handle = path.open(encoding="utf-8")
    except OSError as exc:
        raise TranscriptFormatError(f"cannot open: {exc.strerror}", source=path) from None
    with handle:
        for number, line in _lines(handle, path):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise TranscriptFormatError(
                    f"not valid JSON ({exc.msg} at column {exc.colno}); expected one JSON "
                    "object per line", source=path, line=number) from None
            yield _record(record, path, number, stats)


def _lines(handle: TextIO, path: Path) -> Iterator[tuple[int, str]]:
    number = 0
    try:
        for number, line in enumerate(handle, start=1):  # noqa: B007
            yield number, line
    except UnicodeDecodeError as exc:
        raise TranscriptFormatError(
            f"not UTF-8 text (byte {exc.start} of the line after this one); save it as UTF-8",
            source=path, line=number) from None


def _record(record: Any, path: Path, number: int, stats: LabelStats) -> LabelledTurn:
    where: dict[str, Any] = {"source": path, "line": number}
    if not isinstance(record, dict):
        raise TranscriptFormatError(f"expected a JSON object, got {type(record).__name__}", **where)
    rid = record.get("id")
    if rid is not None:
        where["transcript_id"] = str(rid)
    turn = _turn(record, where, "record")
    context = []
    raw_context = record.get("context") or []
    if not isinstance(raw_context, list):
        raise TranscriptFormatError("'context' must be a list of {speaker, text}", **where)
    for i, item in enumerate(raw_context):
        if not isinstance(item, dict):
            raise TranscriptFormatError(f"context[{i}] must be an object", **where)
        context.append(_turn(item, where, f"context[{i}]"))
    raw_labels = record.get("labels") or {}
    if not isinstance(raw_labels, dict):
        raise TranscriptFormatError("'labels' must be an object of behaviour: 0 or 1", **where)
    labels: dict[str, int] = {}
    for name, value in raw_labels.items():
        if name not in LABEL_NAMES:
            stats.unknown_labels += 1
            assert stats.unknown_names is not None
            stats.unknown_names.add(str(name))
            continue
        if value not in (0, 1, True, False):
            raise TranscriptFormatError(
                f"label {name!r} is {value!r}; expected 0 or 1", **where)
        labels[name] = int(value)
    return LabelledTurn(number, turn, tuple(context), labels, record)


def _turn(item: dict[str, Any], where: dict[str, Any], what: str) -> Turn:
    speaker = item.get("speaker")
    if speaker not in SPEAKERS:
        raise TranscriptFormatError(
            f"{what}: unknown speaker {speaker!r}; expected 'agent', 'customer' or 'system'",
            **where)
    text = item.get("text")
    if not isinstance(text, str):
        raise TranscriptFormatError(f"{what}: 'text' must be a string, got {text!r}", **where)
    return Turn(Role(speaker), text)


def write_record(handle: TextIO, record: Mapping[str, Any]) -> None:
    """Write one JSON record as a line."""
    handle.write(json.dumps(record, ensure_ascii=False) + "\n")
