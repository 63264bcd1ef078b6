"""One model run on disk: its parameters, timings, size, and probabilities on validation and test.

Why on disk: each step is a separate CLI, and the report, the champion choice and the export read
what the model steps wrote, so any step can be re-run alone. Choices read ``val_*`` only.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from training import ood, tracking
from training.metrics import evaluate, ood_metrics

if TYPE_CHECKING:
    from tweet_sentiment.vocab import Vocabulary

RUNS_DIR = "runs"
MODEL_FILE = "model.keras"  # a network's Keras model in its run directory
VOCAB_FILE = "vocab.txt"  # and its vocabulary (the work dir's own, a plain network's)


@dataclass
class RunResult:
    name: str
    family: str  # rule-based | classical | neural | transformer
    params: dict
    train_seconds: float
    predict_ms_per_tweet: float
    size_bytes: int
    val: dict = field(default_factory=dict)
    test: dict = field(default_factory=dict)
    slices: dict = field(default_factory=dict)  # test metrics per slice (e.g. airline)
    labels: list[str] = field(default_factory=list)
    ood: dict = field(default_factory=dict)  # {set: {"dev" | "report": metrics}}

    def directory(self, work_dir: Path) -> Path:
        return work_dir / RUNS_DIR / self.name


def split_arrays(
    data: pd.DataFrame, labels: list[str], split: str
) -> tuple[pd.DataFrame, np.ndarray]:
    part = data[data["split"] == split]
    return part, part["label"].map({label: i for i, label in enumerate(labels)}).to_numpy()


def score(
    result: RunResult,
    data: pd.DataFrame,
    labels: list[str],
    val_probs: np.ndarray,
    test_probs: np.ndarray,
) -> RunResult:
    """Fill validation/test metrics and the airline slice from the two probability matrices."""
    _, y_val = split_arrays(data, labels, "validation")
    test, y_test = split_arrays(data, labels, "test")
    result.labels = labels
    result.val = evaluate(y_val, val_probs, labels)
    result.test = evaluate(y_test, test_probs, labels)
    for topic in ("airline",):
        mask = (test["topic"] == topic).to_numpy()
        if mask.sum() >= 20:
            result.slices[topic] = evaluate(y_test[mask], test_probs[mask], labels)
    return result


def ood_rows(work_dir: Path) -> pd.DataFrame:
    """The OOD rows every model is scored on: dev and report parts, never the pool."""
    frame = ood.load(work_dir)
    return (
        frame[frame["part"].isin(["dev", "report"])].reset_index(drop=True) if len(frame) else frame
    )


def score_ood(
    result: RunResult, work_dir: Path, predict: Callable[[pd.DataFrame], np.ndarray]
) -> np.ndarray | None:
    """Score a model on every OOD set's dev and report parts; the probabilities, row-aligned.

    ``predict`` gets the rows (``text`` raw, ``normalised`` tokens) and returns [n, k] in the
    model's label order. Nothing is chosen here: selection reads only the dev figures.
    """
    rows = ood_rows(work_dir)
    if not len(rows):
        return None
    probs = predict(rows)
    result.ood = {}
    for (name, part), index in rows.groupby(["set", "part"]).groups.items():
        result.ood.setdefault(name, {})[part] = ood_metrics(
            rows.loc[index, "label"], probs[index], result.labels
        )
    return probs


def save(
    result: RunResult,
    work_dir: Path,
    val_probs: np.ndarray,
    test_probs: np.ndarray,
    ood_probs: np.ndarray | None = None,
) -> Path:
    directory = result.directory(work_dir)
    directory.mkdir(parents=True, exist_ok=True)
    arrays = {"val": val_probs, "test": test_probs}
    if ood_probs is not None:
        arrays["ood"] = ood_probs
    np.savez_compressed(directory / "predictions.npz", **arrays)  # type: ignore[arg-type]
    (directory / "result.json").write_text(json.dumps(asdict(result), indent=2))
    return directory


def load_all(work_dir: Path) -> list[RunResult]:
    return [
        RunResult(**json.loads(p.read_text()))
        for p in sorted((work_dir / RUNS_DIR).glob("*/result.json"))
    ]


def load_predictions(work_dir: Path, name: str) -> dict[str, np.ndarray]:
    with np.load(work_dir / RUNS_DIR / name / "predictions.npz") as npz:
        return {key: npz[key] for key in npz.files}


def with_network(work_dir: Path, names: Iterable[str], step: str) -> list[RunResult]:
    """The runs called ``names`` whose network is saved in the work dir; a line per missing one."""
    trained = {r.name: r for r in load_all(work_dir)}
    found = []
    for name in names:
        if name in trained and (trained[name].directory(work_dir) / MODEL_FILE).is_file():
            found.append(trained[name])
        else:
            print(f"{step}: {name} skipped, not trained in {work_dir}")
    return found


def save_network(
    result: RunResult,
    model: Any,  # a keras.Model (not imported here: runs stays free of TensorFlow)
    vocab: Vocabulary,
    predict: Callable[[pd.DataFrame], np.ndarray],
    data: pd.DataFrame,
    meta: dict,
    work_dir: Path,
) -> None:
    """A network derived from a trained one (class bias, emoji rows): its files, then its
    validation, test and OOD figures like any run's, tracked."""
    directory = result.directory(work_dir)
    directory.mkdir(parents=True, exist_ok=True)
    model.save(directory / MODEL_FILE)
    vocab.save(directory / VOCAB_FILE)
    val_probs = predict(split_arrays(data, meta["labels"], "validation")[0])
    test_probs = predict(split_arrays(data, meta["labels"], "test")[0])
    save_scored(result, data, meta, work_dir, val_probs, test_probs, predict)


def save_scored(
    result: RunResult,
    data: pd.DataFrame,
    meta: dict,
    work_dir: Path,
    val_probs: np.ndarray,
    test_probs: np.ndarray,
    predict_ood: Callable[[pd.DataFrame], np.ndarray] | None,
) -> Path:
    """Fill a run's validation, test and (with ``predict_ood``) OOD figures, save and track it:
    the end of every step that makes a run from probabilities it already has."""
    score(result, data, meta["labels"], val_probs, test_probs)
    ood_probs = score_ood(result, work_dir, predict_ood) if predict_ood else None
    directory = save(result, work_dir, val_probs, test_probs, ood_probs)
    tracking.log_run(result, meta, directory, data)
    return directory
