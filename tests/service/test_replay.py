"""`agentassist replay` against the real service on a loopback port."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from agentassist.cli import app
from agentassist.errors import ConfigError
from agentassist.readers import read_transcripts
from agentassist.transcript import Channel, Role, Transcript, Turn
from service.replay import replay, turn_gaps
from tests.service.conftest import EXAMPLES, free_port


def test_replay_prints_hints_and_the_scorecard(live_server):
    result = CliRunner().invoke(app, ["replay", str(EXAMPLES / "poor_call.txt"),
                                      "--url", live_server.ws, "--speed", "1000"])
    assert result.exit_code == 0, result.output
    output = result.output
    assert "rail-poor-0194  (voice, 18 turns)" in output
    assert "[00:01] agent    Yeah?" in output
    assert "hint acknowledge_feelings (distress): The customer sounds upset." in output
    assert "hint clear_information (confusion)" in output
    assert "scorecard rail-poor-0194: overall" in output
    assert "acknowledge_feelings  missed" in output


def test_replay_waits_the_real_gaps_scaled_by_speed(live_server):
    transcript = next(iter(read_transcripts(EXAMPLES / "good_call.txt")))
    waits: list[float] = []
    result = replay(transcript, live_server.ws, speed=10, sleep=waits.append)
    assert len(result.turns) == 17
    assert all(t.analysis is not None for t in result.turns)
    assert sum(len(t.analysis["hints"]) for t in result.turns) <= 1
    assert waits
    assert max(waits) <= 2.3 + 0.01
    assert result.scorecard is not None
    assert result.scorecard["transcript_id"] == "rail-good-0193"


def test_chat_without_times_goes_at_the_default_pace():
    chat = Transcript("c", (Turn(Role.CUSTOMER, "Hi"), Turn(Role.SYSTEM, "Agent joined"),
                            Turn(Role.AGENT, "Hello"), Turn(Role.CUSTOMER, "Thanks")),
                      channel=Channel.CHAT)
    assert turn_gaps(chat, speed=2.0, pace=1.5) == [0.0, 0.75, 0.75]


@pytest.mark.parametrize("speed", [0, -1.0])
def test_replay_refuses_a_speed_that_is_not_positive(speed):
    with pytest.raises(ConfigError, match="--speed must be greater than 0"):
        turn_gaps(Transcript("t", ()), speed=speed, pace=1.0)


def test_replay_without_a_service_says_how_to_start_one():
    url = f"ws://127.0.0.1:{free_port()}/v1/live"
    result = CliRunner().invoke(app, ["replay", str(EXAMPLES / "good_call.txt"), "--url", url])
    assert result.exit_code != 0
    assert isinstance(result.exception, ConfigError)
    assert "start the service with 'agentassist serve'" in str(result.exception)


def test_serve_passes_flags_to_uvicorn(monkeypatch):
    seen = {}
    monkeypatch.setattr("uvicorn.run", lambda target, **kw: seen.update(kw, target=target))
    result = CliRunner().invoke(app, ["serve", "--port", "8123", "--workers", "2"])
    assert result.exit_code == 0, result.output
    assert seen["target"] == "service.main:app"
    assert (seen["port"], seen["workers"]) == (8123, 2)
    assert seen["host"] == "127.0.0.1"
