from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from agentassist.corpus import corpus_dir
from agentassist.resources import Resources
from agentassist.training import THRESHOLD_RULES
from evaluation.cross_file import (
    cross_file,
    featurise_corpus,
    file_folds,
    fold_rows,
    main,
    near_duplicates,
    render,
)

FILES = ("banking.jsonl", "health_coaching.jsonl", "telecom.jsonl")


@pytest.fixture(scope="module")
def small_corpus(tmp_path_factory) -> Path:
    """Three corpus files cut to 30 conversations each."""
    folder = tmp_path_factory.mktemp("corpus")
    for name in FILES:
        lines = (corpus_dir() / name).read_text(encoding="utf-8").splitlines()[:30]
        (folder / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def featurised(small_corpus, tmp_path_factory):
    return featurise_corpus(small_corpus, Resources.blank(models_dir=tmp_path_factory.mktemp("m")))


@pytest.mark.parametrize(("sources", "folds", "expected"), [
    (["a", "b", "c", "d"], 2, [["a", "c"], ["b", "d"]]),
    (["c", "a", "b", "a"], 3, [["a"], ["b"], ["c"]]),
])
def test_files_are_dealt_round_robin_each_into_exactly_one_fold(sources, folds, expected):
    assert file_folds(sources, folds) == expected


@pytest.mark.parametrize("folds", [1, 4])
def test_impossible_fold_counts_are_refused(folds):
    with pytest.raises(ValueError, match="between 2 and the number of files"):
        file_folds(["a", "b", "c"], folds)


def test_a_fold_never_trains_or_calibrates_on_its_held_out_files(featurised):
    rows, splits, sources, _ = featurised
    source_of = dict(zip(rows.ids, sources, strict=True))
    split_of = dict(zip(rows.ids, splits, strict=True))
    train, validation, test = fold_rows(rows, splits, sources, {"telecom.jsonl"})
    assert {source_of[t] for t in test.ids} == {"telecom.jsonl"}
    assert len(test) == sum(s == "telecom.jsonl" for s in sources)
    assert "telecom.jsonl" not in {source_of[t] for t in train.ids + validation.ids}
    assert {split_of[t] for t in train.ids} == {"train"}
    assert {split_of[t] for t in validation.ids} == {"validation"}


def test_near_duplicates_are_found_by_cosine():
    vectors = np.array([[1.0, 0.0], [0.0, 1.0], [0.999, 0.045], [0.6, 0.8]])
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    assert near_duplicates(vectors, [0, 1], [2, 3]) == {2}
    assert near_duplicates(vectors, [], [2, 3]) == set()


def test_every_turn_is_measured_once_pooled_over_the_folds(featurised):
    rows, splits, sources, vectors = featurised
    result = cross_file(rows, splits, sources, vectors, folds=3)
    assert [f["files"] for f in result["folds"]] == [[name] for name in FILES]
    held_out = sum(f["turns"] for f in result["folds"])
    assert held_out + sum(f["dropped"] for f in result["folds"]) == len(rows)
    assert result["behaviours"]["empathy"]["n"] <= sum(r == "agent" for r in rows.roles)
    for metrics in result["behaviours"].values():
        assert 0.0 <= metrics["f1"] <= 1.0
        assert 0.0 <= metrics["pr_auc"] <= 1.0
    assert 0.0 < result["macro_f1"] < 1.0


def test_every_threshold_rule_is_measured_and_the_shipped_one_matches_the_main_table(featurised):
    rows, splits, sources, vectors = featurised
    result = cross_file(rows, splits, sources, vectors, folds=3)
    rules = result["threshold_rules"]
    assert set(rules) == set(THRESHOLD_RULES)
    shipped = rules[result["threshold_rule"]]
    assert shipped["f1"] == {b: m["f1"] for b, m in result["behaviours"].items()}
    assert shipped["macro_f1"] == pytest.approx(result["macro_f1"])
    for rule in rules.values():
        assert set(rule["thresholds"]) == set(result["behaviours"])
        assert all(len(cuts) == 3 for cuts in rule["thresholds"].values())
    assert "threshold rules" in render(result)


def test_command_refuses_a_bad_fold_count_before_any_work(small_corpus, capsys):
    assert main(["--corpus", str(small_corpus), "--folds", "7"]) == 2
    err = capsys.readouterr().err
    assert str(small_corpus) in err
    assert "between 2 and the number of files (3)" in err


def test_each_fold_can_be_featurised_by_its_own_encoder(featurised):
    rows, splits, sources, vectors = featurised
    asked: list[set[str]] = []

    def fold_features(held_out: set[str]):
        asked.append(held_out)
        # A stand-in for "featurised by an encoder tuned without these files".
        return rows.subset(lambda i: True)

    result = cross_file(rows, splits, sources, vectors, folds=3, fold_features=fold_features)
    assert asked == [{name} for name in FILES]
    assert len(result["folds"]) == 3

    with pytest.raises(ValueError, match="same turns in the same order"):
        cross_file(rows, splits, sources, vectors, folds=3,
                   fold_features=lambda held_out: rows.subset(lambda i: i % 2 == 0))


def test_the_corpus_is_featurised_with_the_published_encoder_not_a_shipped_tuned_one(
        small_corpus, tmp_path):
    resources = Resources.blank(models_dir=tmp_path)
    seen = []
    original = resources.with_encoder

    def spy(encoder):
        seen.append(encoder)
        return original(encoder)

    resources.with_encoder = spy  # type: ignore[method-assign]
    featurise_corpus(small_corpus, resources)
    assert seen == [resources.base_encoder]
