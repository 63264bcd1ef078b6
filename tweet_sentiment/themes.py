"""What a bad buzz is about: the terms over-represented in its negative tweets (issue 14, item 3).

Method: weighted log-odds ratio with an informative Dirichlet prior (Monroe, Colaresi and Quinn,
2008, "Fightin' Words", section 3.5). Two corpora are compared, the negative tweets of the alert
(``i``) and the negative tweets of the recent baseline (``j``); for a term ``w`` with counts
``y_iw``, ``y_jw``, totals ``n_i``, ``n_j`` and prior pseudo-counts ``a_w`` (summing to ``a0``)::

    delta_w = log((y_iw + a_w) / (n_i + a0 - y_iw - a_w))
            - log((y_jw + a_w) / (n_j + a0 - y_jw - a_w))
    z_w     = delta_w / sqrt(1 / (y_iw + a_w) + 1 / (y_jw + a_w))

Counts are tweets containing the term, totals are tweets, so each log is the log-odds that a tweet
mentions ``w``. The prior is informative: ``a_w = a0 * (y_iw + y_jw) / (n_i + n_j)``, ``a0``
pseudo-tweets at the term's pooled rate (``+0.5 / +1``: strictly between 0 and 1, so a term in
every tweet still has finite odds),
so a frequent word ("flight") needs a large difference to stand out and a rare one is not ranked
first on two mentions. Why this and not a plain ratio: the z-score is a difference of log-odds
divided by its own standard error, so it ranks what is both frequent in the buzz and unusual,
which is what a reader needs in a list of ten.

Counts are per tweet (a term counts once in a tweet): a copy-pasted complaint repeated in one
tweet does not dominate. Tokens: lower-cased words, ``#hashtags`` and ``@mentions`` kept with
their sign (the serving normaliser maps mentions to ``<user>``, which would hide who a buzz
names), URLs and numbers dropped, English stop words out.

Memory: the baseline's counts decay geometrically once per window (half-life a parameter) and
counts that decay below :data:`PRUNE_BELOW` are dropped (at most :data:`MAX_TERMS` are kept), so
the table holds the recent vocabulary only, whatever the length of the stream.
"""

from __future__ import annotations

import heapq
import math
import re
from collections import Counter
from dataclasses import dataclass

PRUNE_BELOW = 0.5  # decayed baseline counts under this are forgotten (a term seen once lives
# one half-life)
MAX_TERMS = 50_000  # and never more terms than this (the most frequent kept): memory stays flat
MIN_COUNT = 3  # a theme must appear in at least this many of the alert's negative tweets
MIN_Z = 1.96  # and be over-represented beyond chance (|z| > 1.96, Monroe et al.'s cut-off)

_URL = re.compile(r"(?:https?://|www\.)\S+", re.I)
_TERM = re.compile(r"[#@]?[a-z][a-z0-9_']*[a-z0-9_]|[#@]?[a-z]")
# Function words and tweet fillers: frequent everywhere, never what a buzz is about.
_STOP = """a about above after again against all am an and any are as at be because been before
    being
    below between both but by can could did do does doing down during each few for from further had
    has have having he her here hers herself him himself his how i if in into is it its itself just
    me more most my myself no nor not now of off on once only or other our ours ourselves out over
    own same she should so some such than that the their theirs them themselves then there these
    they this those through to too under until up very was we were what when where which while who
    whom why will with would you your yours yourself yourselves im ive id youre dont cant wont didnt
    doesnt isnt wasnt arent couldnt wouldnt shouldnt u ur get got gonna amp rt via thats theres
    lets also still even really one us it's i'm i've i'd you're don't can't won't didn't doesn't
    isn't wasn't aren't couldn't wouldn't shouldn't that's there's let's they're we're we've"""
STOP_WORDS = frozenset(_STOP.split())


def terms(text: str) -> set[str]:
    """The distinct theme terms of one tweet (words, #hashtags, @mentions; no stop words)."""
    text = _URL.sub(" ", text.lower())
    found = set()
    for term in _TERM.findall(text):
        term = term.removesuffix("'s")
        if term.lstrip("#@") not in STOP_WORDS and len(term.lstrip("#@")) > 1:
            found.add(term)
    return found


@dataclass(frozen=True)
class Theme:
    """One over-represented term: its z-score and counts in the alert and (decayed) baseline."""

    term: str
    z: float
    alert_count: int
    baseline_count: float

    def to_json(self) -> dict[str, object]:
        return {
            "term": self.term,
            "z": round(self.z, 2),
            "alert_count": self.alert_count,
            "baseline_count": round(self.baseline_count, 1),
        }


class DecayingCounts:
    """Term counts of recent tweets, each window weighing ``decay`` times the next one."""

    def __init__(self, decay: float) -> None:
        self.decay = decay
        self.counts: dict[str, float] = {}
        self.tweets = 0.0

    def add(self, counts: Counter[str], tweets: int) -> None:
        for term, count in counts.items():
            self.counts[term] = self.counts.get(term, 0.0) + count
        self.tweets += tweets

    def age(self) -> None:
        """One window older: decay everything and forget what became negligible."""
        d = self.decay
        self.counts = {t: c * d for t, c in self.counts.items() if c * d >= PRUNE_BELOW}
        if len(self.counts) > MAX_TERMS:
            kept = heapq.nlargest(MAX_TERMS, self.counts.items(), key=lambda item: item[1])
            self.counts = dict(kept)
        self.tweets *= d


def log_odds_themes(
    alert: Counter[str],
    alert_tweets: int,
    baseline: DecayingCounts,
    prior_strength: float,
    top: int,
) -> list[Theme]:
    """The ``top`` terms most over-represented in ``alert`` against ``baseline`` (z > MIN_Z)."""
    n_i, n_j = float(alert_tweets), baseline.tweets
    if n_i <= 0:
        return []
    out: list[Theme] = []
    for term, y_i in alert.items():
        if y_i < MIN_COUNT:
            continue
        y_j = baseline.counts.get(term, 0.0)
        a_w = prior_strength * (y_i + y_j + 0.5) / (n_i + n_j + 1)
        delta = math.log((y_i + a_w) / (n_i + prior_strength - y_i - a_w)) - math.log(
            (y_j + a_w) / (n_j + prior_strength - y_j - a_w)
        )
        z = delta / math.sqrt(1 / (y_i + a_w) + 1 / (y_j + a_w))
        if z > MIN_Z:
            out.append(Theme(term, z, y_i, y_j))
    out.sort(key=lambda t: (-t.z, t.term))
    return out[:top]
