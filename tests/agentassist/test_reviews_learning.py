"""The learning loop: trainers' corrections, exported and used for retraining, change the
model's decisions on new turns like them (not only the corrected turns), and the agreement
report shows it.

The story: agents here comfort customers in colloquial British slang ("oof, gutted for
you mate"), which the corpus never labels as empathy, so the base model misses it. A
trainer reviews 30 such turns (and 8 friendly turns that are *not* empathy), corrects the
machine, the corrections are exported with ``agentassist export-feedback`` and the heads
retrained with them. New conversations with paraphrases nobody corrected are then scored
and reviewed again.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

import agentassist.training
from agentassist.cli import app
from agentassist.corpus import corpus_dir
from agentassist.pipeline import MODEL_NAME, Pipeline
from agentassist.resources import Resources
from agentassist.reviews import QueueFilter, ReviewStore, import_scorecards
from agentassist.rubric import load_rubric
from agentassist.scoring import score
from agentassist.training import train
from agentassist.transcript import Channel, Role, Transcript, Turn
from evaluation.agreement import AgreementReport, agreement_report

logger = logging.getLogger(__name__)
LIMIT = 40  # corpus conversations for the tiny heads
INTERJECTIONS = ["oof", "ah man", "crikey", "blimey", "cor", "oh mate", "honestly", "ugh", "aw"]
CORES = ["gutted for you", "gutted to hear that", "that's proper grim", "what rotten luck",
         "that's absolutely pants", "what a rotten week you've had", "that's grim",
         "proper gutted about that", "that's a rotten thing to happen", "that's grim news"]
TAILS = ["", " mate", " honestly", " pal"]
CUSTOMERS = [
    "my parcel never arrived and now the party is ruined, I'm so upset",
    "the train was cancelled again and I missed my interview, I'm really annoyed",
    "you've charged me twice and I'm skint until payday, this is a nightmare",
    "the engineer didn't turn up and I took the day off for nothing, I'm fed up",
]
FRIENDLY_CORRECTED = [
    "cheers mate, have a good one", "right mate, I'll pop that in the post today",
    "no worries pal, your refund is on its way", "honestly the form is on our website",
    "blimey, that's a long reference number, can you read it again",
    "ah right, the depot opens at nine", "cor, you've got the old card there, the new one is blue",
    "ta pal, I've got your postcode now",
]
#: Slang comfort in words none of the corrected turns used (measured, not asserted).
NEW_WORDING = ["that's dreadful luck, sorry pal", "ah no, what a stinker of a day",
               "oh that's a right kick in the teeth", "eesh, that's miserable for you",
               "bless you, what a horrible morning", "ouch, that's heartbreaking"]
FRIENDLY_NEW = [
    "cheers pal, take care now", "right, I'll pop the form in the post mate",
    "honestly the app is the quickest way",
    "crikey, that's a long account number, could you repeat it",
    "your new card will arrive on Tuesday", "I've updated the address on your account",
]


def slang_empathy() -> tuple[list[str], list[str]]:
    """Return 30 phrases for the trainer to correct and 30 unseen paraphrases."""
    phrases = [f"{i}, {c}{t}" for i in INTERJECTIONS for c in CORES for t in TAILS]
    random.Random(7).shuffle(phrases)
    return phrases[:30], phrases[30:60]


def conversation(cid: str, n: int, agent_text: str) -> Transcript:
    return Transcript(cid, (Turn(Role.CUSTOMER, CUSTOMERS[n % len(CUSTOMERS)]),
                            Turn(Role.AGENT, agent_text)), Channel.CHAT,
                      metadata={"agent": "Sam", "team": "Care", "date": "2026-05-04"})


@dataclass
class Round:
    """One review round: conversations scored by a model, then labelled by the trainer."""

    truth: dict[str, int]  # transcript id -> is the agent turn empathy?


def review_round(store: ReviewStore, pipeline: Pipeline, source: str,
                 positives: Sequence[str], negatives: Sequence[str]) -> Round:
    """Score the conversations with ``pipeline``, queue them, and review them as a trainer."""
    rubric = load_rubric()
    truth: dict[str, int] = {}
    transcripts = []
    for n, (text, label) in enumerate([(p, 1) for p in positives] + [(q, 0) for q in negatives]):
        transcript = conversation(f"{source}-{n:02d}", n, text)
        truth[transcript.id] = label
        transcripts.append(transcript)
    analyses = pipeline.analyse_many(transcripts)
    import_scorecards(store, [(t, score(t, a, rubric)) for t, a in zip(transcripts, analyses,
                                                                       strict=True)],
                      source=source, include_unflagged=True)
    for item in store.queue(QueueFilter(status=None, limit=1000)):
        if item.source != source:
            continue
        label = truth[item.transcript_id]
        store.correct_behaviour(item.id, 1, "empathy", label, who="tina")
        if label:  # the customer was upset and the agent acknowledged it: met
            machine = store.review(item.id).scorecard["criteria"]
            status = next(c["status"] for c in machine if c["id"] == "acknowledge_feelings")
            action = "confirm" if status == "met" else "overrule"
            store.set_verdict(item.id, "acknowledge_feelings", action,
                              None if action == "confirm" else "met", who="tina")
        store.set_status(item.id, "done", who="tina")
    return Round(truth)


def empathy_shown(pipeline: Pipeline, phrases: Sequence[str]) -> list[int]:
    transcripts = [conversation(f"probe-{n}", n, text) for n, text in enumerate(phrases)]
    return [int("empathy" in analyses[1].present)
            for analyses in pipeline.analyse_many(transcripts)]


def run_learning_loop(tmp_path: Path, base: Pipeline,
                      retrain: Callable[[Path, Path], Pipeline]) -> dict[str, object]:
    """Review round 1 with ``base``, export, retrain, review round 2 with the new model."""
    url = f"sqlite:///{tmp_path / 'reviews.db'}"
    store = ReviewStore.from_url(url)
    corrected, unseen = slang_empathy()
    review_round(store, base, "round-1", corrected, FRIENDLY_CORRECTED)
    before = agreement_report(store, source="round-1")
    feedback = tmp_path / "feedback.jsonl"
    exported = CliRunner().invoke(app, ["export-feedback", "--out", str(feedback),
                                        "--database-url", url])
    assert exported.exit_code == 0, exported.output
    assert "wrote 38 turn(s) with 38 trainer decision(s)" in exported.output
    retrained = retrain(feedback, tmp_path / "retrained")
    assert not set(unseen) & set(corrected)
    review_round(store, retrained, "round-2", unseen, FRIENDLY_NEW)
    result = {
        "before": before,
        "after": agreement_report(store, source="round-2"),
        "after_by_base": agreement_report(store, source="round-2", pipeline=base),
        "base_unseen": empathy_shown(base, unseen),
        "retrained_unseen": empathy_shown(retrained, unseen),
        "retrained_friendly": empathy_shown(retrained, FRIENDLY_NEW),
        "retrained_corrected": empathy_shown(retrained, corrected),
        "base_new_wording": empathy_shown(base, NEW_WORDING),
        "retrained_new_wording": empathy_shown(retrained, NEW_WORDING),
    }
    store.close()
    return result


def check(result: dict[str, object], *, flipped: float) -> None:
    before, after, by_base = (result[k] for k in ("before", "after", "after_by_base"))
    assert isinstance(before, AgreementReport)
    assert isinstance(after, AgreementReport)
    assert isinstance(by_base, AgreementReport)
    base_unseen, unseen = result["base_unseen"], result["retrained_unseen"]
    assert isinstance(base_unseen, list)
    assert isinstance(unseen, list)
    # the base model misses the slang; the retrained one finds it in turns nobody corrected
    assert sum(base_unseen) <= 0.2 * len(base_unseen)
    flips = sum(1 for was, now in zip(base_unseen, unseen, strict=True) if now and not was)
    assert flips >= flipped * len(unseen)
    assert sum(result["retrained_corrected"]) >= 27  # type: ignore[arg-type]
    assert sum(result["retrained_friendly"]) <= 1  # type: ignore[arg-type]
    # the agreement report: low before, high on the next round, and the base model would not
    # have agreed with the same trainer on those conversations
    empathy_before, empathy_after = before.behaviours["empathy"], after.behaviours["empathy"]
    assert (empathy_before["n"], empathy_after["n"]) == (38, 36)
    assert empathy_before["kappa"] <= 0.2
    assert empathy_after["agreement"] >= 0.8
    assert empathy_after["kappa"] >= 0.6
    assert by_base.behaviours["empathy"]["agreement"] < empathy_after["agreement"] - 0.3
    feelings_before = before.criteria["acknowledge_feelings"]
    feelings_after = after.criteria["acknowledge_feelings"]
    assert feelings_after["agreement"] > feelings_before["agreement"] + 0.5


@pytest.fixture
def one_c(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fit each head with one regularisation strength: 3x faster, and the search over C is
    not what these tests are about."""
    monkeypatch.setattr(agentassist.training, "C_GRID", (0.1,))


def test_corrections_teach_the_model_new_turns_like_them(tmp_path, one_c):
    base_dir = tmp_path / "base"
    train(models_dir=base_dir, corpus=corpus_dir(),
          resources=Resources.blank(models_dir=base_dir), limit=LIMIT)
    base = Pipeline.from_resources(Resources.blank(models_dir=base_dir), method="head")

    def retrain(feedback: Path, folder: Path) -> Pipeline:
        resources = Resources.blank(models_dir=folder)
        train(models_dir=folder, corpus=corpus_dir(), resources=resources, feedback=[feedback],
              limit=LIMIT)
        return Pipeline.from_resources(resources, method="head")

    result = run_learning_loop(tmp_path, base, retrain)
    logger.info("learning loop:\n%s", _summary(result))
    check(result, flipped=0.8)


@pytest.mark.slow
def test_corrections_teach_the_real_encoder_model_too(tmp_path, one_c):
    base_dir = tmp_path / "base"
    # The heads' learning loop, on the published encoder (--no-finetune): fine-tuning on
    # 40 conversations would make this minutes slower and is tested in test_finetune.py.
    train(models_dir=base_dir, corpus=corpus_dir(),
          resources=Resources.load(models_dir=base_dir), limit=LIMIT, finetune_encoder=False)
    base = Pipeline.from_resources(Resources.load(models_dir=base_dir), method="head")

    def retrain(feedback: Path, folder: Path) -> Pipeline:
        trained = CliRunner().invoke(app, ["train", "--feedback", str(feedback), "--models-dir",
                                           str(folder), "--limit", str(LIMIT), "--no-finetune"])
        assert trained.exit_code == 0, trained.output
        assert (folder / MODEL_NAME / "manifest.json").is_file()
        return Pipeline.from_resources(Resources.load(models_dir=folder), method="head")

    result = run_learning_loop(tmp_path, base, retrain)
    logger.info("learning loop:\n%s", _summary(result))
    check(result, flipped=0.7)
    # the sentence encoder carries the lesson to comfort worded unlike any correction
    assert sum(result["base_new_wording"]) <= 1  # type: ignore[arg-type]
    assert sum(result["retrained_new_wording"]) >= 4  # type: ignore[arg-type]


def _summary(result: dict[str, object]) -> str:
    lines = []
    for key in ("before", "after", "after_by_base"):
        report = result[key]
        assert isinstance(report, AgreementReport)
        e = report.behaviours["empathy"]
        f = report.criteria["acknowledge_feelings"]
        lines.append(f"{key}: empathy agreement {e['agreement']:.3f} kappa {e['kappa']:.3f} "
                     f"(n={e['n']:.0f}); acknowledge_feelings agreement {f['agreement']:.3f} "
                     f"(n={f['n']:.0f})")
    for key in ("base_unseen", "retrained_unseen", "retrained_friendly", "retrained_corrected",
                "base_new_wording", "retrained_new_wording"):
        shown = result[key]
        assert isinstance(shown, list)
        lines.append(f"{key}: empathy in {sum(shown)}/{len(shown)}")
    return "\n".join(lines)
