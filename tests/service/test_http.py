"""REST routes: health, scoring, examples, the panel and the docs."""

from __future__ import annotations

from fastapi.testclient import TestClient

from agentassist.errors import ModelNotFoundError
from agentassist.resources import Resources
from service.deps import get_state
from service.main import create_app
from tests.service.conftest import make_settings

TRANSCRIPT = {
    "id": "rail-0001", "channel": "voice", "language": "en", "metadata": {"team": "rail"},
    "turns": [
        {"speaker": "agent", "text": "Good morning, Northline Rail, Sam speaking. How can I help?",
         "start": 0.0, "end": 3.0},
        {"speaker": "customer", "text": "My train was cancelled and I'm really fed up.",
         "start": 3.5, "end": 6.0},
        {"speaker": "agent", "text": "Oh no, I'm so sorry, that sounds really stressful.",
         "start": 6.5, "end": 9.0},
    ],
}


def test_health_reports_the_detectors_and_rubric(client):
    assert client.get("/health").json() == {
        "status": "ok", "method": "rules", "rubric": "default v1", "sessions": 0,
        "queued_turns": 0, "analysed_turns": 0}


def test_score_returns_the_scorecard(client):
    response = client.post("/v1/score", json=TRANSCRIPT)
    assert response.status_code == 200
    scorecard = response.json()
    assert scorecard["transcript_id"] == "rail-0001"
    assert [c["id"] for c in scorecard["criteria"]][:2] == ["unique_customer",
                                                           "acknowledge_feelings"]
    assert scorecard["criteria"][1]["status"] == "met"
    assert [t["speaker"] for t in scorecard["turns"]] == ["agent", "customer", "agent"]
    assert scorecard["metadata"] == {"team": "rail"}


def test_score_refuses_bad_transcripts_with_422(client):
    missing = client.post("/v1/score", json={"id": "x"})
    assert missing.status_code == 422
    assert missing.json()["detail"][0]["loc"] == ["body", "turns"]
    bot = {"id": "x", "turns": [{"speaker": "bot", "text": "hi"}]}
    speaker = client.post("/v1/score", json=bot)
    assert speaker.status_code == 422
    too_long = dict(TRANSCRIPT, turns=[{"speaker": "agent", "text": "x" * 20_001}])
    response = client.post("/v1/score", json=too_long)
    assert response.status_code == 422
    assert response.json() == {"detail": "transcript 'rail-0001', turn 0: text is 20001 "
                                         "characters; the limit is 20000"}


def test_missing_models_are_a_503(tmp_path):
    app = create_app(make_settings(tmp_path), resources=Resources.blank())

    def not_loaded() -> None:
        raise ModelNotFoundError("models/behaviours-minilm-v9 has no manifest.json")

    app.dependency_overrides[get_state] = not_loaded
    with TestClient(app) as client:
        response = client.get("/health")
    assert response.status_code == 503
    assert "no manifest.json" in response.json()["detail"]


def test_examples_are_listed_and_served(client):
    files = {f["name"]: f for f in client.get("/v1/examples").json()}
    assert {"good_call.txt", "poor_call.txt"} <= set(files)
    assert files["poor_call.txt"]["transcripts"] == [
        {"id": "rail-poor-0194", "channel": "voice", "language": "en", "turns": 18}]
    poor = client.get("/v1/examples/poor_call.txt").json()["transcripts"][0]
    assert poor["turns"][0] == {"speaker": "agent", "text": "Yeah?", "start": 1.0, "end": None}
    scored = client.post("/v1/score", json=poor)
    assert scored.status_code == 200


def test_unknown_example_is_a_404_listing_the_known_ones(client):
    response = client.get("/v1/examples/nope.txt")
    assert response.status_code == 404
    assert response.json()["detail"].startswith("no example named 'nope.txt'; available: ")
    assert "good_call.txt" in response.json()["detail"]
    assert client.get("/v1/examples/..%2F..%2Fpyproject.toml").status_code == 404


def test_no_examples_folder_gives_an_empty_list(tmp_path):
    app = create_app(make_settings(tmp_path, examples_dir=tmp_path / "none"),
                     resources=Resources.blank())
    with TestClient(app) as client:
        assert client.get("/v1/examples").json() == []


def test_panel_docs_and_openapi_are_served(client):
    panel = client.get("/panel")
    assert panel.status_code == 200
    assert "hint panel" in panel.text
    assert "http://" not in panel.text
    assert "https://" not in panel.text
    for asset in ("/static/panel.js", "/static/panel.css"):
        response = client.get(asset)
        assert response.status_code == 200
        assert "https://" not in response.text
    assert client.get("/", follow_redirects=False).headers["location"] == "/panel"
    assert client.get("/docs").status_code == 200
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/health", "/v1/score", "/v1/examples", "/v1/examples/{name}"} <= set(paths)
