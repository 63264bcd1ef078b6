"""The handlers through the Azure Functions entry point, the way the Python worker calls them.

`function_app.app` is an `AsgiFunctionApp`; the worker indexes its functions and invokes the HTTP
function with an `azure.functions.HttpRequest`. We do the same: index, then await the user
function with real HttpRequests (lifespan startup included, as on the first Azure invocation).
"""

from __future__ import annotations

import asyncio
import importlib
import json
import sys

import azure.functions as func
import pytest


@pytest.fixture(scope="module")
def function_app(app_settings, monkeypatch_module):
    monkeypatch_module.setenv("MODEL_DIR", str(app_settings.model_dir))
    monkeypatch_module.setenv(
        "FEEDBACK_STORAGE_CONNECTION_STRING", app_settings.storage_connection_string
    )
    monkeypatch_module.setenv("FEEDBACK_CONTAINER", app_settings.feedback_container)
    monkeypatch_module.delenv("APPLICATIONINSIGHTS_CONNECTION_STRING", raising=False)
    from tweet_sentiment.config import get_settings

    get_settings.cache_clear()
    sys.modules.pop("function_app", None)
    module = importlib.import_module("function_app")
    yield module
    get_settings.cache_clear()
    sys.modules.pop("function_app", None)


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as patch:
        yield patch


@pytest.fixture(scope="module")
def indexed(function_app):
    """What the worker's indexing sees (get_functions() may run once per app)."""
    (function,) = function_app.app.get_functions()
    return function


@pytest.fixture(scope="module")
def invoke(indexed, function_app):
    handler = indexed.get_user_function()
    loop = asyncio.new_event_loop()

    def call(method: str, url: str, body: object = None, headers: dict | None = None):
        raw = body if isinstance(body, bytes) else b""
        if body is not None and not isinstance(body, bytes):
            raw = json.dumps(body).encode()
            headers = {"Content-Type": "application/json", **(headers or {})}
        request = func.HttpRequest(
            method=method,
            url=f"https://air-paradis.azurewebsites.net{url}",
            headers=headers or {},
            params={},
            body=raw,
        )
        return loop.run_until_complete(handler(request, None))

    yield call
    if function_app.app.startup_task_done:  # the host's shutdown, on the loop that started it
        loop.run_until_complete(function_app.app.middleware.notify_shutdown())
        function_app.app.startup_task_done = False
    loop.close()


def test_the_function_is_indexed_as_one_catch_all_http_trigger(indexed):
    trigger = indexed.get_trigger()
    assert trigger.route == "/{*route}"
    assert {m.value if hasattr(m, "value") else m for m in trigger.methods} >= {"GET", "POST"}
    assert str(trigger.auth_level.value).lower() == "anonymous"


def test_predict_through_the_function(invoke, app_settings):
    tweet = {"text": "worst delay ever, lost my bag"}
    response = invoke("POST", "/api/predict?explain=true", tweet)
    assert response.status_code == 200, response.get_body()
    assert response.mimetype == "application/json"
    body = json.loads(response.get_body())
    (prediction,) = body["predictions"]
    assert set(prediction["scores"]) == set(body["labels"])
    assert prediction["label"] in body["labels"]
    assert abs(sum(prediction["scores"].values()) - 1) < 1e-4
    assert prediction["explanation"], "explain=true must return token contributions"


def test_health_model_and_page_through_the_function(invoke):
    assert json.loads(invoke("GET", "/api/health").get_body())["status"] == "ok"
    card = json.loads(invoke("GET", "/api/model").get_body())
    assert len(card["labels"]) >= 2 and card["model_version"]
    page = invoke("GET", "/")
    assert page.status_code == 200 and b"<form" in page.get_body()
    assert invoke("GET", "/api/openapi.json").status_code == 200


def test_feedback_through_the_function_lands_in_azurite(invoke, azurite, app_settings):
    labels = json.loads(invoke("GET", "/api/model").get_body())["labels"]
    body = {"text": "function path", "predicted_label": labels[0], "is_correct": False,
            "correct_label": labels[-1]}  # fmt: skip
    response = invoke("POST", "/api/feedback", body)
    assert response.status_code == 201, response.get_body()
    saved = json.loads(response.get_body())
    blob = azurite.container(app_settings.feedback_container).download_blob(saved["blob_name"])
    stored = json.loads(blob.readall())
    assert stored["feedback_id"] == saved["feedback_id"]
    assert stored["correct_label"] == labels[-1] and stored["text"] == "function path"


@pytest.mark.parametrize(
    ("method", "url", "body", "headers", "status"),
    [
        ("POST", "/api/predict", b"{not json", {"Content-Type": "application/json"}, 400),
        ("POST", "/api/predict", {"text": ""}, None, 422),
        ("POST", "/api/predict", b'{"text": "x"}', {"Content-Type": "text/plain"}, 415),
        ("GET", "/api/predict", None, None, 405),
        ("GET", "/nowhere", None, None, 404),
    ],
)
def test_errors_through_the_function_are_json(invoke, method, url, body, headers, status):
    response = invoke(method, url, body, headers)
    assert response.status_code == status
    assert json.loads(response.get_body())["message"]
