"""A corpus of hostile requests against the real server (uvicorn on 127.0.0.1, the committed model,
the default limits of `tweet_sentiment.config`): never a 5xx, every refusal a 4xx JSON error
that says what is wrong, and what is valid (emoji, control characters, mojibake) is scored.

It complements tests/contract/test_api_errors.py (in-process, tiny model, shrunk limits) with the
real transport and real limits: megabyte bodies, deep nesting, byte-level encodings, HTTP framing.
"""

from __future__ import annotations

import json
import socket
import time

import httpx
import pytest

from tweet_sentiment.config import Settings

JSON = {"Content-Type": "application/json"}
LIMITS = Settings()  # the defaults Azure runs with
OK = 200


def _deep(depth: int, open_: str, close: str, inner: str = "1") -> str:
    return open_ * depth + inner + close * depth


# (name, raw body, content type, expected status or set of statuses)
CORPUS: list[tuple[str, bytes, str | None, int | set[int]]] = [
    ("truncated", b'{"text": "abc', "application/json", 400),
    ("trailing garbage", b'{"text": "a"} trailing', "application/json", 400),
    ("single quotes", b"{'text': 'a'}", "application/json", 400),
    ("empty body", b"", "application/json", {400, 422}),
    ("only whitespace", b" \n\t ", "application/json", 400),
    ("json null", b"null", "application/json", 422),
    ("json number", b"42", "application/json", 422),
    ("NaN literal", b'{"text": NaN}', "application/json", 422),
    ("Infinity in list", b'{"texts": ["ok", Infinity]}', "application/json", 422),
    ("huge number", b'{"text": 1e999999}', "application/json", 422),
    ("text is a list", b'{"text": ["a"]}', "application/json", 422),
    ("texts is an object", b'{"texts": {"0": "a"}}', "application/json", 422),
    ("texts holds null", b'{"texts": ["a", null]}', "application/json", 422),
    ("texts holds an object", b'{"texts": [{"text": "a"}]}', "application/json", 422),
    ("texts nested lists", b'{"texts": [["a"]]}', "application/json", 422),
    ("boolean text", b'{"text": true}', "application/json", 422),
    ("deep list 100k", _deep(100_000, "[", "]").encode(), "application/json", {400, 422}),
    ("deep object 20k", _deep(20_000, '{"a":', "}").encode(), "application/json", {400, 422}),
    (
        "deep inside texts",
        ('{"texts": ' + _deep(50_000, "[", "]", '"x"') + "}").encode(),
        "application/json",
        {400, 422},
    ),
    ("raw control char", b'{"text": "bell \x07 tab\t"}', "application/json", 400),
    ("invalid utf-8 byte", b'{"text": "\xff\xfe\xfd"}', "application/json", 400),
    ("overlong utf-8", b'{"text": "\xc0\xaf"}', "application/json", 400),
    ("truncated utf-8", b'{"text": "caf\xc3"}', "application/json", 400),
    # RFC 8259 JSON is UTF-8, but Python's parser also detects UTF-16/32: scoring it is fine.
    ("utf-16 body", '{"text": "hello"}'.encode("utf-16"), "application/json", {OK, 400}),
    ("lone surrogate", b'{"text": "\\udfff alone"}', "application/json", 422),
    ("10,000 characters", json.dumps({"text": "a" * 10_000}).encode(), "application/json", 422),
    (
        "batch over the limit",
        json.dumps({"texts": ["ok"] * (LIMITS.max_batch + 1)}).encode(),
        "application/json",
        422,
    ),
    ("explain batch over its limit", b"", "application/json", 422),  # body built in the test
    ("a long key", json.dumps({"t" * 100_000: "a"}).encode(), "application/json", 422),
    ("text/plain", b'{"text": "a"}', "text/plain", 415),
    ("form", b"text=a", "application/x-www-form-urlencoded", 415),
    ("multipart", b"--x\r\n\r\na\r\n--x--", "multipart/form-data; boundary=x", 415),
    ("no content type", b'{"text": "a"}', None, 415),
    ("json with bom", b'\xef\xbb\xbf{"text": "a"}', "application/json", {OK, 400}),
    ("duplicate keys", b'{"text": "a", "text": "b"}', "application/json", OK),
    ("emoji only", json.dumps({"text": "😡😡😡"}).encode(), "application/json", OK),
    ("flags and zwj", json.dumps({"text": "🇫🇷 👩‍👩‍👧 ✈️"}).encode(), "application/json", OK),
    ("escaped control chars", b'{"text": "\\u0000\\u0001\\u001f nul"}', "application/json", OK),
    ("only NUL", b'{"text": "\\u0000"}', "application/json", OK),
    (
        "zero-width only",
        json.dumps({"text": "\u200b\u200d\ufeff"}).encode(),
        "application/json",
        OK,
    ),
    (
        "right-to-left override",
        json.dumps({"text": "\u202egnihtyna"}).encode(),
        "application/json",
        OK,
    ),
    (
        "mojibake",
        json.dumps({"text": "Ã©tÃ© â€œdelayedâ€\x9d " * 20}).encode(),
        "application/json",
        OK,
    ),
    ("1,000 emoji", json.dumps({"text": "😡" * 1000}).encode(), "application/json", OK),
    (
        "markup",
        json.dumps({"text": "<script>alert(1)</script> &amp;amp; &#x0;"}).encode(),
        "application/json",
        OK,
    ),
]


def assert_clear_error(response: httpx.Response) -> None:
    assert response.headers.get("content-type", "").startswith("application/json"), (
        response.status_code, response.text[:300])  # fmt: skip
    body = response.json()
    assert isinstance(body.get("error"), str) and body["error"], body
    assert isinstance(body.get("message"), str) and body["message"], body
    assert len(response.content) < 20_000, "errors must not echo huge inputs back"


@pytest.mark.parametrize(("name", "raw", "content_type", "expected"), CORPUS,
                         ids=[c[0] for c in CORPUS])  # fmt: skip
def test_hostile_predict_request(live_server, name, raw, content_type, expected):
    url = f"{live_server}/api/predict"
    if name == "explain batch over its limit":
        url += "?explain=true"
        raw = json.dumps({"texts": ["ok"] * (LIMITS.max_explain_batch + 1)}).encode()
    headers = {"Content-Type": content_type} if content_type else {}
    response = httpx.post(url, content=raw, headers=headers, timeout=60)
    allowed = expected if isinstance(expected, set) else {expected}
    assert response.status_code in allowed, (response.status_code, response.text[:300])
    if response.status_code == OK:
        for prediction in response.json()["predictions"]:
            assert abs(sum(prediction["scores"].values()) - 1) < 1e-4
    else:
        assert_clear_error(response)


def test_body_over_the_limit_is_413_announced_or_streamed(live_server):
    big = json.dumps({"texts": ["x" * 900] * 10_000}).encode()  # ~9 MB, over 8 MiB
    assert len(big) > LIMITS.max_body_bytes
    response = httpx.post(f"{live_server}/api/predict", content=big, headers=JSON, timeout=60)
    assert response.status_code == 413
    assert_clear_error(response)

    def chunks():
        for start in range(0, len(big), 65536):
            yield big[start : start + 65536]

    response = httpx.post(f"{live_server}/api/predict", content=chunks(), headers=JSON, timeout=60)
    assert response.status_code == 413
    assert_clear_error(response)


def test_body_just_under_the_limit_is_refused_for_its_content_not_a_crash(live_server):
    body = json.dumps({"text": "a" * (LIMITS.max_body_bytes - 100)}).encode()
    start = time.perf_counter()
    response = httpx.post(f"{live_server}/api/predict", content=body, headers=JSON, timeout=60)
    assert response.status_code == 422
    assert_clear_error(response)
    assert time.perf_counter() - start < 20


def test_full_explain_batch_of_longest_tweets_is_answered(live_server):
    """The most expensive valid request: explain on the largest batch of the longest tweets."""
    words = " ".join(f"w{i % 50}" for i in range(LIMITS.max_text_chars // 4))
    texts = [words[: LIMITS.max_text_chars]] * LIMITS.max_explain_batch
    response = httpx.post(f"{live_server}/api/predict?explain=true", json={"texts": texts},
                          timeout=120)  # fmt: skip
    assert response.status_code == 200, response.text[:300]
    assert len(response.json()["predictions"]) == LIMITS.max_explain_batch


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ({"text": "a" * 10_000, "predicted_label": "negative", "is_correct": True}, "at most"),
        ({"text": "t", "predicted_label": "negative", "is_correct": True,
          "prediction_id": "p" * 5000}, "prediction_id"),
        ({"text": "t", "predicted_label": "neg\u0000ative", "is_correct": True}, "not one of"),
        ({"text": "t", "predicted_label": "negative", "is_correct": "true"}, "is_correct"),
        ({"text": "t", "predicted_label": "negative", "is_correct": 1}, "is_correct"),
        ({"text": ["t"], "predicted_label": "negative", "is_correct": True}, "text"),
    ],
)  # fmt: skip
def test_hostile_feedback_is_refused_before_storage(live_server, body, says):
    response = httpx.post(f"{live_server}/api/feedback", json=body, timeout=30)
    assert response.status_code == 422, response.text[:300]
    assert_clear_error(response)
    assert says.lower() in response.text.lower()


@pytest.mark.parametrize(
    "request_bytes",
    [
        b"POST /api/predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b'Content-Length: 5\r\n\r\n{"te',  # body shorter than announced, then the client leaves
        b"POST /api/predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Transfer-Encoding: chunked\r\n\r\nzz\r\n",  # broken chunk framing
    ],
    ids=["short body then hang-up", "broken chunked framing"],
)
def test_broken_http_framing_never_takes_the_server_down(live_server, request_bytes):
    host, port = live_server.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(request_bytes)
        sock.shutdown(socket.SHUT_WR)
        reply = b""
        try:
            while chunk := sock.recv(65536):
                reply += chunk
        except TimeoutError:
            pass
    assert not reply.startswith(b"HTTP/1.1 5"), reply[:200]
    response = httpx.post(f"{live_server}/api/predict", json={"text": "still up?"}, timeout=10)
    assert response.status_code == 200
