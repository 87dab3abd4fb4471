from __future__ import annotations

import pytest

from evaluation.metrics import PRF, average_precision, binary_report, cohen_kappa, expected_calibration_error


def test_perfect_predictions():
    report = binary_report([1, 0, 1], [0.9, 0.1, 0.8], [1, 0, 1])
    assert report["f1"] == 1.0 and report["pr_auc"] == 1.0 and report["kappa"] == 1.0


def test_nothing_predicted_gives_zero_not_an_error():
    assert PRF.count([0, 0], [1, 0]).f1 == 0.0
    assert average_precision([0.1, 0.2], [0, 0]) == 0.0


def test_kappa_of_chance_agreement_is_zero():
    assert cohen_kappa([1, 0, 1, 0], [1, 1, 0, 0]) == pytest.approx(0.0)


def test_calibration_error_of_overconfident_scores():
    assert expected_calibration_error([0.9] * 10, [1] * 5 + [0] * 5) == pytest.approx(0.4)
