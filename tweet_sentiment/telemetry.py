"""Telemetry: OpenTelemetry to Azure Monitor, and the custom events the alert rules count.

The event and property names below are a contract with `infra/` (the KQL of the alert rules):
tests/contract checks both sides use exactly these strings.

How events reach `customEvents`: a log record on the :data:`EVENTS_LOGGER` logger carrying the
attribute ``microsoft.custom_event.name`` is exported by azure-monitor-opentelemetry as an
EventData envelope named by that attribute, with the other attributes as `customDimensions`.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from opentelemetry import trace

# One event per feedback (alert: user-reported mispredictions).
FEEDBACK_EVENT = "prediction_feedback"
# One event per scored tweet (alert: bad buzz, share of negative tweets; drift per model version).
SCORED_EVENT = "tweet_scored"

# customDimensions of the events (Application Insights stores every value as a string).
PROP_IS_CORRECT = "is_correct"  # "true" / "false"
PROP_PREDICTED_LABEL = "predicted_label"
PROP_CORRECT_LABEL = "correct_label"
PROP_LABEL = "label"
PROP_MODEL_VERSION = "model_version"
PROP_PREDICTION_ID = "prediction_id"
PROP_NEGATIVE_PROBABILITY = "negative_probability"
PROP_OOV_RATE = "oov_rate"
PROP_LANGUAGE = "language"
PROP_RELIABLE = "reliable"  # "true" / "false": false for a tweet in another language
# Negative tweets only: their theme terms (tweet_sentiment.themes.terms: words, #hashtags,
# @mentions; no stop words, URLs or numbers), space-separated, sorted, capped; the themes of an
# Azure alert are computed from them (infra/kql/buzz_themes.kql). Never the tweet itself.
PROP_TERMS = "terms"
MAX_TERMS = 20  # per tweet; a tweet has ~8 (280 characters at most)
MAX_TERM_CHARS = 40
# Added by serving: attribute names of the scoring span (traces/dependencies customDimensions).
SCORE_SPAN = "score_tweets"
ATTR_BATCH_SIZE = "sentiment.batch_size"
ATTR_LATENCY_MS = "sentiment.latency_ms"
ATTR_MODEL_VERSION = "sentiment.model_version"
ATTR_OOV_RATE = "sentiment.oov_rate"
ATTR_LABEL_COUNT_PREFIX = "sentiment.label_count."
ATTR_EXPLAIN = "sentiment.explain"
# The logger whose records become customEvents (via `microsoft.custom_event.name`).
EVENTS_LOGGER = "tweet_sentiment.events"
# The attribute the azure-monitor exporter reads to turn a log record into a customEvent
# (azure/monitor/opentelemetry/exporter/_constants.py: _MICROSOFT_CUSTOM_EVENT_NAME).
CUSTOM_EVENT_NAME_ATTR = "microsoft.custom_event.name"


_log = logging.getLogger(__name__)
_events = logging.getLogger(EVENTS_LOGGER)
_events.setLevel(logging.INFO)
_configure_lock = threading.Lock()
_configured = False
_tracer = trace.get_tracer("tweet_sentiment")


def configure(
    connection_string: str | None,
    span_processors: Sequence[Any] = (),
    log_record_processors: Sequence[Any] = (),
    authentication_string: str | None = None,
) -> bool:
    """Send traces, logs and custom events to Azure Monitor; once per process, no-op without a
    connection string. Returns whether telemetry is on.

    Why these options: logs (hence custom events) are never sampled
    (``enable_trace_based_sampling_for_logs=False``), whatever the trace sampling, because the
    alert rules count them, and their export queue holds 65536 records (a full 1,000-tweet batch
    is 1,000 events; the SDK default of 2048 would drop some under load). Traces are kept at 100%
    (the distro's default is a 5 traces/s rate limit, which dropped requests in our tests) unless
    `OTEL_TRACES_SAMPLER` says otherwise: the volume is thousands a day. Live metrics are off (a
    background connection per worker for a feature nobody here uses). Extra processors let
    tests capture telemetry in memory. ``authentication_string`` is Azure Functions'
    `APPLICATIONINSIGHTS_AUTHENTICATION_STRING` (``Authorization=AAD;ClientId=...``): with it the
    exporter signs in with the managed identity, so Application Insights can refuse keys.
    """
    global _configured
    if not connection_string:
        return False
    with _configure_lock:
        if _configured:
            return True
        try:
            from azure.monitor.opentelemetry import configure_azure_monitor

            sampling = {} if os.environ.get("OTEL_TRACES_SAMPLER") else {"sampling_ratio": 1.0}
            os.environ.setdefault("OTEL_BLRP_MAX_QUEUE_SIZE", "65536")
            credential = _credential_from(authentication_string)
            configure_azure_monitor(
                **sampling,
                **({"credential": credential} if credential else {}),
                connection_string=connection_string,
                logger_name="tweet_sentiment",
                enable_live_metrics=False,
                enable_trace_based_sampling_for_logs=False,
                span_processors=list(span_processors),
                log_record_processors=list(log_record_processors),
            )
            logging.getLogger("tweet_sentiment").setLevel(logging.INFO)
            _configured = True
        except Exception:  # telemetry must never stop the service from starting
            _log.exception("Azure Monitor telemetry could not be configured; running without it")
    return _configured


def _credential_from(authentication_string: str | None) -> Any:
    """A managed-identity credential for ``Authorization=AAD[;ClientId=<id>]``, else None."""
    if not authentication_string:
        return None
    parts = dict(part.split("=", 1) for part in authentication_string.split(";") if "=" in part)
    if parts.get("Authorization", "").upper() != "AAD":
        return None
    from azure.identity import ManagedIdentityCredential

    client_id = parts.get("ClientId") or None
    return ManagedIdentityCredential(client_id=client_id)


def is_configured() -> bool:
    return _configured


def emit_event(name: str, properties: Mapping[str, Any]) -> None:
    """One customEvent named ``name`` with string ``customDimensions``; never raises."""
    if not _configured:
        return
    try:
        attributes = {key: _as_dimension(value) for key, value in properties.items()}
        attributes[CUSTOM_EVENT_NAME_ATTR] = name
        _events.info(name, extra=attributes)
    except Exception:
        _log.debug("custom event %s dropped", name, exc_info=True)


def _as_dimension(value: Any) -> str:
    """Application Insights stores dimensions as strings; booleans as KQL-friendly true/false."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


@contextmanager
def scoring_span(batch_size: int, model_version: str, explain: bool) -> Iterator[dict[str, Any]]:
    """A span around one scoring call; the caller fills the yielded dict with results."""
    results: dict[str, Any] = {}
    start = time.perf_counter()
    with _tracer.start_as_current_span(SCORE_SPAN) as span:
        yield results
        try:
            span.set_attribute(ATTR_BATCH_SIZE, batch_size)
            span.set_attribute(ATTR_MODEL_VERSION, model_version)
            span.set_attribute(ATTR_EXPLAIN, explain)
            span.set_attribute(ATTR_LATENCY_MS, round((time.perf_counter() - start) * 1000, 3))
            if "oov_rate" in results:
                span.set_attribute(ATTR_OOV_RATE, float(results["oov_rate"]))
            for label, count in results.get("label_counts", {}).items():
                span.set_attribute(ATTR_LABEL_COUNT_PREFIX + label, int(count))
        except Exception:
            _log.debug("span attributes dropped", exc_info=True)
