"""Shared session fixtures: real Azurite, the app on a real uvicorn server, a stand-in for the
Application Insights ingestion endpoint, and model directories.

Fixture names other test folders may use (all session-scoped unless noted):

- ``repo_root``: the repository root (Path).
- ``model_dir``: the committed champion, `model_artifacts/` (fails clearly if it is missing);
  ``TEST_MODEL_DIR=/path`` runs the suite against another model (a candidate before committing).
- ``tiny_model_dir``: a tiny real 3-label ONNX model honouring the contract
  (tests/tiny_model.py).
- ``azurite``: an :class:`Azurite` blob service on a free 127.0.0.1 port with a temp data dir,
  killed at the end; ``.connection_string``, ``.container(name)`` (a ContainerClient).
- ``app_settings``: :class:`Settings` for the committed model + this Azurite (a fresh container).
- ``live_server``: base URL (``http://127.0.0.1:PORT``) of ``create_app(app_settings)`` served by a
  real uvicorn server in a thread of the test process (no telemetry).
- ``ingestion``: an :class:`IngestionStandIn`: a tiny HTTP server on 127.0.0.1 that records the
  envelopes the real azure-monitor exporter POSTs to ``/v2.1/track`` (gzip or plain JSON, array or
  newline-delimited); ``.connection_string`` (``InstrumentationKey=...;IngestionEndpoint=
  http://127.0.0.1:PORT/``), ``.envelopes``, ``.events(name)``, ``.wait_for(predicate, timeout)``,
  ``.clear()``.
- ``telemetry_server``: base URL of a SUBPROCESS `python -m tweet_sentiment serve` with
  ``APPLICATIONINSIGHTS_CONNECTION_STRING`` = ``ingestion.connection_string`` (telemetry is
  process-global, so it never leaks into the test process), exporting every ~0.2 s.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.tiny_model import build_tiny_model
from tweet_sentiment.artifacts import CARD_FILE
from tweet_sentiment.config import REPO_ROOT, Settings, azurite_connection_string

AZURITE_BLOB = REPO_ROOT / "node_modules" / ".bin" / "azurite-blob"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(check: Callable[[], Any], timeout: float, what: str, interval: float = 0.1) -> Any:
    """Poll ``check`` until it returns something truthy; fail the test with ``what`` otherwise."""
    deadline = time.monotonic() + timeout
    while True:
        with contextlib.suppress(Exception):
            result = check()
            if result:
                return result
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT


@pytest.fixture(scope="session")
def model_dir() -> Path:
    directory = Path(os.environ.get("TEST_MODEL_DIR") or REPO_ROOT / "model_artifacts")
    if not (directory / CARD_FILE).exists():
        pytest.fail(f"{directory} has no {CARD_FILE}: the champion model must be committed")
    return directory


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_model(tmp_path_factory.mktemp("tiny-model"))


class Azurite:
    """A real Azurite blob service (npm `azurite`) in a temp directory."""

    def __init__(self, port: int, process: subprocess.Popen, location: Path) -> None:
        self.port, self.process, self.location = port, process, location
        self.connection_string = azurite_connection_string(port=port)

    def service(self) -> Any:
        from azure.storage.blob import BlobServiceClient

        return BlobServiceClient.from_connection_string(self.connection_string)

    def container(self, name: str) -> Any:
        return self.service().get_container_client(name)


@pytest.fixture(scope="session")
def azurite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Azurite]:
    if not AZURITE_BLOB.exists():
        pytest.fail(f"{AZURITE_BLOB} missing: run `npm ci` (make test does it)")
    location = tmp_path_factory.mktemp("azurite")
    port = free_port()
    log = open(location / "azurite.log", "wb")  # noqa: SIM115
    process = subprocess.Popen(
        [str(AZURITE_BLOB), "--blobHost", "127.0.0.1", "--blobPort", str(port),
         "--location", str(location), "--skipApiVersionCheck", "--disableTelemetry", "--silent"],
        stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    try:
        wait_until(lambda: socket.create_connection(("127.0.0.1", port), 0.2), 30, "Azurite")
        yield Azurite(port, process, location)
    finally:
        stop(process)
        log.close()


@pytest.fixture(scope="session")
def app_settings(model_dir: Path, azurite: Azurite) -> Settings:
    return Settings(
        model_dir=model_dir,
        storage_connection_string=azurite.connection_string,
        feedback_container=f"feedback-{uuid.uuid4().hex[:8]}",
        storage_timeout_seconds=3,
    )


class _UvicornThread:
    def __init__(self, app: Any, port: int) -> None:
        import uvicorn

        config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> _UvicornThread:
        self.thread.start()
        wait_until(lambda: self.server.started, 30, "uvicorn to start")
        return self

    def __exit__(self, *_: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)


def serve_in_thread(app: Any) -> contextlib.AbstractContextManager[str]:
    """Serve an ASGI app on a free 127.0.0.1 port; the context yields its base URL."""

    @contextlib.contextmanager
    def run() -> Iterator[str]:
        port = free_port()
        with _UvicornThread(app, port):
            yield f"http://127.0.0.1:{port}"

    return run()


@pytest.fixture(scope="session")
def live_server(app_settings: Settings) -> Iterator[str]:
    from tweet_sentiment.api import create_app

    with serve_in_thread(create_app(app_settings)) as url:
        yield url


class IngestionStandIn:
    """Records what the Azure Monitor exporter sends; answers like the real endpoint."""

    def __init__(self) -> None:
        self.envelopes: list[dict] = []
        self.requests = 0
        self._lock = threading.Lock()
        self.instrumentation_key = str(uuid.uuid4())
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.port = self.server.server_address[1]
        self.connection_string = (
            f"InstrumentationKey={self.instrumentation_key};"
            f"IngestionEndpoint=http://127.0.0.1:{self.port}/;"
            f"LiveEndpoint=http://127.0.0.1:{self.port}/"
        )

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if self.headers.get("Content-Encoding", "").lower() == "gzip":
                    body = gzip.decompress(body)
                items = stand_in._parse(body) if self.path.startswith("/v2.1/track") else []
                with stand_in._lock:
                    stand_in.requests += 1
                    stand_in.envelopes.extend(items)
                reply = json.dumps(
                    {"itemsReceived": len(items), "itemsAccepted": len(items), "errors": []}
                ).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, *_: object) -> None:
                pass

        return Handler

    @staticmethod
    def _parse(body: bytes) -> list[dict]:
        text = body.decode("utf-8").strip()
        if not text:
            return []
        if text.startswith("["):
            return json.loads(text)
        return [json.loads(line) for line in text.splitlines() if line.strip()]

    def events(self, name: str | None = None) -> list[dict]:
        """customEvents received (EventData envelopes), optionally only those named ``name``."""
        with self._lock:
            found = [e for e in self.envelopes if e.get("data", {}).get("baseType") == "EventData"]
        return [e for e in found if name is None or e["data"]["baseData"]["name"] == name]

    def of_type(self, base_type: str) -> list[dict]:
        with self._lock:
            return [e for e in self.envelopes if e.get("data", {}).get("baseType") == base_type]

    def wait_for(self, predicate: Callable[[IngestionStandIn], Any], timeout: float = 20) -> Any:
        return wait_until(lambda: predicate(self), timeout, "telemetry at the stand-in")

    def clear(self) -> None:
        with self._lock:
            self.envelopes.clear()

    def __enter__(self) -> IngestionStandIn:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *_: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="session")
def ingestion() -> Iterator[IngestionStandIn]:
    with IngestionStandIn() as stand_in:
        yield stand_in


def telemetry_env(connection_string: str, storage_dir: Path) -> dict[str, str]:
    """Environment of a process whose telemetry goes to a stand-in, exported every ~0.2 s."""
    return {
        "APPLICATIONINSIGHTS_CONNECTION_STRING": connection_string,
        "APPLICATIONINSIGHTS_STATSBEAT_DISABLED_ALL": "true",
        "OTEL_BSP_SCHEDULE_DELAY": "200",
        "OTEL_BLRP_SCHEDULE_DELAY": "200",
        "OTEL_METRIC_EXPORT_INTERVAL": "1000",
        "TMPDIR": str(storage_dir),
    }


@pytest.fixture(scope="session")
def telemetry_server(
    app_settings: Settings, ingestion: IngestionStandIn, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    port = free_port()
    tmp = tmp_path_factory.mktemp("telemetry-server")
    env = {
        **os.environ,
        **telemetry_env(ingestion.connection_string, tmp),
        "MODEL_DIR": str(app_settings.model_dir),
        "FEEDBACK_STORAGE_CONNECTION_STRING": app_settings.storage_connection_string,
        "FEEDBACK_CONTAINER": app_settings.feedback_container,
    }
    with served_subprocess(port, env, tmp / "server.log", "the telemetry server") as url:
        yield url
    shutil.rmtree(tmp, ignore_errors=True)


@contextlib.contextmanager
def served_subprocess(port: int, env: dict[str, str], log_path: Path, what: str) -> Iterator[str]:
    """`python -m tweet_sentiment serve` in a subprocess (as a user runs it); its URL once healthy.

    A subprocess, not a thread, when the test needs the process's own telemetry set-up (the
    exporter is configured once per process from the environment).
    """
    log = open(log_path, "wb")  # noqa: SIM115
    process = subprocess.Popen(
        [sys.executable, "-m", "tweet_sentiment", "serve", "--host", "127.0.0.1",
         "--port", str(port)],
        cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: httpx.get(f"{url}/api/health", timeout=1).status_code == 200, 60, what)
        yield url
    finally:
        stop(process)
        log.close()


def stop(process: subprocess.Popen, timeout: float = 15) -> None:
    """Ask a server subprocess to stop; kill it if it does not within ``timeout`` seconds."""
    process.terminate()
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
