"""Shared pieces of the readers: speaker names to roles, times, turns, channel, language.

Every reader checks its input with these helpers, so the same mistake reads the same way
whatever the format, and every error says where (a :class:`Where`), what and what was
expected.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agentassist.errors import ConfigError, TranscriptFormatError
from agentassist.transcript import Channel, Role, Transcript, Turn

ROLE_WORDS: Mapping[str, Role] = {
    "agent": Role.AGENT,
    "customer service": Role.AGENT,
    "rep": Role.AGENT,
    "representative": Role.AGENT,
    "advisor": Role.AGENT,
    "adviser": Role.AGENT,
    "customer": Role.CUSTOMER,
    "caller": Role.CUSTOMER,
    "client": Role.CUSTOMER,
    "user": Role.CUSTOMER,
    "system": Role.SYSTEM,
    "bot": Role.SYSTEM,
    "chatbot": Role.SYSTEM,
    "ivr": Role.SYSTEM,
}
"""Speaker names every reader understands without a mapping (compared case-insensitively)."""

LETTER_ROLES: Mapping[str, Role] = {"a": Role.AGENT, "c": Role.CUSTOMER}
"""``A:`` / ``C:`` prefixes, understood where speakers are written as line prefixes."""

CHANNEL_WORDS: Mapping[str, Channel] = {
    "voice": Channel.VOICE,
    "phone": Channel.VOICE,
    "call": Channel.VOICE,
    "telephone": Channel.VOICE,
    "chat": Channel.CHAT,
    "webchat": Channel.CHAT,
    "web chat": Channel.CHAT,
    "messaging": Channel.CHAT,
    "sms": Channel.CHAT,
    "email": Channel.EMAIL,
    "e-mail": Channel.EMAIL,
    "mail": Channel.EMAIL,
}

_EXPECTED_ROLES = "'agent', 'customer' or 'system'"
_LANGUAGE = re.compile(r"^([a-z]{2,3})(?:[-_][a-z0-9]{1,8})*$")
_CLOCK = re.compile(r"^(?:(\d+):)?(\d{1,2}):(\d{1,2}(?:[.,]\d+)?)$")


def name_key(name: str) -> str:
    """Return the form speaker names are compared in: case-folded, single spaces.

    Example:
        >>> name_key("  Customer   Service ")
        'customer service'
    """
    return " ".join(name.split()).casefold()


def metadata_key(name: str) -> str:
    """Return a column or header name as a metadata key: lower case, ``_`` for gaps.

    Example:
        >>> metadata_key(" Queue-Name ")
        'queue_name'
    """
    return "_".join(name.strip().lower().replace("-", " ").split())


def suggest(word: str, choices: Iterable[str]) -> str:
    """Return ``" (did you mean 'x'?)"`` for the closest of ``choices``, or ``""``.

    Example:
        >>> suggest("agnet", ["agent", "customer"])
        " (did you mean 'agent'?)"
    """
    matches = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean {matches[0]!r}?)" if matches else ""


class _Keep:
    """Marks a :meth:`Where.at` argument that was not given."""


_KEEP = _Keep()


@dataclass(frozen=True, slots=True)
class Where:
    """Where in a source something is: file, line, transcript id and 0-based turn index."""

    source: Path
    line: int | None = None
    transcript_id: str | None = None
    turn: int | None = None

    def at(
        self,
        *,
        line: int | None | _Keep = _KEEP,
        transcript_id: str | None | _Keep = _KEEP,
        turn: int | None | _Keep = _KEEP,
    ) -> Where:
        """Return a copy with some of ``line``, ``transcript_id`` and ``turn`` changed."""
        return Where(
            self.source,
            self.line if isinstance(line, _Keep) else line,
            self.transcript_id if isinstance(transcript_id, _Keep) else transcript_id,
            self.turn if isinstance(turn, _Keep) else turn,
        )

    def error(self, message: str) -> TranscriptFormatError:
        """Return a :class:`TranscriptFormatError` placed here (raise it)."""
        return TranscriptFormatError(
            message,
            source=self.source,
            line=self.line,
            transcript_id=self.transcript_id,
            turn=self.turn,
        )


def _role_option(name: object, role: object) -> Role:
    if not isinstance(name, str) or not name.strip():
        raise ConfigError(f"speaker_roles: speaker name {name!r} must be a non-empty string")
    key = name_key(role) if isinstance(role, str) else ""
    if key in ROLE_WORDS:
        return ROLE_WORDS[key]
    raise ConfigError(
        f"speaker_roles[{name!r}]: unknown role {role!r}; expected {_EXPECTED_ROLES}"
        + suggest(key, [r.value for r in Role])
    )


class SpeakerMap:
    """Turn the speaker names a source uses into roles.

    Names from ``speaker_roles`` (the caller's mapping) win over names a file declares
    (``# agent: Maria``), which win over the built-in :data:`ROLE_WORDS`.
    """

    def __init__(
        self, speaker_roles: Mapping[str, str] | None = None, *, letters: bool = False
    ) -> None:
        """Build from the caller's mapping; ``letters`` also accepts ``A`` and ``C``.

        Raises:
            ConfigError: a name is empty or a role is not agent, customer or system.
        """
        if speaker_roles is not None and not isinstance(speaker_roles, Mapping):
            raise ConfigError(
                f"speaker_roles must be a mapping of speaker name to role, got "
                f"{type(speaker_roles).__name__}"
            )
        self._given = {
            name_key(name): _role_option(name, role) for name, role in (speaker_roles or {}).items()
        }
        self._declared: dict[str, Role] = {}
        self._letters = letters

    def copy(self) -> SpeakerMap:
        """Return a copy with no declared names (one per transcript)."""
        new = SpeakerMap(letters=self._letters)
        new._given = self._given
        return new

    def declare(self, name: str, role: Role) -> None:
        """Record that the file names ``name`` as ``role`` (the caller's mapping still wins)."""
        self._declared[name_key(name)] = role

    def lookup(self, name: str) -> Role | None:
        """Return the role of ``name``, or ``None`` when it is unknown."""
        key = name_key(name)
        for table in (self._given, self._declared, ROLE_WORDS):
            if key in table:
                return table[key]
        if self._letters and key in LETTER_ROLES:
            return LETTER_ROLES[key]
        return None

    def resolve(self, name: object, where: Where, *, hint: str = "") -> Role:
        """Return the role of ``name``.

        Raises:
            TranscriptFormatError: the name is not a string, is empty, or is unknown; the
                message suggests the closest known name and how to map a new one.
        """
        if not isinstance(name, str):
            raise where.error(
                f"speaker {name!r} is not a string; expected {_EXPECTED_ROLES} or a speaker name"
            )
        if not name.strip():
            raise where.error(f"speaker is empty; expected {_EXPECTED_ROLES} or a speaker name")
        role = self.lookup(name)
        if role is not None:
            return role
        known = [*self._given, *self._declared, *ROLE_WORDS]
        example = name.strip()
        raise where.error(
            f"unknown speaker {example!r}; expected {_EXPECTED_ROLES}"
            + suggest(name_key(name), known)
            + f"; to use a name, map it to a role with speaker_roles={{{example!r}: 'agent'}}"
            + hint
        )


@dataclass(frozen=True, slots=True)
class Options:
    """The caller's options, checked once: speaker mapping, channel and language."""

    speakers: SpeakerMap
    channel: Channel | None = None
    language: str | None = None

    @classmethod
    def build(
        cls,
        speaker_roles: Mapping[str, str] | None = None,
        channel: str | None = None,
        language: str | None = None,
        *,
        letters: bool = False,
    ) -> Options:
        """Check the caller's options.

        Raises:
            ConfigError: an unknown role, channel or language code.
        """
        checked_channel = None
        if channel is not None:
            checked_channel = (
                CHANNEL_WORDS.get(name_key(channel)) if isinstance(channel, str) else None
            )
            if checked_channel is None:
                raise ConfigError(
                    f"channel {channel!r} is not a channel; expected 'voice', 'chat' or "
                    "'email'" + suggest(str(channel), [c.value for c in Channel])
                )
        checked_language = None
        if language is not None:
            match = _LANGUAGE.match(language.strip().lower()) if isinstance(language, str) else None
            if match is None:
                raise ConfigError(
                    f"language {language!r} is not a language code; expected an ISO 639 "
                    "code such as 'en' or 'nb'"
                )
            checked_language = match.group(1)
        return cls(SpeakerMap(speaker_roles, letters=letters), checked_channel, checked_language)


def parse_channel(value: object, where: Where) -> Channel:
    """Return the channel a file names (``voice``, ``chat``, ``email`` or a synonym).

    Raises:
        TranscriptFormatError: the value is not a known channel.
    """
    channel = CHANNEL_WORDS.get(name_key(value)) if isinstance(value, str) else None
    if channel is None:
        raise where.error(
            f"unknown channel {value!r}; expected 'voice', 'chat' or 'email'"
            + (suggest(name_key(value), CHANNEL_WORDS) if isinstance(value, str) else "")
        )
    return channel


def parse_language(value: object, where: Where) -> str:
    """Return the language code a file gives, reduced to its primary subtag ("en-US" → "en").

    Raises:
        TranscriptFormatError: the value doesn't look like a language code.
    """
    match = _LANGUAGE.match(value.strip().lower()) if isinstance(value, str) else None
    if match is None:
        raise where.error(
            f"language {value!r} is not a language code; expected an ISO 639 code such "
            "as 'en' or 'nb' (a region like 'en-US' is allowed)"
        )
    return match.group(1)


def parse_id(value: object, where: Where, *, key: str = "id") -> str:
    """Return a transcript id from a string or an integer.

    Raises:
        TranscriptFormatError: the id is empty or of another type.
    """
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, str) and value.strip():
        return value.strip()
    raise where.error(f"{key} {value!r} is not a transcript id; expected a non-empty string")


def parse_time(value: object, where: Where, *, name: str = "time") -> float | None:
    """Return seconds from a number, a numeric string or a clock time (hh:mm:ss.fff).

    ``None`` and ``""`` give ``None`` (no time).

    Example:
        >>> parse_time("00:01:02.5", Where(Path("x")))
        62.5
        >>> parse_time("01:02", Where(Path("x")))
        62.0

    Raises:
        TranscriptFormatError: the value is not a time, or is negative.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    seconds: float | None = None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        seconds = float(value)
    elif isinstance(value, str):
        text = value.strip()
        try:
            seconds = float(text)
        except ValueError:
            clock = _CLOCK.match(text)
            if clock is not None:
                hours, minutes, secs = clock.groups()
                secs_value = float(secs.replace(",", "."))
                if (hours is None or int(minutes) < 60) and secs_value < 60:
                    seconds = int(hours or 0) * 3600 + int(minutes) * 60 + secs_value
    if seconds is None or not math.isfinite(seconds):
        raise where.error(
            f"{name} {value!r} is not a time; expected seconds (e.g. 12.5) or "
            "hh:mm:ss (e.g. 00:01:02.5)"
        )
    if seconds < 0:
        raise where.error(f"{name} {value!r} is negative; expected seconds from the start")
    return seconds


def check_span(
    start: float | None,
    end: float | None,
    where: Where,
    *,
    shown: tuple[object, object] | None = None,
) -> None:
    """Check that a turn doesn't end before it starts.

    Raises:
        TranscriptFormatError: ``end < start``; ``shown`` gives the source's spelling.
    """
    if start is not None and end is not None and end < start:
        raw_start, raw_end = shown if shown is not None else (start, end)
        raise where.error(
            f"end time {raw_end!r} is before start time {raw_start!r}; expected end >= start"
        )


def make_turn(
    role: Role,
    text: object,
    where: Where,
    *,
    start: float | None = None,
    end: float | None = None,
    speaker: str | None = None,
) -> Turn:
    """Build a checked :class:`Turn`; text keeps its inner spacing, outer whitespace is cut.

    Raises:
        TranscriptFormatError: the text is not a string or is empty.
    """
    if not isinstance(text, str):
        raise where.error(f"text {text!r} is not a string; expected the words of the turn")
    if not text.strip():
        raise where.error(
            f"turn has no text ({text!r}); expected the words spoken or written; drop the "
            "turn if nothing was said"
        )
    check_span(start, end, where)
    return Turn(role, text.strip(), start, end, speaker.strip() if speaker else speaker)


def continues(turns: Sequence[Turn], role: Role, speaker: str | None) -> bool:
    """Say whether a piece by ``speaker`` would continue the last of ``turns``."""
    return bool(turns) and turns[-1].role is role and turns[-1].speaker == speaker


def turn_index(turns: Sequence[Turn], role: Role, speaker: str | None) -> int:
    """Return the index the next piece by ``speaker`` will have after merging."""
    return len(turns) - 1 if continues(turns, role, speaker) else len(turns)


def append_merged(turns: list[Turn], turn: Turn) -> None:
    """Append ``turn``, or join it to the last turn when the same speaker continues.

    Used for formats cut by time rather than by turn (captions, speech recognition):
    the text is joined with a space, the start is the first piece's, the end the last's.

    Example:
        >>> turns = [Turn(Role.AGENT, "Hello.", 0, 1, "Agent")]
        >>> append_merged(turns, Turn(Role.AGENT, "How can I help?", 1, 2, "Agent"))
        >>> [(t.text, t.start, t.end) for t in turns]
        [('Hello. How can I help?', 0, 2)]
    """
    if continues(turns, turn.role, turn.speaker):
        last = turns[-1]
        end = turn.end if turn.end is not None else last.end
        turns[-1] = Turn(turn.role, f"{last.text} {turn.text}", last.start, end, turn.speaker)
    else:
        turns.append(turn)


@dataclass(slots=True)
class Header:
    """What a file says about its transcript in ``key: value`` lines (text, WebVTT notes).

    ``id``, ``channel`` and ``language`` set those fields; ``agent``, ``customer`` and
    ``system`` name the speakers of that role (comma-separated) and are kept in metadata
    too; every other key goes to metadata, its name in snake_case (``Queue Name`` →
    ``queue_name``).
    """

    id: str | None = None
    channel: Channel | None = None
    language: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)

    def add(self, key: str, value: str, speakers: SpeakerMap, where: Where) -> None:
        """Take one ``key: value`` line.

        Raises:
            TranscriptFormatError: a bad id, channel or language.
        """
        lowered = name_key(key)
        value = value.strip()
        if lowered == "id":
            self.id = parse_id(value, where)
        elif lowered == "channel":
            self.channel = parse_channel(value, where)
        elif lowered == "language":
            self.language = parse_language(value, where)
        else:
            role = ROLE_WORDS.get(lowered) if lowered in ("agent", "customer", "system") else None
            if role is not None:
                for name in value.split(","):
                    if name.strip():
                        speakers.declare(name, role)
            self.metadata[metadata_key(key)] = value


def finish(
    transcript_id: str,
    turns: Iterable[Turn],
    options: Options,
    *,
    channel: Channel | None = None,
    language: str | None = None,
    default_channel: Channel = Channel.VOICE,
    metadata: Mapping[str, Any] | None = None,
) -> Transcript:
    """Build the transcript; the file's channel and language win over the caller's options."""
    return Transcript(
        id=transcript_id,
        turns=tuple(turns),
        channel=channel or options.channel or default_channel,
        language=language or options.language or "en",
        metadata=dict(metadata or {}),
    )
