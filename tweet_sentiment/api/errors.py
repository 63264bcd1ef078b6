"""Error answers: whatever a client sends, the answer is a 4xx JSON body
(``{"error": code, "message": text, "details": [...]}``) saying what is wrong; a 5xx only means
the service itself is broken (503: model or storage unavailable).
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from tweet_sentiment.schemas import ErrorResponse

_log = logging.getLogger(__name__)
Problem = dict[str, Any]  # {"loc": [...], "msg": text} (+ "type" for schema errors)

# The documented error answers of a route that reads a body or needs the model.
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorResponse} for code in (400, 413, 415, 422, 503)
}


class ApiError(Exception):
    """An error the client should see as is (status, code, message)."""

    def __init__(
        self, status: int, error: str, message: str, details: list[Problem] | None = None
    ) -> None:
        super().__init__(message)
        self.status, self.error, self.message, self.details = status, error, message, details


def error_response(
    status: int, code: str, message: str, details: list[Problem] | None = None
) -> JSONResponse:
    body: dict[str, Any] = {"error": code, "message": message}
    if details is not None:
        body["details"] = details
    return JSONResponse(body, status_code=status)


def summary(problems: list[Problem]) -> str:
    """One line for the message: the first problem, and how many more there are."""
    first = problems[0]
    where = ".".join(str(p) for p in first["loc"][1:])
    more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
    return f"{where}: {first['msg']}{more}" if where else f"{first['msg']}{more}"


def add_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)


async def _api_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return error_response(exc.status, exc.error, exc.message, exc.details)


async def _validation_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = exc.errors()
    if any(e.get("type") == "json_invalid" for e in errors):
        ctx = errors[0].get("ctx") or {}
        return error_response(
            400, "malformed_json", f"body is not valid JSON: {ctx.get('error', '')}"
        )
    problems = [_plain(e) for e in errors]
    return error_response(422, "validation_error", summary(problems), problems)


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 404:
        message = f"no such path: {request.url.path} (the API is documented at /api/docs)"
        return error_response(404, "not_found", message)
    if exc.status_code == 405:
        message = f"{request.method} is not allowed on {request.url.path}"
        response = error_response(405, "method_not_allowed", message)
        if exc.headers and "allow" in {k.lower() for k in exc.headers}:
            response.headers.update(exc.headers)
        return response
    if exc.status_code == 400:  # e.g. a body that is not UTF-8
        message = "body could not be parsed as JSON (not UTF-8, or nested too deeply)"
        return error_response(400, "malformed_json", message)
    return error_response(exc.status_code, "http_error", str(exc.detail))


async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
    _log.exception("unexpected error", exc_info=exc)
    return error_response(500, "internal_error", f"unexpected {type(exc).__name__}; it is logged")


def _plain(e: Any) -> Problem:
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
