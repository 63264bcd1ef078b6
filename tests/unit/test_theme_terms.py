"""The theme terms a negative tweet_scored event stores (tweet_sentiment/api/events.py): the
terms tweet_sentiment.themes counts, sorted, capped, never the text."""

from __future__ import annotations

from tweet_sentiment import telemetry, themes
from tweet_sentiment.api.events import theme_terms


def test_terms_are_the_themes_terms_sorted_without_links_or_stop_words() -> None:
    text = "@AirParadis you LOST my bag again!! #LostLuggage https://t.co/abc 2 days"
    assert theme_terms(text) == "#lostluggage @airparadis bag days lost"
    assert set(theme_terms(text).split()) == themes.terms(text)


def test_terms_are_capped_in_number_and_length() -> None:
    words = [f"word{chr(97 + i // 26)}{chr(97 + i % 26)}" for i in range(40)]
    kept = theme_terms(" ".join(words)).split()
    assert len(kept) == telemetry.MAX_TERMS and kept == sorted(words)[: telemetry.MAX_TERMS]
    long = "x" * (telemetry.MAX_TERM_CHARS + 1)
    assert theme_terms(f"{long} delayed") == "delayed"


def test_a_tweet_of_stop_words_stores_nothing() -> None:
    assert theme_terms("it was so very the") == ""
