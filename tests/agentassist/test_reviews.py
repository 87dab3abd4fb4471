"""The review store: import, queue, overrides, corrections, notes, users, and their commands."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from agentassist import auth
from agentassist.cli import app
from agentassist.errors import InputError
from agentassist.labelled import read_labelled
from agentassist.pipeline import Pipeline
from agentassist.readers import read_transcripts
from agentassist.reviews import (
    QueueFilter,
    ReviewNotFoundError,
    ReviewStore,
    import_scorecards,
    transcript_to_json,
)
from agentassist.rubric import load_rubric
from agentassist.scoring import review_key, score

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def scored_examples(pipeline: Pipeline) -> list[tuple[object, object]]:
    """Every example transcript with its scorecard (rules pipeline: fast, deterministic)."""
    rubric = load_rubric()
    return [(t, score(t, pipeline.analyse(t), rubric))
            for path in sorted(EXAMPLES.iterdir()) if path.suffix != ".md"
            for t in read_transcripts(path)]


@pytest.fixture(scope="module")
def examples(rules_pipeline):
    return scored_examples(rules_pipeline)


@pytest.fixture
def url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'reviews.db'}"


@pytest.fixture
def store(url):
    opened = ReviewStore.from_url(url)
    yield opened
    opened.close()


@pytest.fixture
def queued(store, examples):
    result = import_scorecards(store, examples, source="examples")
    return {item.transcript_id: item.id for item in store.queue(QueueFilter(limit=1000))}, result


# -- import and queue ---------------------------------------------------------------------------


def test_import_queues_flagged_conversations_once(store, examples):
    flagged = sum(1 for _, card in examples if card.flags)
    first = import_scorecards(store, examples, source="examples")
    assert len(first.added) == flagged
    assert first.unflagged == len(examples) - flagged
    again = import_scorecards(store, examples, source="examples")
    assert (again.added, again.already_queued) == ([], flagged)


def test_import_takes_agent_team_and_date_from_metadata(store, queued):
    ids, _ = queued
    item = store.review(ids["rail-poor-0194"]).item
    assert (item.agent_id, item.team, item.date) == ("Gary", "Rail Customer Care",
                                                     dt.date(2024, 6, 14))
    assert "unacknowledged_distress" in item.flags
    assert item.severity == 3
    assert item.status == "open"


def test_import_accepts_json_and_refuses_a_scorecard_of_another_transcript(store, examples):
    (transcript, scorecard), (other, _) = examples[0], examples[1]
    result = store.import_scorecards([(transcript_to_json(transcript), scorecard.to_json())],
                                     include_unflagged=True)
    assert len(result.added) == 1
    with pytest.raises(InputError, match=rf"transcript '{other.id}': its scorecard is for "
                       rf"'{transcript.id}'; expected the same id"):
        store.import_scorecards([(other, scorecard)])


def test_queue_filters_by_agent_team_flag_date_and_status(store, queued):
    ids, _ = queued
    assert [i.transcript_id for i in store.queue(QueueFilter(agent="Gary"))] == ["rail-poor-0194"]
    assert {i.team for i in store.queue(QueueFilter(team="Billing"))} == {"Billing"}
    distress = store.queue(QueueFilter(flag="unacknowledged_distress"))
    assert distress
    assert all("unacknowledged_distress" in i.flags for i in distress)
    june = store.queue(QueueFilter(date_from=dt.date(2024, 6, 1), date_to=dt.date(2024, 6, 30)))
    assert {i.date.month for i in june} == {6}
    store.set_status(ids["rail-poor-0194"], "done", who="tina")
    assert "rail-poor-0194" not in {i.transcript_id for i in store.queue()}
    done = store.queue(QueueFilter(status="done"))
    assert [(i.transcript_id, i.reviewed_by) for i in done] == [("rail-poor-0194", "tina")]
    assert done[0].reviewed_at.tzinfo is not None
    with pytest.raises(InputError, match="order must be one of severity, uncertainty, got 'x'"):
        QueueFilter(order="x")  # type: ignore[arg-type]


@pytest.mark.parametrize("order", ["severity", "uncertainty"])
def test_queue_order_is_the_review_key_order(store, queued, examples, order):
    cards = {t.id: card.to_json() for t, card in examples if card.flags}
    listed = [i.transcript_id for i in store.queue(QueueFilter(order=order))]
    expected = sorted(cards, key=lambda tid: review_key(cards[tid], by=order))
    assert [review_key(cards[t], by=order) for t in listed] == \
        [review_key(cards[t], by=order) for t in expected]


# -- what trainers change ----------------------------------------------------------------------


def test_verdicts_are_confirmed_or_overruled_with_who_and_when(store, queued):
    ids, _ = queued
    rid = ids["rail-poor-0194"]
    first = store.set_verdict(rid, "acknowledge_feelings", "overrule", "met", who="tina")
    assert (first.machine_status, first.status, first.who) == ("missed", "met", "tina")
    assert first.at.tzinfo is not None
    store.set_verdict(rid, "acknowledge_feelings", "confirm", who="quinn")
    detail = store.review(rid)
    latest = detail.verdicts["acknowledge_feelings"]
    assert (latest.action, latest.status, latest.who) == ("confirm", "missed", "quinn")
    with pytest.raises(InputError, match="the machine already says 'missed'; confirm it"):
        store.set_verdict(rid, "acknowledge_feelings", "overrule", "missed", who="tina")
    with pytest.raises(InputError, match="no criterion 'empathy' in its scorecard"):
        store.set_verdict(rid, "empathy", "confirm", who="tina")
    with pytest.raises(InputError, match="overrule needs the corrected status"):
        store.set_verdict(rid, "lead_dialogue", "overrule", "great", who="tina")
    with pytest.raises(ReviewNotFoundError, match="no reviewed conversation with id 9999"):
        store.set_verdict(9999, "lead_dialogue", "confirm", who="tina")


def test_turn_corrections_check_the_turn_and_behaviour(store, queued):
    ids, _ = queued
    rid = ids["rail-poor-0194"]
    record = store.correct_behaviour(rid, 2, "empathy", 1, who="tina")
    assert (record.machine_value, record.value) == (0, 1)
    with pytest.raises(InputError, match="turn 99 is out of range; the conversation has turns 0-"):
        store.correct_behaviour(rid, 99, "empathy", 1, who="tina")
    with pytest.raises(InputError, match="behaviour 'empathy' is not judged for this turn; "
                       "expected one of negative_emotion"):
        store.correct_behaviour(rid, 1, "empathy", 1, who="tina")
    with pytest.raises(InputError, match="must be 0 or 1, got 2"):
        store.correct_behaviour(rid, 2, "empathy", 2, who="tina")


def test_coaching_notes_belong_to_the_conversations_agent(store, queued):
    ids, _ = queued
    note = store.add_note(ids["rail-poor-0194"], "  Acknowledge the worry first.  ", who="tina")
    assert (note.agent_id, note.text, note.author) == ("Gary", "Acknowledge the worry first.",
                                                        "tina")
    assert [n.text for n in store.notes(agent_id="Gary")] == ["Acknowledge the worry first."]
    assert store.notes(agent_id="Maria") == []
    with pytest.raises(InputError, match="a coaching note needs 1-5000 characters, got 0"):
        store.add_note(ids["rail-poor-0194"], "   ", who="tina")


def test_feedback_export_writes_labelled_turns(store, queued, url, tmp_path):
    ids, _ = queued
    rid = ids["rail-poor-0194"]
    store.correct_behaviour(rid, 2, "empathy", 1, who="tina")
    store.correct_behaviour(rid, 2, "closed_question", 1, who="quinn")  # confirms the machine
    store.correct_behaviour(rid, 2, "empathy", 0, who="tina")  # changed her mind: latest wins
    out = tmp_path / "feedback.jsonl"
    result = CliRunner().invoke(app, ["export-feedback", "--out", str(out),
                                      "--database-url", url])
    assert result.exit_code == 0, result.output
    assert "wrote 1 turn(s) with 2 trainer decision(s)" in result.output
    records = list(read_labelled(out))
    assert len(records) == 1
    record = records[0]
    assert (record.turn.role.value, record.turn.text) == ("agent", "Booking reference?")
    assert record.labels == {"closed_question": 1, "empathy": 0}
    assert [t.role.value for t in record.context] == ["agent", "customer"]
    assert record.record["review_id"] == rid
    assert record.record["corrected_by"] == ["quinn", "tina"]
    assert dt.datetime.fromisoformat(record.record["corrected_at"]).tzinfo is not None
    assert record.record["machine"] == {"closed_question": 1, "empathy": 0}


# -- users ---------------------------------------------------------------------------------------


def test_passwords_are_salted_scrypt_hashes():
    first, second = auth.hash_password("same password"), auth.hash_password("same password")
    assert first != second
    assert first.startswith("scrypt$16384$8$1$")
    assert auth.verify_password("same password", second)
    assert not auth.verify_password("same passwore", first)
    assert not auth.verify_password("same password", "md5$nonsense")


def test_tokens_are_stored_hashed_and_sessions_expire(store):
    store.add_user("tina", "trainer", "tina-password")
    token = store.issue_token("tina")
    assert store.user_for_token(token).name == "tina"
    assert store.user_for_token(token, kind="session") is None
    with store.sessions() as session:
        stored = list(session.scalars(select(auth.Token.token_hash)))
    assert token not in stored
    assert auth.hash_token(token) in stored
    signed = store.sign_in("tina", "tina-password")
    assert signed is not None
    _, session_token = signed
    with store.sessions.begin() as session:
        row = session.scalar(select(auth.Token).where(
            auth.Token.token_hash == auth.hash_token(session_token)))
        row.expires_at = auth.utcnow() - dt.timedelta(seconds=1)
    assert store.user_for_token(session_token, kind="session") is None
    assert store.revoke_tokens("tina") == 1
    assert store.user_for_token(token) is None


def test_sign_in_refuses_wrong_passwords_and_unknown_users(store):
    store.add_user("gary", "agent", "gary-password")
    assert store.sign_in("gary", "gary-passwore") is None
    assert store.sign_in("nobody", "gary-password") is None
    user, _ = store.sign_in("gary", "gary-password")
    assert (user.role, user.agent_id, user.can_edit) == ("agent", "gary", False)
    with pytest.raises(InputError, match="a user named 'gary' already exists"):
        store.add_user("gary", "agent", "another-password")
    with pytest.raises(InputError, match="unknown role 'boss'; expected one of trainer, "
                       "qa_lead, agent"):
        store.add_user("bob", "boss", "bob-password")
    with pytest.raises(InputError, match="the password has 4 characters; use at least 8"):
        store.add_user("bob", "trainer", "abcd")


def test_user_commands_add_list_and_issue_tokens(url):
    runner = CliRunner()
    added = runner.invoke(app, ["user", "add", "tina", "--role", "trainer", "--password-stdin",
                                "--database-url", url], input="tina-password\n")
    assert added.exit_code == 0, added.output
    assert "added trainer 'tina'" in added.output
    prompted = runner.invoke(app, ["user", "add", "gary", "--role", "agent", "--agent-id", "Gary",
                                   "--database-url", url], input="gary-password\ngary-password\n")
    assert prompted.exit_code == 0, prompted.output
    token = runner.invoke(app, ["user", "token", "tina", "--database-url", url])
    assert token.exit_code == 0, token.output
    printed = token.stdout.strip().splitlines()[0]
    store = ReviewStore.from_url(url)
    try:
        assert store.user_for_token(printed).name == "tina"
        assert [(u.name, u.agent_id) for u in store.users()] == [("gary", "Gary"), ("tina", None)]
    finally:
        store.close()
    listed = runner.invoke(app, ["user", "list", "--database-url", url])
    assert "qa_lead" not in listed.output
    assert "trainer" in listed.output
    missing = runner.invoke(app, ["user", "token", "nobody", "--database-url", url])
    assert missing.exit_code != 0
    assert "no user named 'nobody'; known users: gary, tina" in str(missing.exception)
    empty = runner.invoke(app, ["user", "add", "bob", "--role", "trainer", "--password-stdin",
                                "--database-url", url], input="")
    assert "standard input was empty" in str(empty.exception)


def test_review_import_command_scores_files_into_the_queue(url):
    runner = CliRunner()
    result = runner.invoke(app, ["review-import", str(EXAMPLES / "poor_call.txt"),
                                 str(EXAMPLES / "good_call.txt"), "--method", "rules",
                                 "--database-url", url])
    assert result.exit_code == 0, result.output
    store = ReviewStore.from_url(url)
    try:
        queued = {i.transcript_id: i for i in store.queue()}
        assert "rail-poor-0194" in queued
        assert queued["rail-poor-0194"].source.endswith("poor_call.txt")
        detail = store.review(queued["rail-poor-0194"].id)
        assert json.dumps(detail.scorecard)  # the JSON stored is the scorecard
        assert detail.transcript["metadata"]["agent"] == "Gary"
    finally:
        store.close()
    again = runner.invoke(app, ["review-import", str(EXAMPLES / "poor_call.txt"), "--method",
                                "rules", "--database-url", url])
    assert "queued 0 conversation(s) for review; 1 already queued" in again.output
    nothing = runner.invoke(app, ["review-import", "--database-url", url])
    assert "give transcript FILES to score, or --job NAME" in str(nothing.exception)


def test_a_stored_batch_job_can_be_queued_for_review(url, examples):
    from agentassist.jobs import JobStore, ResultRecord
    from agentassist.jobs import transcript_to_json as batch_transcript_json

    jobs = JobStore.from_url(url)
    job = jobs.open_job("june-calls", rubric="default v1", method="rules", inputs=["calls/"])
    jobs.save(job.id, [ResultRecord("calls/x.jsonl", t.id, n, card.to_json(),
                                    batch_transcript_json(t))
                       for n, (t, card) in enumerate(examples)])
    jobs.close()
    result = CliRunner().invoke(app, ["review-import", "--job", "june-calls",
                                      "--database-url", url])
    assert result.exit_code == 0, result.output
    store = ReviewStore.from_url(url)
    try:
        queued = store.queue()
        assert len(queued) == sum(1 for _, card in examples if card.flags)
        assert {i.source for i in queued} == {"batch:june-calls"}
        gary = next(i for i in queued if i.transcript_id == "rail-poor-0194")
        assert gary.agent_id == "Gary"
    finally:
        store.close()
