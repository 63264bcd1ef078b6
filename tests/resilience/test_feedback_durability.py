"""Feedback is never lost, never duplicated, and never acknowledged unless stored.

Real server (uvicorn on 127.0.0.1), real Azurite, concurrent clients. A 201 is a promise that the
document is in Blob Storage: every test below checks the promise against the container itself.
"""

from __future__ import annotations

import json
import threading
import time
import uuid

import httpx

from tests.conftest import serve_in_thread, wait_until
from tests.resilience.conftest import AnswerLosingProxy, run_threads
from tweet_sentiment.api import create_app
from tweet_sentiment.config import Settings, azurite_connection_string

CLIENTS, PER_CLIENT = 8, 25


def feedback_body(labels: list[str], client: int, i: int) -> dict:
    """A distinct, checkable feedback: its prediction_id says who sent it."""
    predicted = labels[(client + i) % len(labels)]
    body = {
        "text": f"client {client} feedback {i}: bag lost again 😡 #fail",
        "predicted_label": predicted,
        "is_correct": i % 3 == 0,
        "prediction_id": f"c{client}-f{i}-{uuid.uuid4().hex[:8]}",
    }
    if not body["is_correct"]:
        body["correct_label"] = labels[(client + i + 1) % len(labels)]
    return body


def stored_documents(container) -> dict[str, dict]:
    return {
        blob.name: json.loads(container.download_blob(blob.name).readall())
        for blob in container.list_blobs()
    }


def assert_stored_as_sent(body: dict, answer: dict, document: dict) -> None:
    assert document["feedback_id"] == answer["feedback_id"]
    for field in ("text", "predicted_label", "is_correct", "prediction_id"):
        assert document[field] == body[field], (field, body, document)
    assert document["correct_label"] == body.get("correct_label", body["predicted_label"])


def test_concurrent_clients_every_feedback_stored_exactly_once(azurite, app_settings):
    settings = app_settings.with_(feedback_container=f"durable-{uuid.uuid4().hex[:8]}")
    with serve_in_thread(create_app(settings)) as url:
        labels = httpx.get(f"{url}/api/model").json()["labels"]

        def client(c: int) -> list[tuple[dict, int, dict]]:
            sent = []
            with httpx.Client(base_url=url, timeout=30) as http:
                for i in range(PER_CLIENT):
                    body = feedback_body(labels, c, i)
                    response = http.post("/api/feedback", json=body)
                    sent.append((body, response.status_code, response.json()))
            return sent

        sent = [item for items in run_threads(client, CLIENTS) for item in items]

    assert [status for _, status, _ in sent] == [201] * (CLIENTS * PER_CLIENT)
    answered = {answer["blob_name"]: (body, answer) for body, _, answer in sent}
    assert len(answered) == CLIENTS * PER_CLIENT, "two feedbacks were given the same blob"
    documents = stored_documents(azurite.container(settings.feedback_container))
    assert set(documents) == set(answered), "blobs lost or extra blobs written"
    ids = [d["prediction_id"] for d in documents.values()]
    assert len(set(ids)) == len(ids) == CLIENTS * PER_CLIENT, "a feedback was stored twice"
    for name, document in documents.items():
        assert_stored_as_sent(*answered[name], document)


def post_feedback(url: str, body: dict) -> tuple[int, dict]:
    response = httpx.post(f"{url}/api/feedback", json=body, timeout=30)
    assert response.headers["content-type"].startswith("application/json"), response.text
    return response.status_code, response.json()


def test_storage_outage_503_scoring_continues_writes_resume(restartable_azurite, model_dir):
    storage = restartable_azurite
    settings = Settings(
        model_dir=model_dir,
        storage_connection_string=storage.connection_string,
        feedback_container="outage",
        storage_timeout_seconds=2,
    )
    tweet = {"text": "@AirParadis delayed 3 hours, no info, great job"}
    with serve_in_thread(create_app(settings)) as url:
        labels = httpx.get(f"{url}/api/model").json()["labels"]
        scores_before = httpx.post(f"{url}/api/predict", json=tweet).json()["predictions"][0]
        before = [(b, *post_feedback(url, b)) for b in (feedback_body(labels, 0, i)
                                                        for i in range(5))]  # fmt: skip
        assert [s for _, s, _ in before] == [201] * 5

        storage.stop()
        assert storage.is_down()

        def during(c: int) -> list[tuple[int, dict, float]]:
            out = []
            for i in range(4):
                start = time.perf_counter()
                status, answer = post_feedback(url, feedback_body(labels, 100 + c, i))
                out.append((status, answer, time.perf_counter() - start))
            return out

        outage = [item for items in run_threads(during, 4) for item in items]
        for status, answer, seconds in outage:
            assert status == 503, answer
            assert answer["error"] == "storage_unavailable"
            assert "not saved" in answer["message"].lower()
            assert seconds < 15, "a dead storage must give a prompt 503"
        for _ in range(20):  # scoring does not need storage
            response = httpx.post(f"{url}/api/predict", json=tweet)
            assert response.status_code == 200
            assert response.json()["predictions"][0]["scores"] == scores_before["scores"]
        assert httpx.get(f"{url}/api/health").json()["status"] == "ok"

        storage.start()
        after = [(b, *post_feedback(url, b)) for b in (feedback_body(labels, 200, i)
                                                       for i in range(5))]  # fmt: skip
        assert [s for _, s, _ in after] == [201] * 5, after

    documents = stored_documents(storage.container("outage"))
    acknowledged = {answer["blob_name"]: (body, answer) for body, _, answer in before + after}
    assert set(documents) == set(acknowledged), "the outage lost or invented feedback"
    for name, document in documents.items():
        assert_stored_as_sent(*acknowledged[name], document)


def test_storage_stopped_mid_stream_no_2xx_without_a_blob(restartable_azurite, model_dir):
    """Clients keep posting while storage stops and comes back: every 201 is a stored blob."""
    storage = restartable_azurite
    settings = Settings(
        model_dir=model_dir,
        storage_connection_string=storage.connection_string,
        feedback_container="midstream",
        storage_timeout_seconds=2,
    )
    stop = threading.Event()
    with serve_in_thread(create_app(settings)) as url:
        labels = httpx.get(f"{url}/api/model").json()["labels"]

        def client(c: int) -> list[tuple[dict, int, dict]]:
            sent, i = [], 0
            while not stop.is_set():
                body = feedback_body(labels, c, i)
                sent.append((body, *post_feedback(url, body)))
                i += 1
            return sent

        results: list = []
        runner = threading.Thread(target=lambda: results.extend(run_threads(client, 4)))
        runner.start()
        wait_until(lambda: len(stored_names(storage)) >= 10, 30, "feedback before the outage")
        storage.stop()
        time.sleep(3)
        storage.start()
        wait_until(lambda: len(stored_names(storage)) >= 20, 60, "feedback after the restart")
        stop.set()
        runner.join(60)

    sent = [item for items in results for item in items]
    statuses = {status for _, status, _ in sent}
    assert statuses <= {201, 503}, statuses
    assert 503 in statuses, "the outage was not observed: the test proved nothing"
    acknowledged = {answer["blob_name"]: (body, answer) for body, s, answer in sent if s == 201}
    documents = stored_documents(storage.container("midstream"))
    missing = set(acknowledged) - set(documents)
    assert not missing, f"{len(missing)} feedbacks answered 201 but not stored"
    for name in acknowledged:
        assert_stored_as_sent(*acknowledged[name], documents[name])
    by_id = [d["prediction_id"] for d in documents.values()]
    assert len(by_id) == len(set(by_id)), "a feedback was stored twice"


def stored_names(storage) -> set[str]:
    return {blob.name for blob in storage.container("midstream").list_blobs()}


def test_lost_storage_answer_then_retry_is_one_stored_feedback_and_a_201(azurite, model_dir):
    """The upload reaches storage but its answer is lost; the storage client retries the same
    write and storage says "already exists". That blob is ours (the name holds a fresh uuid4):
    the feedback IS stored, so the answer must be a 201, not a 503 telling the user to send it
    again (which would store it twice)."""
    proxy = AnswerLosingProxy(azurite.port)
    settings = Settings(
        model_dir=model_dir,
        storage_connection_string=azurite_connection_string(port=proxy.port),
        feedback_container=f"lost-answer-{uuid.uuid4().hex[:8]}",
        storage_timeout_seconds=1,
    )
    try:
        with serve_in_thread(create_app(settings)) as url:
            labels = httpx.get(f"{url}/api/model").json()["labels"]
            assert post_feedback(url, feedback_body(labels, 0, 0))[0] == 201  # container ready
            body = feedback_body(labels, 0, 1)
            proxy.hold_next = 3.0  # > the 1 s read timeout: the client gives up, then retries
            status, answer = post_feedback(url, body)
    finally:
        proxy.close()
    documents = stored_documents(azurite.container(settings.feedback_container))
    mine = [d for d in documents.values() if d["prediction_id"] == body["prediction_id"]]
    assert len(mine) == 1, "the write reached storage exactly once"
    assert status == 201, f"stored, yet answered {status}: {answer}"
    assert_stored_as_sent(body, answer, documents[answer["blob_name"]])


# ---- resends: a client that sends the same feedback again must not store it twice -------------


def keyed(body: dict) -> dict:
    return {**body, "idempotency_key": f"key-{body['prediction_id']}"}


def test_resends_with_the_same_key_store_one_feedback(azurite, app_settings):
    """Sequential and concurrent resends of one feedback: every answer is the same 201, one
    document is stored; the key sent with another verdict is another feedback."""
    settings = app_settings.with_(feedback_container=f"resend-{uuid.uuid4().hex[:8]}")
    with serve_in_thread(create_app(settings)) as url:
        labels = httpx.get(f"{url}/api/model").json()["labels"]
        once = keyed(feedback_body(labels, 0, 1))
        answers = [post_feedback(url, once) for _ in range(3)]
        at_once = keyed(feedback_body(labels, 1, 2))
        concurrent = run_threads(lambda _: post_feedback(url, at_once), 8)
        other_verdict = {**once, "text": f"{once['text']} (another feedback, same key)"}
        another = post_feedback(url, other_verdict)

    for replies in (answers, concurrent):
        assert [status for status, _ in replies] == [201] * len(replies), replies
        assert len({(a["feedback_id"], a["blob_name"]) for _, a in replies}) == 1, replies
    assert another[0] == 201 and another[1]["feedback_id"] != answers[0][1]["feedback_id"]
    documents = stored_documents(azurite.container(settings.feedback_container))
    assert len(documents) == 3, f"{len(documents)} documents stored for 3 feedbacks"
    for sent, replies in ((once, answers), (at_once, concurrent), (other_verdict, [another])):
        answer = replies[0][1]
        assert_stored_as_sent(sent, answer, documents[answer["blob_name"]])


def test_a_feedback_answered_503_although_stored_is_stored_once_when_resent(azurite, model_dir):
    """The write reaches storage, but every answer (the storage client's retries too) is lost:
    the user gets a 503 for a feedback that IS stored. Resending it is a 201 with the stored id,
    and still one document."""
    proxy = AnswerLosingProxy(azurite.port)
    settings = Settings(
        model_dir=model_dir,
        storage_connection_string=azurite_connection_string(port=proxy.port),
        feedback_container=f"lost-503-{uuid.uuid4().hex[:8]}",
        storage_timeout_seconds=1,
    )
    try:
        with serve_in_thread(create_app(settings)) as url:
            labels = httpx.get(f"{url}/api/model").json()["labels"]
            assert post_feedback(url, keyed(feedback_body(labels, 0, 0)))[0] == 201
            body = keyed(feedback_body(labels, 0, 1))
            proxy.hold_all = 3.0  # > the 1 s read timeout, for the first try and both retries
            first = post_feedback(url, body)
            proxy.hold_all = 0.0
            container = azurite.container(settings.feedback_container)
            stored_before_resend = len(stored_documents(container))
            resent = post_feedback(url, body)
    finally:
        proxy.close()
    assert first[0] == 503 and first[1]["error"] == "storage_unavailable", first
    assert stored_before_resend == 2, "the 503 feedback was not stored: the test proved nothing"
    assert resent[0] == 201, resent
    documents = stored_documents(container)
    mine = [d for d in documents.values() if d["prediction_id"] == body["prediction_id"]]
    assert len(mine) == 1, f"stored {len(mine)} times"
    assert_stored_as_sent(body, resent[1], documents[resent[1]["blob_name"]])


def test_clients_resending_through_a_storage_restart_store_every_feedback_once(
    restartable_azurite, model_dir
):
    """Clients keep sending while storage stops and comes back, and resend every feedback
    answered 503 (with its key) until it is a 201: each feedback ends up stored exactly once."""
    storage = restartable_azurite
    settings = Settings(
        model_dir=model_dir,
        storage_connection_string=storage.connection_string,
        feedback_container="resend-restart",
        storage_timeout_seconds=2,
    )
    stop = threading.Event()
    with serve_in_thread(create_app(settings)) as url:
        labels = httpx.get(f"{url}/api/model").json()["labels"]

        def client(c: int) -> list[tuple[dict, list[tuple[int, dict]]]]:
            sent, i = [], 0
            while not stop.is_set():
                body, replies = keyed(feedback_body(labels, c, i)), []
                while not replies or replies[-1][0] == 503:
                    replies.append(post_feedback(url, body))
                    if replies[-1][0] == 503:
                        time.sleep(0.5)
                sent.append((body, replies))
                i += 1
            return sent

        results: list = []
        runner = threading.Thread(target=lambda: results.extend(run_threads(client, 4)))
        runner.start()
        wait_until(lambda: len(names_in(storage, "resend-restart")) >= 10, 30, "feedback first")
        storage.stop()
        time.sleep(3)
        storage.start()
        wait_until(lambda: len(names_in(storage, "resend-restart")) >= 30, 90, "after the restart")
        stop.set()
        runner.join(120)

    sent = [item for items in results for item in items]
    resent = [(body, replies) for body, replies in sent if len(replies) > 1]
    assert resent, "no feedback was answered 503: the outage proved nothing"
    assert all(replies[-1][0] == 201 for _, replies in sent)
    documents = stored_documents(storage.container("resend-restart"))
    by_id = [d["prediction_id"] for d in documents.values()]
    assert len(by_id) == len(set(by_id)), "a resent feedback was stored twice"
    assert sorted(by_id) == sorted(body["prediction_id"] for body, _ in sent)
    for body, replies in sent:
        answer = replies[-1][1]
        assert_stored_as_sent(body, answer, documents[answer["blob_name"]])
    print(f"{len(sent)} feedbacks, {len(resent)} resent after a 503, {len(documents)} stored")


def names_in(storage, container: str) -> set[str]:
    return {blob.name for blob in storage.container(container).list_blobs()}
