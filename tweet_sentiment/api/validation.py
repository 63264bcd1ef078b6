"""The rules a request must follow beyond its schema: they depend on the settings (batch size,
text length) or on the served model (its labels). Each failure is a 422 naming every bad field.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

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


def check_feedback(body: FeedbackRequest, scorer: Scorer, settings: Settings) -> None:
    """The feedback's texts within the limits, its labels the served model's, or a 422 naming
    every bad field (the rules between the fields are the model's validators: already checked)."""
    problems: list[Problem] = []
    strings = ("text", "predicted_label", "correct_label", "prediction_id", "model_version",
               "idempotency_key")  # fmt: skip
    for field in strings:
        value = getattr(body, field)
        if value is None:
            continue
        problem = text_problem(value, settings.max_text_chars)
        if problem:
            problems.append({"loc": ["body", field], "msg": problem})
    try:
        FeedbackRequest.model_validate(body.model_dump(), context={"labels": scorer.labels})
    except ValidationError as error:
        problems += [{"loc": ["body", *e["loc"]], "msg": e["msg"]} for e in error.errors()]
    if problems:
        raise ApiError(422, "validation_error", summary(problems), problems)
