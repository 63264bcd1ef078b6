"""The champion is chosen on validation only: a model that is better on test must not win."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from training import runs
from training.export import choose


def _save(work: Path, name: str, family: str, val_f1: float, test_f1: float) -> None:
    result = runs.RunResult(
        name,
        family,
        {},
        1.0,
        0.1,
        10,
        val={"macro_f1": val_f1},
        test={"macro_f1": test_f1},
        labels=["negative", "positive"],
    )
    runs.save(result, work, np.zeros((1, 2)), np.zeros((1, 2)))


def test_best_validation_neural_model_wins(tmp_path: Path) -> None:
    _save(tmp_path, "bilstm-glove", "neural", val_f1=0.75, test_f1=0.70)
    _save(tmp_path, "gru-glove", "neural", val_f1=0.74, test_f1=0.80)  # better on test: ignored
    _save(tmp_path, "tfidf-logreg", "classical", val_f1=0.90, test_f1=0.90)  # not exportable
    assert choose(tmp_path).name == "bilstm-glove"
    assert choose(tmp_path, "gru-glove").name == "gru-glove"


def test_no_neural_model_is_a_clear_error(tmp_path: Path) -> None:
    _save(tmp_path, "tfidf-logreg", "classical", val_f1=0.9, test_f1=0.9)
    with pytest.raises(SystemExit, match="no trained neural model"):
        choose(tmp_path)
