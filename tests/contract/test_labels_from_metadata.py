"""Nothing in serving hard-codes labels: a 2-label model (Sentiment140-style) serves as is."""

from __future__ import annotations

import subprocess

from fastapi.testclient import TestClient

from tests.tiny_model import LEXICON_2, build_tiny_model
from tweet_sentiment.api import create_app
from tweet_sentiment.config import Settings
from tweet_sentiment.schemas import NOT_BLANK, is_blank


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


def test_openapi_document_states_these_settings_and_labels(tmp_path):
    directory = build_tiny_model(tmp_path, labels=["sad", "happy"], lexicon=LEXICON_2)
    settings = Settings(model_dir=directory, max_batch=7, max_text_chars=50)
    models = TestClient(create_app(settings)).get("/api/openapi.json").json()["components"]
    predict = models["schemas"]["PredictRequest"]
    batch, _null = predict["properties"]["texts"]["anyOf"]
    assert (batch["minItems"], batch["maxItems"], batch["items"]["maxLength"]) == (1, 7, 50)
    assert [branch["required"] for branch in predict["oneOf"]] == [["text"], ["texts"]]
    feedback = models["schemas"]["FeedbackRequest"]["properties"]
    assert feedback["predicted_label"]["enum"] == ["sad", "happy"]
    (example,) = models["schemas"]["FeedbackRequest"]["examples"]
    assert (example["predicted_label"], example["correct_label"]) == ("happy", "sad")
    assert feedback["prediction_id"]["anyOf"][0]["maxLength"] == 50


def test_not_blank_means_the_same_to_the_server_and_to_javascript_clients():
    """JSON Schema patterns are ECMA-262 regexes: ask a real JavaScript engine (node, installed
    for Azurite) about every character of the Basic Multilingual Plane."""
    script = (
        "const re = new RegExp(process.argv[1], 'u'); let out = '';"
        "for (let c = 0; c < 0x10000; c++) {"
        "  if (c >= 0xd800 && c < 0xe000) { out += '-'; continue; }"
        "  out += re.test(String.fromCharCode(c)) ? '1' : '0'; }"
        "process.stdout.write(out);"
    )
    node = subprocess.run(["node", "-e", script, NOT_BLANK], capture_output=True, text=True,
                          check=True, timeout=60)  # fmt: skip
    python = "".join(
        "-" if 0xD800 <= c < 0xE000 else "0" if is_blank(chr(c)) else "1" for c in range(0x10000)
    )
    differ = [hex(c) for c, (a, b) in enumerate(zip(node.stdout, python, strict=True)) if a != b]
    assert not differ
    assert is_blank(" \t\n\u00a0\u2003\ufeff\x1c") and not is_blank(" x ")
