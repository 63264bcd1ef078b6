"""Every model is scored by this one function, on the same split, from its class probabilities.

Why probabilities: accuracy/F1 use the argmax, ROC AUC and calibration need scores, and the
negative-class AUC is the bad-buzz signal Air Paradis alerts on.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn.metrics import (
    accuracy_score,
    brier_score_loss,
    f1_score,
    precision_recall_fscore_support,
    roc_auc_score,
)


def neg_vs_pos_accuracy(y_true: np.ndarray, probs: np.ndarray, labels: Sequence[str]) -> float:
    """Polarity accuracy: on tweets labelled negative or positive, is p(neg) vs p(pos) right?

    This is the Sentiment140-style binary task the targets refer to; neutral tweets are left out
    and the neutral column is ignored, so a 3-class model is judged on polarity alone.
    """
    neg, pos = labels.index("negative"), labels.index("positive")
    keep = np.isin(y_true, [neg, pos])
    if not keep.any():
        return float("nan")
    predicted = np.where(probs[keep, neg] >= probs[keep, pos], neg, pos)
    return float((predicted == y_true[keep]).mean())


def expected_calibration_error(y_true: np.ndarray, probs: np.ndarray, bins: int = 10) -> float:
    """Gap between confidence and accuracy, weighted over confidence bins (top-label ECE)."""
    confidence = probs.max(axis=1)
    correct = probs.argmax(axis=1) == y_true
    edges = np.linspace(0, 1, bins + 1)
    which = np.clip(np.digitize(confidence, edges[1:-1]), 0, bins - 1)
    error = 0.0
    for b in range(bins):
        in_bin = which == b
        if in_bin.any():
            error += in_bin.mean() * abs(correct[in_bin].mean() - confidence[in_bin].mean())
    return float(error)


def evaluate(y_true: np.ndarray, probs: np.ndarray, labels: Sequence[str]) -> dict[str, float]:
    """Flat dict of metrics (MLflow-friendly names) for integer labels and [n, k] probabilities."""
    labels = list(labels)
    y_true = np.asarray(y_true)
    predicted = probs.argmax(axis=1)
    k = len(labels)
    precision, recall, f1, support = precision_recall_fscore_support(
        y_true, predicted, labels=range(k), zero_division=0
    )
    out = {
        "accuracy": accuracy_score(y_true, predicted),
        "macro_f1": f1_score(y_true, predicted, labels=range(k), average="macro", zero_division=0),
        "macro_precision": float(precision.mean()),
        "macro_recall": float(recall.mean()),
        "ece": expected_calibration_error(y_true, probs),
    }
    for i, label in enumerate(labels):
        out |= {
            f"precision_{label}": precision[i],
            f"recall_{label}": recall[i],
            f"f1_{label}": f1[i],
            f"support_{label}": int(support[i]),
        }
    present = np.unique(y_true)
    if len(present) == k and k > 2:
        out["roc_auc_ovr"] = roc_auc_score(y_true, probs, multi_class="ovr", labels=range(k))
    elif len(present) == 2 and k == 2:
        out["roc_auc_ovr"] = roc_auc_score(y_true, probs[:, 1])
    if "negative" in labels:
        neg = labels.index("negative")
        is_neg = (y_true == neg).astype(int)
        if 0 < is_neg.sum() < len(is_neg):
            out["roc_auc_negative"] = roc_auc_score(is_neg, probs[:, neg])
            out["brier_negative"] = brier_score_loss(is_neg, probs[:, neg])
    if "negative" in labels and "positive" in labels:
        out["neg_vs_pos_accuracy"] = neg_vs_pos_accuracy(y_true, probs, labels)
    return {key: float(value) for key, value in out.items()}


def ood_metrics(
    y_true: Sequence[str], probs: np.ndarray, labels: Sequence[str]
) -> dict[str, float]:
    """Out-of-domain figures over the classes the set has (Sentiment140 has no neutral).

    macro-recall and macro-F1 average over the set's classes only, so a 3-class model is not
    credited or blamed for a class the set cannot contain; a neutral answer on a 2-class set
    still counts as a miss. neg-vs-pos accuracy ignores the neutral column (the polarity task).
    """
    labels = list(labels)
    y = np.array([labels.index(label) for label in y_true])
    present = [i for i in range(len(labels)) if (y == i).any()]
    predicted = probs.argmax(axis=1)
    _, recall, f1, _ = precision_recall_fscore_support(
        y, predicted, labels=present, zero_division=0
    )
    out = {
        "rows": float(len(y)),
        "macro_recall": float(recall.mean()),
        "macro_f1": float(f1.mean()),
        "accuracy": float(accuracy_score(y, predicted)),
    }
    if "negative" in labels:
        neg = labels.index("negative")
        out["recall_negative"] = float((predicted[y == neg] == neg).mean())
    if "negative" in labels and "positive" in labels:
        out["neg_vs_pos_accuracy"] = neg_vs_pos_accuracy(y, probs, labels)
    return out
