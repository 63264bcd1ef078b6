"""Telemetry as Azure Monitor receives it: the real exporter's envelopes, caught by a local stand-in
of the ingestion endpoint, and the spans/log records caught by in-memory exporters.

These are what the alert rules (infra/) count, so the names and customDimensions are checked
exactly against the constants of `tweet_sentiment.telemetry`.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import httpx

from tweet_sentiment import telemetry
from tweet_sentiment.api.events import theme_terms


def _dims(envelope: dict) -> dict:
    return envelope["data"]["baseData"].get("properties", {})


def test_scored_and_feedback_events_reach_the_ingestion_endpoint(telemetry_server, ingestion):
    texts = [
        "my flight was delayed and they lost my bag",
        "Vuelo retrasado otra vez, qué vergüenza",
    ]
    response = httpx.post(f"{telemetry_server}/api/predict", json={"texts": texts}, timeout=30)
    assert response.status_code == 200, response.text
    predictions = response.json()["predictions"]
    ids = {p["prediction_id"] for p in predictions}

    def ours(s):
        events = s.events(telemetry.SCORED_EVENT)
        found = [e for e in events if _dims(e).get("prediction_id") in ids]
        return found if len(found) == 2 else None

    scored = ingestion.wait_for(ours)
    by_id = {_dims(e)[telemetry.PROP_PREDICTION_ID]: _dims(e) for e in scored}
    for p in predictions:
        dims = by_id[p["prediction_id"]]
        assert dims[telemetry.PROP_LABEL] == p["label"]
        assert dims[telemetry.PROP_MODEL_VERSION] == p["model_version"]
        assert 0 <= float(dims[telemetry.PROP_OOV_RATE]) <= 1
        assert dims[telemetry.PROP_LANGUAGE] == p["language"]
        assert dims[telemetry.PROP_RELIABLE] == str(p["reliable"]).lower()
        if "negative" in p["scores"]:
            negative = float(dims[telemetry.PROP_NEGATIVE_PROBABILITY])
            assert abs(negative - p["scores"]["negative"]) < 1e-3

    # English keeps its reading; the Spanish tweet is marked (the bad-buzz counts leave it out)
    assert [(p["language"], p["reliable"]) for p in predictions] == [("en", True), ("es", False)]
    wrong = predictions[0]
    other = next(label for label in response.json()["labels"] if label != wrong["label"])
    feedback = {
        "text": wrong["text"], "predicted_label": wrong["label"], "is_correct": False,
        "correct_label": other, "prediction_id": wrong["prediction_id"],
    }  # fmt: skip
    saved = httpx.post(f"{telemetry_server}/api/feedback", json=feedback, timeout=30)
    assert saved.status_code == 201, saved.text

    (event,) = ingestion.wait_for(
        lambda s: [e for e in s.events(telemetry.FEEDBACK_EVENT)
                   if _dims(e).get("prediction_id") == wrong["prediction_id"]]
    )  # fmt: skip
    dims = _dims(event)
    assert event["name"] == "Microsoft.ApplicationInsights.Event"
    assert dims[telemetry.PROP_IS_CORRECT] == "false"
    assert dims[telemetry.PROP_PREDICTED_LABEL] == wrong["label"]
    assert dims[telemetry.PROP_CORRECT_LABEL] == other
    assert dims[telemetry.PROP_MODEL_VERSION] == wrong["model_version"]
    assert telemetry.CUSTOM_EVENT_NAME_ATTR not in dims  # the exporter consumed it as the name
    assert event["iKey"] == ingestion.instrumentation_key


def test_requests_and_scoring_spans_reach_the_ingestion_endpoint(telemetry_server, ingestion):
    response = httpx.post(
        f"{telemetry_server}/api/predict?explain=true", json={"text": "worst airline ever"}
    )
    assert response.status_code == 200
    version = response.json()["model_version"]

    def scoring_span(s):
        for envelope in s.of_type("RemoteDependencyData"):
            data = envelope["data"]["baseData"]
            if data["name"] == telemetry.SCORE_SPAN and data["properties"].get(
                telemetry.ATTR_EXPLAIN
            ) in ("True", "true"):
                return data
        return None

    span = ingestion.wait_for(scoring_span)
    props = span["properties"]
    assert props[telemetry.ATTR_BATCH_SIZE] == "1"
    assert props[telemetry.ATTR_MODEL_VERSION] == version
    assert float(props[telemetry.ATTR_LATENCY_MS]) > 0
    assert 0 <= float(props[telemetry.ATTR_OOV_RATE]) <= 1
    label = response.json()["predictions"][0]["label"]
    assert props[telemetry.ATTR_LABEL_COUNT_PREFIX + label] == "1"

    # The ingestion stand-in is shared by the session: other tests' requests (422s) are there too.
    def our_request(s):
        return [e for e in s.of_type("RequestData")
                if "/api/predict?explain=true" in e["data"]["baseData"].get("url", "")
                and e["data"]["baseData"]["responseCode"] == "200"]  # fmt: skip

    assert ingestion.wait_for(our_request)


def test_telemetry_endpoint_down_never_fails_a_request(app_settings, tmp_path):
    """The exporter pointed at a closed port: the API still answers, and promptly."""
    script = textwrap.dedent(
        f"""
        import json, time
        from fastapi.testclient import TestClient
        from tweet_sentiment.api import create_app
        from tweet_sentiment.config import Settings
        from tweet_sentiment import telemetry
        settings = Settings(model_dir={str(app_settings.model_dir)!r},
            appinsights_connection_string="InstrumentationKey=00000000-0000-0000-0000-000000000000;"
            "IngestionEndpoint=http://127.0.0.1:9/")
        client = TestClient(create_app(settings))
        start = time.perf_counter()
        codes = [client.post("/api/predict", json={{"text": "lost my bag"}}).status_code
                 for _ in range(20)]
        print(json.dumps({{"codes": codes, "on": telemetry.is_configured(),
                          "seconds": time.perf_counter() - start}}))
        """
    )
    out = _run_python(script, tmp_path)
    assert out["on"] is True
    assert set(out["codes"]) == {200}
    assert out["seconds"] < 10


COMPLAINT = "@AirParadis lost my bag AGAIN, worst airline ever #lostluggage https://t.co/x"
TEXTS = ["great crew", "lost my bag", "ok", COMPLAINT]


def test_spans_and_events_in_memory(app_settings, tmp_path):
    """The same pipeline with in-memory exporters added: the scoring span and the events."""
    script = textwrap.dedent(
        f"""
        import json
        from fastapi.testclient import TestClient
        from opentelemetry.sdk.trace.export import SimpleSpanProcessor
        from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
        from opentelemetry.sdk._logs.export import SimpleLogRecordProcessor
        from opentelemetry.sdk._logs.export import InMemoryLogRecordExporter
        from tweet_sentiment import telemetry
        from tweet_sentiment.api import create_app
        from tweet_sentiment.config import Settings
        spans, logs = InMemorySpanExporter(), InMemoryLogRecordExporter()
        telemetry.configure("InstrumentationKey=00000000-0000-0000-0000-000000000000;"
                            "IngestionEndpoint=http://127.0.0.1:9/",
                            span_processors=[SimpleSpanProcessor(spans)],
                            log_record_processors=[SimpleLogRecordProcessor(logs)])
        client = TestClient(create_app(Settings(model_dir={str(app_settings.model_dir)!r})))
        body = client.post("/api/predict", json={{"texts": {TEXTS!r}}})
        assert body.status_code == 200, body.text
        score = [dict(s.attributes) for s in spans.get_finished_spans()
                 if s.name == telemetry.SCORE_SPAN]
        server = [s.name for s in spans.get_finished_spans() if s.kind.name == "SERVER"]
        events = [dict(r.log_record.attributes) for r in logs.get_finished_logs()
                  if telemetry.CUSTOM_EVENT_NAME_ATTR in (r.log_record.attributes or {{}})]
        print(json.dumps({{"score": score, "server": server, "events": events,
                          "labels": [p["label"] for p in body.json()["predictions"]],
                          "predictions": body.json()["predictions"]}}))
        """
    )
    out = _run_python(script, tmp_path)
    (span,) = out["score"]
    assert span[telemetry.ATTR_BATCH_SIZE] == 4
    counts = {k.removeprefix(telemetry.ATTR_LABEL_COUNT_PREFIX): v for k, v in span.items()
              if k.startswith(telemetry.ATTR_LABEL_COUNT_PREFIX)}  # fmt: skip
    assert sum(counts.values()) == 4
    for label in out["labels"]:
        assert counts[label] >= 1
    assert any("/api/predict" in name for name in out["server"]), out["server"]
    names = [e[telemetry.CUSTOM_EVENT_NAME_ATTR] for e in out["events"]]
    assert names == [telemetry.SCORED_EVENT] * 4
    assert sorted(e[telemetry.PROP_LABEL] for e in out["events"]) == sorted(out["labels"])
    # Negative tweets carry their theme terms (what a buzz is about), never the text itself.
    texts = {p["prediction_id"]: p["text"] for p in out["predictions"]}
    for event in out["events"]:
        text = texts[event[telemetry.PROP_PREDICTION_ID]]
        assert text not in event.values()
        if event[telemetry.PROP_LABEL] == "negative":
            assert event[telemetry.PROP_TERMS] == theme_terms(text)
        else:
            assert telemetry.PROP_TERMS not in event
    complaint = next(e for e in out["events"] if "#lostluggage" in e.get(telemetry.PROP_TERMS, ""))
    assert complaint[telemetry.PROP_TERMS] == "#lostluggage @airparadis airline bag ever lost worst"


def _run_python(script: str, tmp_path) -> dict:
    env_script = tmp_path / "probe.py"
    env_script.write_text(script)
    done = subprocess.run(
        [sys.executable, str(env_script)],
        capture_output=True, text=True, timeout=120,
        env={"APPLICATIONINSIGHTS_STATSBEAT_DISABLED_ALL": "true", "TMPDIR": str(tmp_path),
             "PATH": "/usr/bin:/bin", "PYTHONPATH": str(__import__("pathlib").Path.cwd())},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])
