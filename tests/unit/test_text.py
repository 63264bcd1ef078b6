"""The shared normaliser on real tweets from the training corpora, plus its two properties:
it never raises and it is idempotent (serving may see text that was already normalised)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tweet_sentiment.text import _EMOTICONS, PLACEHOLDERS, normalise, tokenise

REAL_TWEETS = [
    (
        "@united Why was flight 1180 EWR to MCO Cancelled Flightled for tomorrow?? http://t.co/x1",
        (
            "<user>",
            "why",
            "was",
            "flight",
            "<num>",
            "ewr",
            "to",
            "mco",
            "cancelled",
            "flightled",
            "for",
            "tomorrow",
            "?",
            "<url>",
        ),
    ),
    (
        "@VirginAmerica any updates on flight 413 from Jfk &gt; Lax",
        ("<user>", "any", "updates", "on", "flight", "<num>", "from", "jfk", "lax"),
    ),
    (
        "I just don't trust my life in google's hands #driverless",
        (
            "i",
            "just",
            "do",
            "n't",
            "trust",
            "my",
            "life",
            "in",
            "google",
            "'s",
            "hands",
            "driverless",
        ),
    ),
    ("@SouthwestAir soooo happy!!! :) <3", ("<user>", "soo", "happy", "!", "<smile>", "<heart>")),
    (
        "I can't believe it :( &amp;amp; no refund",
        ("i", "ca", "n't", "believe", "it", "<sad>", "no", "refund"),
    ),
    ("flight delayed again 😡😡", ("flight", "delayed", "again", "enraged_face", "enraged_face")),
    ("Caf\u00c3\u00a9 at the airport was great", ("cafe", "at", "the", "airport", "was", "great")),
    (
        "Spent 6 hours in the car today I can\u00d5\u00a2_\u00ce_\u00a2t wait",
        ("spent", "<num>", "hours", "in", "the", "car", "today", "i", "can", "t", "wait"),
    ),
    (
        'RT @CaliBlonde8: "I\'ve handled dozens of balls"\r-- BB #DeflateGate http://t.co/wxNrOw1',
        (
            "rt",
            "<user>",
            "i",
            "'ve",
            "handled",
            "dozens",
            "of",
            "balls",
            "bb",
            "deflategate",
            "<url>",
        ),
    ),
    (":D ;) :-( =P", ("<laugh>", "<wink>", "<sad>", "<smile>")),
]


@pytest.mark.parametrize(("tweet", "expected"), REAL_TWEETS)
def test_real_tweets(tweet: str, expected: tuple[str, ...]) -> None:
    assert tokenise(tweet) == expected


def test_mentions_and_urls_do_not_change_the_words() -> None:
    """Invariance the model relies on: who is addressed and which link is shared carry no mood."""
    plain = tokenise("my bag never arrived")
    assert tokenise("@united my bag never arrived http://t.co/a") == ("<user>", *plain, "<url>")
    assert tokenise("@jetblue my bag never arrived https://bit.ly/b") == ("<user>", *plain, "<url>")


def test_negation_stays_visible() -> None:
    assert "n't" in tokenise("I don't like this airline")
    assert tokenise("I don\u2019t like it") == ("i", "do", "n't", "like", "it")
    assert tokenise("I don`t like it") == ("i", "do", "n't", "like", "it")
    assert "not" in tokenise("I do NOT like this airline")


def test_glued_numbers_and_emoticons() -> None:
    """Found by the idempotence property: boundaries the regexes miss become tokens later."""
    assert tokenise("0n't") == ("<num>", "n't")
    assert tokenise("lol.xD") == ("lol", "<laugh>")
    assert tokenise("@@0\u0180") == ("<num>",)


def test_empty_and_blank() -> None:
    assert tokenise("") == ()
    assert normalise("  \n\t ") == ""


# Tweets are glued from fragments that exercise every rule, plus arbitrary unicode.
_FRAGMENTS = st.one_of(
    st.sampled_from(list("@#:;()<3!?&'`_-./ \n\tDPxX0123456789")),
    st.characters(codec="utf-8"),
    st.sampled_from(
        [
            "http://t.co/",
            "www.",
            "&amp;",
            "&gt;",
            "n't",
            "Ã©",
            "â€™",
            "😡",
            "🙂",
            "\u00d5\u00a2",
            "soooo",
            "@united",
            "#fail",
            *PLACEHOLDERS,
        ]
    ),
)
tweety_text = st.lists(_FRAGMENTS, max_size=40).map("".join)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tweety_text)
def test_never_raises_and_returns_clean_tokens(text: str) -> None:
    tokens = tokenise(text)
    assert all(token and " " not in token and token == token.lower() for token in tokens)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tweety_text)
def test_idempotent(text: str) -> None:
    once = normalise(text)
    assert normalise(once) == once


_EMOTICON_TEXT = st.lists(st.sampled_from(list(":=;8xXdDpP-'()[]{}^_<3/\\| \n.a")), max_size=12)


@settings(max_examples=2000, deadline=None)
@given(_EMOTICON_TEXT.map("".join))
def test_every_emoticon_match_contains_its_hint(text: str) -> None:
    """The normaliser skips an emoticon pattern when its hint is absent: that must never skip a
    match (a wrong hint would silently change the model's input)."""
    for pattern, placeholder, hint in _EMOTICONS:
        if pattern.search(text):
            assert hint.search(text), (placeholder, text)
