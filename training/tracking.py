"""The ONE MLflow helper: every step logs through here, so every run has the same shape.

Each model run records its parameters, validation and test metrics, training/prediction time and
size, the dataset as an MLflow input (with its digest and the split fingerprint), the git commit,
and its files (model, predictions, figures). The exported champion is logged as an ONNX model and
registered with the alias ``champion``.

Store: ``MLFLOW_TRACKING_URI`` if set (a server, an Azure ML workspace), else ``sqlite:///mlflow.db``
in the repository. ``TRAIN_NO_MLFLOW=1`` turns tracking off (e.g. a machine without the store).
"""

from __future__ import annotations

import logging
import subprocess
from collections.abc import Iterable
from dataclasses import asdict
from pathlib import Path

import pandas as pd

from training import config

EXPERIMENT = "air-paradis-sentiment"
REGISTERED_MODEL = "air-paradis-sentiment-lstm"
CHAMPION_ALIAS = "champion"
RUN_ID_FILE = "mlflow_run_id"

for noisy in ("mlflow", "alembic", "urllib3"):
    logging.getLogger(noisy).setLevel(logging.WARNING)


def enabled() -> bool:
    return not config.SETTINGS.no_mlflow


def tracking_uri() -> str:
    return config.SETTINGS.mlflow_tracking_uri or f"sqlite:///{config.REPO_ROOT / 'mlflow.db'}"


def git_commit() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            cwd=config.REPO_ROOT,
            check=True,
        )
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "training", "tweet_sentiment"],
            capture_output=True,
            text=True,
            cwd=config.REPO_ROOT,
        ).stdout
        return out.stdout.strip() + ("-dirty" if dirty.strip() else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def _mlflow():
    import mlflow

    mlflow.set_tracking_uri(tracking_uri())
    mlflow.set_experiment(EXPERIMENT)
    return mlflow


def _flat(params: dict) -> dict[str, str]:
    return {key: str(value)[:500] for key, value in params.items()}


def _log_dataset(mlflow, data: pd.DataFrame | None, meta: dict) -> None:
    if data is None:
        return
    frame = data[["id", "normalised", "label", "topic", "source", "split"]]
    dataset = mlflow.data.from_pandas(
        frame, name=f"tweets-{meta['split_fingerprint'][:12]}", targets="label"
    )
    mlflow.log_input(dataset, context="train/validation/test")


def _tags(meta: dict, extra: dict | None = None) -> dict[str, str]:
    sources = ",".join(f"{s['name']}:{s['sha256'][:12]}" for s in meta.get("sources", []))
    return {
        "git_commit": git_commit(),
        "split_fingerprint": meta.get("split_fingerprint", ""),
        "profile": meta.get("profile", ""),
        "data_sources": sources,
        **(extra or {}),
    }


def log_run(
    result,
    meta: dict,
    directory: Path | None = None,
    data: pd.DataFrame | None = None,
    files: Iterable[Path] = (),
) -> str | None:
    """One model run: params, val_/test_/airline_ metrics, timings, size, dataset, files."""
    if not enabled():
        return None
    mlflow = _mlflow()
    with mlflow.start_run(run_name=result.name) as run:
        mlflow.set_tags(_tags(meta, {"family": result.family}))
        mlflow.log_params(_flat(result.params))
        metrics = {f"val_{k}": v for k, v in result.val.items()}
        metrics |= {f"test_{k}": v for k, v in result.test.items()}
        for name, values in result.slices.items():
            metrics |= {f"test_{name}_{k}": v for k, v in values.items()}
        metrics |= {
            "train_seconds": result.train_seconds,
            "size_bytes": result.size_bytes,
            "predict_ms_per_tweet": result.predict_ms_per_tweet,
        }
        mlflow.log_metrics({k: float(v) for k, v in metrics.items() if v == v})
        mlflow.log_dict(asdict(result), "result.json")
        _log_dataset(mlflow, data, meta)
        if directory is not None:
            mlflow.log_artifacts(str(directory), artifact_path="run")
            (directory / RUN_ID_FILE).write_text(run.info.run_id)
        for path in files:
            mlflow.log_artifact(str(path))
        return run.info.run_id


def log_files(name: str, meta: dict, files: Iterable[Path], metrics: dict | None = None) -> None:
    """A non-model run (EDA, the results report): its figures and documents."""
    if not enabled():
        return
    mlflow = _mlflow()
    with mlflow.start_run(run_name=name):
        mlflow.set_tags(_tags(meta, {"family": "report"}))
        if metrics:
            mlflow.log_metrics({k: float(v) for k, v in metrics.items()})
        for path in files:
            mlflow.log_artifact(str(path))


def log_champion(
    onnx_path: Path, card: dict, meta: dict, data: pd.DataFrame | None, files: Iterable[Path]
) -> str | None:
    """Log the exported ONNX model, register it and point the ``champion`` alias at it."""
    if not enabled():
        return None
    import onnx

    mlflow = _mlflow()
    with mlflow.start_run(run_name=f"export-{card['architecture']}") as run:
        mlflow.set_tags(_tags(meta, {"family": "export", "model_version": card["model_version"]}))
        mlflow.log_metrics(
            {
                f"test_{k}": float(v)
                for k, v in card["metrics"].items()
                if isinstance(v, int | float)
            }
        )
        _log_dataset(mlflow, data, meta)
        for path in files:
            mlflow.log_artifact(str(path), artifact_path="model_artifacts")
        info = mlflow.onnx.log_model(
            onnx.load(str(onnx_path)), name="model", registered_model_name=REGISTERED_MODEL
        )
        client = mlflow.MlflowClient()
        client.set_registered_model_alias(
            REGISTERED_MODEL, CHAMPION_ALIAS, info.registered_model_version
        )
        return run.info.run_id
