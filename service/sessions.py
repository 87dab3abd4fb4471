"""LiveSession: one live conversation's state; SessionRegistry: the sessions now open.

A session takes each client message (DESIGN.md, "Live protocol") and returns the replies
to send. A message it can't use gets an error reply and leaves the session unchanged.
The route owns the socket; when it goes, the registry drops the session and its turns.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from agentassist.coach import TRIGGER_CONFIDENCE, Coach
from agentassist.errors import AgentAssistError
from agentassist.pipeline import TurnAnalysis
from agentassist.rubric import Rubric
from agentassist.scoring import score
from agentassist.transcript import Channel, Role, Transcript, Turn
from service.batching import TurnBatcher
from service.schemas import (
    EndMessage,
    MessageError,
    StartMessage,
    TurnMessage,
    parse_client_message,
)

logger = logging.getLogger(__name__)

#: Room for JSON escaping around a turn text before a raw message is refused unparsed.
ENVELOPE_CHARS = 65_536


@dataclass(frozen=True, slots=True)
class SessionLimits:
    """What one session accepts."""

    max_text_chars: int = 20_000
    max_turns: int = 2_000
    cooldown_turns: int = 3
    trigger_confidence: float = TRIGGER_CONFIDENCE

    @property
    def max_message_chars(self) -> int:
        """Return the longest raw message parsed at all (JSON may escape each character)."""
        return 6 * self.max_text_chars + ENVELOPE_CHARS


def error(detail: str) -> dict[str, Any]:
    """Return DESIGN.md's error message."""
    return {"type": "error", "detail": detail}


class LiveSession:
    """One conversation coached live: its turns, their analyses, its coach."""

    def __init__(self, rubric: Rubric, batcher: TurnBatcher, limits: SessionLimits) -> None:
        self.id = uuid.uuid4().hex[:12]
        self.rubric = rubric
        self.batcher = batcher
        self.limits = limits
        self.transcript_id = f"live-{self.id}"
        self.channel = Channel.VOICE
        self.language = "en"
        self.metadata: dict[str, Any] = {}
        self.turns: list[Turn] = []
        self.analyses: list[TurnAnalysis] = []
        self.coach: Coach | None = None
        self.started = False
        self.ended = False

    async def handle(self, raw: str) -> list[dict[str, Any]]:
        """Return the replies to one raw client message."""
        if len(raw) > self.limits.max_message_chars:
            return [error(f"message is {len(raw)} characters; a turn's text may have at most "
                          f"{self.limits.max_text_chars} characters")]
        try:
            message = parse_client_message(raw)
        except MessageError as exc:
            return [error(exc.detail)]
        if self.ended:
            return [error("the session has ended; open a new one")]
        if isinstance(message, StartMessage):
            return self._start(message)
        if isinstance(message, TurnMessage):
            return await self._turn(message)
        return self._end(message)

    def _start(self, message: StartMessage) -> list[dict[str, Any]]:
        if self.started or self.turns:
            return [error("'start' must be the first message and may come only once")]
        self.started = True
        if message.transcript_id:
            self.transcript_id = message.transcript_id
        self.channel = message.channel
        self.language = message.language
        self.metadata = dict(message.metadata)
        return []

    async def _turn(self, message: TurnMessage) -> list[dict[str, Any]]:
        limits = self.limits
        if len(message.text) > limits.max_text_chars:
            return [error(f"turn {message.id!r}: text is {len(message.text)} characters; the "
                          f"limit is {limits.max_text_chars}. Split it into shorter turns")]
        if len(self.turns) >= limits.max_turns:
            return [error(f"turn {message.id!r}: this session already has {limits.max_turns} "
                          "turns, the most one session takes; send 'end'")]
        if self.coach is None:
            self.started = True
            self.coach = Coach(self.rubric, cooldown_turns=limits.cooldown_turns,
                               channel=self.channel,
                               trigger_confidence=limits.trigger_confidence)
        turn = Turn(Role(message.speaker), message.text)
        index = len(self.turns)
        try:
            analysis = await self.batcher.analyse(self.id, self.transcript_id, index, turn,
                                                  tuple(self.turns))
        except AgentAssistError:
            return [error(f"turn {message.id!r} was not analysed: internal error; "
                          "the session is unchanged, send it again")]
        self.turns.append(turn)
        self.analyses.append(analysis)
        hints = self.coach.observe(analysis, text=turn.text)
        return [{
            "type": "analysis", "id": message.id, "turn": index,
            "behaviours": {name: round(c, 4) for name, c in analysis.confidences.items()},
            "hints": [hint.to_json() for hint in hints],
        }]

    def _end(self, message: EndMessage) -> list[dict[str, Any]]:
        del message
        transcript = Transcript(self.transcript_id, tuple(self.turns), self.channel,
                                self.language, self.metadata)
        scorecard = score(transcript, self.analyses, self.rubric)
        self.ended = True
        return [{"type": "scorecard", **scorecard.to_json()}]


class SessionRegistry:
    """The live sessions now open (for health and to be sure none outlives its socket)."""

    def __init__(self) -> None:
        self._sessions: dict[str, LiveSession] = {}

    def __len__(self) -> int:
        return len(self._sessions)

    def __iter__(self) -> Iterator[LiveSession]:
        return iter(list(self._sessions.values()))

    def add(self, session: LiveSession) -> None:
        """Register an open session."""
        self._sessions[session.id] = session

    def drop(self, session: LiveSession) -> None:
        """Forget a session and its turns."""
        self._sessions.pop(session.id, None)
