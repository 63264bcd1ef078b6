"""Feedback round trip through a real Azurite: write, list, read back; and storage failures."""

from __future__ import annotations

import json
import re
import time
import uuid

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.conftest import free_port
from tweet_sentiment.api import create_app
from tweet_sentiment.config import azurite_connection_string
from tweet_sentiment.feedback_store import FeedbackStore, StorageUnavailable
from tweet_sentiment.schemas import FeedbackRequest

NAME = re.compile(r"^\d{4}/\d{2}/\d{2}/\d{2}/\d{8}T\d{12}Z-[0-9a-f-]{36}\.json$")


def test_feedback_round_trip(live_server, azurite, app_settings):
    prediction = httpx.post(f"{live_server}/api/predict", json={"text": "bag lost, again"}).json()
    p = prediction["predictions"][0]
    other = next(label for label in prediction["labels"] if label != p["label"])
    body = {"text": p["text"], "predicted_label": p["label"], "is_correct": False,
            "correct_label": other, "prediction_id": p["prediction_id"]}  # fmt: skip
    response = httpx.post(f"{live_server}/api/feedback", json=body)
    assert response.status_code == 201, response.text
    saved = response.json()
    assert NAME.match(saved["blob_name"]), saved["blob_name"]

    container = azurite.container(app_settings.feedback_container)
    names = [b.name for b in container.list_blobs()]
    assert saved["blob_name"] in names
    stored = json.loads(container.download_blob(saved["blob_name"]).readall())
    assert stored["feedback_id"] == saved["feedback_id"]
    assert stored["prediction_id"] == p["prediction_id"]
    assert (stored["predicted_label"], stored["correct_label"]) == (p["label"], other)
    assert stored["is_correct"] is False
    assert stored["model_version"] == p["model_version"]
    assert stored["labels"] == prediction["labels"]


def test_right_prediction_feedback_and_unique_names(live_server, azurite, app_settings):
    labels = httpx.get(f"{live_server}/api/model").json()["labels"]
    body = {"text": "fine", "predicted_label": labels[0], "is_correct": True}
    names = {httpx.post(f"{live_server}/api/feedback", json=body).json()["blob_name"]
             for _ in range(20)}  # fmt: skip
    assert len(names) == 20
    stored = json.loads(
        azurite.container(app_settings.feedback_container).download_blob(names.pop()).readall()
    )
    assert stored["is_correct"] is True and stored["correct_label"] == labels[0]


def saved_id_and_name(store: FeedbackStore, text: str) -> tuple[str, str]:
    """Save one feedback straight through the store, as the API does."""
    feedback = FeedbackRequest(text=text, predicted_label="negative", is_correct=True)
    saved = store.save(feedback, "test-model", ["negative", "neutral", "positive"])
    return saved.document.feedback_id, saved.blob_name


def test_missing_container_is_created(azurite, app_settings):
    settings = app_settings.with_(feedback_container=f"fresh-{uuid.uuid4().hex[:8]}")
    container = azurite.container(settings.feedback_container)
    assert not container.exists()
    feedback_id, name = saved_id_and_name(FeedbackStore.from_settings(settings), "x")
    assert container.exists()
    assert json.loads(container.download_blob(name).readall())["feedback_id"] == feedback_id


def test_container_deleted_behind_our_back_is_recreated(azurite, app_settings):
    settings = app_settings.with_(feedback_container=f"gone-{uuid.uuid4().hex[:8]}")
    store = FeedbackStore.from_settings(settings)
    saved_id_and_name(store, "first")
    azurite.container(settings.feedback_container).delete_container()
    time.sleep(0.5)
    _, name = saved_id_and_name(store, "second")
    assert azurite.container(settings.feedback_container).get_blob_client(name).exists()


def test_a_blob_is_never_overwritten(azurite, app_settings):
    store = FeedbackStore.from_settings(app_settings)
    _, name = saved_id_and_name(store, "original")
    from azure.core.exceptions import ResourceExistsError

    with pytest.raises(ResourceExistsError):
        store._upload(name, b'{"text": "overwrite attempt"}')
    container = azurite.container(app_settings.feedback_container)
    stored = json.loads(container.download_blob(name).readall())
    assert stored["text"] == "original"


def test_dead_storage_is_a_prompt_503(app_settings):
    dead = app_settings.with_(
        storage_connection_string=azurite_connection_string(port=free_port()),
        storage_timeout_seconds=2,
    )
    start = time.perf_counter()
    with pytest.raises(StorageUnavailable):
        saved_id_and_name(FeedbackStore.from_settings(dead), "x")
    assert time.perf_counter() - start < 5
    client = TestClient(create_app(dead))
    start = time.perf_counter()
    labels = client.get("/api/model").json()["labels"]
    response = client.post(
        "/api/feedback", json={"text": "x", "predicted_label": labels[0], "is_correct": True}
    )
    assert response.status_code == 503
    assert response.json()["error"] == "storage_unavailable"
    assert time.perf_counter() - start < 5
