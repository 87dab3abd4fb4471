r"""SubRip (SRT) transcripts: numbered cues whose text starts with a speaker prefix.

::

    1
    00:00:01,000 --> 00:00:04,500
    Agent: Thanks for calling Harbour Insurance, this is Leon.

    2
    00:00:05,100 --> 00:00:08,000
    Customer: Hi, um, I need to make a claim.

- The speaker is an ``Agent:`` / ``Customer:`` / name prefix on a cue line (a leading
  ``- `` is dropped), mapped to a role as in the text format; a cue or line without
  one continues the previous speaker.
- Cue times become each turn's start and end in seconds; formatting tags (``<i>``,
  ``<font …>``, ``{\an8}``) are removed and a cue's lines joined with a space.
- Consecutive cues of the same speaker are merged into one turn, as for WebVTT.
- SRT has no place for metadata: the id is the file name's stem, the channel voice
  (unless ``channel=`` says otherwise) and the language ``language=`` or English.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from pathlib import Path

from agentassist.readers.base import Options, Where, finish
from agentassist.readers.webvtt import Cue, add_segments, blocks, cue_segments, parse_timing
from agentassist.transcript import Role, Transcript, Turn

_START = re.compile(r"^\s*\d+\s*\n\s*\d{1,2}:\d{2}:\d{2}[,.]\d{1,3}\s*-->\s*\d")
_ASS_TAG = re.compile(r"\{\\[^}]*\}")


def sniff(head: str) -> bool:
    r"""Say whether ``head`` starts with a numbered SRT cue.

    Example:
        >>> sniff("1\n00:00:01,000 --> 00:00:04,000\nAgent: Hello")
        True
        >>> sniff("WEBVTT\n\n00:00:01.000 --> 00:00:04.000\nAgent: Hello")
        False
    """
    return _START.match(head.lstrip("\ufeff").replace("\r\n", "\n")) is not None


def read(
    path: str | Path,
    *,
    speaker_roles: Mapping[str, str] | None = None,
    channel: str | None = None,
    language: str | None = None,
) -> Iterator[Transcript]:
    r"""Read the one transcript of an SRT file.

    Example:
        >>> import pathlib, tempfile
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "claim.srt"
        >>> _ = path.write_text("1\n00:00:01,000 --> 00:00:03,000\nAgent: Hello.\n\n"
        ...                     "2\n00:00:03,500 --> 00:00:05,000\nCustomer: Hi.\n")
        >>> [(t.role.value, t.text, t.start) for t in next(read(path)).turns]
        [('agent', 'Hello.', 1.0), ('customer', 'Hi.', 3.5)]

    Raises:
        ConfigError: a bad ``speaker_roles``, ``channel`` or ``language``.
    """
    options = Options.build(speaker_roles, channel, language, letters=True)
    return _read(Path(path), options)


def _read(path: Path, options: Options) -> Iterator[Transcript]:
    speakers = options.speakers.copy()
    where = Where(path, transcript_id=path.stem)
    turns: list[Turn] = []
    previous: tuple[str, Role] | None = None
    empty = True
    for block in blocks(path):
        empty = False
        cue = _cue(block.line, block.lines, where)
        segments = cue_segments(cue, speakers, previous, voices=False)
        add_segments(turns, cue, segments)
        previous = (segments[-1][0], segments[-1][1])
    if empty:
        raise Where(path).error("file is empty; expected SRT cues with 'Agent:' / 'Customer:' text")
    yield finish(path.stem, turns, options)


def _cue(first_line: int, lines: list[str], where: Where) -> Cue:
    timing_index = 1 if lines[0].strip().isdigit() else 0
    here = where.at(line=first_line + timing_index)
    times = None
    if len(lines) > timing_index:
        times = parse_timing(lines[timing_index], here, example="00:01:02,500 --> 00:01:04,000")
    if times is None:
        raise where.at(line=first_line).error(
            f"block {lines[0][:40]!r} is not an SRT cue; expected a cue number, then a "
            "timing line like '00:00:01,000 --> 00:00:04,000', then the cue text"
        )
    payload = [_ASS_TAG.sub("", line) for line in lines[timing_index + 1 :]]
    return Cue(here, times[0], times[1], payload)
