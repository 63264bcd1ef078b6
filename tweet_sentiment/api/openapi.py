"""The OpenAPI document: FastAPI's, plus every rule the code enforces that a schema can state.

Built once per process, like the model is loaded once: the labels are the model card's on disk,
the limits those of the settings. Rules JSON Schema cannot state stay in the API description.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI

from tweet_sentiment.artifacts import read_card
from tweet_sentiment.config import Settings
from tweet_sentiment.schemas import NOT_BLANK

_DESCRIPTION = """Scores tweets (negative / neutral / positive, or whatever labels the served
model was trained with) and records users' feedback.

Limits: at most {s.max_batch} tweets per call ({s.max_explain_batch} with `explain=true`), at most
{s.max_text_chars} characters per tweet, bodies up to {s.max_body_bytes} bytes, valid Unicode (no
lone surrogate escapes such as `\\ud800`). Every error is a JSON body
`{{"error", "message", "details"}}`."""


def description(settings: Settings) -> str:
    return _DESCRIPTION.format(s=settings)


def serve_rules(app: FastAPI, settings: Settings) -> None:
    """Make ``app`` serve a document that states the limits of ``settings`` and the labels."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        schema = app.openapi_schema
        if schema is None:
            try:
                labels: list[str] | None = read_card(settings.model_dir).labels
            except (OSError, ValueError):
                labels = None  # the document still serves; /api/health says what is wrong
            schema = generate()  # also caches it in app.openapi_schema
            document_rules(schema, settings.max_batch, settings.max_text_chars, labels)
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def document_rules(
    schema: dict[str, Any], max_batch: int, max_text_chars: int, labels: Sequence[str] | None
) -> dict[str, Any]:
    """Add the rules the code enforces to the generated OpenAPI document (in place, idempotent).

    Exactly one of ``text``/``texts``, non-blank texts up to ``max_text_chars``, batches of 1 to
    ``max_batch`` and, when the model card is readable, the label set. Rules that stay in prose
    (the API description): the body size limit, valid Unicode (no lone surrogates), the smaller
    batch limit with ``explain=true`` and how ``correct_label`` must relate to ``predicted_label``
    (JSON Schema cannot compare two fields).
    """
    models = schema["components"]["schemas"]
    tweet = {"type": "string", "minLength": 1, "maxLength": max_text_chars, "pattern": NOT_BLANK}
    predict = models["PredictRequest"]["properties"]
    predict["text"]["anyOf"] = [tweet, {"type": "null"}]
    batch = {"type": "array", "items": tweet, "minItems": 1, "maxItems": max_batch}
    predict["texts"]["anyOf"] = [batch, {"type": "null"}]
    models["PredictRequest"]["oneOf"] = [
        {"required": [one], "properties": {one: {"not": {"type": "null"}}, other: {"type": "null"}}}
        for one, other in (("text", "texts"), ("texts", "text"))
    ]
    feedback = models["FeedbackRequest"]["properties"]
    feedback["text"] |= tweet
    label = {**tweet, "enum": list(labels)} if labels else tweet
    feedback["predicted_label"] |= label
    feedback["correct_label"]["anyOf"] = [label, {"type": "null"}]
    for name in ("prediction_id", "model_version", "idempotency_key"):
        text = feedback[name]["anyOf"][0]
        text |= {**tweet, "maxLength": min(text.get("maxLength", max_text_chars), max_text_chars)}
    if labels:  # the example must be valid for the served model (it may have other labels)
        (example,) = models["FeedbackRequest"]["examples"]
        models["FeedbackRequest"]["examples"] = [
            {**example, "predicted_label": labels[-1], "correct_label": labels[0]}
        ]
    models["FeedbackRequest"]["if"] = {
        "properties": {"is_correct": {"const": False}},
        "required": ["is_correct"],
    }
    models["FeedbackRequest"]["then"] = {
        "required": ["correct_label"],
        "properties": {"correct_label": {"not": {"type": "null"}}},
    }
    return schema
