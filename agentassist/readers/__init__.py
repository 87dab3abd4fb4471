"""Transcript readers: one module per file format, and the sniffing that picks one.

=====================  ============================================  ===================
format                 what                                          extensions
=====================  ============================================  ===================
``jsonl``              JSON and JSON Lines (``turns`` lists)          .jsonl .ndjson .json
``text``               plain text with ``Agent:`` / name prefixes     .txt .text
``webvtt``             WebVTT with ``<v Name>`` tags or prefixes      .vtt
``srt``                SubRip with ``Agent:`` / name prefixes          .srt
``csv``                one row per turn, header required              .csv .tsv
``amazon_transcribe``  Contact Lens, Call Analytics, Transcribe JSON  (.json)
=====================  ============================================  ===================

:func:`read_transcripts` lets the **content decide first**: each module's ``sniff``
looks at the first 64 KB, and a specific match beats a generic one (WebVTT, SRT and
CSV beat prefixed text; Amazon output beats generic JSON). The file extension only
breaks a tie, or picks the reader when no content matched (so that reader can say
precisely what is wrong); ``format=`` overrides both.

Shared rules, whatever the format:

- Speakers become roles: ``agent``, ``customer``, ``system`` and common synonyms
  (``rep``, ``advisor``, ``caller``, ``client``, ``user``, ``bot``, ``ivr``, …), or
  names mapped through ``speaker_roles`` (``{"Maria": "agent"}``), which always wins.
  ``Turn.speaker`` keeps the name the source used.
- Turn text is kept as in the source, only surrounding whitespace cut, since evidence
  offsets index it (caption markup is removed and caption lines joined with a space).
  Formats cut by time (WebVTT, SRT, Amazon) merge consecutive pieces of one speaker
  into one turn; formats that list turns (JSON, text, CSV) keep them as listed.
- Channel: what the file says, else ``channel=``, else voice. Language: what the file
  says (reduced to its primary subtag, ``en-US`` → ``en``), else ``language=``, else
  ``"en"``.
- A transcript with no turns, or no agent turn (an unanswered contact), is valid.
- Anything wrong raises one :class:`~agentassist.errors.TranscriptFormatError` saying
  where (file:line, transcript id, 0-based turn), what and what was expected. Files
  must be UTF-8 (a byte-order mark is fine) or UTF-16 with a byte-order mark; a line
  over 10 MB is refused without being read whole. Bad options (``format=``,
  ``speaker_roles=``, ``channel=``, ``language=``) raise
  :class:`~agentassist.errors.ConfigError`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from types import ModuleType

from agentassist.errors import ConfigError, TranscriptFormatError
from agentassist.readers import amazon_transcribe, csv, jsonl, srt, text, webvtt
from agentassist.readers.base import name_key, suggest
from agentassist.readers.source import read_head
from agentassist.transcript import Transcript

__all__ = ["FORMATS", "read_records", "read_transcripts", "sniff_format"]

_MODULES: Mapping[str, ModuleType] = {
    "jsonl": jsonl,
    "text": text,
    "webvtt": webvtt,
    "srt": srt,
    "csv": csv,
    "amazon_transcribe": amazon_transcribe,
}

FORMATS: tuple[str, ...] = tuple(_MODULES)
"""The formats :func:`read_transcripts` knows, by the name ``format=`` takes."""

EXTENSIONS: Mapping[str, str] = {
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
    ".txt": "text",
    ".text": "text",
    ".vtt": "webvtt",
    ".srt": "srt",
    ".csv": "csv",
    ".tsv": "csv",
}

_ALIASES: Mapping[str, str] = {
    "json": "jsonl",
    "ndjson": "jsonl",
    "txt": "text",
    "vtt": "webvtt",
    "subrip": "srt",
    "tsv": "csv",
    "amazon": "amazon_transcribe",
    "contact_lens": "amazon_transcribe",
    "transcribe": "amazon_transcribe",
}

# A specific format that matches hides the generic one it also looks like.
_HIDES: Mapping[str, frozenset[str]] = {
    "webvtt": frozenset({"text"}),
    "srt": frozenset({"text"}),
    "csv": frozenset({"text"}),
    "amazon_transcribe": frozenset({"jsonl"}),
}
# Order when content alone can't decide and the extension doesn't help.
_PRIORITY = ("webvtt", "amazon_transcribe", "srt", "jsonl", "csv", "text")


def _format_option(format: str) -> str:
    key = name_key(format).replace(" ", "_").replace("-", "_") if isinstance(format, str) else ""
    key = _ALIASES.get(key, key)
    if key in _MODULES:
        return key
    raise ConfigError(
        f"unknown transcript format {format!r}; expected one of {', '.join(FORMATS)}"
        + suggest(key, [*FORMATS, *_ALIASES])
    )


def _choose(head: str, path: Path) -> str:
    matches = {name for name, module in _MODULES.items() if module.sniff(head)}
    for name in list(matches):
        matches -= _HIDES.get(name, frozenset())
    by_extension = EXTENSIONS.get(path.suffix.lower())
    if by_extension is not None and (by_extension in matches or not matches):
        return by_extension
    for name in _PRIORITY:
        if name in matches:
            return name
    raise TranscriptFormatError(
        f"cannot tell the transcript format: the content looks like none of "
        f"{', '.join(FORMATS)} and the extension {path.suffix!r} doesn't say; expected "
        "a WEBVTT header, numbered '-->' cues (SRT), 'Agent:' / 'Customer:' prefixes, "
        "JSON with 'turns', a CSV header with speaker and text columns, or Amazon "
        "Contact Lens / Transcribe JSON; pass format= to choose",
        source=path,
    )


def _head(path: Path) -> str:
    head = read_head(path)
    if not head.strip():
        raise TranscriptFormatError(
            f"file is empty; expected a transcript in one of the formats {', '.join(FORMATS)}",
            source=path,
        )
    return head


def sniff_format(path: str | Path) -> str:
    r"""Return the format of a transcript file: what its content says, then its extension.

    Example:
        >>> import pathlib, tempfile
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "notes.dat"
        >>> _ = path.write_text("WEBVTT\n\n00:00.000 --> 00:01.000\n<v Agent>Hi\n")
        >>> sniff_format(path)
        'webvtt'

    Raises:
        TranscriptFormatError: the file is missing, empty, not UTF-8, or of no known format.
    """
    path = Path(path)
    return _choose(_head(path), path)


def read_transcripts(
    path: str | Path,
    *,
    format: str | None = None,
    speaker_roles: Mapping[str, str] | None = None,
    channel: str | None = None,
    language: str | None = None,
) -> Iterator[Transcript]:
    r"""Read the transcripts of a file, in file order, streaming where the format allows.

    The format is sniffed from the content, then the extension (see the module
    docstring), unless ``format`` names one of :data:`FORMATS`. The format is decided,
    the options checked and the file's start read when this is called (so a missing,
    empty or non-UTF-8 file fails here); the rest is read as you iterate.

    Args:
        path: the transcript file.
        format: one of :data:`FORMATS` (or ``json``, ``vtt``, ``txt``, …) to skip sniffing.
        speaker_roles: speaker name → ``agent`` / ``customer`` / ``system``, for files
            that name people ("Maria") or labels ("spk_0"); it wins over the file.
        channel: ``voice``, ``chat`` or ``email`` where the file doesn't say.
        language: language code where the file doesn't say (default ``"en"``).

    Example:
        >>> import pathlib, tempfile
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "call.txt"
        >>> _ = path.write_text("Maria: Hello, Maria speaking.\nCustomer: Hi Maria.\n")
        >>> [transcript] = read_transcripts(path, speaker_roles={"Maria": "agent"})
        >>> [(turn.role.value, turn.speaker) for turn in transcript.turns]
        [('agent', 'Maria'), ('customer', 'Customer')]

    Raises:
        TranscriptFormatError: the file is missing, empty, not UTF-8 or of no known
            format (raised by this call), or malformed (raised while iterating).
        ConfigError: an unknown ``format``, role, channel or language.
    """
    path = Path(path)
    transcripts: Iterator[Transcript] = _MODULES[_pick(path, format)].read(
        path, speaker_roles=speaker_roles, channel=channel, language=language
    )
    return transcripts


def _pick(path: Path, format: str | None) -> str:
    """Return the reader for ``path``: ``format`` if given, else sniffed from its start."""
    name = _format_option(format) if format is not None else None
    head = _head(path)  # missing, empty or not UTF-8: say so now, not at the first next()
    return name or _choose(head, path)


def read_records(
    path: str | Path,
    *,
    format: str | None = None,
    speaker_roles: Mapping[str, str] | None = None,
    channel: str | None = None,
    language: str | None = None,
) -> Iterator[Transcript | TranscriptFormatError]:
    r"""Read like :func:`read_transcripts`, yielding a bad record as its error.

    Reading goes on past a bad record where the format allows it (a line of JSON Lines,
    an item of a JSON list, a CSV transcript with a bad row), so in a batch one broken
    line fails one transcript. Errors that end the file (not UTF-8, broken CSV quoting, a
    format that holds one transcript) are still raised.

    Example:
        >>> import pathlib, tempfile
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "chats.jsonl"
        >>> _ = path.write_text('{"id": "a", "turns": []}\n{"id": "b"}\n'
        ...                     '{"id": "c", "turns": []}\n')
        >>> [getattr(r, "id", None) or r.line for r in read_records(path)]
        ['a', 2, 'c']
    """
    path = Path(path)
    name = _pick(path, format)
    options = {"speaker_roles": speaker_roles, "channel": channel, "language": language}
    if name in ("jsonl", "csv"):
        return _MODULES[name].read(path, bad_records="yield", **options)
    records: Iterator[Transcript | TranscriptFormatError] = _MODULES[name].read(path, **options)
    return records
