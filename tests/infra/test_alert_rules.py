"""The alert rules' thresholds, checked by running their deployed KQL (duckdb-kql) over rows
shaped like Application Insights' tables, with the defaults of main.bicep.

Boundaries on purpose: one event fewer than the threshold must not fire, the threshold must.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from tests.infra.alert_engine import custom_event, evaluate, host_request, iso_minutes, request
from tests.infra.bicep_model import (
    MAIN,
    alert_rules,
    config,
    main_param_default,
    module_call,
    module_path,
    parse,
    resources,
)
from tweet_sentiment import telemetry
from tweet_sentiment.buzz import detect

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
RULES = alert_rules()
ALERTS = module_path("alerts")


def feedback(minutes_ago: float, is_correct: bool) -> dict:
    return custom_event(
        telemetry.FEEDBACK_EVENT,
        NOW - timedelta(minutes=minutes_ago),
        **{
            telemetry.PROP_IS_CORRECT: "true" if is_correct else "false",
            telemetry.PROP_PREDICTED_LABEL: "positive",
            telemetry.PROP_CORRECT_LABEL: "positive" if is_correct else "negative",
            telemetry.PROP_MODEL_VERSION: "test-model",
            telemetry.PROP_PREDICTION_ID: "id",
        },
    )


def scored(label: str, minutes_ago: float = 1) -> dict:
    return custom_event(
        telemetry.SCORED_EVENT,
        NOW - timedelta(minutes=minutes_ago),
        **{telemetry.PROP_LABEL: label},
    )


def test_the_rules_use_the_documented_defaults() -> None:
    rule = RULES["mispredictionsRule"]
    assert (rule.threshold, rule.window, rule.operator) == (3, "PT5M", "GreaterThanOrEqual")
    assert iso_minutes(rule.frequency) < iso_minutes(rule.window)  # a sliding window
    buzz_rule = RULES["badBuzzRule"]  # fires on the detector's alert flag (test_buzz_rule.py)
    assert (buzz_rule.metric_column, buzz_rule.operator, buzz_rule.threshold) == (
        "alert",
        "GreaterThan",
        0,
    )
    assert RULES["latencyRule"].threshold == main_param_default("latencyP95ThresholdMs")


@pytest.mark.parametrize(
    ("wrong", "fires"),
    [(0, False), (2, False), (3, True), (7, True)],
)
def test_mispredictions_fire_from_three_within_five_minutes(wrong: int, fires: bool) -> None:
    rows = [feedback(minutes_ago=0.5 + i / 2, is_correct=False) for i in range(wrong)]
    rows += [feedback(minutes_ago=1, is_correct=True) for _ in range(10)]  # right ones never count
    verdict = evaluate(RULES["mispredictionsRule"], {"customEvents": rows}, NOW)
    assert verdict.fired is fires
    assert verdict.value == wrong


def test_mispredictions_older_than_the_window_do_not_count() -> None:
    rows = [feedback(minutes_ago=m, is_correct=False) for m in (1, 2, 6)]
    assert not evaluate(RULES["mispredictionsRule"], {"customEvents": rows}, NOW).fired


def test_other_events_do_not_count_as_mispredictions() -> None:
    rows = [scored("negative") for _ in range(5)]
    assert evaluate(RULES["mispredictionsRule"], {"customEvents": rows}, NOW).value == 0


# The bad-buzz rule against a steady day: 96 quarter-hours of 100 tweets, 64 negative each.
BUZZ_WINDOW = timedelta(minutes=main_param_default("badBuzzWindowMinutes"))
BUZZ_AT = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)  # the window judged
BUZZ_DELAY = timedelta(minutes=main_param_default("badBuzzIngestionDelayMinutes"))


def steady_day(windows: int = 96, per_window: int = 100, negative: int = 64) -> list[dict]:
    rows = []
    for w in range(1, windows + 1):
        start = BUZZ_AT - w * BUZZ_WINDOW
        for i in range(per_window):
            label = "negative" if i < negative else "positive"
            when = start + timedelta(seconds=i)
            rows.append(custom_event(telemetry.SCORED_EVENT, when, **{telemetry.PROP_LABEL: label}))
    return rows


def buzz_window(negative: int, scored: int) -> list[dict]:
    return [
        custom_event(
            telemetry.SCORED_EVENT,
            BUZZ_AT + timedelta(seconds=i),
            **{telemetry.PROP_LABEL: "negative" if i < negative else "positive"},
        )
        for i in range(scored)
    ]


def judge(rows: list[dict]):
    return evaluate(
        RULES["badBuzzRule"], {"customEvents": rows}, BUZZ_AT + BUZZ_WINDOW + BUZZ_DELAY
    )


def surprise_after_a_steady_day(negative: int, scored: int, usual: int = 64) -> float:
    """The detector's z for that window (the rule's own arithmetic: tweet_sentiment.buzz)."""
    report = detect(
        [(BUZZ_AT - w * BUZZ_WINDOW, 100, usual) for w in range(96, 0, -1)]
        + [(BUZZ_AT, scored, negative)]
    )[-1]
    return report.surprise


def test_bad_buzz_fires_from_the_on_threshold_of_surprise() -> None:
    """A normal day is 64 % negative: 70 % of 100 is no buzz. A busy window (200 tweets, twice
    yesterday's volume) fires from the z threshold on, one negative tweet apart."""
    on = main_param_default("badBuzzOnThresholdHundredths") / 100
    at = next(k for k in range(128, 201) if surprise_after_a_steady_day(k, 200) >= on)
    assert surprise_after_a_steady_day(at - 1, 200) < on
    day = steady_day()
    below = judge(day + buzz_window(negative=at - 1, scored=200))
    assert not below.fired and below.value == 0 and below.rows == 1
    assert judge(day + buzz_window(negative=at, scored=200)).fired
    assert not judge(day + buzz_window(negative=70, scored=100)).fired  # 70 % negative: normal


def test_bad_buzz_needs_a_baseline_and_enough_negative_tweets() -> None:
    minimum = main_param_default("badBuzzMinNegative")
    # A happy day (2 % negative), then a window of 100 with 9 negative tweets: surprising enough,
    # but fewer than minNegative tweets.
    on = main_param_default("badBuzzOnThresholdHundredths") / 100
    assert surprise_after_a_steady_day(minimum - 1, 100, usual=2) > on
    happy_day = steady_day(negative=2)
    assert not judge(happy_day + buzz_window(minimum - 1, 100)).fired
    assert judge(happy_day + buzz_window(minimum, 100)).fired
    # The same storm with 4 quarter-hours of history (400 tweets < minBaseline): no alert yet.
    history = steady_day(windows=4)
    assert main_param_default("badBuzzMinBaseline") > 400
    assert not judge(history + buzz_window(negative=100, scored=100)).fired


def test_server_errors_count_5xx_not_client_errors() -> None:
    threshold = int(RULES["serverErrorsRule"].threshold)
    client_errors = [request(NOW - timedelta(minutes=1), 422) for _ in range(50)]
    rows = client_errors + [request(NOW - timedelta(minutes=1), 503) for _ in range(threshold - 1)]
    assert not evaluate(RULES["serverErrorsRule"], {"requests": rows}, NOW).fired
    rows.append(request(NOW - timedelta(minutes=2), 500))
    assert evaluate(RULES["serverErrorsRule"], {"requests": rows}, NOW).fired


def test_the_hosts_row_for_the_same_call_is_not_counted() -> None:
    """Both the Functions host and the app's exporter write a requests row per call: the
    service-health rules count the app's only (the real envelopes: test_telemetry_replay.py)."""
    threshold = int(RULES["serverErrorsRule"].threshold)
    errors = [request(NOW - timedelta(minutes=1), 500) for _ in range(threshold - 1)]
    rows = {"requests": errors + [host_request(r) for r in errors]}
    verdict = evaluate(RULES["serverErrorsRule"], rows, NOW)
    assert (verdict.fired, verdict.value) == (False, threshold - 1)
    minimum = main_param_default("latencyMinRequests")
    slow = [
        request(NOW - timedelta(minutes=1), 200, duration_ms=10_000) for _ in range(minimum - 1)
    ]
    rows = {"requests": slow + [host_request(r) for r in slow]}
    assert evaluate(RULES["latencyRule"], rows, NOW).value is None  # too few, even doubled


def test_latency_fires_on_the_95th_percentile_with_enough_requests() -> None:
    limit = RULES["latencyRule"].threshold
    minimum = main_param_default("latencyMinRequests")
    fast = [request(NOW - timedelta(minutes=1), 200, duration_ms=50) for _ in range(90)]
    slow = [request(NOW - timedelta(minutes=1), 200, duration_ms=limit * 2) for _ in range(10)]
    assert evaluate(RULES["latencyRule"], {"requests": fast + slow}, NOW).fired  # p95 is slow
    few_slow = slow[:3]
    assert not evaluate(RULES["latencyRule"], {"requests": fast + few_slow}, NOW).fired
    too_few = slow[: minimum - 1]
    assert not evaluate(RULES["latencyRule"], {"requests": too_few}, NOW).fired


# ---- windows and frequencies Azure accepts ---------------------------------------------------

# What Azure Monitor accepts for a log search alert rule (Microsoft.Insights/scheduledQueryRules,
# kind LogAlert), stricter than "any ISO 8601 duration" (Azure/azure-rest-api-specs#21258): the
# lists the provider validates before calling the API (hashicorp/terraform-provider-azurerm#18960,
# docs of azurerm_monitor_scheduled_query_rules_alert_v2), a window of at most PT6H when the rule
# runs every minute, and a frequency no longer than the look-back (window x evaluation periods).
AZURE_FREQUENCIES = ["PT1M", "PT5M", "PT10M", "PT15M", "PT30M", "PT45M", "PT1H", "PT2H", "PT3H",
                     "PT4H", "PT5H", "PT6H", "P1D"]  # fmt: skip
AZURE_WINDOWS = ["PT5M", "PT10M", "PT15M", "PT30M", "PT45M", "PT1H", "PT2H", "PT3H", "PT4H",
                 "PT5H", "PT6H", "P1D", "P2D"]  # fmt: skip
AZURE_WINDOWS_EVERY_MINUTE = ["PT1M", *AZURE_WINDOWS[:11]]  # PT1M ... PT6H


def accepted_by_azure(frequency: str, window: str, periods: int = 1) -> bool:
    windows = AZURE_WINDOWS_EVERY_MINUTE if frequency == "PT1M" else AZURE_WINDOWS
    return (
        frequency in AZURE_FREQUENCIES
        and window in windows
        and iso_minutes(frequency) <= iso_minutes(window) * periods
    )


def allowed_values(path, param: str) -> list | None:
    decorators = parse(path)["parameters"][param]["decorators"]
    found = [d["argument"] for d in decorators if d["type"] == "allowed"]
    return found[0] if found else None


def schedules() -> dict[str, tuple[str, str]]:
    """Per rule: the module parameter of its window, and its frequency (parameter or literal).
    A window written 'PT${param}M' (the bad-buzz rule's, in minutes) names its parameter."""
    found = {}
    for symbol, resource in resources(ALERTS, "Microsoft.Insights/scheduledQueryRules").items():
        props = config(resource)["properties"]
        window = re.sub(r"^PT\$\{(\w+)\}M$", r"\1", props["windowSize"])
        found[symbol] = (window, props["evaluationFrequency"])
    return found


def window_values(path, param: str) -> list | None:
    """The allowed windows of ``param`` as ISO 8601 durations (minutes for an int parameter)."""
    values = allowed_values(path, param)
    ints = values and all(isinstance(v, int) for v in values)
    return [f"PT{v}M" for v in values] if ints else values


def test_the_checker_knows_what_azure_refuses() -> None:
    assert accepted_by_azure("PT5M", "PT15M") and accepted_by_azure("PT1M", "PT6H")
    assert not accepted_by_azure("PT15M", "PT10M")  # runs less often than its window
    assert not accepted_by_azure("PT1M", "P1D")  # every minute, at most six hours back
    assert not accepted_by_azure("PT2M", "PT5M") and not accepted_by_azure("PT5M", "PT20M")


@pytest.mark.parametrize("symbol", sorted(schedules()))
def test_every_allowed_window_and_frequency_is_one_azure_accepts(symbol: str) -> None:
    window_param, frequency = schedules()[symbol]
    module_params = parse(ALERTS)["parameters"]
    windows = window_values(ALERTS, window_param)
    assert windows, f"{symbol}: {window_param} takes any string"
    if frequency in module_params:
        frequencies = allowed_values(ALERTS, frequency)
        assert frequencies, f"{symbol}: {frequency} takes any string"
    else:
        frequencies = [frequency]
    refused = [(f, w) for f in frequencies for w in windows if not accepted_by_azure(f, w)]
    assert not refused, f"{symbol}: Azure refuses (frequency, window) {refused}"


@pytest.mark.parametrize(
    "param", [p for pair in schedules().values() for p in pair if p in parse(ALERTS)["parameters"]]
)
def test_main_allows_the_same_values_and_its_default_is_one(param: str) -> None:
    passed = module_call("alerts")["params"][param]
    assert allowed_values(MAIN, passed) == allowed_values(ALERTS, param)
    assert main_param_default(passed) in allowed_values(MAIN, passed)
