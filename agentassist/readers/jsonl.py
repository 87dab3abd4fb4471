"""JSON and JSON Lines transcripts: one object per file, a list of them, or one per line.

Each transcript is an object::

    {"id": "bank-0042", "channel": "chat", "language": "en",
     "metadata": {"agent": "Priya", "team": "Cards"},
     "turns": [{"speaker": "customer", "text": "My card was declined.", "start": 0.0, "end": 2.1},
               {"speaker": "agent", "text": "I'm sorry to hear that, let's look."}],
     "date": "2024-05-02"}

- ``turns`` is required; each turn needs ``speaker`` (or ``role``) and ``text``;
  ``start``/``end`` are optional seconds (numbers, numeric strings or hh:mm:ss).
- ``speaker`` is agent, customer or system, a common synonym (rep, advisor, caller,
  client, user, bot, ivr, …) or a name mapped through ``speaker_roles``.
- ``id`` (or ``transcript_id``) is optional: without it a lone object takes the file
  name's stem, and the n-th object of a list or JSON Lines file ``<stem>-<n>``.
- Other top-level keys join ``metadata`` (keys inside ``metadata`` win).

A file whose first non-blank line is a whole JSON object is read as JSON Lines, one line
at a time, so a file of any size streams; otherwise the file is one JSON document.

Each line of JSON Lines, and each item of a JSON list, is a transcript of its own: with
``bad_records="yield"`` a bad one is yielded as its :class:`TranscriptFormatError` (saying
where and what) and reading goes on, so one broken line costs one transcript, not the
rest of the file.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from itertools import chain
from pathlib import Path
from typing import Any, Literal

from agentassist.errors import ConfigError, TranscriptFormatError
from agentassist.readers.base import (
    Options,
    Where,
    finish,
    make_turn,
    parse_channel,
    parse_id,
    parse_language,
    parse_time,
)
from agentassist.readers.source import iter_lines
from agentassist.transcript import Channel, Transcript, Turn

_OWN_KEYS = frozenset({"id", "transcript_id", "turns", "channel", "language", "metadata"})
_TURN_EXAMPLE = "{'speaker': 'agent', 'text': '…'}"


def sniff(head: str) -> bool:
    """Say whether ``head`` starts like JSON (an object or a list).

    Example:
        >>> sniff('  {"id": "c-1", "turns": []}')
        True
        >>> sniff("Agent: hello")
        False
    """
    return head.lstrip()[:1] in ("{", "[")


def read(
    path: str | Path,
    *,
    speaker_roles: Mapping[str, str] | None = None,
    channel: str | None = None,
    language: str | None = None,
    bad_records: Literal["raise", "yield"] = "raise",
) -> Iterator[Transcript | TranscriptFormatError]:
    r"""Read every transcript of a JSON or JSON Lines file, in file order.

    ``bad_records="yield"`` yields a bad line or list item as its error and goes on; a
    file that is not JSON at all still raises.

    Example:
        >>> import pathlib, tempfile
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "chats.jsonl"
        >>> _ = path.write_text(
        ...     '{"id": "a", "turns": [{"speaker": "Caller", "text": "Hi"}]}\n'
        ...     '{"id": "b", "channel": "chat", "turns": []}\n')
        >>> [(t.id, t.channel.value, len(t.turns)) for t in read(path)]
        [('a', 'voice', 1), ('b', 'chat', 0)]

    Raises:
        ConfigError: a bad ``speaker_roles``, ``channel``, ``language`` or ``bad_records``.
    """
    options = Options.build(speaker_roles, channel, language)
    if bad_records not in ("raise", "yield"):
        raise ConfigError(f"bad_records must be 'raise' or 'yield', got {bad_records!r}")
    return _read(Path(path), options, bad_records == "yield")


def _record(value: object, where: Where, default_id: str, options: Options, keep_going: bool,
            *, index: int | None = None) -> Transcript | TranscriptFormatError:
    """Return the transcript of one record, or (when ``keep_going``) its error."""
    try:
        return _transcript(value, where, default_id, options, index=index)
    except TranscriptFormatError as exc:
        if not keep_going:
            raise
        return exc


def _broken_json(exc: json.JSONDecodeError, where: Where, *, line: int) -> TranscriptFormatError:
    near = exc.doc[max(exc.pos - 20, 0) : exc.pos + 20]
    return where.at(line=line).error(
        f"broken JSON at column {exc.colno}: {exc.msg} (near {near!r}); expected valid "
        "JSON: one object per line, one object, or a list of objects"
    )


def _next_line(lines: Iterator[tuple[int, str]]) -> tuple[int, str, int] | None:
    """Return the next non-blank ``(number, line)`` and how many blank lines came first."""
    for blank, (number, line) in enumerate(lines):
        if line.strip():
            return number, line, blank
    return None


def _read(path: Path, options: Options, keep_going: bool
          ) -> Iterator[Transcript | TranscriptFormatError]:
    where = Where(path)
    lines = iter_lines(path)
    first = _next_line(lines)
    if first is None:
        raise where.error("file is empty; expected JSON transcripts (objects with 'turns')")
    number, line, blank = first
    value: object = None
    one_line = False
    if line.lstrip().startswith("{"):
        try:
            value = json.loads(line)
            one_line = True
        except json.JSONDecodeError:
            pass  # not a whole object on one line: one document over several lines
    if not one_line:
        text = "\n".join(["\n" * blank + line, *(rest for _, rest in lines)])
        yield from _read_document(text, where, path.stem, options, keep_going)
        return
    rest: Iterator[tuple[int, str]] = lines
    default_id = f"{path.stem}-1"
    if not (isinstance(value, dict) and ("id" in value or "transcript_id" in value)):
        # Without an id, a lone object is named after the file: look ahead to know.
        following = _next_line(lines)
        if following is None:
            default_id = path.stem
        else:
            rest = chain([following[:2]], lines)
    yield _record(value, where.at(line=number), default_id, options, keep_going)
    position = 1
    for number, line in rest:
        if not line.strip():
            continue
        position += 1
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            broken = _broken_json(exc, where, line=number)
            if not keep_going:
                raise broken from None
            yield broken
            continue
        yield _record(value, where.at(line=number), f"{path.stem}-{position}", options,
                      keep_going)


def _read_document(text: str, where: Where, stem: str, options: Options, keep_going: bool
                   ) -> Iterator[Transcript | TranscriptFormatError]:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise _broken_json(exc, where, line=exc.lineno) from None
    if not isinstance(value, list):
        yield _transcript(value, where, stem, options)
        return
    for index, item in enumerate(value):
        yield _record(item, where, f"{stem}-{index + 1}", options, keep_going, index=index)


def _transcript(
    value: object, where: Where, default_id: str, options: Options, *, index: int | None = None
) -> Transcript:
    if not isinstance(value, dict):
        place = f"item {index} of the list" if index is not None else "the value"
        raise where.error(f"{place} is {_short(value)}; expected a transcript object with 'turns'")
    raw_id = value.get("id", value.get("transcript_id"))
    transcript_id = default_id if raw_id is None else parse_id(raw_id, where)
    where = where.at(transcript_id=transcript_id)
    if "turns" not in value:
        hint = ""
        if "speaker" in value and "text" in value:
            hint = (
                "; this looks like one turn per line (labelled-turn JSONL), which "
                "'agentassist label' and 'agentassist evaluate' read"
            )
        raise where.error(
            f"missing required key 'turns'; expected a list of turns like {_TURN_EXAMPLE}"
            f" (keys found: {', '.join(sorted(map(str, value)))}){hint}"
        )
    raw_turns = value["turns"]
    if not isinstance(raw_turns, list):
        raise where.error(
            f"'turns' is {_short(raw_turns)}; expected a list of turns like {_TURN_EXAMPLE}"
        )
    metadata = _metadata(value, where)
    channel: Channel | None = None
    if value.get("channel") is not None:
        channel = parse_channel(value["channel"], where)
    language = None
    if value.get("language") is not None:
        language = parse_language(value["language"], where)
    turns = [_turn(raw, where.at(turn=number), options) for number, raw in enumerate(raw_turns)]
    return finish(
        transcript_id, turns, options, channel=channel, language=language, metadata=metadata
    )


def _metadata(value: Mapping[str, Any], where: Where) -> dict[str, Any]:
    given = value.get("metadata")
    if given is not None and not isinstance(given, dict):
        raise where.error(f"'metadata' is {_short(given)}; expected an object of key: value")
    extra = {key: item for key, item in value.items() if key not in _OWN_KEYS}
    return {**extra, **(given or {})}


def _turn(raw: object, where: Where, options: Options) -> Turn:
    if not isinstance(raw, dict):
        raise where.error(f"turn is {_short(raw)}; expected an object like {_TURN_EXAMPLE}")
    key = "speaker" if "speaker" in raw else "role"
    if key not in raw:
        raise where.error(
            f"missing required key 'speaker'; expected {_TURN_EXAMPLE} "
            f"(keys found: {', '.join(sorted(map(str, raw)))})"
        )
    if "text" not in raw:
        raise where.error(
            f"missing required key 'text'; expected {_TURN_EXAMPLE} "
            f"(keys found: {', '.join(sorted(map(str, raw)))})"
        )
    speaker = raw[key]
    role = options.speakers.resolve(speaker, where)
    start = parse_time(raw.get("start"), where, name="start time")
    end = parse_time(raw.get("end"), where, name="end time")
    return make_turn(role, raw["text"], where, start=start, end=end, speaker=str(speaker))


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
