"""Replay a transcript into the live service turn by turn, as a WebSocket client.

Used by ``agentassist replay``: each transcript is one live session; turns are sent at
their real pace (the gaps between their start times, divided by ``speed``) or, without
times (chat, e-mail), one every ``pace`` seconds divided by ``speed``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from agentassist.errors import ConfigError
from agentassist.transcript import Role, Transcript, Turn

#: Longest wait between two turns: long silences are cut short.
MAX_GAP_SECONDS = 30.0


@dataclass(slots=True)
class ReplayedTurn:
    """One turn sent, with what came back for it."""

    index: int
    turn: Turn
    analysis: dict[str, Any] | None
    errors: list[str] = field(default_factory=list)
    latency: float = 0.0


@dataclass(slots=True)
class ReplayResult:
    """A whole replayed session."""

    transcript: Transcript
    turns: list[ReplayedTurn] = field(default_factory=list)
    scorecard: dict[str, Any] | None = None
    skipped: int = 0


def turn_gaps(transcript: Transcript, *, speed: float, pace: float) -> list[float]:
    """Return how long to wait before sending each agent or customer turn, in seconds.

    Example:
        >>> t = Transcript("t", (Turn(Role.AGENT, "Hi", 1.0), Turn(Role.CUSTOMER, "Yo", 5.0)))
        >>> turn_gaps(t, speed=2.0, pace=1.0)
        [0.0, 2.0]
    """
    if not speed > 0:
        raise ConfigError(f"--speed must be greater than 0, got {speed!r}")
    turns = [t for t in transcript.turns if t.role is not Role.SYSTEM]
    gaps = []
    for i, turn in enumerate(turns):
        if i == 0:
            gaps.append(0.0)
            continue
        previous = turns[i - 1]
        if turn.start is not None and previous.start is not None:
            gap = max(0.0, turn.start - previous.start)
        else:
            gap = pace
        gaps.append(min(gap, MAX_GAP_SECONDS) / speed)
    return gaps


def replay(transcript: Transcript, url: str, *, speed: float = 1.0, pace: float = 1.5,
           timeout: float = 30.0, on_turn: Callable[[ReplayedTurn], None] | None = None,
           sleep: Callable[[float], None] = time.sleep) -> ReplayResult:
    """Play ``transcript`` into the live service at ``url``; return what came back."""
    from websockets.exceptions import ConnectionClosed, InvalidURI, WebSocketException
    from websockets.sync.client import connect

    gaps = turn_gaps(transcript, speed=speed, pace=pace)
    result = ReplayResult(transcript)
    try:
        socket = connect(url, open_timeout=timeout, max_size=None)
    except (OSError, InvalidURI, WebSocketException, TimeoutError) as exc:
        raise ConfigError(f"could not connect to {url} ({type(exc).__name__}: {exc}); start "
                          "the service with 'agentassist serve' or pass --url") from None
    with socket:
        socket.send(json.dumps({
            "type": "start", "transcript_id": transcript.id, "channel": str(transcript.channel),
            "language": transcript.language,
            "metadata": {str(k): v if isinstance(v, str | int | float | bool | None) else str(v)
                         for k, v in transcript.metadata.items()},
        }))
        sent_at = time.monotonic()
        playable = [t for t in transcript.turns if t.role is not Role.SYSTEM]
        result.skipped = len(transcript.turns) - len(playable)
        try:
            for index, (turn, gap) in enumerate(zip(playable, gaps, strict=True)):
                wait = gap - (time.monotonic() - sent_at)
                if wait > 0:
                    sleep(wait)
                sent_at = time.monotonic()
                socket.send(json.dumps({"type": "turn", "id": f"t{index}",
                                        "speaker": turn.role.value, "text": turn.text}))
                replayed = ReplayedTurn(index, turn, None)
                for message in _messages(socket, timeout):
                    if message.get("type") == "error":
                        replayed.errors.append(str(message.get("detail")))
                        break
                    if message.get("type") == "analysis" and message.get("id") == f"t{index}":
                        replayed.analysis = message
                        break
                replayed.latency = time.monotonic() - sent_at
                result.turns.append(replayed)
                if on_turn is not None:
                    on_turn(replayed)
            socket.send(json.dumps({"type": "end"}))
            for message in _messages(socket, timeout):
                if message.get("type") == "scorecard":
                    result.scorecard = message
                    break
        except ConnectionClosed as exc:
            raise ConfigError(f"the service at {url} closed the session "
                              f"(code {exc.rcvd.code if exc.rcvd else 'none'})") from None
    return result


def _messages(socket: Any, timeout: float) -> Iterator[dict[str, Any]]:
    while True:
        try:
            raw = socket.recv(timeout=timeout)
        except TimeoutError:
            raise ConfigError(f"no reply from the service within {timeout:.0f} s") from None
        yield json.loads(raw)
