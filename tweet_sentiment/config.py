"""Serving configuration: the one place that reads the environment.

Why one place: the Function in Azure, `make run`, the CLI and the tests all build
:class:`Settings` the same way, so a setting cannot mean one thing here and another there.
Every value has an embedded default that makes `make run` work with nothing set (the committed
model, Azurite's well-known development account on 127.0.0.1:10000).

Environment variables (Azure app settings use the same names), default in brackets:

- `MODEL_DIR` [`<repo>/model_artifacts`]: model.onnx, vocab.txt, metadata.json.
- `FEEDBACK_STORAGE_ACCOUNT_URL` [unset]: `https://<account>.blob.core.windows.net`, used with a
  managed identity (DefaultAzureCredential); wins over any connection string.
- `FEEDBACK_STORAGE_CONNECTION_STRING` [`AzureWebJobsStorage`, else Azurite on 127.0.0.1:10000].
- `FEEDBACK_CONTAINER` [`feedback`]: blob container of feedback documents, created if missing.
- `STORAGE_TIMEOUT_SECONDS` [`5`]: connect/read timeout per storage call (2 quick retries), so a
  dead storage gives a prompt 503.
- `APPLICATIONINSIGHTS_CONNECTION_STRING` [unset]: telemetry to Azure Monitor; unset = none.
- `APPLICATIONINSIGHTS_AUTHENTICATION_STRING` [unset]: `Authorization=AAD;ClientId=<id>` makes
  the exporter sign in with that managed identity (Application Insights with local auth off).
- `FUNCTION_AUTH_LEVEL` [`anonymous`]: auth level of the HTTP function (`anonymous`, `function`):
  the web page calls the API from the browser, so it is anonymous unless you say otherwise.

Limits (every one answers a 4xx JSON error when exceeded):

- `MAX_BATCH` [`1000`]: most tweets in one `POST /api/predict` (422).
- `MAX_EXPLAIN_BATCH` [`100`]: most tweets with `?explain=true` (occlusion scores one extra row
  per token, so it is capped lower) (422).
- `MAX_TEXT_CHARS` [`1000`]: longest tweet in characters; a real tweet has at most 280 (422).
- `MAX_BODY_BYTES` [`8388608`]: largest request body, 8 MiB: room for a full batch of the longest
  texts even JSON-escaped (413).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent

# Azurite's documented, public development account (not a secret: it is the same everywhere).
AZURITE_ACCOUNT = "devstoreaccount1"
AZURITE_KEY = (
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
)


def azurite_connection_string(host: str = "127.0.0.1", port: int = 10000) -> str:
    """Connection string of an Azurite blob endpoint (the well-known development account)."""
    return (
        f"DefaultEndpointsProtocol=http;AccountName={AZURITE_ACCOUNT};AccountKey={AZURITE_KEY};"
        f"BlobEndpoint=http://{host}:{port}/{AZURITE_ACCOUNT};"
    )


@dataclass(frozen=True)
class Settings:
    """Everything the service can be told; build it with :meth:`from_env` or
    :func:`get_settings`."""

    model_dir: Path = REPO_ROOT / "model_artifacts"
    storage_account_url: str | None = None
    storage_connection_string: str = azurite_connection_string()
    feedback_container: str = "feedback"
    storage_timeout_seconds: float = 5.0
    appinsights_connection_string: str | None = None
    appinsights_authentication_string: str | None = None
    auth_level: str = "anonymous"
    max_batch: int = 1000
    max_explain_batch: int = 100
    max_text_chars: int = 1000
    max_body_bytes: int = 8 * 1024 * 1024

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        default = cls()

        def get(name: str) -> str | None:
            value = env.get(name, "").strip()
            return value or None

        connection_string = (
            get("FEEDBACK_STORAGE_CONNECTION_STRING")
            or _usable_connection_string(get("AzureWebJobsStorage"))
            or default.storage_connection_string
        )
        return cls(
            model_dir=Path(get("MODEL_DIR") or default.model_dir),
            storage_account_url=get("FEEDBACK_STORAGE_ACCOUNT_URL"),
            storage_connection_string=connection_string,
            feedback_container=get("FEEDBACK_CONTAINER") or default.feedback_container,
            storage_timeout_seconds=float(
                get("STORAGE_TIMEOUT_SECONDS") or default.storage_timeout_seconds
            ),
            appinsights_connection_string=get("APPLICATIONINSIGHTS_CONNECTION_STRING"),
            appinsights_authentication_string=get("APPLICATIONINSIGHTS_AUTHENTICATION_STRING"),
            auth_level=(get("FUNCTION_AUTH_LEVEL") or default.auth_level).lower(),
            max_batch=int(get("MAX_BATCH") or default.max_batch),
            max_explain_batch=int(get("MAX_EXPLAIN_BATCH") or default.max_explain_batch),
            max_text_chars=int(get("MAX_TEXT_CHARS") or default.max_text_chars),
            max_body_bytes=int(get("MAX_BODY_BYTES") or default.max_body_bytes),
        )

    def with_(self, **changes: object) -> Settings:
        """A copy with some values changed (tests and the CLI use it)."""
        return replace(self, **changes)  # type: ignore[arg-type]


def _usable_connection_string(value: str | None) -> str | None:
    """`AzureWebJobsStorage` may hold `UseDevelopmentStorage=true`: map it to Azurite's string."""
    if value and value.replace(" ", "").lower() == "usedevelopmentstorage=true":
        return azurite_connection_string()
    return value


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read from the environment once."""
    return Settings.from_env()
