"""Step 7 (after the emoji rows): a network's logits plus a weighted VADER lexicon score.

    python -m training.lexicon [--work-dir build] [--quick] [--only bilstm-glove-kd0.5-minilmft-cal]

Why: issue 13's last lever, lexicon scores as extra inputs of the head. VADER reads tweets of
other topics without ever seeing our corpus (it beat the first champion on both held-back sets),
so its score might carry what the network lacks out of domain. The simplest head that can take
it: ``softmax(logits + w * compound * (-1, 0, +1))``, the network's negative and positive logits
moved by VADER's compound score (-1..+1), a single weight ``w`` chosen by the champion's rule
(best OOD dev score within the validation tolerance, ``w = 0`` among the choices).

VADER's authors tuned its rules on the VADER tweets (docs/ood-sets.md), so that set does not judge
the weight and counts as trained on (:func:`training.champion.trained_on`): only the other sets
say whether the lexicon helps. Nothing is retrained: the run is computed from the base run's saved
probabilities and VADER on the same tweets. It is measured, not served: serving it would need
VADER in the scorer and a second ONNX input, for what reports/results.md shows it buys.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import f1_score

from training import champion, cli, config, runs
from training import data as data_step
from training.calibration import shifted
from training.classical import vader_compound

LEXICON = "vader"
TUNED_ON = ("vader",)  # the OOD sets the lexicon's authors tuned it on: they do not judge it
FAMILY = "neural+lexicon"  # not a network export converts: never a champion candidate
SUFFIX = "-vader"
WEIGHTS = tuple(float(round(w, 2)) for w in np.arange(0.0, 2.01, 0.25))
SIDES = {"negative": -1.0, "positive": 1.0}  # other labels (neutral) are not moved
OOD_COLUMNS = ["text", "set", "part", "label"]  # runs.ood_rows' columns this step reads


def moved(probs: np.ndarray, compound: np.ndarray, labels: list[str], weight: float) -> np.ndarray:
    """``softmax(logits + weight * compound * side)``: negative and positive logits moved by VADER,
    the other labels (neutral) left as they are."""
    sides = np.array([SIDES.get(label, 0.0) for label in labels])
    return shifted(probs, weight * compound[:, None] * sides[None, :])


def choose_weight(
    probs: dict[str, np.ndarray],
    compound: dict[str, np.ndarray],
    y_val: np.ndarray,
    dev: pd.DataFrame,
    labels: list[str],
) -> tuple[float, dict[str, float]]:
    """The weight by the champion's rule; on a tie the smallest. ``probs`` and ``compound`` hold
    ``val`` and ``dev`` (the judging OOD dev rows, ``dev`` row-aligned with them)."""
    scores = {}
    for weight in WEIGHTS:
        val = moved(probs["val"], compound["val"], labels, weight).argmax(axis=1)
        scores[weight] = {"val": float(f1_score(y_val, val, average="macro")), "dev": float("nan")}
        if len(dev):
            shifted_dev = moved(probs["dev"], compound["dev"], labels, weight)
            scores[weight]["dev"] = champion.rows_dev_score(shifted_dev, dev, labels)
    best = champion.pick(scores)
    return best, scores[best]


def judges(rows: pd.DataFrame, base: runs.RunResult) -> np.ndarray:
    """Which OOD rows judge the weight: dev rows of sets neither the base network trained on
    nor VADER was tuned on."""
    skipped = champion.trained_on(base) | set(TUNED_ON)
    return ((rows["part"] == "dev") & ~rows["set"].isin(skipped)).to_numpy(dtype=bool)


def add_lexicon(
    base: runs.RunResult, data: pd.DataFrame, meta: dict, work_dir: Path
) -> runs.RunResult:
    """``<base>-vader``: the base run's probabilities moved by VADER, scored like any run."""
    labels = meta["labels"]
    probs = runs.load_predictions(work_dir, base.name)
    val, y_val = runs.split_arrays(data, labels, "validation")
    texts = {"val": val["text"], "test": runs.split_arrays(data, labels, "test")[0]["text"]}
    rows = runs.ood_rows(work_dir) if "ood" in probs else pd.DataFrame(columns=OOD_COLUMNS)
    texts["ood"] = rows["text"]
    probs.setdefault("ood", probs["val"][:0])
    started = time.perf_counter()
    compound = {part: vader_compound(text) for part, text in texts.items()}
    judging = judges(rows, base)
    probs["dev"], compound["dev"] = probs["ood"][judging], compound["ood"][judging]
    dev = rows[judging].reset_index(drop=True)
    weight, chosen = choose_weight(probs, compound, y_val, dev, labels)
    out = {part: moved(probs[part], compound[part], labels, weight) for part in texts}
    seconds = time.perf_counter() - started
    result = runs.RunResult(
        base.name + SUFFIX,
        FAMILY,
        base.params
        | {
            "lexicon": LEXICON,
            "lexicon_weight": weight,
            "lexicon_weights": [WEIGHTS[0], WEIGHTS[-1], WEIGHTS[1] - WEIGHTS[0]],
            "lexicon_dev_score": round(chosen["dev"], 4),
            "tuned_on": list(TUNED_ON),
            "lexicon_from": base.name,
        },
        base.train_seconds + seconds,
        base.predict_ms_per_tweet + 1000 * seconds / sum(len(t) for t in texts.values()),
        base.size_bytes,
    )
    predict_ood = (lambda _: out["ood"]) if len(rows) else None
    runs.save_scored(result, data, meta, work_dir, out["val"], out["test"], predict_ood)
    return result


def main(argv: list[str] | None = None) -> list[runs.RunResult]:
    parser = cli.step_parser(__doc__, quick="the quick profile's networks")
    parser.add_argument("--only", action="append", help="run(s) to add VADER to")
    args = parser.parse_args(argv)
    profile = config.QUICK if args.quick else config.FULL
    names = args.only or [cfg.name + config.CALIBRATED for cfg in profile.emoji]
    data, meta = data_step.load(args.work_dir)
    results = []
    for base in runs.with_network(args.work_dir, names, "lexicon"):
        result = add_lexicon(base, data, meta, args.work_dir)
        print(
            f"{result.name}: weight {result.params['lexicon_weight']}, val macro-F1 "
            f"{base.val['macro_f1']:.4f} -> {result.val['macro_f1']:.4f}"
        )
        results.append(result)
    return results


if __name__ == "__main__":
    main()
