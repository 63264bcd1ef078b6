"""Detect a bad buzz, not a normal day: a baseline-aware detector over scored tweets (issue 14).

Why not a fixed share: 64% of airline tweets are negative on an ordinary day, so "more than 40%
negative in an hour" is true every hour. A buzz is a *change*: more negative tweets than this
stream usually has. The rule, per fixed window (UTC multiples of ``window``, 15 min by default):

1. **Baseline share** ``p0``: the negative share of the trailing ``baseline`` (24 h) of windows
   before this one, pooled, shrunk towards ``prior_share`` with ``prior_strength`` pseudo-tweets so
   it exists from the first window. Windows that were themselves a buzz are left out, so a long
   buzz does not become the norm. To stay a function of counts (the same rule runs in KQL, where
   a window's alert state cannot feed the next window's baseline), "a buzz" here means *hot
   against the median*: with ``p_med`` the lower median of the trailing windows' shares, a
   trailing window ``v`` is left out when ``z(v; p_med) >= on_threshold``, where
   ``z(v; p) = (neg_v - 0.5 - n_v p) / sqrt(dispersion * n_v p (1 - p))``. The median ignores a
   buzz that fills less than half the baseline; one that lasts longer (a strike, a new model
   that calls more tweets negative) becomes the new norm after half the baseline: by design.
2. **Share surprise** ``z_share``: a one-sided, continuity-corrected normal approximation of the
   binomial tail of this window's negative count given its volume ``n``::

       z_share = (negative - 0.5 - n p0) / sqrt(dispersion n p0 (1-p0) + n^2 p0 (1-p0) / (N + m))

   (``N`` the kept baseline's tweets, ``m`` the prior's: the second term is the baseline's own
   uncertainty, large on the first day). Conditioning on the volume makes it immune to the daily
   cycle of traffic: a busy evening has more tweets, not a higher share.
3. **Volume surprise** ``z_volume``: the negative count against ``mu = expected_scored * p0``,
   where ``expected_scored`` is the mean volume of this window and its two neighbours on each of
   the last ``history_days`` days (windows before the stream's first window do not exist; empty
   windows after it count as 0), or, when none exists yet (first day), the mean volume of the
   trailing baseline's windows; with ``w`` windows averaged::

       z_volume = (negative - 0.5 - mu) / sqrt(mu (1 + 1 / w) + (volume_cv mu)^2)

4. **Surprise** ``z = min(z_share, z_volume)`` (``z_share`` alone if ``volume_cv`` is None): a
   buzz is both a higher share and more negative tweets than usual.
5. **Alert with hysteresis**: a window is *hot* when ``z >= on_threshold``, it has at least
   ``min_negative`` negative tweets and the kept baseline has at least ``min_baseline`` tweets;
   *cold* when ``z < off_threshold``. An alert starts (``onset``) at a hot window and lasts until
   ``release_windows`` consecutive cold windows have passed: one buzz, one alert, one ``alert_id``.
   Equivalently, and without recursion (how KQL computes it): a window is in alert iff the latest
   hot window at or before it is later than the latest run of ``release_windows`` consecutive
   cold windows ending at or before it.

For a KQL twin: the trailing baseline of a window is the ``baseline_windows`` windows just before
it that are at or after the stream's first window (empty ones included, they add nothing); shares
are clipped to [0.01, 0.99] inside z-scores (``SHARE_CLIP``); the median is the lower median
(``percentile(share, 50)`` in duckdb-kql is ``quantile_disc``) of the non-empty trailing windows.

:class:`BuzzDetector` streams tweets (memory: the baseline's per-window counts, the last days'
volumes and the theme counts, none growing with the stream); :func:`detect` runs the same rule on
precomputed per-window counts (the form the KQL twin is tested against). numpy-free, stdlib and
pydantic only: it runs in the Function too.
"""

from __future__ import annotations

import math
import random
from collections import Counter, deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from tweet_sentiment.themes import DecayingCounts, Theme, log_odds_themes, terms

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
NEGATIVE = "negative"
SHARE_CLIP = 0.01  # a baseline share of 0 or 1 would make every z infinite
EXAMPLE_POOL = 64  # negative tweets of an alert kept (reservoir sample) to pick examples from


class BuzzParams(BaseModel):
    """The detector's parameters; each description says how to tune it (docs/alerts.md too)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    window: timedelta = Field(
        timedelta(minutes=15),
        description="Window length, aligned to UTC multiples. Shorter: earlier alerts on big "
        "buzzes, but fewer tweets per window so small ones are missed. Must divide a day.",
    )
    baseline: timedelta = Field(
        timedelta(hours=24),
        description="Trailing history the baseline share is pooled over. Longer: steadier p0, "
        "slower to follow a real change of mood (a new model, a strike week).",
    )
    prior_share: float = Field(
        0.6,
        gt=0,
        lt=1,
        description="Negative share assumed before any history (shrinkage target). Set it to your "
        "stream's usual share with the served model; it only matters on the first day.",
    )
    prior_strength: float = Field(
        100.0,
        ge=0,
        description="Weight of prior_share in pseudo-tweets. Raise it if the first hours of a new "
        "deployment raise false alarms; 0 trusts the data alone.",
    )
    min_baseline: int = Field(
        500,
        ge=0,
        description="No alert until the kept baseline holds this many scored tweets (first day, or "
        "after an outage). Lower it for a low-traffic account.",
    )
    dispersion: float = Field(
        1.0,
        ge=1,
        description="Variance inflation over the binomial. 1 if tweets are independent draws; "
        "raise it (1.5-3) if the share wanders more than binomially hour to hour in your real "
        "history (variance of the surprise on quiet days > 1).",
    )
    on_threshold: float = Field(
        2.75,
        description="Surprise (z) at which an alert starts. Raise it for fewer false alarms, "
        "lower it to catch smaller buzzes sooner.",
    )
    off_threshold: float = Field(
        2.0,
        description="Surprise under which a window counts as calm; an alert ends after "
        "release_windows calm windows. Lower: longer alerts, fewer split buzzes.",
    )
    release_windows: int = Field(
        2,
        ge=1,
        description="Consecutive calm windows that end an alert. Raise it if one buzz raises "
        "several alerts; lower it for a sharper end time.",
    )
    min_negative: int = Field(
        10,
        ge=0,
        description="Fewest negative tweets in a window for an alert to start: a handful of "
        "angry tweets on a quiet night is no buzz, however unlikely.",
    )
    volume_cv: float | None = Field(
        0.15,
        ge=0,
        description="Day-to-day variation of the volume (coefficient of variation) allowed for in "
        "the volume test. Raise it if ordinary busy days (news, storms) raise alerts; None drops "
        "the volume test (share only: slower, but blind to volume).",
    )
    history_days: int = Field(
        1,
        ge=1,
        le=7,
        description="Past days whose same time of day gives expected_scored. More days: a steadier "
        "expectation, but Azure Monitor log alerts look back 2 days at most, so the KQL twin "
        "can only use 1.",
    )
    themes: int = Field(10, ge=0, description="Themes listed per alert window (0: none).")
    examples: int = Field(3, ge=0, description="Example tweets listed per alert window.")
    theme_prior: float = Field(
        100.0,
        gt=0,
        description="Strength a0 of the Dirichlet prior of the log-odds themes, in pseudo-tweets. "
        "Raise it to rank frequent terms higher, lower it to let rarer ones through.",
    )
    theme_half_life: timedelta = Field(
        timedelta(hours=24),
        description="Half-life of the baseline's term counts the themes are compared against.",
    )

    @model_validator(mode="after")
    def _consistent(self) -> BuzzParams:
        day = timedelta(days=1)
        if self.window <= timedelta(0) or day % self.window:
            raise ValueError("window must be positive and divide a day")
        if self.baseline < self.window:
            raise ValueError("baseline must be at least one window")
        if self.off_threshold > self.on_threshold:
            raise ValueError("off_threshold must not exceed on_threshold")
        return self

    @property
    def baseline_windows(self) -> int:
        return self.baseline // self.window

    @property
    def windows_per_day(self) -> int:
        return timedelta(days=1) // self.window


@dataclass(frozen=True)
class WindowReport:
    """One closed window: what was seen, what was expected, how surprising, alert state."""

    start: datetime
    end: datetime
    scored: int
    negative: int
    negative_share: float | None
    expected_scored: float
    expected_negative: float
    expected_share: float
    threshold_share: float | None  # share at which this window would reach on_threshold
    baseline_scored: int  # tweets of the kept baseline behind expected_share
    share_surprise: float  # z of the negative count given this window's volume (the share)
    volume_surprise: float  # z of the negative count against the expected volume's
    surprise: float  # what the alert tests: min of the two (share only if volume_cv is None)
    alert: bool
    alert_id: int | None
    onset: bool
    themes: list[Theme] | None = None
    examples: list[str] | None = None

    def to_json(self) -> dict[str, Any]:
        """The JSON line of `python -m tweet_sentiment buzz` (times in ISO 8601 UTC)."""
        return {
            "start": self.start.isoformat().replace("+00:00", "Z"),
            "end": self.end.isoformat().replace("+00:00", "Z"),
            "scored": self.scored,
            "negative": self.negative,
            "negative_share": _round(self.negative_share),
            "expected_scored": round(self.expected_scored, 2),
            "expected_negative": round(self.expected_negative, 2),
            "expected_share": round(self.expected_share, 4),
            "threshold_share": _round(self.threshold_share),
            "baseline_scored": self.baseline_scored,
            "share_surprise": round(self.share_surprise, 3),
            "volume_surprise": round(self.volume_surprise, 3),
            "surprise": round(self.surprise, 3),
            "alert": self.alert,
            "alert_id": self.alert_id,
            "onset": self.onset,
            "themes": None if self.themes is None else [t.to_json() for t in self.themes],
            "examples": self.examples,
        }


def _round(x: float | None) -> float | None:
    return None if x is None else round(x, 4)


def window_start(when: datetime, window: timedelta) -> datetime:
    """Start of the UTC-aligned window holding ``when`` (naive datetimes are taken as UTC)."""
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return EPOCH + ((when - EPOCH) // window) * window


def surprise(negative: int, scored: int, p: float, dispersion: float, pool: float) -> float:
    """Continuity-corrected one-sided z of ``negative`` of ``scored`` against share ``p``.

    ``pool`` is the baseline's size in tweets (its uncertainty widens the test); ``math.inf``
    ignores it. 0 for an empty window. ``p`` is clipped to [SHARE_CLIP, 1 - SHARE_CLIP] (KQL:
    ``max_of(min_of(p, 0.99), 0.01)``) so a window of all-negative tweets has a finite z.
    """
    if scored <= 0:
        return 0.0
    p = min(max(p, SHARE_CLIP), 1 - SHARE_CLIP)
    var = dispersion * scored * p * (1 - p)
    if math.isfinite(pool):
        var += scored * scored * p * (1 - p) / pool
    return (negative - 0.5 - scored * p) / math.sqrt(var)


@dataclass
class _Rule:
    """The count-level rule: per-window (scored, negative) in, WindowReport out (no themes)."""

    params: BuzzParams
    trailing: deque[tuple[int, int]] = field(default_factory=deque)
    volumes: deque[int] = field(default_factory=deque)
    in_alert: bool = False
    calm_run: int = 0
    alerts: int = 0

    def close(self, start: datetime, scored: int, negative: int) -> WindowReport:
        p = self.params
        p0, kept = self._baseline()
        z_share = surprise(negative, scored, p0, p.dispersion, kept + p.prior_strength)
        volume, days = self._expected_volume()
        z_volume = volume_surprise(negative, volume * p0, days, p.volume_cv)
        z = z_share if p.volume_cv is None else min(z_share, z_volume)
        ready = kept >= p.min_baseline
        hot = ready and z >= p.on_threshold and negative >= p.min_negative
        onset = hot and not self.in_alert
        if hot:
            self.in_alert, self.calm_run = True, 0
            self.alerts += onset
        elif self.in_alert:
            self.calm_run = self.calm_run + 1 if z < p.off_threshold else 0
            if self.calm_run >= p.release_windows:
                self.in_alert = False
        report = WindowReport(
            start=start,
            end=start + p.window,
            scored=scored,
            negative=negative,
            negative_share=negative / scored if scored else None,
            expected_scored=volume,
            expected_negative=volume * p0,
            expected_share=p0,
            threshold_share=_threshold_share(scored, p0, p, kept) if scored else None,
            baseline_scored=kept,
            share_surprise=z_share,
            volume_surprise=z_volume,
            surprise=z,
            alert=self.in_alert,
            alert_id=self.alerts if self.in_alert else None,
            onset=onset,
        )
        self._remember(scored, negative)
        return report

    def _baseline(self) -> tuple[float, int]:
        """(p0, tweets kept): the trailing pool without the windows hot against its median."""
        p = self.params
        m, prior = p.prior_strength, p.prior_share
        r = min(max(median_share(self.trailing, prior), SHARE_CLIP), 1 - SHARE_CLIP)
        # z(v; r) >= on_threshold, multiplied out (this runs for every trailing window)
        bar, sqrt = p.on_threshold * math.sqrt(p.dispersion * r * (1 - r)), math.sqrt
        n_kept = k_kept = 0
        for n, k in self.trailing:
            if n and k - 0.5 - n * r >= bar * sqrt(n):
                continue
            n_kept += n
            k_kept += k
        if n_kept + m <= 0:
            return prior, 0
        return (k_kept + m * prior) / (n_kept + m), n_kept

    def _expected_volume(self) -> tuple[float, int]:
        """(expected tweets in this window, windows averaged): the same time of day (this
        window and its two neighbours) on each of the last history_days days, else the trailing
        baseline's mean (first day); the count is 0 when there is no history at all."""
        per_day, volumes = self.params.windows_per_day, self.volumes
        past = [
            volumes[-back]
            for day in range(1, self.params.history_days + 1)
            for back in (day * per_day + 1, day * per_day, day * per_day - 1)
            if 0 < back <= len(volumes)
        ]
        if past:
            return sum(past) / len(past), len(past)
        if not self.trailing:
            return 0.0, 0
        return sum(n for n, _ in self.trailing) / len(self.trailing), len(self.trailing)

    def _remember(self, scored: int, negative: int) -> None:
        p = self.params
        self.trailing.append((scored, negative))
        if len(self.trailing) > p.baseline_windows:
            self.trailing.popleft()
        self.volumes.append(scored)
        if len(self.volumes) > p.history_days * p.windows_per_day + 1:
            self.volumes.popleft()


def volume_surprise(negative: int, expected: float, averaged: int, cv: float | None) -> float:
    """z of ``negative`` against ``expected`` negatives (Poisson, plus the noise of an expectation
    averaged over ``averaged`` windows, plus over-dispersion ``cv * expected``). 0 if unknown."""
    if expected <= 0 or averaged <= 0:
        return 0.0
    var = expected * (1 + 1 / averaged) + ((cv or 0.0) * expected) ** 2
    return (negative - 0.5 - expected) / math.sqrt(var)


def median_share(windows: Iterable[tuple[int, int]], default: float) -> float:
    """Lower median of the shares of the non-empty windows (KQL: ``percentile(share, 50)``,
    which duckdb-kql maps to ``quantile_disc``): robust to a buzz filling < half of them."""
    shares = sorted(k / n for n, k in windows if n)
    return shares[math.ceil(len(shares) / 2) - 1] if shares else default


def _threshold_share(scored: int, p0: float, params: BuzzParams, kept: int) -> float:
    """The negative share at which a window of ``scored`` tweets reaches on_threshold."""
    var = params.dispersion * scored * p0 * (1 - p0)
    var += scored * scored * p0 * (1 - p0) / (kept + params.prior_strength)
    return min(1.0, (scored * p0 + 0.5 + params.on_threshold * math.sqrt(var)) / scored)


def detect(
    counts: Iterable[tuple[datetime, int, int]], params: BuzzParams | None = None
) -> list[WindowReport]:
    """The rule over per-window ``(start, scored, negative)`` counts, sorted by start.

    Starts must be aligned to the window; missing windows are empty (volume 0) and reported.
    """
    params = params or BuzzParams()
    rule = _Rule(params)
    out: list[WindowReport] = []
    previous: datetime | None = None
    for start, scored, negative in counts:
        start = window_start(start, params.window)
        if previous is not None:
            if start <= previous:
                raise ValueError(f"window {start.isoformat()} is not after {previous.isoformat()}")
            gap = previous + params.window
            while gap < start:
                out.append(rule.close(gap, 0, 0))
                gap += params.window
        out.append(rule.close(start, scored, negative))
        previous = start
    return out


class OutOfOrder(ValueError):
    """A tweet older than the open window: streams are sorted (inside one window: any order)."""


@dataclass
class _OpenWindow:
    start: datetime
    scored: int = 0
    negative: int = 0
    term_counts: Counter[str] = field(default_factory=Counter)
    negative_texts: list[tuple[str, frozenset[str]]] = field(default_factory=list)


class BuzzDetector:
    """Streaming detector: feed scored tweets in time order, get each window as it closes.

    Tweets may come in any order inside one window; a tweet older than the open window raises
    :class:`OutOfOrder` (the CLI names the row). Themes and examples are filled in for alert
    windows: terms of the alert's negative tweets so far against the baseline's negative tweets.
    """

    def __init__(self, params: BuzzParams | None = None) -> None:
        self.params = params or BuzzParams()
        self._rule = _Rule(self.params)
        self._open: _OpenWindow | None = None
        decay = 0.5 ** (self.params.window / self.params.theme_half_life)
        self._baseline_terms = DecayingCounts(decay)
        self._alert_terms: Counter[str] = Counter()
        self._alert_tweets = 0
        self._examples: list[tuple[str, frozenset[str]]] = []
        self._random = random.Random(0)  # reservoir sampling, deterministic

    def add(self, created_at: datetime, label: str, text: str) -> list[WindowReport]:
        """Count one scored tweet; return the windows it closes (empty windows of a gap too)."""
        start = window_start(created_at, self.params.window)
        closed: list[WindowReport] = []
        if self._open is None:
            self._open = _OpenWindow(start)
        elif start < self._open.start:
            raise OutOfOrder(
                f"tweet at {created_at.isoformat()} is older than the open window "
                f"{self._open.start.isoformat()}"
            )
        while start > self._open.start:
            closed.append(self._close())
            self._open = _OpenWindow(self._open.start + self.params.window)
        window = self._open
        window.scored += 1
        if label == NEGATIVE:
            window.negative += 1
            found = frozenset(terms(text))
            window.term_counts.update(found)
            window.negative_texts.append((text, found))
        return closed

    def close(self) -> list[WindowReport]:
        """Flush the open window (end of the stream)."""
        if self._open is None:
            return []
        report = self._close()
        self._open = None
        return [report]

    def _close(self) -> WindowReport:
        assert self._open is not None
        window = self._open
        report = self._rule.close(window.start, window.scored, window.negative)
        self._baseline_terms.age()
        if not report.alert:
            self._baseline_terms.add(window.term_counts, window.negative)
            self._alert_terms, self._alert_tweets, self._examples = Counter(), 0, []
            return report
        if report.onset:
            self._alert_terms, self._alert_tweets, self._examples = Counter(), 0, []
        self._alert_terms.update(window.term_counts)
        self._alert_tweets += window.negative
        self._sample(window.negative_texts)
        themes = log_odds_themes(
            self._alert_terms,
            self._alert_tweets,
            self._baseline_terms,
            self.params.theme_prior,
            self.params.themes,
        )
        return _with_themes(report, themes, self._pick_examples(themes))

    def _sample(self, texts: Sequence[tuple[str, frozenset[str]]]) -> None:
        """Reservoir-sample the alert's negative tweets (bounded, uniform over the alert)."""
        seen = self._alert_tweets - len(texts)
        for item in texts:
            seen += 1
            if len(self._examples) < EXAMPLE_POOL:
                self._examples.append(item)
            else:
                slot = self._random.randrange(seen)
                if slot < EXAMPLE_POOL:
                    self._examples[slot] = item

    def _pick_examples(self, themes: list[Theme]) -> list[str]:
        """The sampled tweets that mention the most (and strongest) themes, distinct texts."""
        weight = {t.term: t.z for t in themes}
        ranked = sorted(
            self._examples, key=lambda item: -sum(weight.get(term, 0.0) for term in item[1])
        )
        picked: list[str] = []
        for text, _ in ranked:
            if text not in picked:
                picked.append(text)
            if len(picked) == self.params.examples:
                break
        return picked


def _with_themes(report: WindowReport, themes: list[Theme], examples: list[str]) -> WindowReport:
    return replace(report, themes=themes, examples=examples)
