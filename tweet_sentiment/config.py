"""Serving configuration: the one place that reads the environment.

Why one place: the Function in Azure, `make run`, the CLI and the tests all build
:class:`Settings` the same way, so a setting cannot mean one thing here and another there.
Every value has an embedded default that makes `make run` work with nothing set (the committed
model, Azurite's well-known development account on 127.0.0.1:10000). pydantic-settings reads and
converts the variables: a malformed value (`MAX_BATCH=lots`) stops the start with an error naming
the variable instead of serving with a wrong limit.

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
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

# The repository (and, deployed, the Function app) root: the one definition, import it from here.
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


def _read(default: Any, *names: str) -> Any:
    """A setting with its default, read from the environment variable(s) ``names`` (the first one
    set wins)."""
    return Field(default, validation_alias=AliasChoices(*names))


class Settings(BaseSettings):
    """Everything the service can be told. ``Settings(...)`` is exactly what the caller passes,
    defaults otherwise (tests build it so); :meth:`from_env` and :func:`get_settings` read the
    environment."""

    model_config = SettingsConfigDict(
        frozen=True, case_sensitive=True, extra="ignore", validate_by_name=True
    )

    model_dir: Path = _read(REPO_ROOT / "model_artifacts", "MODEL_DIR")
    storage_account_url: str | None = _read(None, "FEEDBACK_STORAGE_ACCOUNT_URL")
    storage_connection_string: str = _read(
        azurite_connection_string(), "FEEDBACK_STORAGE_CONNECTION_STRING", "AzureWebJobsStorage"
    )
    feedback_container: str = _read("feedback", "FEEDBACK_CONTAINER")
    storage_timeout_seconds: float = _read(5.0, "STORAGE_TIMEOUT_SECONDS")
    appinsights_connection_string: str | None = _read(None, "APPLICATIONINSIGHTS_CONNECTION_STRING")
    appinsights_authentication_string: str | None = _read(
        None, "APPLICATIONINSIGHTS_AUTHENTICATION_STRING"
    )
    auth_level: str = _read("anonymous", "FUNCTION_AUTH_LEVEL")
    max_batch: int = _read(1000, "MAX_BATCH")
    max_explain_batch: int = _read(100, "MAX_EXPLAIN_BATCH")
    max_text_chars: int = _read(1000, "MAX_TEXT_CHARS")
    max_body_bytes: int = _read(8 * 1024 * 1024, "MAX_BODY_BYTES")
    # POST /api/buzz: an upload may span at most this many days (the detector reports every
    # window of the span, empty ones too: a typo'd year must not mean a million windows).
    max_buzz_days: int = _read(62, "MAX_BUZZ_DAYS")

    @field_validator("storage_connection_string")
    @classmethod
    def _development_storage(cls, value: str) -> str:
        """`AzureWebJobsStorage` may hold `UseDevelopmentStorage=true`: that is Azurite."""
        if value.replace(" ", "").lower() == "usedevelopmentstorage=true":
            return azurite_connection_string()
        return value

    @field_validator("auth_level")
    @classmethod
    def _lower_case(cls, value: str) -> str:
        return value.lower()

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """``Settings(...)`` reads nothing: the environment is read by :meth:`from_env` only."""
        return (init_settings,)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """The settings of the environment (or of ``env``); a blank value means the default."""
        source = EnvSettingsSource(cls)
        env = os.environ if env is None else env
        source.env_vars = {name: value.strip() for name, value in env.items() if value.strip()}
        return cls(**source())

    def with_(self, **changes: object) -> Settings:
        """A copy with some values changed (tests and the CLI use it)."""
        return self.model_copy(update=changes)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read from the environment once."""
    return Settings.from_env()
