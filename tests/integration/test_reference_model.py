"""The benchmark's reference model (issue 13): the pre-issue-13 champion loads and scores with
today's serving code, and what the page says about it comes from its own files."""

from __future__ import annotations

import pytest

from bench import reference
from tweet_sentiment.artifacts import read_card


@pytest.fixture(scope="module")
def scorer():
    return reference.scorer()


def test_reference_model_loads_and_scores_real_tweets(scorer):
    result = scorer.predict(
        [
            "@AirParadis lost my bag again, worst airline ever",
            "@AirParadis thank you for the upgrade, amazing crew!",
            "Perdieron mi maleta otra vez y nadie responde",
        ]
    )
    negative, positive, spanish = result.predictions
    assert (negative.label, positive.label) == ("negative", "positive")
    for prediction in result.predictions:
        assert sum(prediction.scores.values()) == pytest.approx(1, abs=1e-5)
    # scored as it was served: no language check, so even Spanish is "und" and kept
    assert (spanish.language, spanish.reliable) == ("und", True)


def test_describe_reads_the_model_files():
    card = read_card(reference.REFERENCE_DIR)
    described = reference.describe(reference.REFERENCE_DIR)
    assert described["model_version"] == card.model_version
    assert described["onnx_bytes"] == card.model_extra["onnx_size_bytes"]
    assert described["vocab_size"] == card.model_extra["hyper_parameters"]["vocab_size"]
    assert described["onnx_mb"] < reference.ONNX_MB_BOUND
