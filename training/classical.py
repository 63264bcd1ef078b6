"""Step 3: reference models. VADER (rules, no training) and TF-IDF + logistic regression (the
baseline), Naive Bayes and a linear SVM, each tuned on validation macro-F1.

    python -m training.classical [--work-dir build] [--quick]

Why they matter: the LSTM is only worth shipping if it beats these on the same split; VADER shows
what a dictionary gets without any of our data.
"""

from __future__ import annotations

import pickle
import time
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score
from sklearn.naive_bayes import ComplementNB
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.svm import LinearSVC

from training import cli, config, runs, tracking
from training import data as data_step
from training.data import training_rows

# name -> (estimator factory, grid of its main regularisation parameter)
GRIDS: dict[str, tuple[Callable[[float], object], list[float]]] = {
    "tfidf-logreg": (
        lambda c: LogisticRegression(C=c, max_iter=3000, class_weight="balanced"),
        [0.3, 1.0, 3.0, 10.0],
    ),
    "tfidf-naive-bayes": (lambda a: ComplementNB(alpha=a), [0.1, 0.3, 1.0]),
    "tfidf-linear-svm": (
        lambda c: CalibratedClassifierCV(LinearSVC(C=c, class_weight="balanced"), cv=3),
        [0.03, 0.1, 0.3, 1.0],
    ),
}


def vectoriser() -> TfidfVectorizer:
    """Word uni+bigrams on the shared normaliser's tokens (so placeholders and n't are features)."""
    return TfidfVectorizer(
        ngram_range=(1, 2), min_df=2, sublinear_tf=True, token_pattern=r"\S+", lowercase=False
    )


def vader_compound(texts: Iterable[str]) -> np.ndarray:
    """VADER's compound score of each raw text, in [-1, 1] (negative to positive)."""
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    analyser = SentimentIntensityAnalyzer()
    return np.array([analyser.polarity_scores(t)["compound"] for t in texts], dtype=float)


def vader_probabilities(texts: pd.Series) -> np.ndarray:
    """VADER compound score as [neg, neu, pos]; argmax matches VADER's own +/-0.05 thresholds."""
    compound = vader_compound(texts)
    # The small (1 -/+ c) terms keep p(neg) ranked by the compound score over its whole range
    # (for ROC AUC) without changing the argmax.
    raw = np.stack(
        [
            np.maximum(-compound, 0) + 0.01 * (1 - compound),
            np.full_like(compound, 0.05),
            np.maximum(compound, 0) + 0.01 * (1 + compound),
        ]
    )
    return (raw / raw.sum(axis=0)).T


def _timed_predict(predict: Callable[[], np.ndarray], rows: int) -> tuple[np.ndarray, float]:
    started = time.perf_counter()
    probs = predict()
    return probs, 1000 * (time.perf_counter() - started) / max(1, rows)


def run_vader(data: pd.DataFrame, meta: dict, work_dir: Path) -> runs.RunResult:
    labels = meta["labels"]
    val = data[data["split"] == "validation"]
    test = data[data["split"] == "test"]
    val_probs = vader_probabilities(val["text"])
    test_probs, ms = _timed_predict(lambda: vader_probabilities(test["text"]), len(test))
    keep = [config.LABELS.index(label) for label in labels]  # two-class corpora: no neutral
    result = runs.RunResult("vader", "rule-based", {"thresholds": "+/-0.05"}, 0.0, ms, 0)
    return _finish(
        result,
        data,
        meta,
        work_dir,
        val_probs[:, keep],
        test_probs[:, keep],
        lambda rows: vader_probabilities(rows["text"])[:, keep],
    )


def run_grid(
    name: str, data: pd.DataFrame, meta: dict, work_dir: Path, tune: bool
) -> runs.RunResult:
    """Fit each grid value on train, keep the best by VALIDATION macro-F1."""
    labels = meta["labels"]
    factory, grid = GRIDS[name]
    grid = grid if tune else grid[1:2]
    train = training_rows(data)
    val, y_val = runs.split_arrays(data, labels, "validation")
    test, _ = runs.split_arrays(data, labels, "test")
    y_train = train["label"].map({label: i for i, label in enumerate(labels)}).to_numpy()
    fits: list[tuple[float, float, Pipeline, float]] = []  # (val macro-F1, value, model, seconds)
    for value in grid:
        started = time.perf_counter()
        model = make_pipeline(vectoriser(), factory(value)).fit(train["normalised"], y_train)
        seconds = time.perf_counter() - started
        score = float(f1_score(y_val, model.predict(val["normalised"]), average="macro"))
        fits.append((score, value, model, seconds))
    scores = {value: round(score, 4) for score, value, _, _ in fits}
    _, value, model, seconds = max(fits, key=lambda fit: fit[0])  # the first of equals
    val_probs = model.predict_proba(val["normalised"])
    test_probs, ms = _timed_predict(lambda: model.predict_proba(test["normalised"]), len(test))
    blob = pickle.dumps(model)
    params = {
        "regularisation": value,
        "grid_val_macro_f1": scores,
        "train_rows": len(train),
        "features": len(model[0].vocabulary_),
    }
    result = runs.RunResult(name, "classical", params, seconds, ms, len(blob))
    directory = result.directory(work_dir)
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "model.pkl").write_bytes(blob)
    return _finish(
        result,
        data,
        meta,
        work_dir,
        val_probs,
        test_probs,
        lambda rows: model.predict_proba(rows["normalised"]),
    )


def _finish(
    result: runs.RunResult,
    data: pd.DataFrame,
    meta: dict,
    work_dir: Path,
    val_probs: np.ndarray,
    test_probs: np.ndarray,
    predict: Callable[[pd.DataFrame], np.ndarray],
) -> runs.RunResult:
    """Score on validation, test and the out-of-domain sets; save, track, report progress."""
    runs.score(result, data, meta["labels"], val_probs, test_probs)
    ood_probs = runs.score_ood(result, work_dir, predict)
    directory = runs.save(result, work_dir, val_probs, test_probs, ood_probs)
    tracking.log_run(result, meta, directory, data)
    print(f"{result.name}: val macro-F1 {result.val['macro_f1']:.4f}")
    return result


def main(argv: list[str] | None = None) -> list[runs.RunResult]:
    parser = cli.step_parser(__doc__, quick="one regularisation value per model, no grid search")
    args = parser.parse_args(argv)
    profile = config.QUICK if args.quick else config.FULL
    data, meta = data_step.load(args.work_dir)
    results = [run_vader(data, meta, args.work_dir)]
    for name in GRIDS:
        results.append(run_grid(name, data, meta, args.work_dir, profile.tune_classical))
    return results


if __name__ == "__main__":
    main()
