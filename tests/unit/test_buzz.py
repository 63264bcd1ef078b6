"""The bad-buzz detector's math: windows, baseline, surprise, hysteresis, themes (issue 14)."""

from __future__ import annotations

import math
import random
from collections import Counter
from datetime import UTC, datetime, timedelta, timezone

import pytest
from pydantic import ValidationError

from tweet_sentiment.buzz import (
    BuzzDetector,
    BuzzParams,
    OutOfOrder,
    WindowReport,
    detect,
    surprise,
    window_start,
)
from tweet_sentiment.themes import DecayingCounts, log_odds_themes, terms

T0 = datetime(2026, 3, 1, tzinfo=UTC)
W = timedelta(minutes=15)


def steady(windows: int, scored: int = 100, negative: int = 60, start: datetime = T0):
    return [(start + i * W, scored, negative) for i in range(windows)]


def test_windows_are_aligned_to_utc_multiples():
    assert window_start(datetime(2026, 3, 1, 10, 44, 59), W) == datetime(
        2026, 3, 1, 10, 30, tzinfo=UTC
    )
    paris = timezone(timedelta(hours=1))
    assert window_start(datetime(2026, 3, 1, 11, 15, tzinfo=paris), W) == datetime(
        2026, 3, 1, 10, 15, tzinfo=UTC
    )  # fmt: skip
    assert window_start(T0, timedelta(hours=1)) == T0


def test_surprise_is_the_continuity_corrected_binomial_z():
    # 75 of 100 against 0.6: (75 - 0.5 - 60) / sqrt(100 * 0.6 * 0.4)
    assert surprise(75, 100, 0.6, 1.0, math.inf) == pytest.approx(14.5 / math.sqrt(24))
    assert surprise(0, 0, 0.6, 1.0, math.inf) == 0.0
    # a finite baseline and over-dispersion both widen the test
    assert surprise(75, 100, 0.6, 1.0, 1000) < surprise(75, 100, 0.6, 1.0, math.inf)
    assert surprise(75, 100, 0.6, 2.0, math.inf) == pytest.approx(14.5 / math.sqrt(48))


def test_the_normal_approximation_is_close_to_the_exact_tail_where_alerts_start():
    # P(X >= k) for X ~ Binomial(n, p), exactly, against the z's normal tail.
    n, p = 120, 0.6
    k = next(k for k in range(n + 1) if surprise(k, n, p, 1.0, math.inf) >= 4.0)
    exact = sum(math.comb(n, j) * p**j * (1 - p) ** (n - j) for j in range(k, n + 1))
    normal = 0.5 * math.erfc(surprise(k, n, p, 1.0, math.inf) / math.sqrt(2))
    assert 0.2 < exact / normal < 5  # same order of magnitude at a 1e-5 tail


def test_a_steady_stream_never_alerts_and_the_baseline_learns_its_share():
    reports = detect(steady(4 * 24 * 3))
    assert not any(r.alert for r in reports)
    assert reports[-1].expected_share == pytest.approx(0.6, abs=0.001)
    assert reports[0].expected_share == BuzzParams().prior_share  # the prior before any history
    assert reports[-1].baseline_scored == 100 * 96


def test_one_buzz_one_alert_with_onset_and_release():
    params = BuzzParams()
    counts = steady(96 * 2)
    buzz_at = len(counts)
    counts += [(T0 + (buzz_at + i) * W, 200, 170) for i in range(4)]  # an hour at 85%
    counts += steady(8, start=T0 + (buzz_at + 4) * W)
    reports = detect(counts, params)
    flagged = [i for i, r in enumerate(reports) if r.alert]
    # the buzz, then release_windows calm windows still inside the alert
    assert flagged == list(range(buzz_at, buzz_at + 4 + params.release_windows - 1))
    assert [i for i, r in enumerate(reports) if r.onset] == [buzz_at]
    assert {reports[i].alert_id for i in flagged} == {1}
    assert reports[flagged[-1] + 1].alert_id is None


def test_a_calm_window_inside_a_buzz_does_not_split_it():
    counts = steady(96 * 2)
    n = len(counts)
    pattern = [(200, 170), (100, 60), (200, 170)]  # hot, calm, hot: one alert
    counts += [(T0 + (n + i) * W, s, k) for i, (s, k) in enumerate(pattern)]
    reports = detect(counts)
    assert [r.alert_id for r in reports[n : n + 3]] == [1, 1, 1]


def test_buzz_windows_do_not_become_the_norm():
    counts = steady(96)
    n = len(counts)
    counts += [(T0 + (n + i) * W, 200, 170) for i in range(4 * 12)]  # a 12-hour buzz
    reports = detect(counts)
    assert all(r.alert for r in reports[n:])
    assert reports[-1].expected_share == pytest.approx(0.6, abs=0.01)


def test_no_alert_before_the_baseline_has_min_baseline_tweets():
    params = BuzzParams(min_baseline=500)
    counts = [(T0, 100, 60), *[(T0 + i * W, 100, 95) for i in range(1, 3)]]
    assert not any(r.alert for r in detect(counts, params))
    counts = [*steady(5), (T0 + 5 * W, 200, 190)]
    assert detect(counts, params)[-1].onset


def test_min_negative_keeps_a_quiet_night_quiet():
    counts = [*steady(96 * 2, scored=10, negative=6), (T0 + 192 * W, 9, 9)]
    params = BuzzParams(min_baseline=100, on_threshold=1.5, off_threshold=1.0, volume_cv=None)
    assert not detect(counts, params)[-1].alert
    assert detect(counts, params.model_copy(update={"min_negative": 5}))[-1].alert


def test_gaps_are_reported_as_empty_windows_and_unsorted_counts_refused():
    reports = detect([(T0, 10, 5), (T0 + 3 * W, 10, 5)])
    assert [r.scored for r in reports] == [10, 0, 0, 10]
    assert reports[1].negative_share is None and reports[1].share_surprise == 0
    assert reports[1].surprise < 0  # fewer negatives than expected: calm
    with pytest.raises(ValueError, match="not after"):
        detect([(T0 + W, 10, 5), (T0, 10, 5)])


def test_expected_volume_follows_the_time_of_day_once_a_day_exists():
    day = [(T0 + i * W, 40 if i < 48 else 160, 20) for i in range(96)]
    second = [(s + timedelta(days=1), n, k) for s, n, k in day]
    reports = detect(day + second)
    assert reports[96].expected_scored == 40 and reports[96 + 50].expected_scored == 160
    assert reports[96 + 48].expected_scored == 120  # this window and its neighbours: 40, 160, 160
    assert reports[10].expected_scored == 40  # first day: trailing mean


def _stream(detector: BuzzDetector, seed: int = 3, hours: int = 30):
    rng = random.Random(seed)
    words = [
        "delayed",
        "gate",
        "seat",
        "crew",
        "rude",
        "refund",
        "cancelled",
        "hold",
        "phone",
        "late",
    ]
    reports: list[WindowReport] = []
    fed: list[tuple[datetime, str]] = []
    for minute in range(hours * 60):
        now = T0 + timedelta(minutes=minute, seconds=rng.randrange(60))
        for _ in range(rng.randrange(2, 7)):
            label = "negative" if rng.random() < 0.6 else "positive"
            text = f"flight {rng.choice(words)} {rng.choice(words)} @united"
            fed.append((now, label))
            reports += detector.add(now, label, text)
        if 26 * 60 <= minute < 27 * 60:
            for _ in range(6):
                text = f"they lost my bag #lostbag @united {rng.choice(words)}"
                fed.append((now, "negative"))
                reports += detector.add(now, "negative", text)
    return reports + detector.close(), fed


def test_the_streaming_detector_is_the_rule_on_its_window_counts():
    reports, fed = _stream(BuzzDetector())
    counts = Counter(window_start(t, W) for t, _ in fed)
    negatives = Counter(window_start(t, W) for t, label in fed if label == "negative")
    pure = detect([(s, counts[s], negatives[s]) for s in sorted(counts)])
    strip = [(r.start, r.scored, r.negative, r.surprise, r.alert, r.alert_id) for r in reports]
    assert strip == [(r.start, r.scored, r.negative, r.surprise, r.alert, r.alert_id) for r in pure]
    assert sum(r.onset for r in reports) == 1


def test_alert_windows_carry_the_buzz_themes_and_examples():
    reports, _ = _stream(BuzzDetector())
    alert = [r for r in reports if r.alert]
    assert alert and all(r.themes and r.examples for r in alert)
    assert all(r.themes is None for r in reports if not r.alert)
    top = {t.term for t in alert[0].themes[:4]}
    assert top == {"#lostbag", "lost", "bag", "they"} or {"#lostbag", "lost", "bag"} <= top
    assert "@united" not in top  # in every tweet, buzz or not: not what it is about
    assert all("#lostbag" in text for text in alert[0].examples)
    assert len(alert[0].examples) == 3


def test_tweets_may_come_in_any_order_inside_a_window_but_not_across():
    detector = BuzzDetector()
    detector.add(T0 + timedelta(minutes=14), "negative", "late")
    detector.add(T0 + timedelta(minutes=1), "negative", "late")  # same window: fine
    assert len(detector.add(T0 + timedelta(minutes=16), "neutral", "ok")) == 1
    with pytest.raises(OutOfOrder, match="older than the open window"):
        detector.add(T0 + timedelta(minutes=14), "negative", "late")
    assert [r.scored for r in detector.close()] == [1]
    assert detector.close() == []


def test_terms_keep_hashtags_and_mentions_and_drop_stop_words_and_urls():
    found = terms("They LOST my bag!! #LostBag @United http://t.co/x 3 hours, it's the worst")
    assert found == {"lost", "bag", "#lostbag", "@united", "hours", "worst"}


def test_log_odds_ranks_the_over_represented_term_first():
    baseline = DecayingCounts(decay=1.0)
    baseline.add(Counter({"flight": 400, "delayed": 200, "bag": 20}), tweets=1000)
    alert = Counter({"flight": 40, "delayed": 20, "bag": 60})
    themes = log_odds_themes(alert, 100, baseline, prior_strength=100, top=10)
    assert [t.term for t in themes] == ["bag"]  # the others are as frequent as usual
    assert themes[0].z > 5


def test_the_baseline_term_table_forgets_what_it_no_longer_sees():
    counts = DecayingCounts(decay=0.5)
    counts.add(Counter({"rare": 1, "common": 100}), tweets=100)
    counts.age()
    counts.age()
    counts.age()
    assert "rare" not in counts.counts and counts.counts["common"] == pytest.approx(12.5)
    counts.add(Counter({f"t{i}": 2 for i in range(60_000)}), tweets=60_000)
    counts.age()
    assert len(counts.counts) == 50_000 and counts.counts["common"] == pytest.approx(6.25)


def test_params_are_validated():
    with pytest.raises(ValidationError, match="divide a day"):
        BuzzParams(window=timedelta(minutes=7))
    with pytest.raises(ValidationError, match="off_threshold"):
        BuzzParams(on_threshold=2, off_threshold=3)
    with pytest.raises(ValidationError):
        BuzzParams(prior_share=1.5)
    assert BuzzParams().baseline_windows == 96
