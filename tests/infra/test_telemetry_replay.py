"""The alert rules against the telemetry the running app really sends.

The app runs as its own process (``telemetry_server`` in tests/conftest.py) with the real
azure-monitor exporter pointed at a local stand-in of the ingestion endpoint (``ingestion``).
Feedback and tweets go through the HTTP API; the captured envelopes become the rows ingestion
would store (customEvents, requests), and the deployed KQL of each rule runs over them.
"""

from __future__ import annotations

import os
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tests.conftest import free_port, served_subprocess, telemetry_env
from tests.infra.alert_engine import (
    custom_event,
    envelope_rows,
    evaluate,
    host_request,
    run_query,
)
from tests.infra.bicep_model import KQL_DIR, alert_rules, main_param_default
from tests.infra.test_kql_contract import REQUEST_SOURCE_LINE, code, dimension_keys, event_names
from tweet_sentiment import telemetry
from tweet_sentiment.buzz import detect, window_start
from tweet_sentiment.config import azurite_connection_string

RULES = alert_rules()
COMPLAINTS = [
    "@AirParadis flight cancelled again and nobody answers the phone, worst airline ever",
    "@AirParadis lost my luggage for the third time, absolutely terrible service",
    "@AirParadis four hour delay, no food, rude staff. Never flying with you again",
    "@AirParadis you ruined my holiday, refund me now, this is a disgrace",
    "@AirParadis stuck on the tarmac for 3 hours, horrible, awful experience",
]


@pytest.fixture
def api(telemetry_server: str, ingestion) -> httpx.Client:
    ingestion.clear()
    with httpx.Client(base_url=telemetry_server, timeout=30) as client:
        yield client


def send_feedback(api: httpx.Client, is_correct: bool) -> str:
    """Score a complaint, then tell the API whether it was right; returns the prediction id."""
    predicted = api.post("/api/predict", json={"text": COMPLAINTS[0]}).json()["predictions"][0]
    labels = [x for x in ("negative", "neutral", "positive") if x != predicted["label"]]
    body = {
        "text": predicted["text"],
        "predicted_label": predicted["label"],
        "is_correct": is_correct,
        "prediction_id": predicted["prediction_id"],
    }
    if not is_correct:
        body["correct_label"] = labels[0]
    response = api.post("/api/feedback", json=body)
    assert response.status_code == 201, response.text
    return predicted["prediction_id"]


def events_for(ingestion, name: str, prediction_ids: list[str]) -> list[dict]:
    """This test's events only (by prediction id), once all of them reached the stand-in."""

    def mine(stand_in) -> list[dict]:
        return [
            e
            for e in stand_in.events(name)
            if e["data"]["baseData"]["properties"].get(telemetry.PROP_PREDICTION_ID)
            in prediction_ids
        ]

    return ingestion.wait_for(lambda s: len(found := mine(s)) == len(prediction_ids) and found)


def now() -> datetime:
    return datetime.now(UTC) + timedelta(seconds=1)


def test_envelopes_carry_exactly_the_names_the_kql_reads(api: httpx.Client, ingestion) -> None:
    prediction_id = send_feedback(api, is_correct=False)
    (event,) = events_for(ingestion, telemetry.FEEDBACK_EVENT, [prediction_id])
    (scored,) = events_for(ingestion, telemetry.SCORED_EVENT, [prediction_id])
    kinds = {
        telemetry.FEEDBACK_EVENT: event["data"]["baseData"]["properties"],
        telemetry.SCORED_EVENT: scored["data"]["baseData"]["properties"],
    }
    for path in KQL_DIR.glob("*.kql"):
        kql = code(path)
        for name in event_names(kql):
            assert dimension_keys(kql) <= set(kinds[name]), f"{path.name}: {name}"
    assert kinds[telemetry.FEEDBACK_EVENT][telemetry.PROP_IS_CORRECT] == "false"
    assert kinds[telemetry.SCORED_EVENT][telemetry.PROP_LABEL] in {
        "negative",
        "neutral",
        "positive",
    }


def test_two_reported_mispredictions_do_not_fire_three_do(api: httpx.Client, ingestion) -> None:
    rule = RULES["mispredictionsRule"]
    assert rule.threshold == 3
    ids = [send_feedback(api, is_correct=True)]  # a confirmation never counts
    ids += [send_feedback(api, is_correct=False) for _ in range(2)]
    rows = envelope_rows(events_for(ingestion, telemetry.FEEDBACK_EVENT, ids))
    verdict = evaluate(rule, rows, now())
    assert (verdict.fired, verdict.value) == (False, 2)

    ids.append(send_feedback(api, is_correct=False))
    rows = envelope_rows(events_for(ingestion, telemetry.FEEDBACK_EVENT, ids))
    verdict = evaluate(rule, rows, now())
    assert (verdict.fired, verdict.value) == (True, 3)
    # The same feedback replayed six minutes later is out of the five-minute window.
    assert not evaluate(rule, rows, now() + timedelta(minutes=6)).fired


def scored_rows(ingestion, predictions: list[dict]) -> dict:
    ids = [p["prediction_id"] for p in predictions]
    return envelope_rows(events_for(ingestion, telemetry.SCORED_EVENT, ids))


def test_bad_buzz_on_the_labels_the_model_gave(api: httpx.Client, ingestion) -> None:
    """60 complaints scored by the running app, after a steady day (the component's history,
    written here: 96 quarter-hours of 20 tweets, 13 negative): the rule fires on the model's
    own labels, exactly when the Python detector does on the same counts."""
    rule = RULES["badBuzzRule"]
    window = timedelta(minutes=main_param_default("badBuzzWindowMinutes"))
    delay = timedelta(minutes=main_param_default("badBuzzIngestionDelayMinutes"))
    tweets = [f"{text} #{i}" for i, text in enumerate(COMPLAINTS * 12)]
    predictions = api.post("/api/predict", json={"texts": tweets}).json()["predictions"]
    rows = scored_rows(ingestion, predictions)["customEvents"]
    judged = window_start(datetime.now(UTC), window)
    for i, row in enumerate(rows):  # the real events, re-timed into one window
        row["timestamp"] = judged + timedelta(seconds=i)
    history = [
        custom_event(
            telemetry.SCORED_EVENT,
            judged - w * window + timedelta(seconds=i),
            **{telemetry.PROP_LABEL: "negative" if i < 13 else "positive"},
        )
        for w in range(1, 97)
        for i in range(20)
    ]
    negatives = sum(r["customDimensions"][telemetry.PROP_LABEL] == "negative" for r in rows)
    assert negatives > 50, "the model should call these complaints negative"
    expected = detect(
        [(judged - w * window, 20, 13) for w in range(96, 0, -1)] + [(judged, 60, negatives)]
    )[-1]
    verdict = evaluate(rule, {"customEvents": history + rows}, judged + window + delay)
    assert verdict.fired is expected.alert is True
    (row,) = run_query(rule.query, {"customEvents": history + rows}, judged + window + delay,
                       rule.query_time_range)  # fmt: skip
    assert (row["scored"], row["negative"]) == (60, negatives)
    assert row["surprise"] == pytest.approx(expected.surprise, abs=1e-9)


def test_client_errors_are_requests_but_not_server_errors(api: httpx.Client, ingestion) -> None:
    """Bad input is answered 422 and recorded as a failed request, yet pages nobody."""
    bad = int(RULES["serverErrorsRule"].threshold) + 1
    for _ in range(bad):
        assert api.post("/api/predict", json={"txt": "typo"}).status_code == 422

    def client_errors(stand_in) -> list[dict]:
        found = [
            e
            for e in stand_in.of_type("RequestData")
            if e["data"]["baseData"].get("responseCode") == "422"
        ]
        return len(found) >= bad and found

    rows = envelope_rows(ingestion.wait_for(client_errors))
    assert [r["resultCode"] for r in rows["requests"]] == ["422"] * len(rows["requests"])
    assert all(r["success"] is False for r in rows["requests"])
    verdict = evaluate(RULES["serverErrorsRule"], rows, now())
    assert (verdict.fired, verdict.value) == (False, 0)


# ---- one request, one row ------------------------------------------------------------------

ONE_SOURCE_ROLE = "one-source-replay"  # service.name, hence ai.cloud.role, of its own server


@pytest.fixture(scope="module")
def failing_storage_server(ingestion, model_dir, tmp_path_factory) -> str:
    """The app with nothing listening where its feedback storage should be: feedback answers a
    real 503. Its own service name tells its envelopes from the other servers'."""
    tmp = tmp_path_factory.mktemp("one-source")
    env = {
        **os.environ,
        **telemetry_env(ingestion.connection_string, tmp),
        "OTEL_SERVICE_NAME": ONE_SOURCE_ROLE,
        "MODEL_DIR": str(model_dir),
        "FEEDBACK_STORAGE_CONNECTION_STRING": azurite_connection_string(port=free_port()),
        "STORAGE_TIMEOUT_SECONDS": "1",
    }
    with served_subprocess(free_port(), env, tmp / "server.log", "the one-source server") as url:
        yield url


def my_requests(ingestion, name: str, count: int) -> list[dict]:
    """Exactly ``count`` request envelopes named ``name`` from the one-source server."""

    def found(stand_in) -> list[dict]:
        mine = [
            e
            for e in stand_in.of_type("RequestData")
            if (e.get("tags") or {}).get("ai.cloud.role") == ONE_SOURCE_ROLE
            and e["data"]["baseData"].get("name") == name
        ]
        return len(mine) >= count and mine

    envelopes = ingestion.wait_for(found)
    assert len(envelopes) == count, f"{len(envelopes)} request rows for {count} calls"
    return envelopes


def with_host_rows(rows: dict) -> dict:
    """The rows plus, per call, the Functions host's own requests row (same operation)."""
    return {**rows, "requests": rows["requests"] + [host_request(r) for r in rows["requests"]]}


def without_source_filter(rule):
    return replace(rule, query=rule.query.replace(REQUEST_SOURCE_LINE, ""))


def failing_feedback(url: str) -> None:
    body = {"text": "storage is down", "predicted_label": "negative", "is_correct": True}
    assert httpx.post(f"{url}/api/feedback", json=body, timeout=30).status_code == 503


def test_a_5xx_is_one_row_even_with_the_hosts_row(failing_storage_server, ingestion) -> None:
    rule = RULES["serverErrorsRule"]
    threshold = int(rule.threshold)
    ingestion.clear()
    for _ in range(threshold - 1):
        failing_feedback(failing_storage_server)
    rows = with_host_rows(
        envelope_rows(my_requests(ingestion, "POST /api/feedback", threshold - 1))
    )
    assert len(rows["requests"]) == 2 * (threshold - 1)
    assert {r["resultCode"] for r in rows["requests"]} == {"503"}
    verdict = evaluate(rule, rows, now())
    assert (verdict.fired, verdict.value) == (False, threshold - 1)
    # Counting every row, the host's too, the rule would page at half its threshold.
    assert evaluate(without_source_filter(rule), rows, now()).fired

    failing_feedback(failing_storage_server)
    rows = with_host_rows(envelope_rows(my_requests(ingestion, "POST /api/feedback", threshold)))
    verdict = evaluate(rule, rows, now())
    assert (verdict.fired, verdict.value) == (True, threshold)


def test_latency_counts_each_request_once(failing_storage_server, ingestion) -> None:
    rule = RULES["latencyRule"]
    served = main_param_default("latencyMinRequests")
    ingestion.clear()
    for i in range(served):
        tweet = {"text": f"{COMPLAINTS[i % len(COMPLAINTS)]} #{i}"}
        response = httpx.post(f"{failing_storage_server}/api/predict", json=tweet, timeout=30)
        assert response.status_code == 200
    rows = with_host_rows(envelope_rows(my_requests(ingestion, "POST /api/predict", served)))
    (result,) = run_query(rule.query, rows, now(), rule.window)
    assert result["served"] == served  # not 2 x served
    worker_durations = sorted(r["duration"] for r in rows["requests"][:served])
    assert result["p95_ms"] <= worker_durations[-1]  # the host's longer rows are not in it
    (doubled,) = run_query(without_source_filter(rule).query, rows, now(), rule.window)
    assert doubled["served"] == 2 * served
