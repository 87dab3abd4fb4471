from __future__ import annotations

import numpy as np
import pytest

from evaluation.metrics import (
    PRF,
    average_precision,
    binary_report,
    bootstrap_intervals,
    cohen_kappa,
    expected_calibration_error,
)


def test_perfect_predictions():
    report = binary_report([1, 0, 1], [0.9, 0.1, 0.8], [1, 0, 1])
    assert report["f1"] == 1.0
    assert report["pr_auc"] == 1.0
    assert report["kappa"] == 1.0


def test_nothing_predicted_gives_zero_not_an_error():
    assert PRF.count([0, 0], [1, 0]).f1 == 0.0
    assert average_precision([0.1, 0.2], [0, 0]) == 0.0


def test_kappa_of_chance_agreement_is_zero():
    assert cohen_kappa([1, 0, 1, 0], [1, 1, 0, 0]) == pytest.approx(0.0)


def test_calibration_error_of_overconfident_scores():
    assert expected_calibration_error([0.9] * 10, [1] * 5 + [0] * 5) == pytest.approx(0.4)


def test_numpy_average_precision_matches_the_reference_including_ties():
    from evaluation.metrics import _average_precision

    rng = np.random.default_rng(3)
    scores = rng.integers(0, 10, 400) / 10  # many ties
    actual = rng.random(400) < 0.3
    assert _average_precision(scores, actual) == pytest.approx(
        average_precision(list(scores), list(actual.astype(int))))


def _sample(n: int = 300, seed: int = 1):
    rng = np.random.default_rng(seed)
    actual = (rng.random(n) < 0.4).astype(int)
    scores = np.clip(actual * 0.3 + rng.random(n) * 0.7, 0, 1)
    return (scores >= 0.5).astype(int), scores, actual


def test_interval_holds_the_point_estimate_and_repeats_exactly():
    predicted, scores, actual = _sample()
    report = binary_report(predicted, scores, actual)
    ci = bootstrap_intervals(predicted, scores, actual, resamples=300)
    assert ci["f1_ci"][0] < report["f1"] < ci["f1_ci"][1]
    assert ci["pr_auc_ci"][0] < report["pr_auc"] < ci["pr_auc_ci"][1]
    assert ci == bootstrap_intervals(predicted, scores, actual, resamples=300)
    narrower = bootstrap_intervals(predicted, scores, actual, resamples=300, level=0.5)
    assert ci["f1_ci"][0] < narrower["f1_ci"][0] < narrower["f1_ci"][1] < ci["f1_ci"][1]


def test_resampling_whole_groups_widens_the_interval_when_rows_repeat():
    """Ten copies of each turn are one piece of evidence, not ten."""
    predicted, scores, actual = _sample(60)
    copies = [np.repeat(a, 10) for a in (predicted, scores, actual)]
    groups = np.repeat(np.arange(60), 10)
    rows = bootstrap_intervals(*copies, resamples=300)
    grouped = bootstrap_intervals(*copies, groups=list(groups), resamples=300)
    width = lambda ci: ci["f1_ci"][1] - ci["f1_ci"][0]  # noqa: E731
    assert width(grouped) > 2 * width(rows)


@pytest.mark.parametrize(
    ("args", "kwargs", "message"),
    [
        (([1, 0], [0.5], [1, 0]), {}, "same length"),
        (([1, 0], [0.5, 0.1], [1, 0]), {"groups": ["a"]}, "same length"),
        (([1, 0], [0.5, 0.1], [1, 0]), {"level": 1.5}, "level must be between 0 and 1"),
    ],
)
def test_bad_bootstrap_arguments_say_what_is_expected(args, kwargs, message):
    with pytest.raises(ValueError, match=message):
        bootstrap_intervals(*args, **kwargs)


def test_no_rows_give_no_interval_rather_than_an_error():
    ci = bootstrap_intervals([], [], [])
    assert all(np.isnan(v) for pair in ci.values() for v in pair)
