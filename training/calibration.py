"""Step 5 (after the LSTMs): a class bias for a trained network, folded into its output layer.

    python -m training.calibration [--work-dir build] [--quick] [--only bilstm-glove-kd0.5-minilmft]

Why: a network learns the class mix of what it is trained on, and a distilled one its teacher's
caution. Out of domain the distilled BiLSTMs call many negative tweets neutral (the negative
recall columns of reports/results.md), the very tweets a bad buzz is made of. A constant added to
each class's logit is the classic correction for a change of class priors (Saerens, Latinne &
Decaestecker, 2002).

The bias (negative and positive against neutral, a grid of 0.1) is chosen by the champion's rule
(:func:`training.champion.pick`): the best OOD dev score within the validation tolerance. The test
split and the OOD report parts play no part; OOD sets the network trained on with their labels
do not judge it. Serving pays nothing: the bias is added to the bias of the last Dense layer, so
the ONNX graph, the parity check and retraining are unchanged. Each calibrated network is a run
of its own, ``<name>-cal``, a lever row of reports/results.md beside the network it came from.
"""

from __future__ import annotations

import itertools
import time
from pathlib import Path

import numpy as np
import pandas as pd

from training import config

config.configure_threads()

import keras  # noqa: E402  (after the thread caps)
from sklearn.metrics import f1_score  # noqa: E402

from training import champion, cli, runs  # noqa: E402
from training import data as data_step  # noqa: E402
from training.data import tokens_of  # noqa: E402
from training.runs import MODEL_FILE, VOCAB_FILE  # noqa: E402
from tweet_sentiment.vocab import Vocabulary  # noqa: E402

GRID = tuple(round(float(b), 1) for b in np.arange(-1.0, 1.01, 0.1))
REFERENCE = "neutral"  # its logit stays as it is: only the other classes move against it
OUTPUT_LAYER = "probabilities"  # training.neural.build_model's last Dense layer


def shifted(probs: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """softmax(logits + bias) from softmax(logits): what the folded bias makes the model say."""
    logits = np.log(np.clip(probs, 1e-12, None)) + bias
    logits -= logits.max(axis=1, keepdims=True)
    out = np.exp(logits)
    return out / out.sum(axis=1, keepdims=True)


def choose_bias(
    val_probs: np.ndarray,
    y_val: np.ndarray,
    dev_probs: np.ndarray,
    dev: pd.DataFrame,
    labels: list[str],
) -> tuple[np.ndarray, dict[str, float]]:
    """The bias by the champion's rule, and its validation macro-F1 and OOD dev score."""
    moving = [i for i, label in enumerate(labels) if label != REFERENCE]
    if not len(dev):  # no OOD data: nothing to correct towards, validation is the model's own
        no_bias = np.zeros(len(labels))
        return no_bias, {"val": float("nan"), "dev": float("nan")}
    scores: dict[tuple[float, ...], dict[str, float]] = {}
    # Smallest shifts first: on a tie the rule keeps the one that changes the model least.
    grid = sorted(itertools.product(GRID, repeat=len(moving)), key=lambda v: np.abs(v).sum())
    for values in grid:
        bias = np.zeros(len(labels))
        bias[moving] = values
        val = f1_score(y_val, shifted(val_probs, bias).argmax(axis=1), average="macro")
        dev_score = champion.rows_dev_score(shifted(dev_probs, bias), dev, labels)
        scores[values] = {"val": float(val), "dev": dev_score}
    best = champion.pick(scores)
    bias = np.zeros(len(labels))
    bias[moving] = best
    return bias, scores[best]


def bias_of(params: dict, labels: list[str]) -> np.ndarray:
    """A run's class bias (its ``class_bias`` parameter) in label order; zeros without one."""
    chosen = params.get("class_bias") or {}
    return np.array([float(chosen.get(label, 0.0)) for label in labels])


def fold(model: keras.Model, bias: np.ndarray) -> None:
    """Add ``bias`` to the output layer's bias: the model then predicts ``shifted(p, bias)``."""
    layer = model.get_layer(OUTPUT_LAYER)
    kernel, offset = layer.get_weights()
    layer.set_weights([kernel, offset + bias.astype(offset.dtype)])


def calibrate(
    base: runs.RunResult, data: pd.DataFrame, meta: dict, work_dir: Path
) -> runs.RunResult:
    """``<base>-cal``: the base network with its class bias, scored like any other run."""
    labels = meta["labels"]
    source = base.directory(work_dir)
    model = keras.models.load_model(source / MODEL_FILE)
    vocab = Vocabulary.load(source / VOCAB_FILE)

    def predict(rows: pd.DataFrame) -> np.ndarray:
        ids = vocab.encode(tokens_of(rows), config.MAX_LEN).ids
        return model.predict(ids, batch_size=512, verbose=0)

    started = time.perf_counter()
    val, y_val = runs.split_arrays(data, labels, "validation")
    dev = runs.ood_rows(work_dir)
    if len(dev):
        dev = dev[(dev["part"] == "dev") & ~dev["set"].isin(champion.trained_on(base))]
        dev = dev.reset_index(drop=True)
    dev_probs = predict(dev) if len(dev) else np.empty((0, len(labels)))
    bias, chosen = choose_bias(predict(val), y_val, dev_probs, dev, labels)
    fold(model, bias)
    seconds = time.perf_counter() - started

    result = runs.RunResult(
        base.name + config.CALIBRATED,
        base.family,
        base.params
        | {
            "class_bias": dict(zip(labels, bias.round(2).tolist(), strict=True)),
            "class_bias_rule": "best OOD dev score within the champion's validation tolerance",
            "class_bias_grid": [GRID[0], GRID[-1], 0.1],
            "class_bias_dev_score": round(chosen["dev"], 4),
            "calibrated_from": base.name,
        },
        base.train_seconds + seconds,
        base.predict_ms_per_tweet,
        base.size_bytes,
    )
    runs.save_network(result, model, vocab, predict, data, meta, work_dir)
    return result


def main(argv: list[str] | None = None) -> list[runs.RunResult]:
    parser = cli.step_parser(__doc__, quick="the quick profile's networks")
    parser.add_argument(
        "--only", action="append", help="network(s) to calibrate, e.g. bilstm-glove"
    )
    args = parser.parse_args(argv)
    profile = config.QUICK if args.quick else config.FULL
    names = args.only or [cfg.name for cfg in profile.calibrated]
    data, meta = data_step.load(args.work_dir)
    results = []
    for base in runs.with_network(args.work_dir, names, "calibration"):
        result = calibrate(base, data, meta, args.work_dir)
        print(
            f"{result.name}: class bias {result.params['class_bias']}, val macro-F1 "
            f"{base.val['macro_f1']:.4f} -> {result.val['macro_f1']:.4f}"
        )
        results.append(result)
    return results


if __name__ == "__main__":
    main()
