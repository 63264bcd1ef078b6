"""The scorer on tiny real ONNX models: labels from metadata, probabilities, occlusion, OOV."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tests.tiny_model import LEXICON_2, build_tiny_model
from tweet_sentiment.artifacts import CARD_FILE
from tweet_sentiment.scorer import Scorer


@pytest.fixture(scope="module")
def scorer(tiny_model_dir) -> Scorer:
    return Scorer.from_dir(tiny_model_dir)


def test_labels_and_probabilities(scorer):
    result = scorer.predict(["great crew, thanks", "my bag was lost", "the gate today"])
    assert [p.label for p in result.predictions] == ["positive", "negative", "neutral"]
    for prediction in result.predictions:
        assert list(prediction.scores) == ["negative", "neutral", "positive"]
        assert sum(prediction.scores.values()) == pytest.approx(1, abs=1e-5)
    assert result.label_counts == {"negative": 1, "neutral": 1, "positive": 1}


def test_explanation_by_occlusion(scorer):
    (prediction,) = scorer.predict(["the crew lost my bag"], explain=True).predictions
    assert prediction.label == "negative"
    contributions = dict(prediction.explanation)
    assert [t for t, _ in prediction.explanation] == ["the", "crew", "lost", "my", "bag"]
    assert contributions["lost"] > 0.1  # removing "lost" is what changes the verdict
    assert all(abs(contributions[t]) < 1e-6 for t in ("the", "crew", "my", "bag"))


def test_explain_batches_tweets_of_different_lengths(scorer):
    texts = ["great", "lost my bag at the gate today", "", "love love love"]
    explained = scorer.predict(texts, explain=True).predictions
    plain = scorer.predict(texts).predictions
    for a, b in zip(explained, plain, strict=True):
        assert a.scores == pytest.approx(b.scores)
        assert len(a.explanation) == len(a.tokens)
    assert explained[2].explanation == []


def test_oov_rate(scorer):
    assert scorer.predict(["great flight"]).oov_rate == 0
    assert scorer.predict(["zzz qqq great flight"]).oov_rate == pytest.approx(0.5)


def test_long_tweets_keep_the_first_max_len_tokens(scorer, tiny_model_dir):
    max_len = scorer.card.max_len
    head = " ".join(["the"] * max_len)
    (prediction,) = scorer.predict([head + " love"]).predictions
    assert len(prediction.tokens) == max_len and "love" not in prediction.tokens
    assert prediction.scores["positive"] == pytest.approx(1 / 3, abs=1e-5)


def test_empty_batch(scorer):
    assert scorer.predict([]).predictions == []


def test_two_label_model_needs_no_code_change(tmp_path):
    directory = build_tiny_model(tmp_path, labels=["sad", "happy"], lexicon=LEXICON_2)
    scorer = Scorer.from_dir(directory)
    (prediction,) = scorer.predict(["good, love it"]).predictions
    assert prediction.label == "happy" and list(prediction.scores) == ["sad", "happy"]


def test_metadata_that_does_not_match_the_model_is_refused(tmp_path):
    directory = build_tiny_model(tmp_path)
    card = json.loads((directory / CARD_FILE).read_text())
    card["labels"] = ["negative", "positive"]
    (directory / CARD_FILE).write_text(json.dumps(card))
    with pytest.raises(ValueError, match="3 classes"):
        Scorer.from_dir(directory)
    card["labels"], card["input_name"] = ["a", "b", "c"], "ids"
    (directory / CARD_FILE).write_text(json.dumps(card))
    with pytest.raises(ValueError, match="expects 'ids'"):
        Scorer.from_dir(directory)


def test_other_normaliser_version_is_refused(tmp_path):
    directory = build_tiny_model(tmp_path)
    card = json.loads((directory / CARD_FILE).read_text())
    card["normaliser_version"] = "0"
    (directory / CARD_FILE).write_text(json.dumps(card))
    with pytest.raises(ValueError, match="normaliser"):
        Scorer.from_dir(directory)


def test_run_takes_encoded_ids(scorer):
    ids = scorer.encode(["great", "lost"]).ids
    assert ids.dtype == np.int32 and ids.shape == (2, scorer.card.max_len)
    assert scorer.run(ids).shape == (2, 3)


def test_each_prediction_carries_its_language(scorer):
    english, spanish = scorer.predict(
        [
            "my bag was lost again and nobody answers",
            "Perdieron mi maleta otra vez y nadie responde",
        ]
    ).predictions
    assert (english.language, english.reliable) == ("en", True)
    assert (spanish.language, spanish.reliable) == ("es", False)


def test_language_check_can_be_switched_off_for_the_benchmark(tiny_model_dir):
    """The reference model is timed as it was served: no language check, same scores."""
    texts = ["Perdieron mi maleta otra vez y nadie responde", "great flight"]
    checked = Scorer.from_dir(tiny_model_dir).predict(texts).predictions
    unchecked = Scorer.from_dir(tiny_model_dir, check_language=False).predict(texts).predictions
    assert [(p.language, p.reliable) for p in unchecked] == [("und", True), ("und", True)]
    assert checked[0].reliable is False
    assert [p.scores for p in unchecked] == [p.scores for p in checked]
