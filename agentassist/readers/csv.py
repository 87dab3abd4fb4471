"""CSV transcripts: one row per turn, with a header row.

::

    call_id,speaker,text,start,end,agent,team,date
    c-101,agent,"Good afternoon, Lakeside Energy, Tom speaking.",0.0,3.2,Tom,Billing,2024-04-02
    c-101,customer,Hi Tom. My bill has doubled.,3.6,6.0,Tom,Billing,2024-04-02

Columns are found by name, case-insensitively (spaces and hyphens count as ``_``):

- speaker: ``speaker``, ``role`` or ``participant`` (required);
- text: ``text``, ``utterance``, ``message`` or ``content`` (required);
- transcript id: ``conversation_id``, ``transcript_id``, ``call_id``, ``contact_id`` or
  ``id`` (optional: without one the whole file is one transcript named after the file);
- ``start`` / ``end`` (or ``start_time`` / ``end_time``): seconds or hh:mm:ss;
- ``channel``, ``language``: per transcript, from its first row that has them;
- any other column is transcript metadata (agent, team, date, …): the value of its
  first non-empty cell in the conversation. A column whose non-empty values differ
  within one conversation is per-turn data (sentiment, turn number) and is left out.

Rows are grouped by transcript id, in order of each id's first row, so a
conversation's rows need not be contiguous; the whole file is read before the first
transcript is returned. The delimiter is a comma, tab, semicolon or ``|``, whichever
gives a header with a speaker and a text column.

A bad row (an unknown speaker, a bad time, too few fields) fails its transcript: with
``bad_records="yield"`` that transcript is yielded as the row's
:class:`TranscriptFormatError`, in its place, and the other transcripts are read as
usual. A row whose transcript id can't be read is an error of its own. Broken quoting
still ends the file (the rows after it can't be told apart).
"""

from __future__ import annotations

import csv
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from agentassist.errors import ConfigError, TranscriptFormatError
from agentassist.readers.base import (
    Options,
    Where,
    finish,
    make_turn,
    metadata_key,
    parse_channel,
    parse_id,
    parse_language,
    parse_time,
)
from agentassist.readers.source import MAX_LINE_BYTES, iter_lines
from agentassist.transcript import Channel, Transcript, Turn

ID_COLUMNS = ("conversation_id", "transcript_id", "call_id", "contact_id", "id")
SPEAKER_COLUMNS = ("speaker", "role", "participant")
TEXT_COLUMNS = ("text", "utterance", "message", "content")
START_COLUMNS = ("start", "start_time")
END_COLUMNS = ("end", "end_time")
_DELIMITERS = (",", "\t", ";", "|")


def _find(header: Sequence[str], names: Sequence[str]) -> int | None:
    normal = [metadata_key(column) for column in header]
    for name in names:
        if name in normal:
            return normal.index(name)
    return None


def _header(line: str) -> tuple[str, _Columns] | None:
    """Return the delimiter and columns of a header line with speaker and text columns."""
    for delimiter in _DELIMITERS:
        if delimiter not in line:
            continue
        names = next(csv.reader([line], delimiter=delimiter))
        speaker, text = _find(names, SPEAKER_COLUMNS), _find(names, TEXT_COLUMNS)
        if speaker is not None and text is not None:
            return delimiter, _Columns.from_header(names, speaker, text)
    return None


def sniff(head: str) -> bool:
    r"""Say whether ``head`` starts with a CSV header naming a speaker and a text column.

    Example:
        >>> sniff("call_id,Speaker,Text\nc-1,agent,Hello")
        True
        >>> sniff("Agent: hello, how are you")
        False
    """
    first = head.lstrip("\ufeff").split("\n", 1)[0].rstrip("\r")
    return _header(first) is not None


def read(
    path: str | Path,
    *,
    speaker_roles: Mapping[str, str] | None = None,
    channel: str | None = None,
    language: str | None = None,
    bad_records: Literal["raise", "yield"] = "raise",
) -> Iterator[Transcript | TranscriptFormatError]:
    r"""Read every transcript of a CSV file, in order of first appearance.

    ``bad_records="yield"`` yields a transcript with a bad row as that row's error (its
    first one) and goes on with the others; a file that is not CSV at all still raises.

    Example:
        >>> import pathlib, tempfile
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "turns.csv"
        >>> _ = path.write_text("id,role,message,team\nx,customer,Hi,Cards\n"
        ...                     "y,agent,Hello,Loans\nx,rep,Hello!,Cards\n")
        >>> [(t.id, len(t.turns), dict(t.metadata)) for t in read(path)]
        [('x', 2, {'team': 'Cards'}), ('y', 1, {'team': 'Loans'})]

    Raises:
        ConfigError: a bad ``speaker_roles``, ``channel``, ``language`` or ``bad_records``.
    """
    options = Options.build(speaker_roles, channel, language)
    if bad_records not in ("raise", "yield"):
        raise ConfigError(f"bad_records must be 'raise' or 'yield', got {bad_records!r}")
    return _read(Path(path), options, bad_records == "yield")


@dataclass(slots=True)
class _Conversation:
    where: Where
    turns: list[Turn] = field(default_factory=list)
    channel: Channel | None = None
    language: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    varying: set[str] = field(default_factory=set)
    error: TranscriptFormatError | None = None


@dataclass(frozen=True, slots=True)
class _Columns:
    names: list[str]
    speaker: int
    text: int
    id: int | None
    start: int | None
    end: int | None
    channel: int | None
    language: int | None

    @classmethod
    def from_header(cls, names: list[str], speaker: int, text: int) -> _Columns:
        return cls(
            names=[name.strip() for name in names],
            speaker=speaker,
            text=text,
            id=_find(names, ID_COLUMNS),
            start=_find(names, START_COLUMNS),
            end=_find(names, END_COLUMNS),
            channel=_find(names, ("channel",)),
            language=_find(names, ("language", "lang")),
        )

    def metadata_columns(self) -> list[int]:
        used = {self.speaker, self.text, self.id, self.start, self.end, self.channel, self.language}
        return [index for index in range(len(self.names)) if index not in used]


def _read(
    path: Path, options: Options, keep_going: bool
) -> Iterator[Transcript | TranscriptFormatError]:
    where = Where(path)
    lines = iter_lines(path)
    first = next(((number, line) for number, line in lines if line.strip()), None)
    if first is None:
        raise where.error(
            "file is empty; expected a header row, e.g. 'conversation_id,speaker,text'"
        )
    number, line = first
    found = _header(line)
    if found is None:
        shown = next(csv.reader([line]))
        raise where.at(line=number).error(
            f"the header row has no speaker and text columns (columns found: "
            f"{', '.join(map(repr, shown))}); expected a speaker column "
            f"({', '.join(SPEAKER_COLUMNS)}) and a text column ({', '.join(TEXT_COLUMNS)})"
        )
    delimiter, columns = found
    # A turn's text may be longer than the csv module's default limit of 128 KB.
    csv.field_size_limit(max(csv.field_size_limit(), MAX_LINE_BYTES))
    last_line = number  # the last line the csv module has taken

    def rows_source() -> Iterator[str]:
        nonlocal last_line
        for row_number, row_line in lines:
            last_line = row_number
            yield row_line + "\n"

    # Conversations by transcript id, and (keyed by line) rows whose id can't be read.
    conversations: dict[str, _Conversation] = {}
    orphans: dict[int, TranscriptFormatError] = {}
    order: list[str | int] = []
    reader = csv.reader(rows_source(), delimiter=delimiter, strict=True)
    row_start = number + 1
    try:
        for row in reader:
            if any(cell.strip() for cell in row):
                row_where = where.at(line=row_start)
                try:
                    _add_row(row, columns, row_where, conversations, order, options, path.stem)
                except TranscriptFormatError as exc:
                    if not keep_going:
                        raise
                    _fail_row(exc, row, columns, row_where, conversations, orphans, order,
                              path.stem)
            row_start = last_line + 1
    except csv.Error as exc:
        problem = str(exc)
        if "unexpected end of data" in problem:
            problem = "a quoted field in this row is never closed"
        raise where.at(line=row_start).error(
            f"broken CSV: {problem}; expected {delimiter!r}-separated fields, quoted with '\"' "
            '(a quote inside a quoted field is written twice: "")'
        ) from None
    for key in order:
        if isinstance(key, int):
            yield orphans[key]
            continue
        conversation = conversations[key]
        if conversation.error is not None:
            yield conversation.error
            continue
        metadata = {
            key: value
            for key, value in conversation.metadata.items()
            if key not in conversation.varying
        }
        yield finish(
            conversation.where.transcript_id or path.stem,
            conversation.turns,
            options,
            channel=conversation.channel,
            language=conversation.language,
            metadata=metadata,
        )


def _fail_row(
    error: TranscriptFormatError,
    row: list[str],
    columns: _Columns,
    where: Where,
    conversations: dict[str, _Conversation],
    orphans: dict[int, TranscriptFormatError],
    order: list[str | int],
    stem: str,
) -> None:
    """Fail the transcript of a bad row (its first error stands), or the row on its own."""
    try:
        transcript_id = _row_id(row, columns, where, stem)
    except TranscriptFormatError:
        transcript_id = None
    if transcript_id is None:
        orphans[where.line or 0] = error
        order.append(where.line or 0)
        return
    conversation = _conversation(transcript_id, where, conversations, order)
    if conversation.error is None:
        if error.transcript_id is None:  # e.g. a short row: say whose row it was
            error = where.at(transcript_id=transcript_id).error(error.detail)
        conversation.error = error


def _conversation(transcript_id: str, where: Where, conversations: dict[str, _Conversation],
                  order: list[str | int]) -> _Conversation:
    """Return the conversation ``transcript_id``, starting it (in file order) if new."""
    conversation = conversations.get(transcript_id)
    if conversation is None:
        conversation = _Conversation(where.at(transcript_id=transcript_id))
        conversations[transcript_id] = conversation
        order.append(transcript_id)
    return conversation


def _row_id(row: list[str], columns: _Columns, where: Where, stem: str) -> str | None:
    """Return the transcript id of ``row`` (``None`` if the row is too short to hold one)."""
    if columns.id is None:
        return stem
    if columns.id >= len(row):
        return None
    return parse_id(row[columns.id], where, key=f"{columns.names[columns.id]!r} value")


def _add_row(
    row: list[str],
    columns: _Columns,
    where: Where,
    conversations: dict[str, _Conversation],
    order: list[str | int],
    options: Options,
    stem: str,
) -> None:
    if len(row) != len(columns.names):
        raise where.error(
            f"row has {len(row)} fields; expected {len(columns.names)}, one per header "
            f"column ({', '.join(columns.names)})"
        )
    transcript_id = _row_id(row, columns, where, stem)
    assert transcript_id is not None  # the row has every column
    conversation = _conversation(transcript_id, where, conversations, order)
    if conversation.error is not None:
        return  # already failed: its first error is what the user sees
    here = where.at(transcript_id=transcript_id, turn=len(conversation.turns))
    if (
        conversation.channel is None
        and columns.channel is not None
        and row[columns.channel].strip()
    ):
        conversation.channel = parse_channel(row[columns.channel], here)
    if (
        conversation.language is None
        and columns.language is not None
        and row[columns.language].strip()
    ):
        conversation.language = parse_language(row[columns.language], here)
    for index in columns.metadata_columns():
        value = row[index].strip()
        if not value:
            continue
        key = metadata_key(columns.names[index])
        if key not in conversation.metadata:
            conversation.metadata[key] = value
        elif conversation.metadata[key] != value:
            conversation.varying.add(key)
    speaker = row[columns.speaker].strip()
    role = options.speakers.resolve(speaker, here)
    start = (
        parse_time(row[columns.start], here, name="start time")
        if columns.start is not None
        else None
    )
    end = parse_time(row[columns.end], here, name="end time") if columns.end is not None else None
    conversation.turns.append(
        make_turn(role, row[columns.text], here, start=start, end=end, speaker=speaker)
    )
