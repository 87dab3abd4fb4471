"""WebVTT transcripts: cues with voice tags (``<v Agent>``) or speaker prefixes.

::

    WEBVTT

    NOTE id: tel-0042
    agent: Maria Jensen
    team: Billing

    00:00:01.000 --> 00:00:04.200
    <v Maria Jensen>Thanks for calling Skyline Mobile, this is Maria.</v>

    00:00:04.600 --> 00:00:07.000
    <v Customer>You've charged me twice this month!

- The speaker of a cue is its voice tag (``<v Name>``, ``<v.class Name>``; several
  per cue are allowed) or, without tags, an ``Agent:`` / name prefix on a payload line
  (a leading ``- `` is dropped). A cue or line with neither continues the previous
  speaker. Names map to roles as in the text format.
- ``NOTE`` blocks before the first cue may hold ``key: value`` lines, read like the
  text format's ``#`` header lines (``id``, ``channel``, ``language``, ``agent``,
  ``customer``, ``system``, anything else → metadata). The id is the file name's stem
  unless a note gives it.
- Cue times become each turn's start and end in seconds. Other tags (``<b>``, ``<c>``,
  ``<i>``, inline timestamps) are removed and character references decoded; the lines
  of a cue are joined with a space.
- **Consecutive cues of the same speaker are merged into one turn** (their text joined
  with a space; start of the first, end of the last): captions cut speech by time, and
  a turn is one speaker's uninterrupted contribution.
- The channel is voice unless a note says otherwise or ``channel=`` is given.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from agentassist.readers.base import (
    Header,
    Options,
    SpeakerMap,
    Where,
    append_merged,
    check_span,
    finish,
    make_turn,
    parse_time,
    turn_index,
)
from agentassist.readers.source import iter_lines
from agentassist.readers.text import match_prefix
from agentassist.transcript import Role, Transcript, Turn

_HEADER = re.compile(r"^WEBVTT(?:[ \t].*)?$")
_TIME = r"(?:\d+:)?\d{1,2}:\d{1,2}[.,]\d{1,3}"
_TIMING = re.compile(r"^\s*(?P<start>\S+?)\s*-->\s*(?P<end>\S+)(?:\s+.*)?$")
_VALID_TIME = re.compile(rf"^{_TIME}$")
_VOICE = re.compile(r"<v(?:\.[^\s>]*)*(?:[ \t]+(?P<name>[^>]*))?>")
_TAG = re.compile(r"<[^>]*>")
_NOTE_LINE = re.compile(r"^(?P<key>[^\W\d][\w .-]*?)\s*:\s*(?P<value>.*)$")


@dataclass(frozen=True, slots=True)
class Block:
    """Consecutive non-blank lines, with the line number of the first."""

    line: int
    lines: list[str]


def blocks(path: Path) -> Iterator[Block]:
    """Yield the blank-line separated blocks of a caption file (shared with SRT)."""
    current: list[str] = []
    first = 0
    for number, line in iter_lines(path):
        if line.strip():
            if not current:
                first = number
            current.append(line)
        elif current:
            yield Block(first, current)
            current = []
    if current:
        yield Block(first, current)


def sniff(head: str) -> bool:
    r"""Say whether ``head`` starts with the ``WEBVTT`` signature.

    Example:
        >>> sniff("WEBVTT\n\n00:01.000 --> 00:02.000\n<v Agent>Hi")
        True
        >>> sniff("1\n00:00:01,000 --> 00:00:02,000\nAgent: Hi")
        False
    """
    first = head.lstrip("\ufeff").split("\n", 1)[0].rstrip("\r")
    return _HEADER.match(first) is not None


def read(
    path: str | Path,
    *,
    speaker_roles: Mapping[str, str] | None = None,
    channel: str | None = None,
    language: str | None = None,
) -> Iterator[Transcript]:
    r"""Read the one transcript of a WebVTT file.

    Example:
        >>> import pathlib, tempfile
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "call.vtt"
        >>> _ = path.write_text("WEBVTT\n\n00:00.000 --> 00:02.500\n<v Agent>Hello.\n\n"
        ...                     "00:02.500 --> 00:04.000\n<v Agent>How can I help?\n")
        >>> [(t.role.value, t.text, t.start, t.end) for t in next(read(path)).turns]
        [('agent', 'Hello. How can I help?', 0.0, 4.0)]

    Raises:
        ConfigError: a bad ``speaker_roles``, ``channel`` or ``language``.
    """
    options = Options.build(speaker_roles, channel, language, letters=True)
    return _read(Path(path), options)


@dataclass(frozen=True, slots=True)
class Cue:
    """A caption cue: where it is, its times as written and in seconds, its payload."""

    where: Where
    start: float | None
    end: float | None
    payload: list[str]


def parse_timing(
    line: str, where: Where, *, example: str = "00:01:02.500 --> 00:01:04.000"
) -> tuple[float | None, float | None] | None:
    """Return the start and end of a ``start --> end`` line, ``None`` if it isn't one.

    Raises:
        TranscriptFormatError: a time that isn't ``hh:mm:ss.mmm``, or end before start;
            the message shows ``example`` as the expected form.
    """
    match = _TIMING.match(line)
    if match is None:
        return None
    times: list[float | None] = []
    for name in ("start", "end"):
        raw = match[name]
        if _VALID_TIME.match(raw) is None:
            raise where.error(
                f"cue {name} time {raw!r} is not a time; expected hours:minutes:seconds "
                f"with milliseconds, as in {example!r}"
            )
        times.append(parse_time(raw, where, name=f"cue {name} time"))
    check_span(times[0], times[1], where, shown=(match["start"], match["end"]))
    return times[0], times[1]


def cue_segments(
    cue: Cue, speakers: SpeakerMap, previous: tuple[str, Role] | None, *, voices: bool
) -> list[tuple[str, Role, str]]:
    """Split a cue's payload into ``(speaker, role, text)`` pieces (shared with SRT).

    ``previous`` is the speaker that a payload without any tag or prefix continues.
    Pieces of one speaker in a row are joined; a piece's text may be empty (the caller
    reports that, knowing the turn).

    Raises:
        TranscriptFormatError: an unknown speaker, or no speaker at all.
    """
    pieces: list[tuple[str | None, str]] = []
    payload = "\n".join(cue.payload)
    first_voice = _VOICE.search(payload) if voices else None
    if first_voice is not None:
        if payload[: first_voice.start()].strip():
            pieces.append((None, payload[: first_voice.start()]))
        for match, following in _voice_spans(payload):
            pieces.append(((match["name"] or "").strip(), following))
    else:
        for line in cue.payload:
            stripped = line.strip()
            stripped = stripped[2:] if stripped.startswith("- ") else stripped
            prefix = match_prefix(_clean(stripped), speakers)
            pieces.append((None, stripped) if prefix is None else (prefix.name, prefix.text))
    if not pieces:
        raise cue.where.error("cue has no text; expected the words spoken after the timing line")
    segments: list[tuple[str, Role, str]] = []
    current = previous
    for name, raw_text in pieces:
        if name is not None:
            current = (name, speakers.resolve(name, cue.where))
        elif current is None:
            raise cue.where.error(
                f"cue text {_clean(raw_text).strip()[:60]!r} has no speaker and no earlier "
                "cue to continue; expected a voice tag like '<v Agent>' or a prefix like "
                "'Agent:' in the first cue"
            )
        # Caption line breaks are layout: join lines with a space, keep other spacing.
        text = " ".join(part.strip() for part in _clean(raw_text).split("\n") if part.strip())
        if segments and segments[-1][:2] == current:
            text = f"{segments[-1][2]} {text}".strip()
            segments[-1] = (current[0], current[1], text)
        else:
            segments.append((current[0], current[1], text))
    return segments


def add_segments(
    turns: list[Turn],
    cue: Cue,
    segments: list[tuple[str, Role, str]],
) -> None:
    """Append a cue's segments to ``turns``, merging with the last turn of the same speaker.

    Raises:
        TranscriptFormatError: a segment has no text (names the turn it would be).
    """
    for name, role, text in segments:
        where = cue.where.at(turn=turn_index(turns, role, name))
        append_merged(
            turns, make_turn(role, text, where, start=cue.start, end=cue.end, speaker=name)
        )


def _voice_spans(payload: str) -> Iterator[tuple[re.Match[str], str]]:
    matches = list(_VOICE.finditer(payload))
    for index, match in enumerate(matches):
        end = matches[index + 1].start() if index + 1 < len(matches) else len(payload)
        yield match, payload[match.end() : end]


def _clean(text: str) -> str:
    return html.unescape(_TAG.sub("", text))


def _read(path: Path, options: Options) -> Iterator[Transcript]:
    speakers = options.speakers.copy()
    header = Header()
    where = Where(path)
    found_header = False
    cues: list[Cue] = []
    for block in blocks(path):
        here = where.at(line=block.line)
        if not found_header:
            if _HEADER.match(block.lines[0].lstrip("\ufeff")) is None:
                raise here.error(
                    f"missing the WEBVTT header; the file starts with {block.lines[0][:40]!r}; "
                    "expected a first line 'WEBVTT'"
                )
            found_header = True
            continue
        first = block.lines[0]
        if first.startswith(("STYLE", "REGION")) and "-->" not in first:
            continue
        if first.startswith("NOTE") and (len(first) == 4 or first[4] in " \t"):
            if not cues:
                _read_note(block, header, speakers, where)
            continue
        cues.append(_cue(block, where))
    if not found_header:
        raise where.error("file is empty; expected a WebVTT file starting with 'WEBVTT'")
    transcript_id = header.id or path.stem
    turns: list[Turn] = []
    previous: tuple[str, Role] | None = None
    for cue in cues:
        cue = Cue(cue.where.at(transcript_id=transcript_id), cue.start, cue.end, cue.payload)
        segments = cue_segments(cue, speakers, previous, voices=True)
        add_segments(turns, cue, segments)
        previous = (segments[-1][0], segments[-1][1])
    yield finish(
        transcript_id,
        turns,
        options,
        channel=header.channel,
        language=header.language,
        metadata=header.metadata,
    )


def _read_note(block: Block, header: Header, speakers: SpeakerMap, where: Where) -> None:
    lines = [block.lines[0][4:], *block.lines[1:]]
    for offset, line in enumerate(lines):
        match = _NOTE_LINE.match(line.strip())
        if match is not None:
            header.add(match["key"], match["value"], speakers, where.at(line=block.line + offset))


def _cue(block: Block, where: Where) -> Cue:
    lines = block.lines
    timing_index = 0 if "-->" in lines[0] else 1
    here = where.at(line=block.line + timing_index)
    times = parse_timing(lines[timing_index], here) if len(lines) > timing_index else None
    if times is None:
        raise where.at(line=block.line).error(
            f"block {lines[0][:40]!r} is not a cue; expected an optional cue id, then a "
            "timing line like '00:00:01.000 --> 00:00:04.000', then the cue text"
        )
    return Cue(here, times[0], times[1], lines[timing_index + 1 :])
