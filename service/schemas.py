"""Pydantic models at the service's edge: transcripts in, live messages both ways.

Live client messages are one discriminated union on ``type`` (DESIGN.md, "Live
protocol"), parsed with one ``TypeAdapter``; :func:`parse_client_message` turns any
problem into one short, readable ``detail``.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from agentassist.transcript import Channel, Role, Transcript, Turn

MESSAGE_TYPES = ("start", "turn", "end")


class StartMessage(BaseModel):
    """Optional first message: the conversation's id, channel, language and metadata."""

    type: Literal["start"]
    transcript_id: str | None = None
    channel: Channel = Channel.VOICE
    language: str = Field(default="en", min_length=2, max_length=16)
    metadata: dict[str, Any] = Field(default_factory=dict)


class TurnMessage(BaseModel):
    """One turn of the conversation, as it happens."""

    type: Literal["turn"]
    id: str | int
    speaker: Literal["customer", "agent"]
    text: str


class EndMessage(BaseModel):
    """The conversation is over: the server answers with the scorecard and closes."""

    type: Literal["end"]


ClientMessage = Annotated[StartMessage | TurnMessage | EndMessage, Field(discriminator="type")]
CLIENT_MESSAGE: TypeAdapter[StartMessage | TurnMessage | EndMessage] = TypeAdapter(ClientMessage)


class MessageError(ValueError):
    """A live message that can't be used; ``detail`` is what the client is told."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


def parse_client_message(raw: str) -> StartMessage | TurnMessage | EndMessage:
    """Parse one live client message, or raise :class:`MessageError` saying what is wrong.

    Example:
        >>> parse_client_message('{"type": "end"}')
        EndMessage(type='end')
        >>> parse_client_message('{"type": "hello"}')
        Traceback (most recent call last):
        ...
        service.schemas.MessageError: unknown message type 'hello'; expected start, turn or end
    """
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise MessageError(f"malformed JSON at line {exc.lineno} column {exc.colno}: "
                           f"{exc.msg}") from None
    if not isinstance(data, dict):
        raise MessageError(f"expected a JSON object with a 'type', got {type(data).__name__}")
    kind = data.get("type")
    if kind is None:
        raise MessageError("the message has no 'type'; expected start, turn or end")
    if kind not in MESSAGE_TYPES:
        raise MessageError(f"unknown message type {str(kind)[:40]!r}; expected start, turn or end")
    try:
        return CLIENT_MESSAGE.validate_python(data)
    except ValidationError as exc:
        raise MessageError(f"{kind} message: {_describe(exc)}") from None


def _describe(exc: ValidationError) -> str:
    problems = []
    for error in exc.errors(include_url=False, include_input=False)[:5]:
        where = ".".join(str(part) for part in error["loc"][1:]) or "message"
        what = "missing" if error["type"] == "missing" else error["msg"].lower()
        problems.append(f"{where}: {what}")
    return "; ".join(problems)


# -- transcripts (POST /v1/score, GET /v1/examples/{name}) ------------------------------


class TurnIn(BaseModel):
    """One turn of a transcript: who spoke, what they said, when (seconds, voice only)."""

    speaker: Literal["agent", "customer", "system"]
    text: str
    start: float | None = Field(default=None, ge=0)
    end: float | None = Field(default=None, ge=0)


class TranscriptIn(BaseModel):
    """A whole conversation, as DESIGN.md's data model has it."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "id": "rail-0001", "channel": "voice", "language": "en", "metadata": {"team": "rail"},
        "turns": [
            {"speaker": "agent", "text": "Good morning, Northline Rail, Sam speaking.",
             "start": 0.0, "end": 2.5},
            {"speaker": "customer", "text": "My train was cancelled and I'm really worried.",
             "start": 3.0, "end": 6.0},
        ],
    }]})

    id: str = Field(min_length=1)
    channel: Channel = Channel.VOICE
    language: str = Field(default="en", min_length=2, max_length=16)
    metadata: dict[str, Any] = Field(default_factory=dict)
    turns: list[TurnIn]

    def to_transcript(self) -> Transcript:
        """Return the core :class:`~agentassist.transcript.Transcript`."""
        return Transcript(
            self.id,
            tuple(Turn(Role(t.speaker), t.text, t.start, t.end) for t in self.turns),
            self.channel, self.language, self.metadata,
        )

    @classmethod
    def from_transcript(cls, transcript: Transcript) -> TranscriptIn:
        """Return the wire form of a core transcript (speaker names stay out)."""
        return cls(
            id=transcript.id, channel=transcript.channel, language=transcript.language,
            metadata={str(k): v if isinstance(v, str | int | float | bool | None) else str(v)
                      for k, v in transcript.metadata.items()},
            turns=[TurnIn(speaker=t.role.value, text=t.text, start=t.start, end=t.end)
                   for t in transcript.turns],
        )


class ExampleSummary(BaseModel):
    """One transcript in an example file."""

    id: str
    channel: Channel
    language: str
    turns: int


class ExampleFile(BaseModel):
    """An example file the panel's demo can replay."""

    name: str
    transcripts: list[ExampleSummary]


class ExampleTranscripts(BaseModel):
    """The transcripts of one example file."""

    name: str
    transcripts: list[TranscriptIn]


class Health(BaseModel):
    """What ``GET /health`` reports."""

    status: Literal["ok"]
    method: str
    rubric: str
    sessions: int
    queued_turns: int
    analysed_turns: int
