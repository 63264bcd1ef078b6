"""What a route needs, as typed FastAPI dependencies: ``scorer: ScorerDep`` in a route's
signature is the loaded model, ``store: StoreDep`` the feedback store, ``settings: SettingsDep``
the limits. Each app keeps its own (tests build many apps with other settings), in
``app.state.services``; routes never read ``app.state`` themselves.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Generic, TypeVar

from fastapi import Depends, Request

from tweet_sentiment.api.errors import ApiError
from tweet_sentiment.config import Settings
from tweet_sentiment.feedback_store import FeedbackStore
from tweet_sentiment.scorer import Scorer

T = TypeVar("T")
_log = logging.getLogger(__name__)


class Lazy(Generic[T]):
    """Builds a value once per process, on first use (see ``create_app`` for why lazy).

    A failure is a 503 ``unavailable`` naming the problem (kept in :attr:`error` for
    ``/api/health``), not a crash loop; the next use tries again.
    """

    def __init__(self, build: Callable[[], T], unavailable: str) -> None:
        self._build, self._unavailable = build, unavailable
        self._value: T | None = None
        self._lock = threading.Lock()
        self.error: str | None = None

    @property
    def loaded(self) -> T | None:
        return self._value

    def get(self) -> T:
        value = self._value
        if value is None:
            with self._lock:
                value = self._value
                if value is None:
                    value = self._value = self._try_build()
        return value

    def _try_build(self) -> T:
        try:
            value = self._build()
        except Exception as exc:  # e.g. a broken artifact, a malformed connection string
            self.error = f"{type(exc).__name__}: {exc}"
            _log.exception("%s: %s", self._unavailable, self.error)
            raise ApiError(503, self._unavailable, self.error) from exc
        self.error = None
        return value


@dataclass(frozen=True)
class Services:
    """One app's settings and lazily built model and feedback store."""

    settings: Settings
    model: Lazy[Scorer]
    store: Lazy[FeedbackStore]

    @classmethod
    def of(cls, settings: Settings) -> Services:
        return cls(
            settings,
            Lazy(lambda: Scorer.from_dir(settings.model_dir), "model_unavailable"),
            # No storage round trip at start-up: the client is built on the first feedback.
            Lazy(lambda: FeedbackStore.from_settings(settings), "storage_unavailable"),
        )


def services(request: Request) -> Services:
    found: Services = request.app.state.services
    return found


ServicesDep = Annotated[Services, Depends(services)]


def settings(services: ServicesDep) -> Settings:
    return services.settings


def model(services: ServicesDep) -> Lazy[Scorer]:
    return services.model


def scorer(services: ServicesDep) -> Scorer:
    return services.model.get()


def feedback_store(services: ServicesDep) -> FeedbackStore:
    return services.store.get()


SettingsDep = Annotated[Settings, Depends(settings)]
ModelDep = Annotated[Lazy[Scorer], Depends(model)]
ScorerDep = Annotated[Scorer, Depends(scorer)]
StoreDep = Annotated[FeedbackStore, Depends(feedback_store)]


async def json_body(request: Request) -> None:
    """415 when a route that reads a body is sent something else than JSON.

    A dependency of the whole router: it looks at the matched route, so a new route with a body
    model is covered without being listed anywhere.
    """
    if getattr(request.scope.get("route"), "body_field", None) is None:
        return
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media != "application/json" and not media.endswith("+json"):
        raise ApiError(
            415,
            "unsupported_media_type",
            f"send a JSON body with Content-Type: application/json (got {media or 'none'})",
        )
