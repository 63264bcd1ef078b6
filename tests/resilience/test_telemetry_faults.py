"""Telemetry never slows or breaks an answer: the ingestion endpoint answering 500, answering
after 15 seconds, or gone altogether leaves scoring latency and answers as they were.

One real server process (`python -m tweet_sentiment serve`, the real azure-monitor exporter
flushing every ~0.2 s) whose ingestion endpoint is a local stand-in switched between modes while
the same tweets are scored in each phase. Each phase waits until the exporter has really hit the
fault, so a pass cannot come from telemetry that was never sent.
"""

from __future__ import annotations

import statistics
import time

import httpx

from tests.conftest import wait_until

TWEETS = [
    "@AirParadis lost my bag AGAIN, worst airline ever #fail",
    "thank you for the upgrade, crew was lovely :)",
    "flight 714 delayed 2 hours, gate changed twice",
    "is the lounge open at 5am in terminal 2?",
]
CALLS = 60  # per phase, single-tweet requests (each emits a span, a request and an event)


def score_phase(url: str) -> tuple[list[float], list[dict]]:
    latencies, answers = [], []
    with httpx.Client(base_url=url, timeout=30) as http:
        for i in range(CALLS):
            start = time.perf_counter()
            response = http.post("/api/predict", json={"text": TWEETS[i % len(TWEETS)]})
            latencies.append(time.perf_counter() - start)
            assert response.status_code == 200, response.text
            prediction = response.json()["predictions"][0]
            answers.append({"label": prediction["label"], "scores": prediction["scores"]})
    return latencies, answers


def test_ingestion_500_slow_or_down_leaves_scoring_unaffected(
    server_with_faulty_telemetry, faulty_ingestion
):
    url, stand_in = server_with_faulty_telemetry, faulty_ingestion
    score_phase(url)  # warm-up: model loaded, exporter running
    stand_in.wait_for(lambda s: s.events(), timeout=30)  # telemetry really flows when healthy
    healthy_latencies, healthy_answers = score_phase(url)
    baseline = statistics.median(healthy_latencies)

    phases = {}
    for mode in ("error", "slow", "down"):
        hits_before = stand_in.hits.get(mode, 0)
        if mode == "down":
            stand_in.go_down()
        else:
            stand_in.mode = mode
        latencies, answers = score_phase(url)
        if mode != "down":  # the exporter really met the fault during (or right after) the phase
            wait_until(lambda m=mode, h=hits_before: stand_in.hits[m] > h, 20,
                       f"the exporter to hit the {mode} endpoint")  # fmt: skip
        phases[mode] = latencies
        assert answers == healthy_answers, f"answers changed with telemetry {mode}"
        assert max(latencies) < 5.0, f"a request waited on telemetry ({mode}): {max(latencies)}"
        assert statistics.median(latencies) < 3 * baseline + 0.02, (
            f"median latency {statistics.median(latencies):.4f}s with telemetry {mode}, "
            f"{baseline:.4f}s when healthy"
        )
    assert httpx.get(f"{url}/api/health").json()["status"] == "ok"
    response = httpx.post(f"{url}/api/feedback", json={"text": "x", "predicted_label": "?",
                                                       "is_correct": True})  # fmt: skip
    assert response.status_code == 422  # the app still validates and answers normally
