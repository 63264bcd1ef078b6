"""Request and response bodies of the HTTP API (they also make the OpenAPI document).

Requests are strict: unknown fields are refused (a typo such as ``"txt"`` must not silently score
nothing), and no type is coerced (``{"text": 5}`` is an error, not the tweet ``"5"``). Limits that
depend on the settings (batch size, text length) or on the served model (its labels) are checked in
:mod:`tweet_sentiment.api.validation` and written into the OpenAPI document by
:mod:`tweet_sentiment.api.openapi`, so a client reading the document knows every rule a request
must follow.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictStr,
    ValidationInfo,
    field_validator,
)
from pydantic_core import PydanticCustomError

# Error types of the feedback rules (training tells its rejection reasons by them).
UNKNOWN_LABEL = "unknown_label"
INCONSISTENT = "inconsistent"
CORRECT_LABEL_MISSING = "correct_label_missing"


class PredictRequest(BaseModel):
    """Exactly one of ``text`` (one tweet) or ``texts`` (a batch)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"text": "@AirParadis lost my bag again, thanks a lot"}]},
    )

    text: StrictStr | None = Field(default=None, description="one tweet")
    texts: list[StrictStr] | None = Field(default=None, description="a batch of tweets")


class TokenContribution(BaseModel):
    token: str = Field(description="a token of the normalised tweet")
    contribution: float = Field(
        description="drop of the predicted label's log-odds when this token is removed "
        "(positive: the token pushed towards the label)"
    )


class PredictionOut(BaseModel):
    prediction_id: str = Field(description="quote it when sending feedback")
    text: str
    label: str
    scores: dict[str, float] = Field(description="probability of every class (sums to 1)")
    model_version: str
    language: str = Field(
        description="the tweet's language (ISO 639 code from CLD2), 'und' when undetermined"
    )
    reliable: bool = Field(
        description="false when the tweet is in another language than English: the model reads "
        "English only, so its label should not be trusted (the bad-buzz counts leave it out)"
    )
    explanation: list[TokenContribution] | None = None


class PredictResponse(BaseModel):
    model_version: str
    labels: list[str]
    predictions: list[PredictionOut]


class FeedbackRequest(BaseModel):
    """A user's verdict on one prediction."""

    # (The docstring is the OpenAPI description.) The stored document, FeedbackDocument in
    # tweet_sentiment.feedback_store, extends this model, so its rules hold wherever feedback is
    # read or written: the rules linking is_correct, predicted_label and correct_label are its
    # validators (once validated, correct_label is always set); labels are checked against
    # context={"labels": [...]} when the validation is given one (the served model's at the
    # API, the champion's when training reads feedback).

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "text": "@AirParadis lost my bag again, thanks a lot",
                    "predicted_label": "positive",
                    "is_correct": False,
                    "correct_label": "negative",
                    "prediction_id": "6f1c0f0e-8a53-4c1e-9d0b-2c6e1f4f8a11",
                }
            ]
        },
    )

    text: StrictStr
    predicted_label: StrictStr
    is_correct: StrictBool
    correct_label: StrictStr | None = Field(
        default=None,
        validate_default=True,
        description="required when is_correct is false, and then different from "
        "predicted_label; with is_correct true, absent or equal to predicted_label",
    )
    prediction_id: StrictStr | None = Field(default=None, max_length=100)
    model_version: StrictStr | None = Field(
        default=None, max_length=200, description="defaults to the served model's version"
    )
    idempotency_key: StrictStr | None = Field(
        default=None,
        max_length=200,
        description="a key the client picks for this feedback (e.g. a uuid4) and sends again "
        "when it resends it (no answer, or a 503): the feedback is stored once, and every resend "
        "gets the stored feedback_id",
    )

    @field_validator("predicted_label", "correct_label")
    @classmethod
    def _known_label(cls, value: str | None, info: ValidationInfo) -> str | None:
        labels = (info.context or {}).get("labels")
        if value is not None and labels is not None and value not in labels:
            raise PydanticCustomError(
                UNKNOWN_LABEL,
                "{value} is not one of {labels}",
                {"value": repr(value), "labels": str(labels)},
            )
        return value

    @field_validator("correct_label")
    @classmethod
    def _agrees_with_is_correct(cls, value: str | None, info: ValidationInfo) -> str | None:
        """The verdict is one of: right (``correct_label`` absent or the prediction) or wrong
        (``correct_label`` another label)."""
        if "is_correct" not in info.data or "predicted_label" not in info.data:
            return value  # already refused for its own field
        predicted, is_correct = info.data["predicted_label"], info.data["is_correct"]
        if value is None and not is_correct:
            raise PydanticCustomError(CORRECT_LABEL_MISSING, "required when is_correct is false")
        if value is not None and is_correct and value != predicted:
            raise PydanticCustomError(INCONSISTENT, "differs from predicted_label but is_correct")
        if value is not None and not is_correct and value == predicted:
            raise PydanticCustomError(INCONSISTENT, "equals predicted_label but not is_correct")
        return predicted if value is None else value


class FeedbackResponse(BaseModel):
    feedback_id: str
    blob_name: str


class HealthResponse(BaseModel):
    status: str
    model_loaded: bool
    model_version: str | None
    detail: str | None = None


class BuzzResponse(BaseModel):
    """POST /api/buzz: the windows as `python -m tweet_sentiment buzz` writes them (JSON lines),
    and one summary per alert."""

    model_version: str
    scored: int = Field(description="tweets scored")
    params: dict[str, Any] = Field(description="the detector's parameters (BuzzParams)")
    windows: list[dict[str, Any]] = Field(
        description="start, end, scored, negative, negative_share, expected_scored, "
        "expected_negative, expected_share, threshold_share, surprise, alert, alert_id, onset, "
        "themes and examples (alert windows)"
    )
    alerts: list[dict[str, Any]] = Field(
        description="alert_id, start, end, windows, negative, peak_surprise, peak_start, themes, "
        "examples"
    )


class ErrorResponse(BaseModel):
    error: str = Field(description="machine-readable error code")
    message: str = Field(description="what is wrong, for a person")
    details: list[dict[str, Any]] | None = None


# A text must hold at least one character outside this class to not be blank. Spelled out so it
# means the same in Python (the server) and in ECMA-262 (JSON Schema `pattern`, clients): Python's
# whitespace (str.isspace) and ECMA's differ only by \x1c-\x1f, \x85 and the BOM \ufeff.
NOT_BLANK = r"[^\s\x1c-\x1f\x85\ufeff]"
_NOT_BLANK = re.compile(NOT_BLANK)


def is_blank(text: str) -> bool:
    return _NOT_BLANK.search(text) is None
