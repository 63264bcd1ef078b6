"""The rules a request must follow beyond its schema: they depend on the settings (batch size,
text length) or on the served model (its labels). Each failure is a 422 naming every bad field.
"""

from __future__ import annotations

from typing import Any

from tweet_sentiment.api.errors import ApiError, Problem, summary
from tweet_sentiment.config import Settings
from tweet_sentiment.schemas import FeedbackRequest, PredictRequest, is_blank
from tweet_sentiment.scorer import Scorer


def texts_of(body: PredictRequest, settings: Settings, explain: bool) -> list[str]:
    """The batch to score, or an ApiError naming every bad tweet."""
    if (body.text is None) == (body.texts is None):
        raise ApiError(422, "validation_error", 'send exactly one of "text" or "texts"')
    texts = [body.text] if body.text is not None else list(body.texts or [])
    limit = settings.max_explain_batch if explain else settings.max_batch
    if not texts:
        raise ApiError(422, "validation_error", '"texts" is empty: send at least one tweet')
    if len(texts) > limit:
        what = "tweets with explain=true" if explain else "tweets per call"
        raise ApiError(422, "batch_too_large", f"{len(texts)} tweets sent, at most {limit} {what}")
    field = "text" if body.text is not None else "texts"
    problems = []
    for i, text in enumerate(texts):
        problem = text_problem(text, settings.max_text_chars)
        if problem:
            loc: list[Any] = ["body", field] if field == "text" else ["body", field, i]
            problems.append({"loc": loc, "msg": problem})
    if problems:
        raise ApiError(422, "validation_error", summary(problems), problems)
    return texts


def text_problem(text: str, max_chars: int) -> str | None:
    if is_blank(text):
        return "text is empty or only whitespace"
    if len(text) > max_chars:
        return f"text has {len(text)} characters, at most {max_chars} allowed"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "text contains invalid Unicode (a lone surrogate escape such as \\ud800)"
    return None


def feedback_document(body: FeedbackRequest, scorer: Scorer, settings: Settings) -> dict[str, Any]:
    problems: list[Problem] = []
    for field in ("text", "predicted_label", "correct_label", "prediction_id", "model_version"):
        value = getattr(body, field)
        if value is None:
            continue
        problem = text_problem(value, settings.max_text_chars)
        if problem:
            problems.append({"loc": ["body", field], "msg": problem})
    for field in ("predicted_label", "correct_label"):
        value = getattr(body, field)
        if value is not None and value not in scorer.labels:
            problems.append(
                {"loc": ["body", field], "msg": f"{value!r} is not one of {scorer.labels}"}
            )
    correct = body.correct_label
    if body.is_correct and correct is not None and correct != body.predicted_label:
        problems.append(
            {"loc": ["body", "correct_label"], "msg": "differs from predicted_label but is_correct"}
        )
    if not body.is_correct and correct is None:
        problems.append(
            {"loc": ["body", "correct_label"], "msg": "required when is_correct is false"}
        )
    if not body.is_correct and correct is not None and correct == body.predicted_label:
        problems.append(
            {"loc": ["body", "correct_label"], "msg": "equals predicted_label but not is_correct"}
        )
    if problems:
        raise ApiError(422, "validation_error", summary(problems), problems)
    return {
        "text": body.text,
        "predicted_label": body.predicted_label,
        "is_correct": body.is_correct,
        "correct_label": correct or body.predicted_label,
        "prediction_id": body.prediction_id,
        "model_version": body.model_version or scorer.model_version,
        "served_model_version": scorer.model_version,
        "labels": scorer.labels,
    }
