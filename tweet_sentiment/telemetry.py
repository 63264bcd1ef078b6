"""Telemetry: OpenTelemetry to Azure Monitor, and the custom events the alert rules count.

The event and property names below are a contract with `infra/` (the KQL of the alert rules):
tests/contract checks both sides use exactly these strings.
"""

from __future__ import annotations

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
