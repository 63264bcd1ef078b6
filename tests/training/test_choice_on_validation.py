"""The champion rule (training.champion): validation, then out-of-domain *dev* figures.

A model better on test or on an OOD report part must never win because of it; only exportable
architectures (what retrain can warm-start) are candidates.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from training import runs
from training.champion import VAL_TOLERANCE, ood_dev_score
from training.export import choose


def _ood(dev: float, report: float) -> dict:
    return {
        "vader": {"dev": {"macro_recall": dev}, "report": {"macro_recall": report}},
        "sentiment140": {
            "dev": {"neg_vs_pos_accuracy": dev},
            "report": {"neg_vs_pos_accuracy": report},
        },
    }


def _save(
    work: Path,
    name: str,
    val_f1: float,
    test_f1: float = 0.5,
    family: str = "neural",
    cell: str = "bilstm",
    ood: dict | None = None,
    dense: int = 0,
    **params: object,
) -> None:
    result = runs.RunResult(
        name,
        family,
        {"cell": cell, "dense": dense, **params},
        1.0,
        0.1,
        10,
        val={"macro_f1": val_f1},
        test={"macro_f1": test_f1},
        labels=["negative", "positive"],
        ood=ood or {},
    )
    runs.save(result, work, np.zeros((1, 2)), np.zeros((1, 2)))


def test_without_ood_data_the_best_validation_model_wins(tmp_path: Path) -> None:
    _save(tmp_path, "bilstm-glove", val_f1=0.75, test_f1=0.70)
    _save(tmp_path, "lstm-glove", val_f1=0.749, test_f1=0.80, cell="lstm")  # better on test
    _save(tmp_path, "tfidf-logreg", val_f1=0.90, family="classical", cell="")  # not exportable
    assert choose(tmp_path).name == "bilstm-glove"
    assert choose(tmp_path, "lstm-glove").name == "lstm-glove"


def test_ood_dev_decides_among_models_close_on_validation(tmp_path: Path) -> None:
    _save(tmp_path, "best-val", val_f1=0.75, ood=_ood(dev=0.60, report=0.90))
    _save(tmp_path, "reads-more", val_f1=0.75 - VAL_TOLERANCE / 2, ood=_ood(dev=0.66, report=0.5))
    # Far better out of domain, but too far below on validation: in-domain quality is kept.
    _save(tmp_path, "too-weak", val_f1=0.75 - 2 * VAL_TOLERANCE, ood=_ood(dev=0.90, report=0.9))
    assert choose(tmp_path).name == "reads-more"


def test_report_parts_and_test_never_decide(tmp_path: Path) -> None:
    _save(tmp_path, "a", val_f1=0.75, test_f1=0.60, ood=_ood(dev=0.65, report=0.40))
    _save(tmp_path, "b", val_f1=0.75, test_f1=0.90, ood=_ood(dev=0.64, report=0.95))
    assert choose(tmp_path).name == "a"


def test_dev_score_is_the_mean_of_each_sets_headline_metric() -> None:
    result = runs.RunResult("m", "neural", {}, 0, 0, 0, ood=_ood(dev=0.6, report=0.1))
    result.ood["vader"]["dev"]["macro_recall"] = 0.5
    assert ood_dev_score(result) == pytest.approx((0.5 + 0.6) / 2)


def test_only_what_retrain_can_warm_start_is_a_candidate(tmp_path: Path) -> None:
    _save(tmp_path, "bigru-glove", val_f1=0.80, cell="bigru")
    _save(tmp_path, "bilstm-dense", val_f1=0.79, dense=32)
    _save(tmp_path, "bilstm-glove", val_f1=0.70)
    assert choose(tmp_path).name == "bilstm-glove"
    with pytest.raises(SystemExit, match="no exportable neural model named bigru-glove"):
        choose(tmp_path, "bigru-glove")


def test_no_neural_model_is_a_clear_error(tmp_path: Path) -> None:
    _save(tmp_path, "tfidf-logreg", val_f1=0.9, family="classical", cell="")
    with pytest.raises(SystemExit, match="no exportable neural model"):
        choose(tmp_path)


def test_a_set_a_candidate_trained_on_judges_no_candidate(tmp_path: Path) -> None:
    """Trained on the entity pool's labels, a model reads entity dev tweets as in-domain."""
    plain = _ood(dev=0.64, report=0.5) | {"entity": {"dev": {"macro_recall": 0.55}}}
    extra = _ood(dev=0.62, report=0.5) | {"entity": {"dev": {"macro_recall": 0.70}}}
    _save(tmp_path, "bilstm-glove", val_f1=0.75, ood=plain)
    _save(tmp_path, "bilstm-glove-entity", 0.749, 0.9, ood=extra, extra=["entity"])
    # With entity counted it would win (mean 0.647 vs 0.61); without it, 0.62 < 0.64.
    assert choose(tmp_path).name == "bilstm-glove"


def test_a_set_whose_labels_set_the_polarity_judges_no_candidate(tmp_path: Path) -> None:
    """The Sentiment140 polarity lever trains on that set's labels: it no longer judges."""
    _save(tmp_path, "bilstm-glove", val_f1=0.75, ood=_ood(dev=0.64, report=0.5))
    polar = _ood(dev=0.62, report=0.5)
    polar["sentiment140"]["dev"]["neg_vs_pos_accuracy"] = 0.80
    _save(
        tmp_path,
        "bilstm-glove-kd0.5-sentiment140pol",
        0.75,
        0.9,
        ood=polar,
        polarity=["sentiment140"],
    )
    # Counting sentiment140 it would win (0.71 vs 0.64); on vader alone 0.62 < 0.64.
    assert choose(tmp_path).name == "bilstm-glove"


def test_a_tie_goes_to_the_network_that_reads_emoji(tmp_path: Path) -> None:
    _save(tmp_path, "bilstm-glove-cal", val_f1=0.75, ood=_ood(dev=0.64, report=0.5))
    _save(tmp_path, "bilstm-glove-cal-emoji", 0.75, ood=_ood(dev=0.64, report=0.5), emoji_rows=231)
    assert choose(tmp_path).name == "bilstm-glove-cal-emoji"


def test_a_network_with_the_vader_lexicon_is_measured_never_chosen(tmp_path: Path) -> None:
    """training.lexicon's runs need VADER beside the ONNX graph: never exported."""
    _save(tmp_path, "bilstm-glove-cal", val_f1=0.75, ood=_ood(dev=0.64, report=0.5))
    lexicon = _ood(dev=0.70, report=0.9)
    _save(tmp_path, "bilstm-glove-cal-vader", 0.75, 0.9, "neural+lexicon", ood=lexicon)
    assert choose(tmp_path).name == "bilstm-glove-cal"
