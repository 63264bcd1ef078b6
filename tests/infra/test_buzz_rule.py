"""The bad-buzz alert rule (infra/kql/bad_buzz.kql, deployed by alerts.bicep) is the detector of
tweet_sentiment/buzz.py: one event stream, fed to the Python detector and, as customEvents rows,
to the deployed KQL (duckdb-kql), agrees window by window: counts, baseline, expected share,
surprise (to float precision), hot/onset and the alert state with its hysteresis.

The stream is written here: three days of Poisson arrivals with a daily cycle and the corpus's
label mix (64 % negative, as the airline tweets), an outage, and negative bursts of 2x, 3x and 5x
the normal negative rate lasting 30 min to 3 h.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from tests.infra.alert_engine import custom_event, evaluate, iso_minutes, run_query
from tests.infra.bicep_model import KQL_DIR, alert_rules, deployed_value, main_param_default
from tweet_sentiment import telemetry
from tweet_sentiment.buzz import BuzzParams, WindowReport, detect, window_start

RULE = alert_rules()["badBuzzRule"]
KQL = (KQL_DIR / "bad_buzz.kql").read_text(encoding="utf-8")
START = datetime(2026, 11, 20, tzinfo=UTC)
NEGATIVE_SHARE = 9059 / 14208  # the airline corpus (issue 14)
# (start after START, length, times the normal negative rate)
BURSTS = [
    (timedelta(days=1, hours=10), timedelta(hours=1), 3.0),
    (timedelta(days=1, hours=20), timedelta(minutes=30), 5.0),
    (timedelta(days=2, hours=2), timedelta(minutes=45), 5.0),
    (timedelta(days=2, hours=14), timedelta(hours=3), 2.0),
]
OUTAGE = (timedelta(days=1, hours=3), timedelta(minutes=90))  # no tweet scored at all
DAYS = 3


def bicep_params() -> BuzzParams:
    """The detector's parameters as the rule is deployed with main.bicep's defaults."""
    value = lambda name: deployed_value("alerts", name)  # noqa: E731
    return BuzzParams(
        window=timedelta(minutes=value("badBuzzWindowMinutes")),
        baseline=timedelta(hours=value("badBuzzBaselineHours")),
        prior_share=value("badBuzzPriorSharePercent") / 100,
        prior_strength=float(value("badBuzzPriorStrength")),
        min_baseline=value("badBuzzMinBaseline"),
        dispersion=value("badBuzzDispersionPercent") / 100,
        on_threshold=value("badBuzzOnThresholdHundredths") / 100,
        off_threshold=value("badBuzzOffThresholdHundredths") / 100,
        release_windows=value("badBuzzReleaseWindows"),
        min_negative=value("badBuzzMinNegative"),
        volume_cv=value("badBuzzVolumeCvPercent") / 100 if value("badBuzzVolumeTest") else None,
        history_days=1,  # what a 2-day query range allows (the KQL uses yesterday only)
    )


PARAMS = bicep_params()
DELAY = timedelta(minutes=main_param_default("badBuzzIngestionDelayMinutes"))


def stream(seed: int = 14) -> list[tuple[datetime, str]]:
    """(created_at, label) of every scored tweet, in time order."""
    rng = np.random.default_rng(seed)
    minutes = np.arange(DAYS * 24 * 60)
    hour = (minutes % 1440) / 60
    rate = 4.0 * (1 + 0.6 * np.sin(2 * np.pi * (hour - 9) / 24))  # tweets a minute, daily cycle
    arrivals = rng.poisson(rate)
    extra = np.zeros_like(rate)
    for offset, length, times in BURSTS:
        first = int(offset / timedelta(minutes=1))
        span = slice(first, first + int(length / timedelta(minutes=1)))
        extra[span] = (times - 1) * NEGATIVE_SHARE * rate[span]
    bursts = rng.poisson(extra)
    outage = int(OUTAGE[0] / timedelta(minutes=1))
    arrivals[outage : outage + int(OUTAGE[1] / timedelta(minutes=1))] = 0
    bursts[outage : outage + int(OUTAGE[1] / timedelta(minutes=1))] = 0
    events = []
    for minute in minutes:
        when = START + timedelta(minutes=int(minute))
        for _ in range(arrivals[minute]):
            label = "negative" if rng.random() < NEGATIVE_SHARE else "positive"
            events.append((when + timedelta(seconds=float(rng.uniform(0, 60))), label))
        for _ in range(bursts[minute]):
            events.append((when + timedelta(seconds=float(rng.uniform(0, 60))), "negative"))
    return sorted(events)


EVENTS = stream()
ROWS = {
    "customEvents": [
        custom_event(telemetry.SCORED_EVENT, when, **{telemetry.PROP_LABEL: label})
        for when, label in EVENTS
    ]
}


def python_windows(params: BuzzParams = PARAMS) -> list[WindowReport]:
    counts: dict[datetime, list[int]] = {}
    for when, label in EVENTS:
        window = counts.setdefault(window_start(when, params.window), [0, 0])
        window[0] += 1
        window[1] += label == "negative"
    return detect([(s, n, k) for s, (n, k) in sorted(counts.items())], params)


PYTHON = python_windows()


def windows_query(query: str, since: datetime, target: datetime) -> str:
    """The deployed query's per-window part (its `let` lines and the `windows` table between
    the markers of bad_buzz.kql) over [since, target], every window listed."""
    lets, _, rest = query.partition("// Alert 2, bad buzz.")
    body = rest.split("// ---- windows", 1)[1].split("\n", 1)[1].split("// ---- end of windows")[0]
    span = f"let since = {kql_datetime(since)}; let target = {kql_datetime(target)};\n"
    return lets + span + body + "windows\n| order by start asc"


def kql_datetime(when: datetime) -> str:
    return f"datetime({when.astimezone(UTC).strftime('%Y-%m-%d %H:%M:%S')})"


def kql_timeline(query: str = RULE.query) -> list[dict]:
    end = PYTHON[-1].end
    text = windows_query(query, PYTHON[0].start, PYTHON[-1].start)
    return run_query(text, ROWS, end + timedelta(minutes=1), f"P{DAYS + 1}D")


def disagreements(python: list[WindowReport], kql: list[dict]) -> list[str]:
    assert len(python) == len(kql)
    found = []
    for p, k in zip(python, kql, strict=True):
        assert k["start"].replace(tzinfo=UTC) == p.start
        same = (
            (k["scored"], k["negative"], k["baseline_scored"])
            == (p.scored, p.negative, p.baseline_scored)
            and k["expected_share"] == pytest.approx(p.expected_share, abs=1e-9)
            and k["expected_negative"] == pytest.approx(p.expected_negative, abs=1e-9)
            and k["expected_scored"] == pytest.approx(p.expected_scored, abs=1e-9)
            and k["share_surprise"] == pytest.approx(p.share_surprise, abs=1e-9)
            and k["volume_surprise"] == pytest.approx(p.volume_surprise, abs=1e-9)
            and k["surprise"] == pytest.approx(p.surprise, abs=1e-9)
            and (k["alert"], k["onset"]) == (int(p.alert), int(p.onset))
        )
        if not same:
            found.append(f"{p.start:%d %H:%M} python {p} kql {k}")
    return found


def test_the_rule_deploys_the_detectors_default_parameters() -> None:
    """main.bicep's defaults are BuzzParams' defaults: Azure and the CLI agree out of the box."""
    fields = ("window", "baseline", "prior_share", "prior_strength", "min_baseline",
              "dispersion", "on_threshold", "off_threshold", "release_windows",
              "min_negative", "volume_cv", "history_days")  # fmt: skip
    assert {f: getattr(PARAMS, f) for f in fields} == {f: getattr(BuzzParams(), f) for f in fields}
    assert iso_minutes(RULE.window) == PARAMS.window / timedelta(minutes=1)


def test_the_query_time_range_holds_a_baseline_and_a_day_of_hysteresis() -> None:
    assert RULE.query_time_range == "P2D"  # the most Azure accepts (overrideQueryTimeRange)
    assert "bin(now() - 2d, window)" in KQL  # the query's own idea of its range
    history = timedelta(days=2) - PARAMS.baseline - 2 * PARAMS.window - DELAY
    assert history >= timedelta(hours=23)
    assert iso_minutes(RULE.frequency) <= iso_minutes(RULE.window)  # every window is judged


def test_the_stream_has_buzzes_warm_windows_gaps_and_quiet_days() -> None:
    """Otherwise agreeing would prove little."""
    onsets = [w for w in PYTHON if w.onset]
    assert len(onsets) >= 3, [w.start for w in onsets]
    assert any(w.alert and not w.onset for w in PYTHON)  # hysteresis carries alerts on
    assert any(PARAMS.off_threshold <= w.surprise < PARAMS.on_threshold for w in PYTHON)
    assert any(w.scored == 0 for w in PYTHON)  # the outage
    assert sum(not w.alert for w in PYTHON) > len(PYTHON) / 2


def test_python_and_kql_agree_on_every_window() -> None:
    kql = kql_timeline()
    assert disagreements(PYTHON, kql) == []
    threshold = [
        (k["threshold_share"], p.threshold_share) for p, k in zip(PYTHON, kql, strict=True)
    ]
    for got, expected in threshold:
        assert (got is None) == (expected is None) and (
            got is None or got == pytest.approx(expected)
        )


def test_the_comparison_fails_when_a_threshold_differs() -> None:
    """The same check with on_threshold 0.25 higher in the KQL only: it must see the difference."""
    on = round(PARAMS.on_threshold * 100)
    changed = RULE.query.replace(
        f"let onThreshold = {on} / 100.0;", f"let onThreshold = {on + 25} / 100.0;"
    )
    assert changed != RULE.query
    assert disagreements(PYTHON, kql_timeline(changed))


def evaluation_times() -> list[WindowReport]:
    """The windows of the last two days around every onset and end of an alert, and some calm."""
    late = [w for w in PYTHON if w.start >= START + timedelta(days=1, hours=1)]
    picked = set()
    for i, w in enumerate(late):
        previous = late[i - 1].alert if i else False
        if w.alert != previous:  # an onset, or the first window after an alert
            picked.update((max(i - 1, 0), i))
    picked.update(range(0, len(late), 48))
    return [late[i] for i in sorted(picked)]


def test_azure_fires_on_the_detectors_alert_windows() -> None:
    """The deployed rule as Azure runs it: at `ingestionDelay` after a window's end, over its
    2-day range; it fires (alert > 0) exactly in the detector's alert windows, so the stateful
    Azure alert opens at each onset and resolves when the detector's alert ends."""
    checked = evaluation_times()
    assert sum(w.onset for w in checked) >= 2
    for window in checked:
        now = window.end + DELAY + timedelta(seconds=30)
        verdict = evaluate(RULE, ROWS, now)
        assert verdict.rows == 1, window.start
        assert verdict.fired is window.alert, f"{window.start}: python {window}"
    (row,) = run_query(RULE.query, ROWS, checked[-1].end + DELAY, RULE.query_time_range)
    assert re.match(r"\d{4}-\d\d-\d\dT", row["window_start"])
    assert row["surprise"] == pytest.approx(checked[-1].surprise, abs=1e-9)


def test_a_window_is_judged_only_once_complete_and_its_telemetry_in() -> None:
    window = next(w for w in PYTHON if w.onset)
    early = window.end + DELAY - timedelta(minutes=1)  # still judging the window before
    (row,) = run_query(RULE.query, ROWS, early, RULE.query_time_range)
    assert row["window_start"].startswith((window.start - PARAMS.window).strftime("%Y-%m-%dT%H:%M"))
    assert evaluate(RULE, ROWS, window.end + DELAY).fired


def test_tweets_in_another_language_are_not_counted() -> None:
    """A negative tweet marked reliable=false (not English) changes no window's counts."""
    when = EVENTS[len(EVENTS) // 2][0]
    foreign = custom_event(
        telemetry.SCORED_EVENT,
        when,
        **{telemetry.PROP_LABEL: "negative", telemetry.PROP_RELIABLE: "false"},
    )
    english = custom_event(
        telemetry.SCORED_EVENT,
        when,
        **{telemetry.PROP_LABEL: "negative", telemetry.PROP_RELIABLE: "true"},
    )
    end = PYTHON[-1].end
    text = windows_query(RULE.query, PYTHON[0].start, PYTHON[-1].start)

    def scored(extra: list[dict]) -> int:
        rows = {"customEvents": ROWS["customEvents"] + extra}
        windows = run_query(text, rows, end + timedelta(minutes=1), f"P{DAYS + 1}D")
        return sum(w["scored"] for w in windows)

    base = scored([])
    assert scored([foreign]) == base and scored([english]) == base + 1
