"""The review API and pages: who may see and change what, and what gets stored."""

from __future__ import annotations

import html
import re

import pytest
from fastapi.testclient import TestClient

from agentassist.resources import Resources
from agentassist.reviews import ReviewStore, import_scorecards, transcript_to_json
from service.main import create_app
from tests.agentassist.test_reviews import scored_examples
from tests.service.conftest import make_settings

PASSWORDS = {"tina": "tina-password", "quinn": "quinn-password", "gary": "gary-password"}


@pytest.fixture(scope="module")
def examples(rules_pipeline):
    return scored_examples(rules_pipeline)


@pytest.fixture
def review_app(tmp_path, examples):
    settings = make_settings(tmp_path)
    store = ReviewStore.from_url(settings.database_url)
    import_scorecards(store, examples, source="examples")
    store.add_user("tina", "trainer", PASSWORDS["tina"])
    store.add_user("quinn", "qa_lead", PASSWORDS["quinn"])
    store.add_user("gary", "agent", PASSWORDS["gary"], agent_id="Gary")
    tokens = {name: store.issue_token(name) for name in PASSWORDS}
    ids = {item.transcript_id: item.id for item in store.queue()}
    store.close()
    with TestClient(create_app(settings, resources=Resources.blank())) as client:
        yield client, tokens, ids


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def sign_in(client: TestClient, name: str) -> str:
    response = client.post("/review/login", data={"name": name, "password": PASSWORDS[name],
                                                  "next": "/review"}, follow_redirects=False)
    assert response.status_code == 303, response.text
    page = client.get("/review")
    return re.search(r'<meta name="csrf-token" content="([^"]+)">', page.text).group(1)


def test_api_refuses_without_a_valid_token(review_app):
    client, _, ids = review_app
    for path in ("/v1/review/queue", f"/v1/review/conversations/{ids['rail-poor-0194']}",
                 "/v1/review/me", "/v1/review/notes"):
        response = client.get(path)
        assert response.status_code == 401, path
        assert response.headers["www-authenticate"] == "Bearer"
        assert "agentassist user token NAME" in response.json()["detail"]
    assert client.get("/v1/review/queue", headers=bearer("aa_forged")).status_code == 401
    assert client.post(f"/v1/review/conversations/{ids['rail-poor-0194']}/notes",
                       json={"text": "hi"}).status_code == 401


def test_agent_sees_only_their_own_conversations_and_notes(review_app):
    client, tokens, ids = review_app
    gary = bearer(tokens["gary"])
    assert client.get("/v1/review/me", headers=gary).json() == {
        "name": "gary", "role": "agent", "agent_id": "Gary", "can_edit": False}
    listed = client.get("/v1/review/queue", params={"agent": "Maria"}, headers=gary).json()
    assert [i["transcript_id"] for i in listed["items"]] == ["rail-poor-0194"]
    own = client.get(f"/v1/review/conversations/{ids['rail-poor-0194']}", headers=gary)
    assert own.status_code == 200
    other = client.get(f"/v1/review/conversations/{ids['rail-good-0193']}", headers=gary)
    assert other.status_code == 403
    assert "not one of 'gary''s conversations" in other.json()["detail"]
    tina = bearer(tokens["tina"])
    client.post(f"/v1/review/conversations/{ids['rail-poor-0194']}/notes",
                json={"text": "Ask how the customer is doing."}, headers=tina)
    client.post(f"/v1/review/conversations/{ids['rail-good-0193']}/notes",
                json={"text": "Lovely call."}, headers=tina)
    notes = client.get("/v1/review/notes", params={"agent": "Maria"}, headers=gary).json()
    assert [n["text"] for n in notes["notes"]] == ["Ask how the customer is doing."]


@pytest.mark.parametrize(("path", "body"), [
    ("verdicts", {"criterion": "acknowledge_feelings", "action": "confirm"}),
    ("corrections", {"turn": 2, "behaviour": "empathy", "value": 1}),
    ("notes", {"text": "I coached myself."}),
    ("status", {"status": "done"}),
])
def test_agents_cannot_change_reviews(review_app, path, body):
    client, tokens, ids = review_app
    response = client.post(f"/v1/review/conversations/{ids['rail-poor-0194']}/{path}",
                           json=body, headers=bearer(tokens["gary"]))
    assert response.status_code == 403
    assert "only trainers and QA leads can change reviews; 'gary' is 'agent'" in \
        response.json()["detail"]


def test_trainers_and_qa_leads_edit_and_everything_is_stored(review_app):
    client, tokens, ids = review_app
    rid = ids["rail-poor-0194"]
    base = f"/v1/review/conversations/{rid}"
    tina, quinn = bearer(tokens["tina"]), bearer(tokens["quinn"])
    verdict = client.post(f"{base}/verdicts", headers=tina, json={
        "criterion": "acknowledge_feelings", "action": "overrule", "status": "met"})
    assert verdict.status_code == 201, verdict.text
    assert verdict.json()["who"] == "tina"
    assert client.post(f"{base}/verdicts", headers=quinn, json={
        "criterion": "lead_dialogue", "action": "confirm"}).status_code == 201
    fixed = client.post(f"{base}/corrections", headers=tina,
                        json={"turn": 2, "behaviour": "empathy", "value": 1})
    assert fixed.json()["confirmed"] is False
    assert client.post(f"{base}/notes", headers=quinn,
                       json={"text": "Acknowledge first."}).status_code == 201
    done = client.post(f"{base}/status", headers=tina, json={"status": "done"}).json()
    assert (done["status"], done["reviewed_by"]) == ("done", "tina")
    stored = client.get(base, headers=tina).json()
    assert {(v["criterion"], v["action"], v["status"], v["who"]) for v in stored["verdicts"]} == {
        ("acknowledge_feelings", "overrule", "met", "tina"),
        ("lead_dialogue", "confirm", "missed", "quinn")}
    assert [(c["turn"], c["behaviour"], c["value"]) for c in stored["corrections"]] == [
        (2, "empathy", 1)]
    assert [n["author"] for n in stored["notes"]] == ["quinn"]
    assert stored["transcript"]["turns"][2]["text"] == "Booking reference?"
    queue = client.get("/v1/review/queue", params={"status": "done"}, headers=quinn).json()
    assert [i["id"] for i in queue["items"]] == [rid]


def test_bad_edits_say_what_is_wrong(review_app):
    client, tokens, ids = review_app
    tina = bearer(tokens["tina"])
    base = f"/v1/review/conversations/{ids['rail-poor-0194']}"
    same = client.post(f"{base}/verdicts", headers=tina, json={
        "criterion": "acknowledge_feelings", "action": "overrule", "status": "missed"})
    assert same.status_code == 422
    assert "the machine already says 'missed'" in same.json()["detail"]
    wrong_side = client.post(f"{base}/corrections", headers=tina,
                             json={"turn": 1, "behaviour": "empathy", "value": 1})
    assert wrong_side.status_code == 422
    assert "not judged for this turn" in wrong_side.json()["detail"]
    assert client.post(f"{base}/corrections", headers=tina,
                       json={"turn": 1, "behaviour": "need", "value": 3}).status_code == 422
    missing = client.get("/v1/review/conversations/9999", headers=tina)
    assert missing.status_code == 404
    assert missing.json()["detail"] == "no reviewed conversation with id 9999"


def test_cookie_writes_need_the_pages_form_token(review_app):
    client, _, ids = review_app
    csrf = sign_in(client, "tina")
    path = f"/v1/review/conversations/{ids['rail-poor-0194']}/notes"
    refused = client.post(path, json={"text": "via cookie"})
    assert refused.status_code == 403
    assert "X-CSRF-Token" in refused.json()["detail"]
    assert client.post(path, json={"text": "via cookie"},
                       headers={"X-CSRF-Token": csrf}).status_code == 201


def test_pages_need_signing_in_and_refuse_wrong_passwords(review_app):
    client, tokens, ids = review_app
    page = client.get(f"/review/conversations/{ids['rail-poor-0194']}", follow_redirects=False)
    assert page.status_code == 303
    assert page.headers["location"].startswith("/review/login?next=%2Freview%2Fconversations")
    # a bearer token opens the API, not the pages
    assert client.get("/review", headers=bearer(tokens["tina"]),
                      follow_redirects=False).status_code == 303
    wrong = client.post("/review/login", data={"name": "tina", "password": "nope-nope"})
    assert wrong.status_code == 401
    assert "Wrong name or password." in wrong.text
    escaped = client.post("/review/login", data={"name": "tina", "password": PASSWORDS["tina"],
                                                 "next": "https://evil.example/"},
                          follow_redirects=False)
    assert escaped.headers["location"] == "/review"
    assert "httponly" in escaped.headers["set-cookie"].lower()
    assert "samesite=lax" in escaped.headers["set-cookie"].lower()
    client.post("/review/logout")
    assert client.get("/review", follow_redirects=False).status_code == 303


def test_conversation_page_marks_each_evidence_at_its_offsets(review_app, examples):
    client, _, ids = review_app
    sign_in(client, "tina")
    page = client.get(f"/review/conversations/{ids['rail-poor-0194']}")
    assert page.status_code == 200
    card = next(c for t, c in examples if t.id == "rail-poor-0194").to_json()
    transcript = next(t for t, _ in examples if t.id == "rail-poor-0194")
    pattern = r'<mark class="ev ev-(\w+)" data-criteria="([^"]+)" title="[^"]*">(.*?)</mark>'
    found = re.findall(pattern, page.text)
    marks = [(status, criteria.split(), html.unescape(text)) for status, criteria, text in found]
    missed = next(c for c in card["criteria"] if c["id"] == "acknowledge_feelings")
    assert missed["status"] == "missed"
    assert len(missed["evidence"]) == 2
    for ev in missed["evidence"]:
        quote = transcript.turns[ev["turn"]].text[ev["start"]:ev["end"]]
        assert ("missed", ["acknowledge_feelings"], quote) in marks
    met = next(c for c in card["criteria"] if c["id"] == "clear_information")
    quote = met["evidence"][0]["quote"]
    assert ("met", ["clear_information", "confirm_solution"], quote) in marks
    assert 'id="turn-1"' in page.text
    assert "negative emotion" in page.text
    assert page.text.count('name="correction"') > 10  # a yes/no pair per behaviour shown


def test_forms_on_the_page_store_verdicts_corrections_notes_and_done(review_app):
    client, _, ids = review_app
    rid = ids["rail-poor-0194"]
    csrf = sign_in(client, "tina")
    base = f"/review/conversations/{rid}"
    posted = client.post(f"{base}/verdicts", data={"csrf": csrf, "criterion": "unique_customer",
                                                   "action": "overrule", "status": "met"},
                         follow_redirects=False)
    assert (posted.status_code, posted.headers["location"]) == (
        303, f"{base}#criterion-unique_customer")
    assert client.post(f"{base}/corrections", data={"csrf": csrf, "correction": "0:greeting:1"},
                       follow_redirects=False).status_code == 303
    assert client.post(f"{base}/corrections", data={"csrf": csrf, "correction": "0:greeting"},
                       follow_redirects=False).status_code == 422
    assert client.post(f"{base}/notes", data={"csrf": csrf, "text": "Say hello properly."},
                       follow_redirects=False).status_code == 303
    forged = client.post(f"{base}/notes", data={"csrf": "forged", "text": "x"},
                         follow_redirects=False)
    assert forged.status_code == 403
    page = client.get(base).text
    assert "Overruled: <strong>met</strong>" in page
    assert "Say hello properly." in page
    assert '<span class="trainer">✓ tina</span>' in page
    done = client.post(f"{base}/status", data={"csrf": csrf, "status": "done"},
                       follow_redirects=False)
    assert done.headers["location"] == "/review"
    assert "rail-poor-0194" not in client.get("/review").text
    assert "rail-poor-0194" in client.get("/review", params={"status": "done"}).text


def test_agent_pages_are_read_only_and_their_own(review_app):
    client, tokens, ids = review_app
    client.post(f"/v1/review/conversations/{ids['rail-poor-0194']}/notes",
                json={"text": "Ask an open question early."}, headers=bearer(tokens["tina"]))
    sign_in(client, "gary")
    queue = client.get("/review").text
    assert "rail-poor-0194" in queue
    assert "rail-good-0193" not in queue
    own = client.get(f"/review/conversations/{ids['rail-poor-0194']}").text
    assert 'name="correction"' not in own
    assert "Overrule" not in own
    assert client.get(f"/review/conversations/{ids['rail-good-0193']}").status_code == 403
    assert "Ask an open question early." in client.get("/review/notes").text


def test_queue_page_filters(review_app):
    client, _, _ = review_app
    sign_in(client, "quinn")
    page = client.get("/review", params={"flag": "unacknowledged_distress",
                                         "order": "uncertainty", "date_from": "not-a-date"})
    assert page.status_code == 200
    assert "rail-poor-0194" in page.text
    assert "rail-good-0193" not in page.text


def test_import_api_queues_scored_pairs(review_app, examples):
    client, tokens, _ = review_app
    transcript, scorecard = examples[0]
    fresh, card = transcript_to_json(transcript), scorecard.to_json()
    fresh["id"] = card["transcript_id"] = "fresh-0001"
    body = {"items": [{"transcript": fresh, "scorecard": card}], "source": "api-test"}
    assert client.post("/v1/review/import", json=body,
                       headers=bearer(tokens["gary"])).status_code == 403
    added = client.post("/v1/review/import", json=body, headers=bearer(tokens["quinn"]))
    assert added.status_code == 201
    assert added.json()["added"] == 1


def test_agreement_api_reports_what_trainers_decided(review_app):
    client, tokens, ids = review_app
    tina = bearer(tokens["tina"])
    base = f"/v1/review/conversations/{ids['rail-poor-0194']}"
    client.post(f"{base}/verdicts", headers=tina,
                json={"criterion": "acknowledge_feelings", "action": "overrule", "status": "met"})
    client.post(f"{base}/verdicts", headers=tina,
                json={"criterion": "lead_dialogue", "action": "confirm"})
    report = client.get("/v1/review/agreement", headers=tina).json()
    assert report["criteria"]["all"]["agreement"] == 0.5
    assert report["criteria"]["acknowledge_feelings"]["overruled"] == 1
    assert client.get("/v1/review/agreement",
                      headers=bearer(tokens["gary"])).status_code == 403


def test_transcript_text_is_escaped_on_the_page(review_app, rules_pipeline):
    from agentassist.rubric import load_rubric
    from agentassist.scoring import score
    from agentassist.transcript import Role, Transcript, Turn

    client, tokens, _ = review_app
    transcript = Transcript("xss-1", (
        Turn(Role.CUSTOMER, "<script>alert('x')</script> I'm so upset and angry!"),
        Turn(Role.AGENT, "Your refund is <b>on its way</b>."),
    ), metadata={"agent": "<img src=x>"})
    card = score(transcript, rules_pipeline.analyse(transcript), load_rubric())
    body = {"items": [{"transcript": transcript_to_json(transcript),
                       "scorecard": card.to_json()}], "include_unflagged": True}
    rid = client.post("/v1/review/import", json=body,
                      headers=bearer(tokens["tina"])).json()["ids"][0]
    sign_in(client, "tina")
    page = client.get(f"/review/conversations/{rid}").text
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(" in page
    assert "<b>on its way</b>" not in page
    assert "<img src=x>" not in page
