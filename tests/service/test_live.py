"""The live WebSocket against DESIGN.md's fixed protocol, and its bad inputs."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterable, Sequence

import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from agentassist.errors import DetectorError
from agentassist.pipeline import Pipeline, TurnAnalysis
from agentassist.resources import Resources
from agentassist.transcript import Turn
from service.main import create_app
from tests.service.conftest import make_settings

UPSET = "My train was cancelled, I'm stuck with two kids and I'm really fed up."
GREETING = "Good afternoon, you're through to Northline Rail, my name's Maria. How can I help?"


def turn(id_: object, speaker: str, text: str) -> dict[str, object]:
    return {"type": "turn", "id": id_, "speaker": speaker, "text": text}


def sessions(client: TestClient) -> int:
    return len(client.app.state.agentassist.sessions)  # type: ignore[attr-defined]


def test_one_analysis_per_turn_then_scorecard_then_close(client):
    with client.websocket_connect("/v1/live") as ws:
        ws.send_json({"type": "start", "transcript_id": "t-live-1", "channel": "voice",
                      "language": "en", "metadata": {"agent": "Maria"}})
        ws.send_json(turn("a-1", "agent", GREETING))
        first = ws.receive_json()
        ws.send_json(turn(42, "customer", UPSET))
        second = ws.receive_json()
        ws.send_json({"type": "end"})
        scorecard = ws.receive_json()
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_json()
    assert closed.value.code == 1000
    assert first["type"] == "analysis"
    assert first["id"] == "a-1"
    assert first["turn"] == 0
    assert first["behaviours"]["greeting"] > 0.5
    assert first["hints"] == []
    assert second["id"] == 42
    assert second["turn"] == 1
    assert set(second["behaviours"]) >= {"negative_emotion", "confusion", "need"}
    assert second["hints"] == [{
        "kind": "distress", "criterion": "acknowledge_feelings", "priority": 1,
        "text": "The customer sounds upset. Acknowledge how they feel before you answer."}]
    assert scorecard["type"] == "scorecard"
    assert scorecard["transcript_id"] == "t-live-1"
    assert [t["turn"] for t in scorecard["turns"]] == [0, 1]
    assert {"criteria", "flags", "overall", "language", "channel"} <= set(scorecard)
    assert scorecard["metadata"] == {"agent": "Maria"}
    assert sessions(client) == 0


def test_start_is_optional_and_defaults_apply(client):
    with client.websocket_connect("/v1/live") as ws:
        ws.send_json(turn("x", "agent", "Hello."))
        assert ws.receive_json()["turn"] == 0
        ws.send_json({"type": "end"})
        scorecard = ws.receive_json()
    assert scorecard["channel"] == "voice"
    assert scorecard["language"] == "en"
    assert scorecard["transcript_id"].startswith("live-")


def test_end_without_turns_scores_an_unanswered_contact(client):
    with client.websocket_connect("/v1/live") as ws:
        ws.send_json({"type": "end"})
        scorecard = ws.receive_json()
    assert {c["status"] for c in scorecard["criteria"]} == {"not_answered"}


BAD_MESSAGES = [
    ("{not json", "malformed JSON at line 1"),
    ("[1, 2]", "expected a JSON object with a 'type', got list"),
    (json.dumps({"speaker": "agent", "text": "hi"}), "the message has no 'type'"),
    (json.dumps({"type": "hello"}), "unknown message type 'hello'; expected start, turn or end"),
    (json.dumps({"type": "turn", "id": "a", "speaker": "agent"}), "turn message: text: missing"),
    (json.dumps({"type": "turn", "speaker": "agent", "text": "hi"}), "turn message: id: missing"),
    (json.dumps({"type": "turn", "id": "a", "speaker": "agnet", "text": "hi"}),
     "turn message: speaker: input should be 'customer' or 'agent'"),
    (json.dumps({"type": "turn", "id": "a", "speaker": "agent", "text": 5}),
     "turn message: text: input should be a valid string"),
    (json.dumps({"type": "start", "channel": "fax"}), "start message: channel:"),
    (json.dumps(turn("big", "customer", "x" * 1_000_000)),
     "message is 1000064 characters; a turn's text may have at most 20000 characters"),
    (json.dumps(turn("big", "customer", "x" * 20_001)),
     "turn 'big': text is 20001 characters; the limit is 20000"),
]


@pytest.mark.parametrize(("raw", "detail"), BAD_MESSAGES)
def test_bad_message_gets_an_error_and_the_session_goes_on_unchanged(client, raw, detail):
    with client.websocket_connect("/v1/live") as ws:
        ws.send_json(turn("first", "agent", GREETING))
        assert ws.receive_json()["turn"] == 0
        ws.send_text(raw)
        reply = ws.receive_json()
        assert reply["type"] == "error"
        assert detail in reply["detail"]
        ws.send_json(turn("next", "customer", UPSET))
        after = ws.receive_json()
        assert (after["type"], after["id"], after["turn"]) == ("analysis", "next", 1)
        ws.send_json({"type": "end"})
        assert len(ws.receive_json()["turns"]) == 2


def test_binary_frame_gets_an_error(client):
    with client.websocket_connect("/v1/live") as ws:
        ws.send_bytes(b'{"type": "end"}')
        assert ws.receive_json() == {"type": "error",
                                     "detail": "send JSON as text frames, not binary"}
        ws.send_json(turn("a", "agent", "Hello."))
        assert ws.receive_json()["turn"] == 0


def test_start_after_turns_or_twice_is_refused(client):
    with client.websocket_connect("/v1/live") as ws:
        ws.send_json({"type": "start", "transcript_id": "one"})
        ws.send_json({"type": "start", "transcript_id": "two"})
        assert "may come only once" in ws.receive_json()["detail"]
        ws.send_json(turn("a", "agent", "Hello."))
        ws.receive_json()
        ws.send_json({"type": "end"})
        assert ws.receive_json()["transcript_id"] == "one"


def test_turn_sent_after_end_is_not_analysed_and_the_socket_closes(client):
    with client.websocket_connect("/v1/live") as ws:
        ws.send_json(turn("a", "agent", GREETING))
        ws.receive_json()
        ws.send_json({"type": "end"})
        ws.send_json(turn("late", "customer", UPSET))
        scorecard = ws.receive_json()
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_json()
    assert scorecard["type"] == "scorecard"
    assert len(scorecard["turns"]) == 1
    assert closed.value.code == 1000
    assert sessions(client) == 0


def test_client_disconnecting_mid_session_drops_it_and_others_go_on(client):
    with client.websocket_connect("/v1/live") as other:
        other.send_json(turn("o1", "agent", GREETING))
        assert other.receive_json()["id"] == "o1"
        with client.websocket_connect("/v1/live") as leaving:
            leaving.send_json(turn("l1", "agent", GREETING))
            leaving.receive_json()
            leaving.send_json(turn("l2", "customer", UPSET))  # goes without waiting
            assert sessions(client) == 2
        _wait_for(lambda: sessions(client) == 1)
        other.send_json(turn("o2", "customer", UPSET))
        assert other.receive_json()["turn"] == 1
        other.send_json({"type": "end"})
        assert other.receive_json()["type"] == "scorecard"
    _wait_for(lambda: sessions(client) == 0)


def test_idle_session_is_closed_with_4408(tmp_path):
    app = create_app(make_settings(tmp_path, live_idle_seconds=0.2), resources=Resources.blank())
    with TestClient(app) as client, client.websocket_connect("/v1/live") as ws:
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_json()
        assert closed.value.code == 4408
        assert sessions(client) == 0


class _FailsOnBoom(Pipeline):
    """The rules pipeline, except that a turn saying BOOM crashes it (a stand-in bug)."""

    def analyse_turns(self, jobs: Iterable[tuple[str, int, Turn, Sequence[Turn]]]
                      ) -> list[TurnAnalysis]:
        jobs = list(jobs)
        if any("BOOM" in turn.text for _, _, turn, _ in jobs):
            raise DetectorError("detector crashed on 'BOOM secret customer words'")
        return super().analyse_turns(jobs)


def test_internal_failure_is_an_error_reply_logged_without_the_text(tmp_path, caplog):
    resources = Resources.blank()
    pipeline = _FailsOnBoom.from_resources(resources, method="rules")
    app = create_app(make_settings(tmp_path), pipeline=pipeline)
    with TestClient(app) as client, client.websocket_connect("/v1/live") as ws:
        caplog.set_level(logging.INFO, logger="service")
        ws.send_json(turn("bad", "customer", "BOOM secret customer words"))
        reply = ws.receive_json()
        session_id = next(iter(app.state.agentassist.sessions)).id
        ws.send_json(turn("good", "agent", GREETING))
        after = ws.receive_json()
    assert reply["type"] == "error"
    assert "turn 'bad' was not analysed: internal error" in reply["detail"]
    assert after["turn"] == 0  # the failed turn left the session unchanged
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors
    assert session_id in errors[0].getMessage()
    assert not any("secret" in r.getMessage() for r in caplog.records
                   if r.levelno > logging.DEBUG)


def _wait_for(condition, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.01)


def test_a_scorecard_that_fails_gives_an_error_and_closes_with_1011(client, monkeypatch):
    def broken(*args: object) -> None:
        raise RuntimeError("bug")

    monkeypatch.setattr("service.sessions.score", broken)
    with client.websocket_connect("/v1/live") as ws:
        ws.send_json(turn("a", "agent", GREETING))
        ws.receive_json()
        ws.send_json({"type": "end"})
        assert ws.receive_json() == {"type": "error",
                                     "detail": "internal error; the session is closed"}
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_json()
    assert closed.value.code == 1011
    assert sessions(client) == 0
