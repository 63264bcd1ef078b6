"""The one scoring function every model goes through."""

from __future__ import annotations

import numpy as np
import pytest

from training.metrics import (
    evaluate,
    expected_calibration_error,
    neg_vs_pos_accuracy,
    ood_metrics,
)

LABELS = ["negative", "neutral", "positive"]


def test_neg_vs_pos_ignores_neutral_rows_and_column() -> None:
    y = np.array([0, 2, 1, 0])
    probs = np.array(
        [
            [0.2, 0.7, 0.1],  # neutral predicted, but p(neg) > p(pos): right for polarity
            [0.1, 0.5, 0.4],  # right
            [0.9, 0.05, 0.05],  # neutral row: ignored
            [0.3, 0.1, 0.6],  # wrong
        ]
    )
    assert neg_vs_pos_accuracy(y, probs, LABELS) == pytest.approx(2 / 3)


def test_evaluate_perfect_and_per_class() -> None:
    y = np.array([0, 1, 2, 0, 1, 2])
    probs = np.eye(3)[y] * 0.9 + 0.1 / 3
    scores = evaluate(y, probs, LABELS)
    assert scores["accuracy"] == 1.0 and scores["macro_f1"] == 1.0
    assert scores["roc_auc_ovr"] == 1.0 and scores["roc_auc_negative"] == 1.0
    assert scores["support_neutral"] == 2
    assert scores["neg_vs_pos_accuracy"] == 1.0


def test_evaluate_two_classes() -> None:
    y = np.array([0, 1, 1, 0])
    probs = np.array([[0.8, 0.2], [0.3, 0.7], [0.6, 0.4], [0.4, 0.6]])
    scores = evaluate(y, probs, ["negative", "positive"])
    assert scores["accuracy"] == 0.5
    assert "roc_auc_ovr" in scores and "f1_positive" in scores


def test_calibration_error() -> None:
    y = np.array([0, 0, 0, 0])
    assert expected_calibration_error(y, np.array([[1.0, 0.0]] * 4)) == pytest.approx(0.0)
    assert expected_calibration_error(y, np.array([[0.6, 0.4]] * 4)) == pytest.approx(0.4)


def test_ood_metrics_average_over_the_classes_the_set_has() -> None:
    labels = ["negative", "neutral", "positive"]
    # A 2-class set (no neutral): one neutral answer is a miss, not a neutral-class credit.
    probs = np.array([[0.8, 0.1, 0.1], [0.2, 0.5, 0.3], [0.1, 0.1, 0.8], [0.1, 0.2, 0.7]])
    truth = ["negative", "negative", "positive", "positive"]
    m = ood_metrics(truth, probs, labels)
    assert m["macro_recall"] == pytest.approx((0.5 + 1.0) / 2)
    assert m["recall_negative"] == pytest.approx(0.5)
    assert m["neg_vs_pos_accuracy"] == pytest.approx(0.75)  # row 2: p(neg) < p(pos), wrong
    assert m["rows"] == 4
