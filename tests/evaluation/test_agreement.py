"""The agreement report: the machine against the trainers, per criterion and behaviour."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from agentassist.cli import app
from agentassist.reviews import ReviewStore, import_scorecards
from evaluation.agreement import agreement_report, behaviour_agreement, verdict_agreement
from tests.agentassist.test_reviews import scored_examples


def test_verdict_agreement_counts_confirmations_as_agreement():
    report = verdict_agreement([
        ("acknowledge_feelings", "missed", "missed"), ("acknowledge_feelings", "missed", "met"),
        ("confirm_solution", "met", "met"), ("confirm_solution", "missed", "missed"),
    ])
    assert report["acknowledge_feelings"] == {"n": 2.0, "agreed": 1.0, "overruled": 1.0,
                                              "agreement": 0.5, "kappa": 0.0}
    assert report["confirm_solution"]["kappa"] == 1.0
    assert report["all"]["n"] == 4.0
    assert report["all"]["agreement"] == 0.75
    assert list(report)[-1] == "all"


def test_behaviour_agreement_has_kappa_and_counts():
    report = behaviour_agreement([("empathy", 1, 1), ("empathy", 0, 1), ("empathy", 0, 0),
                                  ("empathy", 1, 0), ("need", 1, 1)])
    empathy = report["empathy"]
    assert (empathy["tp"], empathy["fp"], empathy["fn"], empathy["tn"]) == (1.0, 1.0, 1.0, 1.0)
    assert empathy["agreement"] == 0.5
    assert empathy["kappa"] == 0.0
    assert report["need"]["kappa"] == 1.0  # both raters constant and equal
    assert behaviour_agreement([]) == {}


@pytest.fixture
def reviewed(tmp_path, rules_pipeline):
    url = f"sqlite:///{tmp_path / 'agree.db'}"
    store = ReviewStore.from_url(url)
    import_scorecards(store, scored_examples(rules_pipeline), source="examples")
    ids = {item.transcript_id: item.id for item in store.queue()}
    poor = ids["rail-poor-0194"]
    store.set_verdict(poor, "acknowledge_feelings", "confirm", who="tina")
    store.set_verdict(poor, "lead_dialogue", "overrule", "met", who="tina")
    store.correct_behaviour(poor, 0, "greeting", 0, who="tina")    # confirms the machine
    store.correct_behaviour(poor, 2, "empathy", 1, who="tina")     # the machine missed it
    store.close()
    return url


def test_report_from_the_review_database_and_rescored(reviewed, rules_pipeline):
    store = ReviewStore.from_url(reviewed)
    try:
        stored = agreement_report(store)
        again = agreement_report(store, pipeline=rules_pipeline)
        elsewhere = agreement_report(store, source="another-import")
    finally:
        store.close()
    assert stored.reviews == 1
    assert stored.criteria["all"]["agreement"] == 0.5
    assert stored.behaviours["greeting"]["agreement"] == 1.0
    assert stored.behaviours["empathy"]["fn"] == 1.0
    # the same rules give the same decisions when analysed again
    assert again.criteria == stored.criteria
    assert again.behaviours == stored.behaviours
    assert again.machine.startswith("re-analysed with the current models")
    assert (elsewhere.criteria, elsewhere.behaviours) == ({}, {})


def test_agreement_command_writes_json_and_markdown(reviewed, tmp_path):
    runner = CliRunner()
    as_json = tmp_path / "report.json"
    result = runner.invoke(app, ["agreement", "--out", str(as_json), "--database-url", reviewed])
    assert result.exit_code == 0, result.output
    data = json.loads(as_json.read_text())
    assert data["criteria"]["lead_dialogue"]["overruled"] == 1.0
    assert data["behaviours"]["empathy"]["agreement"] == 0.0
    as_md = tmp_path / "report.md"
    result = runner.invoke(app, ["agreement", "--out", str(as_md), "--rescore", "--method",
                                 "rules", "--database-url", reviewed])
    assert result.exit_code == 0, result.output
    text = as_md.read_text()
    assert "| lead_dialogue | 1 | 0 | 1 | 0.000 |" in text
    assert "| empathy | 1 | 0 | 0.000 |" in text
    assert "re-analysed with the current models (rules)" in text
