"""A missing or broken model is a 503 naming the problem, never a crash or a 500."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tweet_sentiment.api import create_app
from tweet_sentiment.config import Settings


def test_missing_model_dir_is_503_and_health_says_why(tmp_path):
    client = TestClient(create_app(Settings(model_dir=tmp_path / "nothing-here")))
    response = client.post("/api/predict", json={"text": "hello"})
    assert response.status_code == 503
    assert response.json()["error"] == "model_unavailable"
    assert "metadata.json" in response.json()["message"]
    assert client.get("/api/model").status_code == 503
    health = client.get("/api/health").json()
    assert health["status"] == "ok" and health["model_loaded"] is False
    assert "metadata.json" in health["detail"]


def test_corrupt_onnx_file_is_503(tiny_model_dir, tmp_path):
    for name in ("vocab.txt", "metadata.json"):
        (tmp_path / name).write_bytes((tiny_model_dir / name).read_bytes())
    (tmp_path / "model.onnx").write_bytes(b"not an onnx model")
    client = TestClient(create_app(Settings(model_dir=tmp_path)))
    response = client.post("/api/predict", json={"text": "hello"})
    assert response.status_code == 503 and response.json()["error"] == "model_unavailable"
