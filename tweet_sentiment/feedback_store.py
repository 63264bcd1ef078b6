"""Feedback persistence: one JSON document per feedback in Azure Blob Storage, of one shape
(:class:`FeedbackDocument`, the only definition of what a stored feedback is).

Why blobs, one per feedback: appends never contend, nothing is ever rewritten, and the documents
are ready for a retraining job to list by date. Names are date-partitioned and unique
(`YYYY/MM/DD/HH/<timestamp>-<uuid4>.json`) and written with ``overwrite=False``, so one feedback
can never replace another. The caller gets the id only after the write succeeded.

Idempotent resends: a feedback with an ``idempotency_key`` is named by the key and the verdict
instead (`keyed/<uuid5 of both>.json`, that uuid5 being its feedback_id), so sending it again
(after a lost answer, a 503, a storage restart, or twice at once) meets "already exists" and
answers with the document stored first: one document however often it is sent. The same key with
another verdict is another name, so another document: nothing is ever overwritten or refused.

Authentication: a storage connection string (Azurite locally and in tests) or, when an account URL
is configured, a managed identity through ``DefaultAzureCredential`` (no secret in Azure).

Timeouts and retries are short on purpose: when storage is down the user gets a prompt 503
(:class:`StorageUnavailable`) instead of a request hanging for minutes.
"""

from __future__ import annotations

import contextlib
import json
import threading
import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, NamedTuple

from azure.core.exceptions import (
    AzureError,
    ClientAuthenticationError,
    ResourceExistsError,
    ResourceNotFoundError,
)
from pydantic import ConfigDict, StrictStr, ValidationError

from tweet_sentiment.config import Settings
from tweet_sentiment.schemas import FeedbackRequest

if TYPE_CHECKING:  # the Blob Storage client is imported on first use (see from_settings)
    from azure.storage.blob import ContainerClient

# Namespace of the feedback ids derived from idempotency keys (uuid5): any fixed uuid will do.
_KEYS = uuid.UUID("5b0f3c55-7d2e-4e61-9a55-6f0c1f1e2a7d")


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

    def same_feedback(self, other: FeedbackDocument) -> bool:
        """The same verdict, whatever the service added (ids, times, model versions): what a
        resend of the same feedback has in common with the stored one."""
        return verdict(self) == verdict(other)


def verdict(feedback: FeedbackRequest) -> dict[str, Any]:
    """What the client said (the model version aside: it defaults to the served one), not what
    the service added."""
    return feedback.model_dump(include=set(FeedbackRequest.model_fields) - {"model_version"})


def resend_key(feedback: FeedbackRequest) -> str | None:
    """What names a feedback sent with an idempotency key: the key and the verdict."""
    if feedback.idempotency_key is None:
        return None
    return json.dumps(verdict(feedback), sort_keys=True, ensure_ascii=False)


class Saved(NamedTuple):
    document: FeedbackDocument  # as stored (for a resend: the one stored first)
    blob_name: str
    created: bool  # False: this feedback was already stored (a resend), nothing was written


class FeedbackStore:
    """Writes feedback documents to one blob container (created on first use if missing)."""

    def __init__(self, container: ContainerClient) -> None:
        self.container = container
        self._container_ready = False
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings) -> FeedbackStore:
        # Imported here, on the first feedback, not with the app: the Blob Storage client takes
        # about 0.2 s to import, a fifth of the Function app's cold start, and scoring needs none.
        from azure.storage.blob import BlobServiceClient, LinearRetry

        timeouts: dict[str, Any] = {
            "connection_timeout": settings.storage_timeout_seconds,
            "read_timeout": settings.storage_timeout_seconds,
            # Storage's default retry waits 15 s, then 45 s...: far too long for a user waiting.
            # (The SDK types backoff as int; it is seconds, and a float works.)
            "retry_policy": LinearRetry(backoff=0.3, random_jitter_range=0, retry_total=2),  # type: ignore[arg-type]
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
    def new_blob_name(now: datetime | None = None, key: str | None = None) -> tuple[str, str]:
        """(feedback_id, blob name): date-partitioned, sortable, unique; named by ``key`` (see
        :func:`resend_key`) when there is one: the same key, the same name."""
        if key is not None:
            feedback_id = str(uuid.uuid5(_KEYS, key))
            return feedback_id, f"keyed/{feedback_id}.json"
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
        feedback_id, name = self.new_blob_name(now, resend_key(feedback))
        document = FeedbackDocument(
            **feedback.model_dump(exclude={"model_version"}),
            model_version=feedback.model_version or served_model_version,
            feedback_id=feedback_id,
            received_at=now.isoformat(),
            served_model_version=served_model_version,
            labels=labels,
        )
        try:
            self._write(name, document.model_dump_json().encode("utf-8"))
        except ResourceExistsError:
            return self._already_stored(name, document)
        return Saved(document, name, created=True)

    def _write(self, name: str, data: bytes) -> None:
        """Write a new blob; ResourceExistsError when the name is taken, else stored or
        StorageUnavailable."""
        try:
            try:
                self._ensure_container()
                self._upload(name, data)
            except ResourceNotFoundError:
                # Container deleted behind our back: create it again, write once more.
                self._container_ready = False
                self._ensure_container()
                self._upload(name, data)
        except ResourceExistsError:
            raise
        except (AzureError, OSError) as error:
            raise StorageUnavailable(_describe(error)) from error

    def _already_stored(self, name: str, document: FeedbackDocument) -> Saved:
        """The name is taken: by this very write (the storage client retried after a lost
        answer) or by an earlier send of the same feedback (a resend)."""
        try:
            stored = FeedbackDocument.model_validate_json(
                self.container.download_blob(name).readall()
            )
        except (AzureError, OSError) as error:
            raise StorageUnavailable(_describe(error)) from error
        except ValidationError as error:
            raise StorageUnavailable(f"blob {name} exists and is not a feedback") from error
        if stored.same_feedback(document):
            return Saved(stored, name, created=stored == document)
        raise StorageUnavailable(f"blob {name} exists with other content")

    def _upload(self, name: str, data: bytes) -> None:
        from azure.storage.blob import ContentSettings

        self.container.upload_blob(
            name,
            data,
            overwrite=False,
            content_settings=ContentSettings(content_type="application/json; charset=utf-8"),
        )

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
