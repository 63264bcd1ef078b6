"""Nothing in serving hard-codes labels: a 2-label model (Sentiment140-style) serves as is."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.tiny_model import LEXICON_2, build_tiny_model
from tweet_sentiment.api import create_app
from tweet_sentiment.config import Settings


def test_two_label_model_through_the_api(tmp_path, azurite):
    directory = build_tiny_model(tmp_path, labels=["sad", "happy"], lexicon=LEXICON_2,
                                 model_version="two-labels")  # fmt: skip
    settings = Settings(model_dir=directory, storage_connection_string=azurite.connection_string,
                        feedback_container="two-labels")  # fmt: skip
    client = TestClient(create_app(settings))
    body = client.post("/api/predict?explain=true", json={"texts": ["good", "lost"]}).json()
    assert body["labels"] == ["sad", "happy"]
    assert [p["label"] for p in body["predictions"]] == ["happy", "sad"]
    assert all(set(p["scores"]) == {"sad", "happy"} for p in body["predictions"])
    assert client.get("/api/model").json()["labels"] == ["sad", "happy"]

    ok = {"text": "good", "predicted_label": "happy", "is_correct": False, "correct_label": "sad"}
    assert client.post("/api/feedback", json=ok).status_code == 201
    three_label = {**ok, "correct_label": "negative"}
    refused = client.post("/api/feedback", json=three_label)
    assert refused.status_code == 422 and "not one of" in refused.json()["message"]
