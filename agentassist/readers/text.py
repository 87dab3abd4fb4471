"""Plain-text transcripts with speaker prefixes (``Agent:``, ``C:``, ``Maria:``).

One transcript per file::

    # id: rail-0193
    # agent: Maria
    # customer: John Smith
    # channel: voice
    # team: Rail Support
    [00:00:01] Maria: Good morning, you're through to Maria at Northline Rail.
    [00:00:05] John Smith: Hi, my train's been cancelled and
      I've got the kids with me.

- Header lines ``# key: value`` before the first turn give ``id``, ``channel``,
  ``language``; ``agent``, ``customer`` and ``system`` name the speakers of that role
  (comma-separated; kept in metadata too); any other key goes to metadata. The id is
  the file name's stem unless a header gives it.
- A turn starts with a speaker prefix: a role word (``Agent``, ``Customer``, ``A``,
  ``C``, ``Caller``, ``Rep``, …), a name declared in a header, or a name mapped by
  ``speaker_roles``. A timestamp ``[00:01:02]``, ``[01:02]`` or ``00:01:02`` may stand
  before the prefix or right after it (before or after the colon); it becomes the
  turn's start.
- Any other line continues the previous turn (joined with a newline, as in the file);
  so does a line that starts with a space or tab, even if it looks like a prefix. A
  capitalised word or name (up to three words) followed by a colon at the start of a
  line is taken as a speaker, so an unknown one is an error, not silently text.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from agentassist.readers.base import (
    LETTER_ROLES,
    ROLE_WORDS,
    Header,
    Options,
    SpeakerMap,
    Where,
    finish,
    make_turn,
    name_key,
    parse_time,
)
from agentassist.readers.source import iter_lines
from agentassist.transcript import Role, Transcript, Turn

_TS = r"\[\d{1,2}(?::\d{2}){1,2}(?:[.,]\d+)?\]|\d{1,2}:\d{2}:\d{2}(?:[.,]\d+)?"
_PREFIX = re.compile(
    rf"^(?:(?P<ts1>{_TS})\s+)?"
    r"(?P<name>[^\W\d_][\w.'’ -]{0,39}?)"
    rf"\s*(?:(?P<ts2>{_TS})\s*)?"
    r":(?=\s|$)\s*"
    rf"(?:(?P<ts3>{_TS})(?=\s|$)\s*)?"
    r"(?P<text>.*)$"
)
_HEADER = re.compile(r"^#\s*(?P<key>[^\W\d][\w .-]*?)\s*:\s*(?P<value>.*)$")
_ROLE_HEADER = re.compile(r"^#\s*(agent|customer)\s*:", re.IGNORECASE | re.MULTILINE)


@dataclass(frozen=True, slots=True)
class Prefix:
    """A speaker prefix found at the start of a line."""

    name: str
    role: Role | None  # None: it looks like a name but nobody said who it is
    text: str
    time: str | None  # the timestamp as written, brackets removed


def _looks_like_name(name: str) -> bool:
    words = name.split()
    return 1 <= len(words) <= 3 and all(word[0].isupper() for word in words)


def match_prefix(line: str, speakers: SpeakerMap) -> Prefix | None:
    """Return the speaker prefix that starts ``line``, or ``None`` for a plain line.

    Example:
        >>> prefix = match_prefix("[00:01:02] Agent: Hello there", SpeakerMap(letters=True))
        >>> prefix.name, prefix.role.value, prefix.text, prefix.time
        ('Agent', 'agent', 'Hello there', '00:01:02')
        >>> match_prefix("The thing is: I need a refund", SpeakerMap()) is None
        True
    """
    if line[:1].isspace():
        return None
    match = _PREFIX.match(line)
    if match is None:
        return None
    name = match["name"].strip()
    role = speakers.lookup(name)
    if role is None and not _looks_like_name(name):
        return None
    stamp = match["ts1"] or match["ts2"] or match["ts3"]
    return Prefix(name, role, match["text"], stamp.strip("[]") if stamp else None)


def sniff(head: str) -> bool:
    r"""Say whether ``head`` looks like a prefixed text transcript.

    Example:
        >>> sniff("Agent: Hello, you're through to Sam.\nCustomer: Hi Sam.")
        True
        >>> sniff('{"id": "x"}')
        False
    """
    if _ROLE_HEADER.search(head):
        return True
    known = SpeakerMap(letters=True)
    for line in head.splitlines()[:200]:
        prefix = match_prefix(line.strip(), known)
        if prefix is not None and name_key(prefix.name) in {*ROLE_WORDS, *LETTER_ROLES}:
            return True
    return False


def read(
    path: str | Path,
    *,
    speaker_roles: Mapping[str, str] | None = None,
    channel: str | None = None,
    language: str | None = None,
) -> Iterator[Transcript]:
    r"""Read the one transcript of a prefixed text file.

    Example:
        >>> import pathlib, tempfile
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "call-7.txt"
        >>> _ = path.write_text("# agent: Maria\nMaria: Hello, Maria speaking.\nC: Hi!\n")
        >>> [transcript] = read(path)
        >>> transcript.id, [(t.role.value, t.text) for t in transcript.turns]
        ('call-7', [('agent', 'Hello, Maria speaking.'), ('customer', 'Hi!')])

    Raises:
        ConfigError: a bad ``speaker_roles``, ``channel`` or ``language``.
    """
    options = Options.build(speaker_roles, channel, language, letters=True)
    return _read(Path(path), options)


def _read(path: Path, options: Options) -> Iterator[Transcript]:
    speakers = options.speakers.copy()
    header = Header()
    where = Where(path)
    pending: list[tuple[Where, Role, str, list[str], float | None]] = []
    seen_any = False
    for number, line in iter_lines(path):
        here = where.at(line=number)
        if not line.strip():
            continue
        seen_any = True
        if not pending:
            header_match = _HEADER.match(line.strip())
            if header_match is not None:
                header.add(header_match["key"], header_match["value"], speakers, here)
                where = where.at(transcript_id=header.id or path.stem)
                continue
            if line.lstrip().startswith("#"):
                continue  # a comment among the header lines
        prefix = match_prefix(line, speakers)
        if prefix is None:
            if not pending:
                raise here.error(
                    f"line {line.strip()[:60]!r} has no speaker prefix and no turn before it "
                    "to continue; expected a line like 'Agent: …' or 'Customer: …'"
                )
            pending[-1][3].append(line.strip())
            continue
        turn_where = here.at(transcript_id=header.id or path.stem, turn=len(pending))
        role = prefix.role or speakers.resolve(
            prefix.name,
            turn_where,
            hint=f", or add a header line '# agent: {prefix.name}'; indent the line if it "
            "continues the previous turn",
        )
        start = parse_time(prefix.time, turn_where, name="timestamp")
        pending.append((turn_where, role, prefix.name, [prefix.text.strip()], start))
    if not seen_any:
        raise where.error(
            "file is empty; expected a transcript with lines like 'Agent: …' and 'Customer: …'"
        )
    turns: list[Turn] = [
        make_turn(
            role, "\n".join(part for part in parts if part), turn_where, start=start, speaker=name
        )
        for turn_where, role, name, parts, start in pending
    ]
    yield finish(
        header.id or path.stem,
        turns,
        options,
        channel=header.channel,
        language=header.language,
        metadata=header.metadata,
    )
