"""The data model: Role, Channel, Turn and Transcript."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Any


class Role(StrEnum):
    """Who speaks a turn. ``system`` turns (IVR, bots, notices) are context only."""

    AGENT = "agent"
    CUSTOMER = "customer"
    SYSTEM = "system"


class Channel(StrEnum):
    """The channel a conversation happened in."""

    VOICE = "voice"
    CHAT = "chat"
    EMAIL = "email"


@dataclass(frozen=True, slots=True)
class Turn:
    """One speaker's uninterrupted contribution.

    ``start`` and ``end`` are seconds from the start of the conversation (``None`` for
    chat and e-mail). ``speaker`` keeps the name the source used ("Maria", "spk_1").
    """

    role: Role
    text: str
    start: float | None = None
    end: float | None = None
    speaker: str | None = None


def _frozen(metadata: Mapping[str, Any] | None) -> Mapping[str, Any]:
    return MappingProxyType(dict(metadata or {}))


@dataclass(frozen=True, slots=True)
class Transcript:
    """A whole conversation between an agent and a customer.

    ``metadata`` is free: agent, team, queue, date, participant, industry...
    """

    id: str
    turns: tuple[Turn, ...]
    channel: Channel = Channel.VOICE
    language: str = "en"
    metadata: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))

    def __post_init__(self) -> None:
        object.__setattr__(self, "turns", tuple(self.turns))
        if not isinstance(self.metadata, MappingProxyType):
            object.__setattr__(self, "metadata", _frozen(self.metadata))

    @property
    def answered(self) -> bool:
        """Whether any agent turn with text exists (unanswered contacts still get scored)."""
        return any(turn.role is Role.AGENT and turn.text.strip() for turn in self.turns)
