"""Fixtures of the feedback-loop tests: feedback written through the REAL feedback store into the
session's Azurite, and the retrain command run as a subprocess (as `make retrain` runs it).

The negation feedback is the class of mistakes the committed champion makes: tweets that deny a
problem ("no complaints", "not bad at all") read as complaints. Every sentence is a distinct
(phrase, context) pair, so the held-out slice holds sentences the candidate never saw.
"""

from __future__ import annotations

import itertools
import os
import random
import subprocess
import sys
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from tweet_sentiment.config import Settings
from tweet_sentiment.feedback_store import FeedbackStore
from tweet_sentiment.scorer import Scorer

HANDLES = ["@united", "@jetblue", "@southwestair", "@americanair", "@usairways", "@delta"]
DENIED_PROBLEMS = [
    "not bad at all",
    "no complaints",
    "no problems at all",
    "not disappointed",
    "never had a problem",
    "no delays",
    "nothing to complain about",
    "no issues",
    "not a single issue",
    "not terrible",
    "no drama",
    "no hassle",
]
CONTEXTS = [
    "flight today",
    "my flight to denver",
    "boarding this morning",
    "the trip home",
    "flight 1234",
    "the connection in chicago",
    "the check in",
    "my first flight with you",
]


def negation_tweets(seed: int = 1) -> list[str]:
    """96 distinct tweets that deny a problem: positive, yet the champion calls them negative."""
    rng = random.Random(seed)
    pairs = list(itertools.product(DENIED_PROBLEMS, CONTEXTS))
    rng.shuffle(pairs)
    return [f"{rng.choice(HANDLES)} {context}: {phrase}" for phrase, context in pairs]


@dataclass
class FeedbackSeeder:
    """Writes feedback as the API does (its document shape, the real FeedbackStore)."""

    store: FeedbackStore
    scorer: Scorer

    def correct(self, texts: list[str], label: str) -> list[str]:
        """A community manager sets ``label`` on each tweet; returns the champion's predictions."""
        predicted = [p.label for p in self.scorer.predict(texts).predictions]
        for text, guess in zip(texts, predicted, strict=True):
            self.store.save(
                {
                    "text": text,
                    "predicted_label": guess,
                    "is_correct": guess == label,
                    "correct_label": label,
                    "prediction_id": str(uuid.uuid4()),
                    "model_version": self.scorer.model_version,
                    "served_model_version": self.scorer.model_version,
                    "labels": self.scorer.labels,
                }
            )
        return predicted


@pytest.fixture
def feedback_settings(azurite) -> Settings:
    return Settings(
        storage_connection_string=azurite.connection_string,
        feedback_container=f"loop-{uuid.uuid4().hex[:8]}",
    )


@pytest.fixture
def seeder(feedback_settings: Settings, model_dir: Path) -> FeedbackSeeder:
    store = FeedbackStore.from_settings(feedback_settings)
    return FeedbackSeeder(store, Scorer.from_dir(model_dir))


@pytest.fixture
def run_retrain(
    feedback_settings: Settings, tmp_path: Path, repo_root: Path
) -> Callable[..., subprocess.CompletedProcess]:
    """``python -m training.retrain --quick ...`` against this test's container and MLflow store."""

    def run(*args: str) -> subprocess.CompletedProcess:
        env = {
            **os.environ,
            "FEEDBACK_STORAGE_CONNECTION_STRING": feedback_settings.storage_connection_string,
            "FEEDBACK_CONTAINER": feedback_settings.feedback_container,
            "MLFLOW_TRACKING_URI": f"sqlite:///{tmp_path / 'mlflow.db'}",
            "TRAIN_NO_MLFLOW": "",
        }
        env.pop("FEEDBACK_STORAGE_ACCOUNT_URL", None)
        command = [sys.executable, "-m", "training.retrain", "--quick", *args]
        result = subprocess.run(
            command, cwd=repo_root, env=env, capture_output=True, text=True, timeout=900
        )
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
        return result

    return run
