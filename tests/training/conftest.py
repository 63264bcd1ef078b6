"""Fixtures of the feedback-loop tests: feedback written through the REAL feedback store into the
session's Azurite, and the retrain command run as a subprocess (as `make retrain` runs it).

The class of mistakes the committed champion makes: tweets that deny a problem ("no complaints",
"never had a problem") read as complaints. A week of feedback corrects them, among confirmations
of ordinary tweets of the same shape.
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
from tweet_sentiment.schemas import FeedbackRequest
from tweet_sentiment.scorer import Scorer

HANDLES = ["@united", "@jetblue", "@southwestair", "@americanair", "@usairways", "@delta"]
CONTEXTS = [
    "flight today",
    "my flight to denver",
    "boarding this morning",
    "the trip home",
    "flight 1234",
    "the connection in chicago",
    "the check in",
    "my first flight with you",
    "the red eye to boston",
    "our family trip",
    "the flight back",
    "the new route to austin",
]
# The class of mistakes: denying a problem is praise, the champion reads a complaint.
DENIED_PROBLEMS = [
    "no complaints",
    "nothing to complain about",
    "never had a problem",
    "no issues",
    "not a single issue",
    "no hassle",
    "no drama",
    "no delays",
]
# What the same community managers also confirm in a week (mostly right already): without these
# the candidate learns "no/not" = praise and "flight" = praise, and the behaviour tests refuse it.
NEGATED_PRAISE = [
    "not happy",
    "not good at all",
    "not impressed",
    "not friendly",
    "not great",
    "not worth it",
    "not pleasant",
    "not comfortable",
    "not nice",
    "not fun",
]
COMPLAINTS = [
    "bad",
    "was bad",
    "pretty bad",
    "awful",
    "terrible",
    "horrible",
    "a mess",
    "the worst",
]
PRAISE = [
    "good",
    "was good",
    "pretty good",
    "great",
    "lovely",
    "excellent",
    "a pleasure",
    "the best",
]
# (phrases, label, how many): 96 + 96 + 64 + 64 = 320 documents.
STREAM = [
    (DENIED_PROBLEMS, "positive", 96),
    (NEGATED_PRAISE, "negative", 96),
    (COMPLAINTS, "negative", 64),
    (PRAISE, "positive", 64),
]


def feedback_stream(seed: int = 1) -> list[tuple[str, str, str]]:
    """(tweet, label, first phrase of its group) in the order users would send them.

    Every tweet is a distinct (phrase, context) pair, so the held-out slice (the most recent
    quarter) holds sentences the candidate never saw.
    """
    rng = random.Random(seed)
    items = []
    for phrases, label, count in STREAM:
        pairs = list(itertools.product(phrases, CONTEXTS))
        rng.shuffle(pairs)
        items += [(f"{rng.choice(HANDLES)} {c}: {p}", label, phrases[0]) for p, c in pairs[:count]]
    rng.shuffle(items)
    return items


@dataclass
class FeedbackSeeder:
    """Writes feedback as the API does (its request model, the real FeedbackStore)."""

    store: FeedbackStore
    scorer: Scorer

    def correct(self, texts: list[str], label: str | list[str]) -> list[str]:
        """A community manager sets ``label`` (one, or one per tweet) on each tweet; returns the
        champion's predictions."""
        labels = [label] * len(texts) if isinstance(label, str) else label
        predicted = [p.label for p in self.scorer.predict(texts).predictions]
        for text, guess, label in zip(texts, predicted, labels, strict=True):
            feedback = FeedbackRequest(
                text=text,
                predicted_label=guess,
                is_correct=guess == label,
                correct_label=label,
                prediction_id=str(uuid.uuid4()),
            )
            self.store.save(feedback, self.scorer.model_version, self.scorer.labels)
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
