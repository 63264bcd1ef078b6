"""The champion rule: which trained model is exported and served.

Why this rule: the model is judged on tweets it has never seen, so in-domain validation alone
picks models that learnt our corpus' quirks. Among the exportable models (LSTM family, the ones
retrain can warm-start) whose validation macro-F1 is within ``VAL_TOLERANCE`` of the best, the
one with the best out-of-domain *dev* score wins. The test split and the OOD report parts play
no part. Without OOD data (``--no-ood``) the rule falls back to validation macro-F1 alone.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from typing import TypeVar

import numpy as np
import pandas as pd

from training import runs
from training.metrics import ood_metrics

VAL_TOLERANCE = 0.01
EXPORTABLE_CELLS = ("lstm", "bilstm")  # what export converts and retrain warm-starts
# The OOD dev score: per set, the headline metric of the set's kind, then the mean over sets.
DEV_METRIC = {"sentiment140": "neg_vs_pos_accuracy"}  # 2-class set: the polarity task
DEFAULT_DEV_METRIC = "macro_recall"

RULE = (
    f"among the exportable neural models ({', '.join(EXPORTABLE_CELLS)}) within "
    f"{VAL_TOLERANCE} of the best validation macro-F1, the best out-of-domain dev score "
    f"(mean over the OOD sets of dev macro-recall; negative-vs-positive accuracy for "
    f"Sentiment140), counting only the sets that no candidate trained on with their labels; "
    f"validation macro-F1 alone when no OOD set is available; on a tie, the one with emoji rows"
)


K = TypeVar("K", bound=Hashable)


class NoCandidate(LookupError):
    """No trained model can be exported (nothing trained, or no exportable architecture)."""


def trained_on(result: runs.RunResult) -> set[str]:
    """OOD sets whose labelled (pool) rows the model trained on (``extra`` and ``polarity``),
    or that a part of it was tuned on by its authors (``tuned_on``: the VADER lexicon)."""
    params = result.params
    return {s for key in ("extra", "polarity", "tuned_on") for s in params.get(key) or ()}


def ood_dev_score(result: runs.RunResult, sets: set[str] | None = None) -> float:
    """Mean over the OOD sets (all, or ``sets``) of the dev part's headline metric (nan: none)."""
    return dev_score(result.ood, sets)


def dev_score(ood: dict, sets: set[str] | None = None) -> float:
    """:func:`ood_dev_score` of ``{set: {"dev": metrics}}`` (a RunResult's ``ood``)."""
    scores = [
        parts["dev"][DEV_METRIC.get(name, DEFAULT_DEV_METRIC)]
        for name, parts in sorted(ood.items())
        if "dev" in parts and (sets is None or name in sets)
    ]
    return float(np.mean(scores)) if scores else float("nan")


def rows_dev_score(probs: np.ndarray, dev: pd.DataFrame, labels: list[str]) -> float:
    """:func:`dev_score` of one model's probabilities on the OOD dev rows (``set``, ``label``)."""
    ood = {
        str(name): {"dev": ood_metrics(dev.loc[index, "label"], probs[index], labels)}
        for name, index in dev.groupby("set").groups.items()
    }
    return dev_score(ood)


def pick(scores: Mapping[K, Mapping[str, float]]) -> K:
    """The rule for one model's setting (a teacher's C, a network's class bias): ``{key: {val,
    dev}}`` -> the best OOD dev score within ``VAL_TOLERANCE`` of the best validation score.

    Validation alone picks the setting that fits our corpus best, which is also the one that
    reads other tweets worst (the teacher's C=10); nan dev scores (no OOD data): validation.
    """
    best = max(s["val"] for s in scores.values())
    close = [k for k, s in scores.items() if s["val"] >= best - VAL_TOLERANCE]
    if all(np.isnan(scores[k]["dev"]) for k in close):
        return max(close, key=lambda k: scores[k]["val"])
    return max(close, key=lambda k: (scores[k]["dev"], scores[k]["val"]))


def judging_sets(results: Sequence[runs.RunResult]) -> set[str]:
    """The OOD sets every candidate is scored on and none trained on with its labels.

    A model trained on a set's labelled pool reads that set's dev part as in-domain data: it
    would win on it for the wrong reason, so that set judges none of the candidates.
    """
    common = set.intersection(*(set(r.ood) for r in results)) if results else set()
    return common - set().union(*(trained_on(r) for r in results))


def exportable(result: runs.RunResult) -> bool:
    """(Bi)LSTM without an extra dense layer: what training.onnx_weights maps back to Keras."""
    params = result.params
    return (
        result.family == "neural"
        and params.get("cell") in EXPORTABLE_CELLS
        and not params.get("dense")
    )


def shortlist(
    results: Sequence[runs.RunResult], name: str | None = None
) -> tuple[list[runs.RunResult], set[str]]:
    """The candidates within the validation tolerance, and the OOD sets that judge them."""
    candidates = [r for r in results if exportable(r) and (name is None or r.name == name)]
    if not candidates:
        raise NoCandidate(f"no exportable neural model{f' named {name}' if name else ''}")
    best_val = max(r.val["macro_f1"] for r in candidates)
    close = [r for r in candidates if r.val["macro_f1"] >= best_val - VAL_TOLERANCE]
    return close, judging_sets(close)


def choose(results: Sequence[runs.RunResult], name: str | None = None) -> runs.RunResult:
    """The champion by :data:`RULE` (or the exportable run called ``name``).

    A network with emoji rows (training.emoji) reads every tweet without emoji as its base does,
    so both often tie: the tie goes to the one that also reads emoji.
    """
    close, sets = shortlist(results, name)

    def emoji(r: runs.RunResult) -> int:
        return int(r.params.get("emoji_rows") or 0)

    if not sets:
        return max(close, key=lambda r: (r.val["macro_f1"], emoji(r)))
    return max(close, key=lambda r: (ood_dev_score(r, sets), r.val["macro_f1"], emoji(r)))
