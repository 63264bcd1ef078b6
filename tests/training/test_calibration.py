"""The class-bias lever (training.calibration): what the rule picks, and that folding it into a real
Keras network makes the network say exactly what the chosen bias said it would.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from training import calibration, config, neural

LABELS = ["negative", "neutral", "positive"]


def _confident(y: np.ndarray) -> np.ndarray:
    """Probabilities that put 0.9 on the true class: no small bias moves their argmax."""
    probs = np.full((len(y), 3), 0.05)
    probs[np.arange(len(y)), y] = 0.9
    return probs


def test_bias_moves_hesitant_negatives_out_of_neutral_without_hurting_validation() -> None:
    y_val = np.array([0, 1, 2] * 20)
    # OOD dev: negatives read as neutral by a small margin, as the distilled network does.
    dev = pd.DataFrame({"set": "vader", "label": ["negative"] * 30 + ["neutral"] * 30})
    dev_probs = np.vstack([np.tile([0.42, 0.48, 0.10], (30, 1)), np.tile([0.1, 0.8, 0.1], (30, 1))])
    bias, chosen = calibration.choose_bias(_confident(y_val), y_val, dev_probs, dev, LABELS)
    assert bias[1] == 0  # neutral is the reference
    assert 0 < bias[0] <= 0.7  # enough to turn the hesitant negatives, not the neutrals
    assert bias[2] == 0  # a tie on every score keeps the smallest shift
    assert chosen == {"val": 1.0, "dev": 1.0}


def test_no_ood_data_means_no_bias() -> None:
    y_val = np.array([0, 1, 2])
    empty = pd.DataFrame({"set": [], "label": []})
    bias, _ = calibration.choose_bias(_confident(y_val), y_val, np.empty((0, 3)), empty, LABELS)
    assert not bias.any()


def test_folded_bias_is_what_the_network_then_predicts() -> None:
    cfg = config.NeuralConfig(embedding="random", units=4, embedding_dim=8)
    model = neural.build_model(cfg, vocab_size=30, n_labels=3, matrix=None)
    ids = np.random.default_rng(0).integers(0, 30, size=(16, config.MAX_LEN)).astype(np.int32)
    before = model.predict(ids, verbose=0)
    bias = np.array([0.7, 0.0, -0.4])
    calibration.fold(model, bias)
    after = model.predict(ids, verbose=0)
    assert np.allclose(after, calibration.shifted(before, bias), atol=1e-5)
    assert not np.allclose(after, before, atol=1e-3)
