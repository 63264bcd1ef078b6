"""The customEvents the API emits (the alerts and the drift query count them)."""

from __future__ import annotations

from typing import Any

from tweet_sentiment import telemetry, themes
from tweet_sentiment.feedback_store import FeedbackDocument
from tweet_sentiment.schemas import PredictionOut


def emit_scored(predictions: list[PredictionOut], oov: float) -> None:
    """One `tweet_scored` customEvent per tweet: the bad-buzz alert counts their labels.

    Run after the response where the server allows it: 1,000 events cost ~0.18 s.
    """
    if not telemetry.is_configured():
        return
    for p in predictions:
        properties: dict[str, Any] = {
            telemetry.PROP_LABEL: p.label,
            telemetry.PROP_MODEL_VERSION: p.model_version,
            telemetry.PROP_PREDICTION_ID: p.prediction_id,
            telemetry.PROP_OOV_RATE: round(oov, 4),
            telemetry.PROP_LANGUAGE: p.language,
            telemetry.PROP_RELIABLE: p.reliable,
        }
        if "negative" in p.scores:  # the bad-buzz alert's dimension, when the model has it
            properties[telemetry.PROP_NEGATIVE_PROBABILITY] = round(p.scores["negative"], 4)
        if p.label == "negative":  # what a buzz is about: only where a buzz is counted
            properties[telemetry.PROP_TERMS] = theme_terms(p.text)
        telemetry.emit_event(telemetry.SCORED_EVENT, properties)


def theme_terms(text: str) -> str:
    """The tweet's theme terms as one dimension: sorted, at most MAX_TERMS of at most
    MAX_TERM_CHARS each, space-separated (a term never contains a space).

    Why not the text: the themes need the bag of terms only, and a bag without order, stop
    words, links or numbers says what a tweet is about without keeping what it says.
    """
    kept = sorted(t for t in themes.terms(text) if len(t) <= telemetry.MAX_TERM_CHARS)
    return " ".join(kept[: telemetry.MAX_TERMS])


def emit_feedback(document: FeedbackDocument) -> None:
    """One `feedback` customEvent per stored feedback (the mispredictions query reads them)."""
    telemetry.emit_event(
        telemetry.FEEDBACK_EVENT,
        {
            telemetry.PROP_IS_CORRECT: document.is_correct,
            telemetry.PROP_PREDICTED_LABEL: document.predicted_label,
            telemetry.PROP_CORRECT_LABEL: document.correct_label,
            telemetry.PROP_MODEL_VERSION: document.model_version,
            telemetry.PROP_PREDICTION_ID: document.prediction_id,
        },
    )
