"""The app over a real HTTP server (uvicorn on 127.0.0.1), as `make run` and clients see it."""

from __future__ import annotations

import httpx


def test_single_tweet(live_server):
    response = httpx.post(f"{live_server}/api/predict", json={"text": "Thanks for the upgrade!"})
    assert response.status_code == 200
    body = response.json()
    (prediction,) = body["predictions"]
    assert prediction["model_version"] == body["model_version"]
    assert prediction["label"] == max(prediction["scores"], key=prediction["scores"].get)
    assert list(prediction["scores"]) == body["labels"]
    assert len(prediction["prediction_id"]) == 36


def test_full_batch_at_the_documented_limit(live_server, app_settings):
    texts = [f"flight {i} delayed again, so tired of this" for i in range(app_settings.max_batch)]
    response = httpx.post(f"{live_server}/api/predict", json={"texts": texts}, timeout=60)
    assert response.status_code == 200, response.text[:500]
    predictions = response.json()["predictions"]
    assert [p["text"] for p in predictions] == texts
    assert len({p["prediction_id"] for p in predictions}) == len(texts)
    too_many = httpx.post(f"{live_server}/api/predict", json={"texts": [*texts, "one more"]})
    assert too_many.status_code == 422 and too_many.json()["error"] == "batch_too_large"


def test_explain_gives_one_contribution_per_token(live_server):
    response = httpx.post(
        f"{live_server}/api/predict?explain=true",
        json={"texts": ["@AirParadis worst service ever, lost my luggage", "love this crew"]},
    )
    assert response.status_code == 200
    for prediction in response.json()["predictions"]:
        tokens = [c["token"] for c in prediction["explanation"]]
        assert tokens and "<user>" not in tokens[1:]  # normalised tokens, in order
        assert all(isinstance(c["contribution"], float) for c in prediction["explanation"])


def test_same_tweet_same_scores_in_a_batch_or_alone(live_server):
    alone = httpx.post(f"{live_server}/api/predict", json={"text": "meh, the gate changed"})
    batch = httpx.post(
        f"{live_server}/api/predict", json={"texts": ["great!", "meh, the gate changed"]}
    )
    a = alone.json()["predictions"][0]["scores"]
    b = batch.json()["predictions"][1]["scores"]
    assert all(abs(a[k] - b[k]) < 1e-5 for k in a)


def test_health_model_openapi_docs_and_page(live_server):
    health = httpx.get(f"{live_server}/api/health").json()
    assert health["status"] == "ok"
    card = httpx.get(f"{live_server}/api/model").json()
    assert card["labels"] and card["model_version"] and "metrics" in card
    health = httpx.get(f"{live_server}/api/health").json()
    assert health["model_loaded"] is True and health["model_version"] == card["model_version"]
    spec = httpx.get(f"{live_server}/api/openapi.json").json()
    assert {"/api/predict", "/api/feedback", "/api/health", "/api/model"} <= set(spec["paths"])
    assert httpx.get(f"{live_server}/api/docs").status_code == 200
    page = httpx.get(f"{live_server}/")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert "cdn" not in page.text.lower() and "https://" not in page.text
    for asset in ("/static/app.js", "/static/style.css"):
        assert httpx.get(f"{live_server}{asset}").status_code == 200
