"""Every bad input gets a 4xx JSON body that says what is wrong; nothing produces a 500.

Runs the app in process (Starlette's TestClient) on the tiny real ONNX model; storage points at a
closed port so feedback that passes validation gets the documented 503, never a 500.
"""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import free_port
from tweet_sentiment.api import create_app
from tweet_sentiment.config import Settings, azurite_connection_string


@pytest.fixture(scope="module")
def app_settings_tiny(tiny_model_dir) -> Settings:
    return Settings(
        model_dir=tiny_model_dir,
        storage_connection_string=azurite_connection_string(port=free_port()),
        storage_timeout_seconds=1,
        max_batch=50,
        max_explain_batch=5,
        max_text_chars=300,
        max_body_bytes=20_000,
    )


@pytest.fixture(scope="module")
def client(app_settings_tiny) -> TestClient:
    with TestClient(create_app(app_settings_tiny), raise_server_exceptions=False) as c:
        yield c


def assert_error(response, status: int, code: str | None = None, says: str | None = None) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert isinstance(body.get("message"), str) and body["message"], body
    if code:
        assert body["error"] == code, body
    if says:
        assert says.lower() in json.dumps(body).lower(), body
    return body


POST_JSON = {"Content-Type": "application/json"}


@pytest.mark.parametrize(
    ("body", "status", "code", "says"),
    [
        ("{", 400, "malformed_json", "not valid json"),
        ('{"text": "a",}', 400, "malformed_json", None),
        ("[1, 2]", 422, "validation_error", "json object"),
        ('"just a string"', 422, "validation_error", None),
        ("{}", 422, "validation_error", "exactly one"),
        ('{"text": "good", "texts": ["bad"]}', 422, "validation_error", "exactly one"),
        ('{"text": 5}', 422, "validation_error", "text"),
        ('{"text": null}', 422, "validation_error", "exactly one"),
        ('{"texts": "not a list"}', 422, "validation_error", "texts"),
        ('{"texts": ["ok", 3]}', 422, "validation_error", "texts.1"),
        ('{"texts": []}', 422, "validation_error", "empty"),
        ('{"text": ""}', 422, "validation_error", "empty"),
        ('{"text": "   \\n\\t "}', 422, "validation_error", "whitespace"),
        ('{"texts": ["fine", " "]}', 422, "validation_error", "texts.1"),
        ('{"txt": "typo"}', 422, "validation_error", "unknown field"),
        ('{"text": "a", "extra": 1}', 422, "validation_error", "unknown field"),
        (json.dumps({"text": "x" * 301}), 422, "validation_error", "at most 300"),
        (json.dumps({"texts": ["good"] * 51}), 422, "batch_too_large", "at most 50"),
        ('{"text": "lone \\ud800 surrogate"}', 422, "validation_error", "surrogate"),
        ("[" * 5000 + "]" * 5000, 400, "malformed_json", "nested"),
        ('{"text": "a", "text": 5}', 422, "validation_error", "text"),
        ("NaN", 422, "validation_error", "json object"),
    ],
)
def test_bad_predict_bodies(client, body, status, code, says):
    response = client.post("/api/predict", content=body, headers=POST_JSON)
    assert_error(response, status, code, says)


def test_explain_has_its_own_batch_limit(client):
    response = client.post("/api/predict?explain=true", json={"texts": ["good"] * 6})
    assert_error(response, 422, "batch_too_large", "explain")
    assert client.post("/api/predict?explain=true", json={"texts": ["good"] * 5}).status_code == 200


def test_bad_query_parameter(client):
    assert_error(client.post("/api/predict?explain=maybe", json={"text": "good"}), 422)


def test_wrong_content_type_is_415(client):
    plain = {"Content-Type": "text/plain"}
    response = client.post("/api/predict", content="text=good", headers=plain)
    assert_error(response, 415, "unsupported_media_type", "application/json")
    response = client.post("/api/feedback", content=b"{}")
    assert_error(response, 415, "unsupported_media_type")


def test_json_content_type_with_charset_is_accepted(client):
    response = client.post(
        "/api/predict",
        content=json.dumps({"text": "great flight"}).encode(),
        headers={"Content-Type": "application/json; charset=utf-8"},
    )
    assert response.status_code == 200, response.text


def test_invalid_utf8_body_is_400(client):
    response = client.post("/api/predict", content=b'{"text": "\xff\xfe"}', headers=POST_JSON)
    assert_error(response, 400, "malformed_json")


def test_oversize_body_is_413(client):
    big = json.dumps({"texts": ["good flight"] * 3000})
    assert_error(client.post("/api/predict", content=big, headers=POST_JSON), 413, "body_too_large")


def test_oversize_chunked_body_is_413(client):
    def chunks():
        yield b'{"texts": ['
        for _ in range(3000):
            yield b'"good flight",'
        yield b'"end"]}'

    response = client.post("/api/predict", content=chunks(), headers=POST_JSON)
    assert response.status_code == 413, response.text
    assert response.json()["message"]


@pytest.mark.parametrize(
    ("method", "path", "status", "code"),
    [
        ("GET", "/api/predict", 405, "method_not_allowed"),
        ("PUT", "/api/feedback", 405, "method_not_allowed"),
        ("DELETE", "/api/health", 405, "method_not_allowed"),
        ("GET", "/api/nope", 404, "not_found"),
        ("GET", "/static/missing.js", 404, "not_found"),
    ],
)
def test_wrong_route_or_method(client, method, path, status, code):
    assert_error(client.request(method, path), status, code)


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ({"text": "t", "predicted_label": "negative"}, "is_correct"),
        ({"text": "t", "predicted_label": "negative", "is_correct": "no"}, "is_correct"),
        ({"text": "t", "predicted_label": "angry", "is_correct": True}, "not one of"),
        ({"text": "t", "predicted_label": "negative", "is_correct": False}, "required"),
        (
            {"text": "t", "predicted_label": "negative", "is_correct": False,
             "correct_label": "negative"},
            "equals predicted_label",
        ),
        (
            {"text": "t", "predicted_label": "negative", "is_correct": False,
             "correct_label": "furious"},
            "not one of",
        ),
        (
            {"text": "t", "predicted_label": "negative", "is_correct": True,
             "correct_label": "positive"},
            "differs",
        ),
        ({"text": " ", "predicted_label": "negative", "is_correct": True}, "empty"),
        ({"text": "t", "predicted_label": "negative", "is_correct": True, "x": 1}, "unknown"),
    ],
)  # fmt: skip
def test_bad_feedback_bodies(client, body, says):
    assert_error(client.post("/api/feedback", json=body), 422, "validation_error", says)


def test_valid_feedback_with_storage_down_is_503_not_201(client):
    body = {"text": "lost my bag", "predicted_label": "positive", "is_correct": False,
            "correct_label": "negative"}  # fmt: skip
    error = assert_error(client.post("/api/feedback", json=body), 503, "storage_unavailable")
    assert "not saved" in error["message"].lower()


FIXTURE_OK = [HealthCheck.function_scoped_fixture]
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(["text", "texts", "is_correct", "x"]) | st.text(), children
        )
    ),
    max_leaves=12,
)


@settings(max_examples=150, deadline=None, suppress_health_check=FIXTURE_OK)
@given(body=json_values, path=st.sampled_from(["/api/predict", "/api/feedback"]))
def test_no_json_input_gives_a_server_error(client, body, path):
    response = client.post(path, content=json.dumps(body), headers=POST_JSON)
    assert response.status_code < 500 or response.json()["error"] == "storage_unavailable"
    assert "message" in response.json() or response.status_code in (200, 201)


@settings(max_examples=100, deadline=None, suppress_health_check=FIXTURE_OK)
@given(raw=st.binary(max_size=200))
def test_no_raw_body_gives_a_server_error(client, raw):
    response = client.post("/api/predict", content=raw, headers=POST_JSON)
    assert response.status_code < 500, response.text


@settings(max_examples=150, deadline=None, suppress_health_check=FIXTURE_OK)
@given(text=st.text(min_size=1, max_size=300))
def test_any_unicode_tweet_scores_or_is_refused_cleanly(client, text):
    response = client.post("/api/predict", json={"text": text})
    assert response.status_code in (200, 422), response.text
    if response.status_code == 200:
        (prediction,) = response.json()["predictions"]
        assert abs(sum(prediction["scores"].values()) - 1) < 1e-4
