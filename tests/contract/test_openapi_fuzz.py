"""Schemathesis fuzzes every operation of the published OpenAPI document (valid and invalid
bodies and query strings, both generation modes): no request may produce a server error.

The schema is loaded at import (schemathesis' fixture loader does not work with pytest 9), on the
tiny real ONNX model in a temp dir, with storage on a closed port (feedback: the documented 503).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from tests.conftest import free_port
from tests.tiny_model import build_tiny_model
from tweet_sentiment.api import create_app
from tweet_sentiment.config import Settings, azurite_connection_string

_SETTINGS = Settings(
    model_dir=build_tiny_model(Path(tempfile.mkdtemp(prefix="tiny-openapi-"))),
    storage_connection_string=azurite_connection_string(port=free_port()),
    storage_timeout_seconds=0.5,
)
schema = schemathesis.openapi.from_asgi("/api/openapi.json", create_app(_SETTINGS))


@schema.parametrize()
@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_server_error(case):
    response = case.call()
    if response.status_code == 503:  # storage deliberately unreachable: the documented answer
        assert response.json()["error"] == "storage_unavailable"
        return
    case.validate_response(response, checks=[not_a_server_error])
