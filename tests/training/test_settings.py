"""Training's environment (training.config.Settings): read by pydantic-settings, a blank value is
the default, a malformed one is an error naming the variable; every step shares --work-dir."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from training import cli, config
from tweet_sentiment.config import REPO_ROOT

VARIABLES = ("TRAIN_WORK_DIR", "TRAIN_THREADS", "TRAIN_NO_MLFLOW", "MLFLOW_TRACKING_URI")


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_variables_are_read_and_converted(clean_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    clean_env.setenv("TRAIN_WORK_DIR", str(tmp_path))
    clean_env.setenv("TRAIN_THREADS", "3")
    clean_env.setenv("TRAIN_NO_MLFLOW", "1")
    clean_env.setenv("MLFLOW_TRACKING_URI", "sqlite:///elsewhere.db")
    settings = config.Settings()
    assert (settings.work_dir, settings.threads) == (tmp_path, 3)
    assert settings.no_mlflow and settings.mlflow_tracking_uri == "sqlite:///elsewhere.db"


def test_blank_values_keep_the_defaults(clean_env: pytest.MonkeyPatch) -> None:
    for name in VARIABLES:
        clean_env.setenv(name, "")  # as a workflow passes an unset repository variable
    settings = config.Settings()
    assert settings.work_dir == REPO_ROOT / "build" and settings.threads == 2
    assert not settings.no_mlflow and settings.mlflow_tracking_uri is None


def test_a_malformed_value_names_the_variable(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("TRAIN_THREADS", "two")
    with pytest.raises(ValidationError, match="TRAIN_THREADS"):
        config.Settings()


def test_the_common_options_are_the_same_for_every_step(tmp_path: Path) -> None:
    parser = cli.step_parser("Step n: what it does.\n\nmore", quick="fewer rows")
    args = parser.parse_args(["--work-dir", str(tmp_path), "--quick"])
    assert (args.work_dir, args.quick) == (tmp_path, True)
    assert parser.parse_args([]).work_dir == config.WORK_DIR
    assert parser.description == "Step n: what it does."
    assert not hasattr(cli.step_parser(None).parse_args([]), "quick")
