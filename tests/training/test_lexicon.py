"""The VADER lexicon lever (training.lexicon): how the score moves a network's answer, which sets
choose its weight, and that VADER's own tweets never do."""

from __future__ import annotations

import numpy as np
import pandas as pd

from training import champion, lexicon, runs

LABELS = ["negative", "neutral", "positive"]


def test_zero_weight_is_the_network_and_a_positive_score_moves_towards_positive() -> None:
    probs = np.array([[0.3, 0.4, 0.3], [0.2, 0.5, 0.3]])
    compound = np.array([0.8, -0.6])
    assert np.allclose(lexicon.moved(probs, compound, LABELS, 0.0), probs)
    out = lexicon.moved(probs, compound, LABELS, 1.0)
    assert out[0, 2] > probs[0, 2] and out[0, 0] < probs[0, 0]
    assert out[1, 0] > probs[1, 0] and out[1, 2] < probs[1, 2]
    # Neutral's logit is not moved: its odds against the others change only through them.
    ratio = np.log(out[:, 1] / out[:, 0]) - np.log(probs[:, 1] / probs[:, 0])
    assert np.allclose(ratio, compound)  # weight 1: neutral gains what negative loses


def _hesitant(n: int, label: int) -> np.ndarray:
    """Probabilities that lean neutral for tweets whose true label is ``label``."""
    probs = np.tile([0.25, 0.5, 0.25], (n, 1))
    probs[:, label] = 0.4
    return probs / probs.sum(axis=1, keepdims=True)


def test_weight_is_chosen_on_ood_dev_within_the_validation_tolerance() -> None:
    y_val = np.array([0, 1, 2] * 20)
    confident = np.full((60, 3), 0.05)
    confident[np.arange(60), y_val] = 0.9
    dev = pd.DataFrame({"set": "entity", "label": ["negative"] * 20 + ["positive"] * 20})
    probs = {"val": confident, "dev": np.vstack([_hesitant(20, 0), _hesitant(20, 2)])}
    # VADER is right on the dev tweets and silent on validation: the lexicon can only help.
    compound = {"val": np.zeros(60), "dev": np.r_[np.full(20, -0.9), np.full(20, 0.9)]}
    weight, chosen = lexicon.choose_weight(probs, compound, y_val, dev, LABELS)
    assert weight > 0 and chosen["dev"] == 1.0
    # Without OOD dev rows validation decides, and a tie keeps the network as it is.
    weight, _ = lexicon.choose_weight(
        {"val": confident, "dev": confident[:0]},
        {"val": np.zeros(60), "dev": np.zeros(0)},
        y_val,
        dev.iloc[:0],
        LABELS,
    )
    assert weight == 0.0


def test_vaders_own_tweets_count_as_trained_on() -> None:
    """VADER's authors tuned it on the VADER tweets: that set must not judge the lexicon."""
    run = runs.RunResult("m-vader", lexicon.FAMILY, {"tuned_on": list(lexicon.TUNED_ON)}, 0, 0, 0)
    assert champion.trained_on(run) == {"vader"}
    assert not champion.exportable(run)


def test_only_dev_rows_of_sets_neither_vader_nor_the_network_learned_from_judge() -> None:
    rows = pd.DataFrame(
        {
            "set": ["entity", "entity", "vader", "sentiment140"],
            "part": ["dev", "report", "dev", "dev"],
        }
    )
    base = runs.RunResult("m", "neural", {"polarity": ["sentiment140"]}, 0, 0, 0)
    assert lexicon.judges(rows, base).tolist() == [True, False, False, False]
