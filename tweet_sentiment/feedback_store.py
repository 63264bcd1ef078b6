"""Feedback persistence: one JSON document per feedback in Azure Blob Storage, of one shape
(:class:`FeedbackDocument`, the only definition of what a stored feedback is).

Why blobs, one per feedback: appends never contend, nothing is ever rewritten, and the documents
are ready for a retraining job to list by date. Names are date-partitioned and unique
(`YYYY/MM/DD/HH/<timestamp>-<uuid4>.json`) and written with ``overwrite=False``, so one feedback
can never replace another. The caller gets the id only after the write succeeded.

Authentication: a storage connection string (Azurite locally and in tests) or, when an account URL
is configured, a managed identity through ``DefaultAzureCredential`` (no secret in Azure).

Timeouts and retries are short on purpose: when storage is down the user gets a prompt 503
(:class:`StorageUnavailable`) instead of a request hanging for minutes.
"""

from __future__ import annotations

import contextlib
import threading
import uuid
from datetime import UTC, datetime
from typing import Any, NamedTuple

from azure.core.exceptions import (
    AzureError,
    ClientAuthenticationError,
    ResourceExistsError,
    ResourceNotFoundError,
)
from azure.storage.blob import BlobServiceClient, ContainerClient, ContentSettings, LinearRetry
from pydantic import ConfigDict, StrictStr

from tweet_sentiment.config import Settings
from tweet_sentiment.schemas import FeedbackRequest


class StorageUnavailable(RuntimeError):
    """Storage could not be reached or refused the write; the API answers 503."""


class FeedbackDocument(FeedbackRequest):
    """One stored feedback (one JSON blob): the verdict as the client sent it, with its rules
    (:class:`~tweet_sentiment.schemas.FeedbackRequest`), and what the service adds. The API writes
    it, ``training.feedback`` validates what it reads with it, the tests seed it."""

    model_config = ConfigDict(extra="ignore")  # a field added later must not reject old readers

    feedback_id: StrictStr
    received_at: StrictStr
    served_model_version: StrictStr | None = None
    labels: list[StrictStr] | None = None


class Saved(NamedTuple):
    document: FeedbackDocument  # as stored
    blob_name: str


class FeedbackStore:
    """Writes feedback documents to one blob container (created on first use if missing)."""

    def __init__(self, container: ContainerClient) -> None:
        self.container = container
        self._container_ready = False
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings) -> FeedbackStore:
        timeouts: dict[str, Any] = {
            "connection_timeout": settings.storage_timeout_seconds,
            "read_timeout": settings.storage_timeout_seconds,
            # Storage's default retry waits 15 s, then 45 s...: far too long for a user waiting.
            "retry_policy": LinearRetry(backoff=0.3, random_jitter_range=0, retry_total=2),
        }
        if settings.storage_account_url:
            from azure.identity import DefaultAzureCredential  # only in Azure: slow import

            service = BlobServiceClient(
                settings.storage_account_url, credential=DefaultAzureCredential(), **timeouts
            )
        else:
            service = BlobServiceClient.from_connection_string(
                settings.storage_connection_string, **timeouts
            )
        return cls(service.get_container_client(settings.feedback_container))

    @staticmethod
    def new_blob_name(now: datetime | None = None) -> tuple[str, str]:
        """(feedback_id, blob name): date-partitioned, sortable, unique."""
        now = now or datetime.now(UTC)
        feedback_id = str(uuid.uuid4())
        return feedback_id, f"{now:%Y/%m/%d/%H}/{now:%Y%m%dT%H%M%S%fZ}-{feedback_id}.json"

    def save(
        self, feedback: FeedbackRequest, served_model_version: str, labels: list[str]
    ) -> Saved:
        """Store one feedback; returns the stored document and its blob once it is durable.

        ``model_version`` is the client's, else the served model's.
        """
        now = datetime.now(UTC)
        feedback_id, name = self.new_blob_name(now)
        document = FeedbackDocument(
            **feedback.model_dump(exclude={"model_version"}),
            model_version=feedback.model_version or served_model_version,
            feedback_id=feedback_id,
            received_at=now.isoformat(),
            served_model_version=served_model_version,
            labels=labels,
        )
        data = document.model_dump_json().encode("utf-8")
        try:
            self._ensure_container()
            self._upload(name, data)
        except ResourceExistsError:
            # The name holds a fresh uuid4, so the blob is ours: an earlier attempt of this write
            # was stored but its answer was lost, and the client's retry met it. Stored = success.
            self._guarded(lambda: self._confirm(name, data))
        except ResourceNotFoundError:
            # Container deleted behind our back: create it again, write once more.
            self._container_ready = False
            self._guarded(self._ensure_container)
            self._guarded(lambda: self._upload(name, data))
        except (AzureError, OSError) as error:
            raise StorageUnavailable(_describe(error)) from error
        return Saved(document, name)

    def _guarded(self, action: Any) -> None:
        try:
            action()
        except (AzureError, OSError) as error:
            raise StorageUnavailable(_describe(error)) from error

    def _upload(self, name: str, data: bytes) -> None:
        self.container.upload_blob(
            name,
            data,
            overwrite=False,
            content_settings=ContentSettings(content_type="application/json; charset=utf-8"),
        )

    def _confirm(self, name: str, data: bytes) -> None:
        if self.container.download_blob(name).readall() != data:
            raise StorageUnavailable(f"blob {name} exists with other content")

    def _ensure_container(self) -> None:
        if self._container_ready:
            return
        with self._lock:
            if self._container_ready:
                return
            with contextlib.suppress(ResourceExistsError):
                self.container.create_container()
            self._container_ready = True


def _describe(error: Exception) -> str:
    if isinstance(error, ClientAuthenticationError):
        return "feedback storage refused our credentials"
    return f"feedback storage is unreachable ({type(error).__name__})"
