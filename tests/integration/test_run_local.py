"""`make run`'s script: Azurite and the service come up, feedback is stored, Ctrl-C stops both."""

from __future__ import annotations

import os
import signal
import socket
import subprocess

import httpx
import pytest

from tests.conftest import free_port, wait_until


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.2)
        return sock.connect_ex(("127.0.0.1", port)) == 0


@pytest.mark.slow
def test_run_local_serves_and_stops_cleanly(repo_root, model_dir, tmp_path):
    azurite_was_running = _listening(10000)
    port = free_port()
    env = {**os.environ, "PORT": str(port), "AZURITE_DIR": str(tmp_path / "azurite"),
           "MODEL_DIR": str(model_dir), "FEEDBACK_CONTAINER": "run-local-test"}  # fmt: skip
    env.pop("APPLICATIONINSIGHTS_CONNECTION_STRING", None)
    process = subprocess.Popen(
        ["bash", "scripts/run-local.sh"], cwd=repo_root, env=env, start_new_session=True,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        url = f"http://127.0.0.1:{port}"
        wait_until(lambda: httpx.get(f"{url}/api/health").status_code == 200, 60, "make run")
        labels = httpx.get(f"{url}/api/model").json()["labels"]
        body = {"text": "run-local", "predicted_label": labels[0], "is_correct": True}
        response = httpx.post(f"{url}/api/feedback", json=body, timeout=20)
        assert response.status_code == 201, response.text
    finally:
        os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C in the terminal sends
        output, _ = process.communicate(timeout=30)
    assert not _listening(port)
    if not azurite_was_running:
        assert "Azurite stopped." in output
        assert not _listening(10000)
