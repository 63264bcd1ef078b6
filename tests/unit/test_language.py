"""The language check: English (slang and short tweets included) keeps its reading, others don't."""

from __future__ import annotations

import pytest

from tweet_sentiment.language import UNDETERMINED, detect


@pytest.mark.parametrize(
    "text",
    [
        "@AirParadis lost my bag again, thanks a lot",
        "great flight thanks @AirParadis 😍",
        "missin' the boo",  # CLD2 says Scots: still ours to read
        "ok",  # too short to tell: undetermined, read as English
        "JFK -> CDG",
    ],
)
def test_english_and_undetermined_tweets_are_reliable(text: str) -> None:
    assert detect(text).reliable


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Vuelo retrasado otra vez, qué vergüenza de aerolínea", "es"),
        ("Mon bagage est perdu depuis trois jours, aucune réponse", "fr"),
        ("Der Flug wurde gestrichen und niemand hilft uns", "de"),
        ("Рейс задержали на пять часов", "ru"),
        ("フライトが遅れて最悪", "ja"),
    ],
)
def test_other_languages_are_marked_unreliable(text: str, code: str) -> None:
    assert detect(text).code == code and not detect(text).reliable


@pytest.mark.parametrize("text", ["\ud800 lone surrogate", "\x00\x01 control bytes", ""])
def test_texts_the_detector_cannot_take_are_undetermined_not_errors(text: str) -> None:
    assert detect(text).code == UNDETERMINED and detect(text).reliable
