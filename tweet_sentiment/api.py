"""The HTTP API (FastAPI): one app served by Azure Functions (`function_app.py`) and by uvicorn.

Error policy: whatever a client sends, the answer is a 4xx JSON body
(``{"error": code, "message": text, "details": [...]}``) saying what is wrong; a 5xx only means
the service itself is broken (503: model or storage unavailable).
"""

from __future__ import annotations

import logging
import threading
import uuid
from pathlib import Path
from typing import Any

from fastapi import BackgroundTasks, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from tweet_sentiment import telemetry
from tweet_sentiment.artifacts import read_card
from tweet_sentiment.config import Settings, get_settings
from tweet_sentiment.feedback_store import FeedbackStore, StorageUnavailable
from tweet_sentiment.schemas import (
    ErrorResponse,
    FeedbackRequest,
    FeedbackResponse,
    HealthResponse,
    PredictionOut,
    PredictRequest,
    PredictResponse,
    TokenContribution,
    document_rules,
    is_blank,
)
from tweet_sentiment.scorer import Scorer

STATIC_DIR = Path(__file__).parent / "static"
JSON_ROUTES = ("/api/predict", "/api/feedback")
_log = logging.getLogger(__name__)


class ApiError(Exception):
    """An error the client should see as is (status, code, message)."""

    def __init__(self, status: int, error: str, message: str, details: list | None = None):
        super().__init__(message)
        self.status, self.error, self.message, self.details = status, error, message, details


class ModelHolder:
    """Loads the model once per process, on first use (see :func:`create_app` for why lazy)."""

    def __init__(self, model_dir: Path) -> None:
        self.model_dir = model_dir
        self._scorer: Scorer | None = None
        self._error: str | None = None
        self._lock = threading.Lock()

    @property
    def loaded(self) -> Scorer | None:
        return self._scorer

    @property
    def error(self) -> str | None:
        return self._error

    def get(self) -> Scorer:
        if self._scorer is None:
            with self._lock:
                if self._scorer is None:
                    try:
                        self._scorer = Scorer.from_dir(self.model_dir)
                        self._error = None
                    except Exception as exc:  # a broken artifact is a 503, not a crash loop
                        self._error = f"{type(exc).__name__}: {exc}"
                        _log.exception("model could not be loaded from %s", self.model_dir)
                        raise ApiError(503, "model_unavailable", self._error) from exc
        return self._scorer


class StoreHolder:
    """Builds the storage client on first feedback (no storage round trip at start-up)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._store: FeedbackStore | None = None
        self._lock = threading.Lock()

    def get(self) -> FeedbackStore:
        if self._store is None:
            with self._lock:
                if self._store is None:
                    try:
                        self._store = FeedbackStore.from_settings(self.settings)
                    except Exception as exc:  # e.g. a malformed connection string
                        raise ApiError(503, "storage_unavailable", str(exc)) from exc
        return self._store


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app. The model is loaded lazily, on the first request that needs it.

    Lazy vs import-time, measured here (fresh interpreter: import `function_app`, then the first
    prediction; median of 7 runs on 2 shared cores, committed 2.4 MB BiLSTM): lazy 0.59 s import
    + 35 ms first prediction = 0.70 s; import-time 0.61 s + 9 ms = 0.69 s. Loading the model is
    only ~25 ms (onnxruntime's import is in both), so the cold start is the same within noise.
    Lazy wins on failure behaviour: a broken artifact gives a 503 naming the problem (and
    `/api/health` shows it) instead of an import error that stops the Functions worker from
    indexing the app at all. tests/integration/test_serving_footprint.py keeps the cold start
    in check.
    """
    settings = settings or get_settings()
    telemetry.configure(
        settings.appinsights_connection_string,
        authentication_string=settings.appinsights_authentication_string,
    )
    app = FastAPI(
        title="Air Paradis tweet sentiment",
        version="1.0.0",
        description=_API_DESCRIPTION.format(s=settings),
        openapi_url="/api/openapi.json",
        docs_url="/api/docs",
        redoc_url=None,
    )
    app.state.model = ModelHolder(settings.model_dir)
    app.state.store = StoreHolder(settings)
    _add_error_handling(app, settings)
    _add_routes(app, settings)
    _document_rules(app, settings)
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    return app


def _document_rules(app: FastAPI, settings: Settings) -> None:
    """Serve an OpenAPI document that states the limits of these settings and the model's labels.

    Built once per process, like the model is loaded once: the labels are the card's on disk.
    """
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            try:
                labels: list[str] | None = read_card(settings.model_dir).labels
            except (OSError, ValueError):
                labels = None  # the document still serves; /api/health says what is wrong
            schema = generate()  # also caches it in app.openapi_schema
            document_rules(schema, settings.max_batch, settings.max_text_chars, labels)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


_API_DESCRIPTION = """Scores tweets (negative / neutral / positive, or whatever labels the served
model was trained with) and records users' feedback.

Limits: at most {s.max_batch} tweets per call ({s.max_explain_batch} with `explain=true`), at most
{s.max_text_chars} characters per tweet, bodies up to {s.max_body_bytes} bytes, valid Unicode (no
lone surrogate escapes such as `\\ud800`). Every error is a JSON body
`{{"error", "message", "details"}}`."""

_ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorResponse} for code in (400, 413, 415, 422, 503)
}


def _add_routes(app: FastAPI, settings: Settings) -> None:
    @app.post("/api/predict", response_model=PredictResponse, responses=_ERRORS, tags=["scoring"])
    def predict(
        body: PredictRequest,
        request: Request,
        background: BackgroundTasks,
        explain: bool = Query(False, description="add each token's contribution (occlusion)"),
    ) -> PredictResponse:
        """Score one tweet (`text`) or a batch (`texts`)."""
        texts = _texts_of(body, settings, explain)
        scorer: Scorer = request.app.state.model.get()
        with telemetry.scoring_span(len(texts), scorer.model_version, explain) as span:
            result = scorer.predict(texts, explain=explain)
            span.update(oov_rate=result.oov_rate, label_counts=result.label_counts)
        out = []
        for text, prediction in zip(texts, result.predictions, strict=True):
            out.append(
                PredictionOut(
                    prediction_id=str(uuid.uuid4()),
                    text=text,
                    label=prediction.label,
                    scores=prediction.scores,
                    model_version=scorer.model_version,
                    explanation=None
                    if prediction.explanation is None
                    else [
                        TokenContribution(token=t, contribution=c)
                        for t, c in prediction.explanation
                    ],
                )
            )
        # After the response where the server allows it: 1,000 events cost ~0.18 s.
        background.add_task(_emit_scored_events, out, result.oov_rate)
        return PredictResponse(
            model_version=scorer.model_version, labels=scorer.labels, predictions=out
        )

    @app.post(
        "/api/feedback",
        status_code=201,
        response_model=FeedbackResponse,
        responses=_ERRORS,
        tags=["feedback"],
    )
    def feedback(body: FeedbackRequest, request: Request) -> FeedbackResponse:
        """Record whether a prediction was right; 201 only once the document is stored."""
        scorer: Scorer = request.app.state.model.get()
        document = _feedback_document(body, scorer, settings)
        try:
            feedback_id, blob_name = request.app.state.store.get().save(document)
        except StorageUnavailable as exc:
            raise ApiError(503, "storage_unavailable", f"{exc}; feedback NOT saved, retry") from exc
        telemetry.emit_event(
            telemetry.FEEDBACK_EVENT,
            {
                telemetry.PROP_IS_CORRECT: document["is_correct"],
                telemetry.PROP_PREDICTED_LABEL: document["predicted_label"],
                telemetry.PROP_CORRECT_LABEL: document["correct_label"],
                telemetry.PROP_MODEL_VERSION: document["model_version"],
                telemetry.PROP_PREDICTION_ID: document["prediction_id"],
            },
        )
        return FeedbackResponse(feedback_id=feedback_id, blob_name=blob_name)

    @app.get("/api/health", response_model=HealthResponse, tags=["service"])
    def health(request: Request) -> HealthResponse:
        """Liveness: the process answers; says whether the model is loaded (it loads lazily)."""
        holder: ModelHolder = request.app.state.model
        scorer = holder.loaded
        return HealthResponse(
            status="ok",
            model_loaded=scorer is not None,
            model_version=scorer.model_version if scorer else None,
            detail=holder.error,
        )

    @app.get("/api/model", tags=["service"], responses=_ERRORS)
    def model_card(request: Request) -> dict[str, Any]:
        """The model card (metadata.json): labels, metrics, training data fingerprint, version."""
        scorer: Scorer = request.app.state.model.get()
        return scorer.card.model_dump(mode="json")

    @app.get("/", include_in_schema=False)
    def page() -> FileResponse:
        return FileResponse(STATIC_DIR / "index.html", media_type="text/html")


def _texts_of(body: PredictRequest, settings: Settings, explain: bool) -> list[str]:
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
        problem = _text_problem(text, settings.max_text_chars)
        if problem:
            loc = ["body", field] if field == "text" else ["body", field, i]
            problems.append({"loc": loc, "msg": problem})
    if problems:
        raise ApiError(422, "validation_error", _summary(problems), problems)
    return texts


def _text_problem(text: str, max_chars: int) -> str | None:
    if is_blank(text):
        return "text is empty or only whitespace"
    if len(text) > max_chars:
        return f"text has {len(text)} characters, at most {max_chars} allowed"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "text contains invalid Unicode (a lone surrogate escape such as \\ud800)"
    return None


def _summary(problems: list[dict]) -> str:
    first = problems[0]
    where = ".".join(str(p) for p in first["loc"][1:])
    more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
    return f"{where}: {first['msg']}{more}" if where else f"{first['msg']}{more}"


def _feedback_document(body: FeedbackRequest, scorer: Scorer, settings: Settings) -> dict:
    problems = []
    for field in ("text", "predicted_label", "correct_label", "prediction_id", "model_version"):
        value = getattr(body, field)
        if value is None:
            continue
        problem = _text_problem(value, settings.max_text_chars)
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
        raise ApiError(422, "validation_error", _summary(problems), problems)
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


def _emit_scored_events(predictions: list[PredictionOut], oov: float) -> None:
    """One `tweet_scored` customEvent per tweet: the bad-buzz alert counts their labels."""
    if not telemetry.is_configured():
        return
    for p in predictions:
        properties = {
            telemetry.PROP_LABEL: p.label,
            telemetry.PROP_MODEL_VERSION: p.model_version,
            telemetry.PROP_PREDICTION_ID: p.prediction_id,
            telemetry.PROP_OOV_RATE: round(oov, 4),
        }
        if "negative" in p.scores:  # the bad-buzz alert's dimension, when the model has it
            properties[telemetry.PROP_NEGATIVE_PROBABILITY] = round(p.scores["negative"], 4)
        telemetry.emit_event(telemetry.SCORED_EVENT, properties)


def _add_error_handling(app: FastAPI, settings: Settings) -> None:
    def error(status: int, code: str, message: str, details: list | None = None) -> JSONResponse:
        body = {"error": code, "message": message}
        if details is not None:
            body["details"] = details
        return JSONResponse(body, status_code=status)

    @app.middleware("http")
    async def check_json_post(request: Request, call_next: Any) -> Any:
        """415 for a POST to a JSON route without a JSON content type."""
        if request.method == "POST" and request.url.path in JSON_ROUTES:
            content_type = request.headers.get("content-type", "")
            media = content_type.split(";")[0].strip().lower()
            if media != "application/json" and not media.endswith("+json"):
                return error(
                    415,
                    "unsupported_media_type",
                    f"send a JSON body with Content-Type: application/json (got {media or 'none'})",
                )
        return await call_next(request)

    @app.exception_handler(ApiError)
    async def api_error(_: Request, exc: ApiError) -> JSONResponse:
        return error(exc.status, exc.error, exc.message, exc.details)

    @app.exception_handler(RequestValidationError)
    async def validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [_plain(e) for e in exc.errors()]
        if any(e.get("type") == "json_invalid" for e in exc.errors()):
            ctx = exc.errors()[0].get("ctx") or {}
            return error(400, "malformed_json", f"body is not valid JSON: {ctx.get('error', '')}")
        return error(422, "validation_error", _summary(problems), problems)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 404:
            message = f"no such path: {request.url.path} (the API is documented at /api/docs)"
            return error(404, "not_found", message)
        if exc.status_code == 405:
            message = f"{request.method} is not allowed on {request.url.path}"
            response = error(405, "method_not_allowed", message)
            if exc.headers and "allow" in {k.lower() for k in exc.headers}:
                response.headers.update(exc.headers)
            return response
        if exc.status_code == 400:  # e.g. a body that is not UTF-8
            message = "body could not be parsed as JSON (not UTF-8, or nested too deeply)"
            return error(400, "malformed_json", message)
        return error(exc.status_code, "http_error", str(exc.detail))

    @app.exception_handler(Exception)
    async def unexpected(_: Request, exc: Exception) -> JSONResponse:
        _log.exception("unexpected error")
        return error(500, "internal_error", f"unexpected {type(exc).__name__}; it is logged")


class BodyLimit:
    """ASGI middleware: refuse bodies over ``max_bytes`` with a JSON 413, announced or streamed.

    It buffers the (small, bounded) body before the app sees it, so a chunked upload without
    Content-Length is cut at the limit instead of being read to the end.
    """

    def __init__(self, app: Any, max_bytes: int) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        length = headers.get(b"content-length", b"").decode("latin-1")
        if length.isdigit() and int(length) > self.max_bytes:
            await self._refuse(scope, receive, send)
            return
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await self._refuse(scope, receive, send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        replayed = False

        async def replay() -> dict:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": b"".join(chunks), "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _refuse(self, scope: dict, receive: Any, send: Any) -> None:
        message = f"request body over the {self.max_bytes}-byte limit"
        response = JSONResponse({"error": "body_too_large", "message": message}, status_code=413)
        await response(scope, receive, send)


def _plain(e: dict) -> dict:
    """A validation error without the echoed input (it may be huge) and with a readable loc."""
    msg = e.get("msg", "invalid")
    if e.get("type") == "extra_forbidden":
        msg = "unknown field"
    elif e.get("type") == "model_attributes_type":
        msg = "body must be a JSON object"
    loc = [_short(part) for part in e.get("loc", ())]  # an unknown key can be 100 KB long
    return {"loc": loc, "msg": msg, "type": e.get("type", "")}


def _short(part: object, limit: int = 80) -> object:
    if isinstance(part, str) and len(part) > limit:
        return f"{part[:limit]}... ({len(part)} characters)"
    return part
