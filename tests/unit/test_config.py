"""Settings come from the environment, with defaults that make `make run` work unconfigured."""

from __future__ import annotations

from pathlib import Path

from tweet_sentiment.config import REPO_ROOT, Settings, azurite_connection_string


def test_defaults_need_nothing_set():
    settings = Settings.from_env({})
    assert settings.model_dir == REPO_ROOT / "model_artifacts"
    assert settings.storage_connection_string == azurite_connection_string()
    assert "127.0.0.1:10000" in settings.storage_connection_string
    assert settings.storage_account_url is None
    assert settings.feedback_container == "feedback"
    assert settings.appinsights_connection_string is None
    assert settings.max_batch >= 1000


def test_environment_overrides():
    settings = Settings.from_env({
        "MODEL_DIR": "/models/x", "FEEDBACK_CONTAINER": "fb", "MAX_BATCH": "2000",
        "FEEDBACK_STORAGE_ACCOUNT_URL": "https://acct.blob.core.windows.net",
        "APPLICATIONINSIGHTS_CONNECTION_STRING": "InstrumentationKey=abc",
        "FUNCTION_AUTH_LEVEL": "FUNCTION", "MAX_TEXT_CHARS": "500",
    })  # fmt: skip
    assert settings.model_dir == Path("/models/x")
    assert settings.feedback_container == "fb"
    assert settings.max_batch == 2000 and settings.max_text_chars == 500
    assert settings.storage_account_url == "https://acct.blob.core.windows.net"
    assert settings.appinsights_connection_string == "InstrumentationKey=abc"
    assert settings.auth_level == "function"


def test_storage_connection_string_precedence():
    dedicated = "DefaultEndpointsProtocol=https;AccountName=a;AccountKey=k;EndpointSuffix=x"
    jobs = "DefaultEndpointsProtocol=https;AccountName=b;AccountKey=k;EndpointSuffix=x"
    both = {"FEEDBACK_STORAGE_CONNECTION_STRING": dedicated, "AzureWebJobsStorage": jobs}
    assert Settings.from_env(both).storage_connection_string == dedicated
    assert Settings.from_env({"AzureWebJobsStorage": jobs}).storage_connection_string == jobs
    dev = {"AzureWebJobsStorage": "UseDevelopmentStorage=true"}
    assert Settings.from_env(dev).storage_connection_string == azurite_connection_string()


def test_blank_values_mean_default():
    assert Settings.from_env({"MODEL_DIR": "  ", "MAX_BATCH": ""}) == Settings()
