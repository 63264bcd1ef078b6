"""Step 4 (before the LSTMs): the teachers the distilled LSTMs learn from.

    python -m training.teacher [--teacher e5|minilm|minilm-ft] [--work-dir build] [--quick]

Why: a pretrained transformer reads tweets unlike ours far better than a BiLSTM trained on 30k
tweets, but it is ~100x too slow to serve. So it is trained once here and joins the comparison;
then it labels a pool of real tweets (the corpus' train rows and the OOD sets' pool parts, never
their dev or report rows) with soft labels, ``soft_labels-<teacher>.parquet``, from which a
distilled LSTM learns (training.neural, ``distil`` and ``teacher``). Serving never sees it.

- ``e5`` (``e5-logreg``, default) and ``minilm``: a frozen encoder (training.encoder) + logistic
  regression, its C chosen by the champion's rule (validation and OOD dev).
- ``minilm-ft``: all-MiniLM-L6-v2 fine-tuned on the corpus (training.finetune), cross-fitted.
- ``mean``: the mean of the e5 and minilm-ft teachers' probabilities (run both first): two
  readers that err differently.
"""

from __future__ import annotations

import pickle
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score

from training import champion, cli, config, encoder, ood, runs
from training import data as data_step
from training.data import training_rows

GRID = [0.3, 1.0, 3.0, 10.0]
DEFAULT_ENCODER = "e5"  # minilm is 5x faster here but read the OOD dev parts worse in a probe
FINE_TUNED = "minilm-ft"  # training.finetune
MEAN = "mean"  # the mean of two teachers that have run: MEAN_OF
MEAN_OF = config.MEAN_TEACHER_OF
TEACHERS = (*encoder.MODELS, FINE_TUNED, MEAN)
FOLDS = 2  # cross-fitting of the fine-tuned teacher: the same training cost as one model
QUICK_ROWS = 300  # pool rows encoded in a quick run (e5 is ~10-20 tweets/s here)
# Corpus train rows the teacher is fitted on and labels (seeded sample): 12k rows already gain
# 7-9 points of OOD macro-recall over TF-IDF, and each row costs ~0.1 s of e5 on one thread.
TEACHER_TRAIN_ROWS = 12000


def pool(data: pd.DataFrame, work_dir: Path, quick: bool, sample: bool = True) -> pd.DataFrame:
    """The tweets the teacher labels: corpus train rows + the OOD pool parts (no dev/report).

    ``sample``: at most TEACHER_TRAIN_ROWS corpus rows (the frozen encoders' budget).
    """
    train = training_rows(data).assign(origin="corpus")
    if sample and len(train) > TEACHER_TRAIN_ROWS:
        train = train.sample(n=TEACHER_TRAIN_ROWS, random_state=config.SEED)
    extra = ood.load(work_dir)
    if len(extra):
        extra = extra[extra["part"] == "pool"].assign(origin=lambda f: f["set"])
    rows = pd.concat([train, extra], ignore_index=True)[["text", "normalised", "label", "origin"]]
    rows = rows.drop_duplicates("normalised").reset_index(drop=True)
    if quick:
        shuffled = rows.sample(frac=1, random_state=config.SEED)  # every label, not the first
        rows = shuffled.groupby("origin").head(QUICK_ROWS // 3).reset_index(drop=True)
    return rows


Predict = Callable[[pd.Series], np.ndarray]  # raw tweets -> [n, labels] probabilities


@dataclass
class Head:
    """A trained teacher: its pool probabilities, how it predicts, what to record, its bytes."""

    pool_probs: np.ndarray
    predict: Predict
    params: dict
    size: int = 0  # bytes of what was fitted beyond the shared pretrained weights


def frozen_head(
    name: str,
    rows: pd.DataFrame,
    val: pd.DataFrame,
    dev: pd.DataFrame,
    labels: list[str],
    quick: bool,
) -> Head:
    """A frozen encoder + logistic regression, its C chosen by the champion's rule."""

    def embed(texts: pd.Series) -> np.ndarray:
        return encoder.embed(texts.tolist(), name)

    started = time.perf_counter()
    x_pool, x_val = embed(rows["text"]), embed(val["text"])
    x_dev = embed(dev["text"]) if len(dev) else None
    corpus = (rows["origin"] == "corpus").to_numpy()
    x_train, y_train = x_pool[corpus], rows.loc[corpus, "label"].map(labels.index).to_numpy()
    y_val = val["label"].map(labels.index).to_numpy()
    embed_seconds = time.perf_counter() - started
    scores, fitted = {}, {}
    for c in GRID[1:2] if quick else GRID:
        fitted[c] = LogisticRegression(C=c, max_iter=3000, class_weight="balanced")
        fitted[c].fit(x_train, y_train)
        val_f1 = f1_score(y_val, fitted[c].predict(x_val), average="macro")
        dev_f = (
            champion.rows_dev_score(fitted[c].predict_proba(x_dev), dev, labels)
            if x_dev is not None
            else np.nan
        )
        scores[c] = {"val": round(float(val_f1), 4), "dev": round(dev_f, 4)}
    c = champion.pick(scores)
    clf = fitted[c]
    params = {
        "encoder": f"{encoder.MODELS[name]} (frozen)",
        "C": c,
        "grid": {str(k): v for k, v in scores.items()},
        "rule": "best OOD dev score within the champion's validation tolerance",
        "embedding_seconds": round(embed_seconds, 1),
    }

    def predict(texts: pd.Series) -> np.ndarray:
        return clf.predict_proba(embed(texts))

    return Head(clf.predict_proba(x_pool), predict, params, len(pickle.dumps(clf)))


def fine_tuned_head(rows: pd.DataFrame, labels: list[str], work_dir: Path, quick: bool) -> Head:
    """MiniLM fine-tuned on the corpus rows (training.finetune), cross-fitted in ``FOLDS``.

    Each corpus row's soft label comes from the model that did not train on it: a model's
    reading of its own training rows is close to their gold labels and teaches nothing. Every
    other tweet (pool, validation, test, OOD) gets the mean of the fold models.
    """
    from training import finetune

    recipe = finetune.Recipe(epochs=0.05) if quick else finetune.Recipe()
    corpus = (rows["origin"] == "corpus").to_numpy()
    fold = np.full(len(rows), -1)
    fold[corpus] = np.random.default_rng(config.SEED).permutation(corpus.sum()) % FOLDS
    texts = [encoder.encoder_text(t) for t in rows["text"]]
    y = rows["label"].map(labels.index).to_numpy()
    probs = np.zeros((len(rows), len(labels)), np.float32)
    models, trained_now = [], []
    for f in range(FOLDS):
        fit = np.flatnonzero(corpus & (fold != f))
        model, key, now = finetune.trained(
            [texts[i] for i in fit], y[fit], len(labels), work_dir, recipe
        )
        models.append((model, key))
        trained_now.append(now)
        held_out = fold == f
        probs[held_out] = finetune.cached_proba(model, key, rows.loc[held_out, "text"].tolist())

    def predict(batch: pd.Series) -> np.ndarray:
        return np.mean([finetune.cached_proba(m, k, batch.tolist()) for m, k in models], axis=0)

    probs[~corpus] = predict(rows.loc[~corpus, "text"])
    params = {
        "encoder": f"{encoder.MODELS['minilm']} (fine-tuned)",
        "recipe": asdict(recipe),
        "folds": FOLDS,
        "weights": [key for _, key in models],
        "trained_now": trained_now,
    }
    return Head(probs, predict, params)


def run(work_dir: Path, quick: bool, name: str = DEFAULT_ENCODER) -> runs.RunResult:
    data, meta = data_step.load(work_dir)
    labels = meta["labels"]
    val, _ = runs.split_arrays(data, labels, "validation")
    test, _ = runs.split_arrays(data, labels, "test")
    rows = pool(data, work_dir, quick, sample=name != FINE_TUNED)
    dev = runs.ood_rows(work_dir)
    dev = dev[dev["part"] == "dev"].reset_index(drop=True) if len(dev) else dev

    started = time.perf_counter()
    if name == FINE_TUNED:
        head = fine_tuned_head(rows, labels, work_dir, quick)
    else:
        head = frozen_head(name, rows, val, dev, labels, quick)
    train_seconds = time.perf_counter() - started
    # The soft labels first: the distilled networks need only them, the figures below can wait.
    write_soft_labels(rows, head.pool_probs, labels, work_dir, name)
    predict = head.predict

    started = time.perf_counter()
    test_probs = predict(test["text"])
    predict_ms = 1000 * (time.perf_counter() - started) / max(1, len(test))
    val_probs = predict(val["text"])
    params = head.params | {
        "train_rows": int((rows["origin"] == "corpus").sum()),
        "pool_rows": len(rows),
    }
    result = runs.RunResult(
        teacher_model(name), "encoder", params, train_seconds, predict_ms, head.size
    )
    runs.save_scored(
        result, data, meta, work_dir, val_probs, test_probs, lambda part: predict(part["text"])
    )
    print(f"{result.name}: val macro-F1 {result.val['macro_f1']:.4f} ({train_seconds:.0f}s)")
    return result


def mean_soft_labels(
    first: pd.DataFrame, second: pd.DataFrame, labels: list[str]
) -> tuple[pd.DataFrame, int]:
    """``second``'s rows, their probabilities averaged with ``first``'s where it has the tweet;
    and how many it had."""
    columns = [f"p_{label}" for label in labels]
    soft = second.set_index("normalised")
    other = first.set_index("normalised")
    both = soft.index.intersection(other.index)
    soft.loc[both, columns] = (soft.loc[both, columns] + other.loc[both, columns]) / 2
    return soft.reset_index(), len(both)


def mean_run(work_dir: Path) -> runs.RunResult:
    """The mean teacher from its two teachers' files: nothing is encoded or trained again.

    Its soft labels are the mean where both labelled a tweet, the fine-tuned teacher's alone on
    the corpus rows outside e5's sample; its own row is scored on the mean of their predictions.
    """
    data, meta = data_step.load(work_dir)
    labels = meta["labels"]
    first, second = (load_soft_labels(work_dir, name) for name in MEAN_OF)
    soft, both = mean_soft_labels(first, second, labels)
    soft.to_parquet(soft_labels_path(work_dir, MEAN))
    ran = {r.name: r for r in runs.load_all(work_dir)}
    parts = [ran[teacher_model(name)] for name in MEAN_OF]
    predictions = [runs.load_predictions(work_dir, r.name) for r in parts]
    mean = {key: (predictions[0][key] + predictions[1][key]) / 2 for key in predictions[0]}
    result = runs.RunResult(
        teacher_model(MEAN),
        "encoder",
        {"mean_of": [r.name for r in parts], "pool_rows": len(soft), "both": both},
        sum(r.train_seconds for r in parts),
        sum(r.predict_ms_per_tweet for r in parts),
        sum(r.size_bytes for r in parts),
    )
    predict_ood = (lambda _: mean["ood"]) if "ood" in mean else None
    runs.save_scored(result, data, meta, work_dir, mean["val"], mean["test"], predict_ood)
    print(f"{result.name}: val macro-F1 {result.val['macro_f1']:.4f}")
    return result


def teacher_model(name: str) -> str:
    """The teacher's row in the comparison: e5-logreg, minilm-logreg, minilm-ft or
    e5-minilmft-mean."""
    if name == MEAN:
        return "-".join(n.replace("-", "") for n in MEAN_OF) + "-mean"
    return name if name == FINE_TUNED else f"{name}-logreg"


def soft_labels_path(work_dir: Path, name: str = DEFAULT_ENCODER) -> Path:
    return work_dir / f"soft_labels-{name}.parquet"


def write_soft_labels(
    rows: pd.DataFrame, probs: np.ndarray, labels: list[str], work_dir: Path, name: str
) -> Path:
    """normalised text, origin, gold label ('' for none) and the teacher's p(label) columns."""
    frame = rows[["normalised", "origin"]].copy()
    frame["label"] = rows["label"].where(rows["origin"] == "corpus", "")
    for i, label in enumerate(labels):
        frame[f"p_{label}"] = probs[:, i].astype(np.float32)
    path = soft_labels_path(work_dir, name)
    frame.to_parquet(path)
    return path


def load_soft_labels(work_dir: Path, name: str = DEFAULT_ENCODER) -> pd.DataFrame:
    path = soft_labels_path(work_dir, name)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: run `python -m training.teacher --teacher {name}` first")
    return pd.read_parquet(path)


def main(argv: list[str] | None = None) -> runs.RunResult:
    parser = cli.step_parser(__doc__, quick=f"{QUICK_ROWS} pool rows only, no grid search")
    parser.add_argument(
        "--teacher",
        choices=TEACHERS,
        default=DEFAULT_ENCODER,
        help="a frozen encoder + logistic regression (e5, minilm), MiniLM fine-tuned (minilm-ft), "
        "or the mean of e5 and minilm-ft (mean)",
    )
    args = parser.parse_args(argv)
    from training.transformer import NotInstalled

    try:
        if args.teacher == MEAN:
            return mean_run(args.work_dir)
        return run(args.work_dir, args.quick, args.teacher)
    except NotInstalled as error:  # minilm without torch
        raise SystemExit(f"teacher: {error}") from None


if __name__ == "__main__":
    main()
