"""The routes: each is one function, its body/response schemas and the dependencies it needs.

A new JSON route is a function on :data:`api` with a pydantic body: the router's
:func:`~tweet_sentiment.api.dependencies.json_body` gives it the 415 check, the error handlers
its 4xx answers, the OpenAPI document its schema.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse
from pydantic import ValidationError

from tweet_sentiment import telemetry
from tweet_sentiment.api import buzz_upload, events
from tweet_sentiment.api.dependencies import (
    ModelDep,
    ScorerDep,
    SettingsDep,
    StoreDep,
    json_body,
)
from tweet_sentiment.api.errors import ERROR_RESPONSES, ApiError
from tweet_sentiment.api.validation import check_feedback, texts_of
from tweet_sentiment.buzz import BuzzParams
from tweet_sentiment.feedback_store import StorageUnavailable
from tweet_sentiment.schemas import (
    BuzzResponse,
    FeedbackRequest,
    FeedbackResponse,
    HealthResponse,
    PredictionOut,
    PredictRequest,
    PredictResponse,
    TokenContribution,
)

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"

api = APIRouter(prefix="/api", dependencies=[Depends(json_body)])
pages = APIRouter(include_in_schema=False)


@api.post("/predict", response_model=PredictResponse, responses=ERROR_RESPONSES, tags=["scoring"])
def predict(
    body: PredictRequest,
    scorer: ScorerDep,
    settings: SettingsDep,
    background: BackgroundTasks,
    explain: Annotated[
        bool, Query(description="add each token's contribution (occlusion)")
    ] = False,
) -> PredictResponse:
    """Score one tweet (`text`) or a batch (`texts`)."""
    texts = texts_of(body, settings, explain)
    with telemetry.scoring_span(len(texts), scorer.model_version, explain) as span:
        result = scorer.predict(texts, explain=explain)
        span.update(oov_rate=result.oov_rate, label_counts=result.label_counts)
    out = [
        PredictionOut(
            prediction_id=str(uuid.uuid4()),
            text=text,
            label=prediction.label,
            scores=prediction.scores,
            model_version=scorer.model_version,
            language=prediction.language,
            reliable=prediction.reliable,
            explanation=None
            if prediction.explanation is None
            else [TokenContribution(token=t, contribution=c) for t, c in prediction.explanation],
        )
        for text, prediction in zip(texts, result.predictions, strict=True)
    ]
    background.add_task(events.emit_scored, out, result.oov_rate)
    return PredictResponse(
        model_version=scorer.model_version, labels=scorer.labels, predictions=out
    )


@api.post(
    "/feedback",
    status_code=201,
    response_model=FeedbackResponse,
    responses=ERROR_RESPONSES,
    tags=["feedback"],
)
def feedback(
    body: FeedbackRequest, scorer: ScorerDep, store: StoreDep, settings: SettingsDep
) -> FeedbackResponse:
    """Record whether a prediction was right; 201 only once the document is stored (a resend
    with the same `idempotency_key`: 201 with the stored one, nothing written twice)."""
    check_feedback(body, scorer, settings)
    try:
        saved = store.save(body, scorer.model_version, scorer.labels)
    except StorageUnavailable as exc:
        raise ApiError(503, "storage_unavailable", f"{exc}; feedback NOT saved, retry") from exc
    if saved.created:  # one event per stored feedback, not per resend
        events.emit_feedback(saved.document)
    return FeedbackResponse(feedback_id=saved.document.feedback_id, blob_name=saved.blob_name)


CSV_BODY = {
    "required": True,
    "content": {
        "text/csv": {
            "schema": {"type": "string"},
            "example": "text,created_at\n@AirParadis lost my bag,2026-11-20T10:01:00Z\n",
        }
    },
}


@api.post(
    "/buzz",
    response_model=BuzzResponse,
    responses=ERROR_RESPONSES,
    tags=["buzz"],
    openapi_extra={"requestBody": CSV_BODY},
)
async def buzz(
    request: Request,
    scorer: ScorerDep,
    settings: SettingsDep,
    window_minutes: Annotated[
        int, Query(ge=1, le=720, description="window length; must divide a day")
    ] = 15,
) -> dict[str, Any]:
    """Bad buzzes in a CSV of dated tweets (`text`, `created_at` ISO 8601, sorted): every window
    (volume, negative share, expected, surprise, alert) and each alert with its themes. The
    detector of `python -m tweet_sentiment buzz` with its default parameters."""
    buzz_upload.check_media_type(request.headers.get("content-type", ""))
    try:
        params = BuzzParams(window=timedelta(minutes=window_minutes))
    except ValidationError as error:
        message = "; ".join(e["msg"] for e in error.errors())
        raise ApiError(422, "validation_error", f"window_minutes: {message}") from None
    body = await request.body()
    return await run_in_threadpool(
        buzz_upload.timeline, body, scorer, params, settings.max_buzz_days
    )


@api.get("/health", response_model=HealthResponse, tags=["service"])
def health(model: ModelDep) -> HealthResponse:
    """Liveness: the process answers; says whether the model is loaded (it loads lazily)."""
    scorer = model.loaded
    return HealthResponse(
        status="ok",
        model_loaded=scorer is not None,
        model_version=scorer.model_version if scorer else None,
        detail=model.error,
    )


@api.get("/model", tags=["service"], responses=ERROR_RESPONSES)
def model_card(scorer: ScorerDep) -> dict[str, Any]:
    """The model card (metadata.json): labels, metrics, training data fingerprint, version."""
    return scorer.card.model_dump(mode="json")


@pages.get("/")
def page() -> FileResponse:
    return FileResponse(STATIC_DIR / "index.html", media_type="text/html")
