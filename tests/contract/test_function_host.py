"""host.json, local.settings.json and .funcignore: the Azure Functions side of the contract."""

from __future__ import annotations

import json


def test_host_json(repo_root):
    host = json.loads((repo_root / "host.json").read_text())
    assert host["version"] == "2.0"
    assert host["extensionBundle"]["id"] == "Microsoft.Azure.Functions.ExtensionBundle"
    assert host["extensions"]["http"]["routePrefix"] == ""  # FastAPI's /api/... are the paths
    sampling = host["logging"]["applicationInsights"]["samplingSettings"]
    excluded = set(sampling["excludedTypes"].split(";"))
    assert {"Event", "Request"} <= excluded  # alert-counted events are never sampled


def test_local_settings_are_development_only(repo_root):
    values = json.loads((repo_root / "local.settings.json").read_text())["Values"]
    assert values["FUNCTIONS_WORKER_RUNTIME"] == "python"
    assert values["AzureWebJobsStorage"] == "UseDevelopmentStorage=true"
    secrets = ("AccountKey", "InstrumentationKey", "SharedAccessSignature")
    assert not any(secret in str(v) for v in values.values() for secret in secrets)


def test_funcignore_ships_serving_only(repo_root):
    lines = (repo_root / ".funcignore").read_text().splitlines()
    ignored = {line.strip().rstrip("/") for line in lines if line.strip() and line[0] != "#"}
    for needed in ("function_app.py", "host.json", "requirements.txt", "tweet_sentiment",
                   "model_artifacts"):  # fmt: skip
        assert needed not in ignored
    assert {"training", "tests", ".venv", "node_modules", "local.settings.json"} <= ignored


def test_serving_requirements_have_no_training_stack(repo_root):
    names = {line.split("==")[0].strip().lower()
             for line in (repo_root / "requirements.txt").read_text().splitlines()
             if line.strip() and not line.startswith("#")}  # fmt: skip
    assert {"azure-functions", "onnxruntime", "fastapi", "azure-storage-blob"} <= names
    assert not names & {"tensorflow", "keras", "scikit-learn", "torch", "mlflow", "gensim"}
