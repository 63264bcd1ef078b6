"""Emoji rows (training.emoji): the ranking read from its wheel's layout (written here), the
rows mixed from the network's own learned rows, and a real Keras network grown without change
to anything it already read."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.data.ood_files import write_emoji_wheel
from training import emoji
from tweet_sentiment.vocab import Vocabulary


@pytest.fixture
def ranking(tmp_path: Path) -> list[emoji.Emoji]:
    return emoji.load_ranking(write_emoji_wheel(tmp_path))


def test_the_ranking_keeps_frequent_emoji_under_the_normalisers_tokens(
    ranking: list[emoji.Emoji],
) -> None:
    by_token = {item.tokens[0]: item for item in ranking}
    # The airplane's name is a plain word, a lone skin tone follows other emoji, 12 uses is noise.
    assert set(by_token) == {"enraged_face", "smiling_face_with_heart", "thumbs_up"}
    assert by_token["enraged_face"].score == pytest.approx((20 - 330) / 400, abs=1e-3)
    # light, medium-light, medium, medium-dark, dark: "medium-..." splits at its hyphen
    assert by_token["thumbs_up"].tokens == (
        "thumbs_up",
        "thumbs_up_light_skin_tone",
        "thumbs_up_medium",
        "thumbs_up_medium_skin_tone",
        "thumbs_up_dark_skin_tone",
    )


def test_an_emoji_takes_a_side_only_far_enough_from_the_mean_score(tmp_path: Path) -> None:
    """Mean of the four frequent emoji: (-0.775 + 0.8 + 0.667 + 0) / 4 = 0.173."""
    sides = {e.tokens[0]: e.side for e in emoji.load_ranking(write_emoji_wheel(tmp_path))}
    assert sides == {
        "enraged_face": "negative",
        "smiling_face_with_heart": "positive",
        "thumbs_up": "positive",
    }
    leaning = [
        ("\U0001f621", 400, 100, 120, 180),  # 0.2: above the mean (0.067), not by 0.15
        ("\U0001f60d", 400, 0, 0, 400),
        ("\U0001f44d", 400, 400, 0, 0),
    ]
    sides = {e.tokens[0]: e.side for e in emoji.load_ranking(write_emoji_wheel(tmp_path, leaning))}
    assert sides["enraged_face"] is None


def test_rows_are_the_learned_rows_of_each_sides_emoticon(ranking: list[emoji.Emoji]) -> None:
    vocab = Vocabulary(["<pad>", "<oov>", "<sad>", "<smile>", "thumbs_up"])
    matrix = np.array([[0, 0], [0, 0], [-1, 0], [1, 0], [7, 7]], dtype=np.float32)
    tokens, rows = emoji.emoji_rows(matrix, vocab, ranking)
    assert "thumbs_up" not in tokens  # learned from data: its own row stays
    assert "thumbs_up_dark_skin_tone" in tokens
    assert rows[tokens.index("enraged_face")].tolist() == [-1, 0]
    assert rows[tokens.index("thumbs_up_medium")].tolist() == [1, 0]
    assert rows.shape == (len(tokens), 2) and rows.dtype == np.float32


def test_a_grown_network_reads_old_tweets_as_before_and_an_emoji_as_its_emoticon(
    ranking: list[emoji.Emoji],
) -> None:
    import keras

    from training import config, neural

    keras.utils.set_random_seed(0)
    model = neural.build_model(config.NeuralConfig(units=4), 6, 3, None)
    vocab = Vocabulary(["<pad>", "<oov>", "<sad>", "<smile>", "late", "flight"])
    tokens, rows = emoji.emoji_rows(model.get_layer("embedding").get_weights()[0], vocab, ranking)
    grown = emoji.with_rows(model, rows)
    pad = [0] * (config.MAX_LEN - 3)
    old = np.array([[*pad, 5, 4, 2]], dtype=np.int32)  # "flight late <sad>"
    angry = np.array([[*pad, 5, 4, 6 + tokens.index("enraged_face")]], dtype=np.int32)
    assert np.allclose(grown.predict(old, verbose=0), model.predict(old, verbose=0), atol=1e-6)
    assert np.allclose(grown.predict(angry, verbose=0), model.predict(old, verbose=0), atol=1e-6)
    assert grown.get_layer("embedding").get_weights()[0].shape[0] == 6 + len(tokens)
