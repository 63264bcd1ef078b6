"""Fixtures of the resilience tests: storage that can be stopped and restarted, and a telemetry
ingestion endpoint that can be told to fail.

They build on the shared fixtures of tests/conftest.py (Azurite binary, free ports, polling,
uvicorn in a thread, the ingestion stand-in) instead of copying them.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import (
    AZURITE_BLOB,
    Azurite,
    IngestionStandIn,
    free_port,
    served_subprocess,
    telemetry_env,
    wait_until,
)


class RestartableAzurite(Azurite):
    """A real Azurite blob service this test may stop and start again on the same port and data
    directory (the session-wide ``azurite`` fixture must never be stopped: others share it)."""

    def __init__(self, location: Path) -> None:
        super().__init__(free_port(), None, location)  # type: ignore[arg-type]

    def start(self) -> None:
        log = open(self.location / "azurite.log", "ab")  # noqa: SIM115
        self.process = subprocess.Popen(
            [str(AZURITE_BLOB), "--blobHost", "127.0.0.1", "--blobPort", str(self.port),
             "--location", str(self.location), "--skipApiVersionCheck", "--disableTelemetry",
             "--silent"],
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        log.close()
        wait_until(lambda: socket.create_connection(("127.0.0.1", self.port), 0.2), 30, "Azurite")

    def stop(self) -> None:
        """Graceful stop (SIGTERM), as a restarted storage service would be."""
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(5)

    def is_down(self) -> bool:
        try:
            socket.create_connection(("127.0.0.1", self.port), 0.2).close()
            return False
        except OSError:
            return True


@pytest.fixture
def restartable_azurite(tmp_path: Path) -> Iterator[RestartableAzurite]:
    if not AZURITE_BLOB.exists():
        pytest.fail(f"{AZURITE_BLOB} missing: run `npm ci` (make test does it)")
    location = tmp_path / "azurite"
    location.mkdir()
    storage = RestartableAzurite(location)
    storage.start()
    try:
        yield storage
    finally:
        storage.stop()


class FaultyIngestion(IngestionStandIn):
    """The ingestion stand-in, switchable at run time between ``ok``, ``error`` (HTTP 500),
    ``slow`` (answers after :attr:`delay` seconds) and ``down`` (socket closed)."""

    def __init__(self, delay: float = 15.0) -> None:
        self.mode = "ok"
        self.delay = delay
        self.hits = {"ok": 0, "error": 0, "slow": 0}
        super().__init__()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        stand_in = self
        healthy = super()._handler()

        class Handler(healthy):  # type: ignore[misc, valid-type]
            def do_POST(self) -> None:
                mode = stand_in.mode
                with stand_in._lock:
                    stand_in.hits[mode] = stand_in.hits.get(mode, 0) + 1
                if mode == "ok":
                    return super().do_POST()
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if mode == "slow":
                    time.sleep(stand_in.delay)
                reply = json.dumps({"error": "ingestion failure (test)"}).encode()
                self.send_response(500 if mode == "error" else 200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

        return Handler

    def go_down(self) -> None:
        """Close the listening socket: the exporter now gets 'connection refused'."""
        self.mode = "down"
        self.server.shutdown()
        self.server.server_close()

    def __exit__(self, *_: object) -> None:
        if self.mode != "down":
            super().__exit__()


@pytest.fixture
def faulty_ingestion() -> Iterator[FaultyIngestion]:
    with FaultyIngestion() as stand_in:
        yield stand_in


@pytest.fixture
def server_with_faulty_telemetry(
    model_dir: Path, faulty_ingestion: FaultyIngestion, tmp_path: Path
) -> Iterator[str]:
    """`python -m tweet_sentiment serve` in a subprocess, telemetry to the faulty stand-in."""
    port = free_port()
    env = {**os.environ, **telemetry_env(faulty_ingestion.connection_string, tmp_path),
           "MODEL_DIR": str(model_dir)}  # fmt: skip
    with served_subprocess(port, env, tmp_path / "server.log", "the server with telemetry") as url:
        yield url


def run_threads(target: Callable[[int], Any], count: int) -> list:
    """Run ``target(i)`` in ``count`` threads at once; their results, in order."""
    results: list = [None] * count
    errors: list[BaseException] = []
    barrier = threading.Barrier(count)

    def run(i: int) -> None:
        try:
            barrier.wait()
            results[i] = target(i)
        except BaseException as error:  # surfaced below, with the thread's own traceback
            errors.append(error)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(300)
    if errors:
        raise errors[0]
    return results


class AnswerLosingProxy:
    """A TCP proxy in front of Azurite that can hold back the next answer longer than the client
    waits: the write reaches storage but its answer is lost (a read timeout), and the storage
    client retries the same write. Real networks do this; Azurite alone never does."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.hold_next = 0.0
        self.hold_all = 0.0  # while set, EVERY answer is held that long (retries included)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
                upstream = socket.create_connection(("127.0.0.1", self.upstream_port))
            except OSError:
                return
            for src, dst, answers in ((client, upstream, False), (upstream, client, True)):
                threading.Thread(target=self._pipe, args=(src, dst, answers), daemon=True).start()

    def _pipe(self, src: socket.socket, dst: socket.socket, answers: bool) -> None:
        try:
            while data := src.recv(65536):
                if answers and self.hold_all:
                    time.sleep(self.hold_all)
                elif answers and self.hold_next:
                    delay, self.hold_next = self.hold_next, 0.0
                    time.sleep(delay)
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (src, dst):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        self.listener.close()
