"""Step 6: export the best LSTM (by training.champion's rule) to ONNX and write the model artifacts.

    python -m training.export [--work-dir build] [--out model_artifacts] [--model NAME]

Writes exactly the contract of docs/model-artifacts.md: ``model.onnx`` (int32 ``token_ids``
[batch, max_len] -> float32 ``probabilities``), ``vocab.txt`` and ``metadata.json`` (through
``tweet_sentiment.artifacts.write_card``). Refuses to write anything unless onnxruntime matches
Keras on the whole test split (max abs diff < 1e-4 and the same labels).

:func:`export` is the pure part (a trained network, its vocabulary and its results -> the
artifacts), shared by this step and ``training.retrain``; :func:`main` reads the work dir the
training steps wrote, and :func:`register` records the export in MLflow.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from training import config

config.configure_threads()

import keras  # noqa: E402
import onnxruntime as ort  # noqa: E402
import tensorflow as tf  # noqa: E402
import tf2onnx  # noqa: E402

from training import champion, cli, onnx_slim, runs, tracking  # noqa: E402
from training import data as data_step  # noqa: E402
from training.card import TrainedCard  # noqa: E402
from training.data import tokens_of  # noqa: E402
from training.neural import MODEL_FILE as KERAS_FILE  # noqa: E402
from training.neural import VOCAB_FILE as WORK_VOCAB  # noqa: E402
from tweet_sentiment.artifacts import (  # noqa: E402
    CARD_FILE,
    MODEL_FILE,
    VOCAB_FILE,
    DataSource,
    read_card,
    write_card,
)
from tweet_sentiment.vocab import Vocabulary  # noqa: E402

PARITY_TOLERANCE = 1e-4
OPSET = 17


class ParityError(RuntimeError):
    """onnxruntime does not reproduce Keras on the test split: nothing was exported."""

    def __init__(self, check: dict[str, Any]):
        super().__init__(f"ONNX parity check failed, nothing exported: {check}")
        self.check = check


def choose(work_dir: Path, name: str | None = None) -> runs.RunResult:
    """The CLI's champion among the work dir's runs (training.champion's rule), or an exit.

    Test and OOD report parts are never used. The exit names the runs directory that holds no
    candidate, which is what a person running the step needs to know.
    """
    try:
        return champion.choose(runs.load_all(work_dir), name)
    except champion.NoCandidate as error:
        raise SystemExit(f"export: {error} in {work_dir / runs.RUNS_DIR}") from None


def convert(model: keras.Model, path: Path) -> None:
    """tf2onnx from the Keras model: dynamic batch, fixed length, int32 ids; slimmed of the
    computations that never change an answer here (`training.onnx_slim`)."""
    signature = (tf.TensorSpec((None, config.MAX_LEN), tf.int32, name="token_ids"),)
    onnx_model, _ = tf2onnx.convert.from_keras(model, input_signature=signature, opset=OPSET)
    onnx_slim.slim(onnx_model)
    outputs = [o.name for o in onnx_model.graph.output]
    if outputs != ["probabilities"]:
        raise RuntimeError(
            f"unexpected ONNX outputs {outputs}: name the last layer 'probabilities'"
        )
    path.write_bytes(onnx_model.SerializeToString())


def parity(model: keras.Model, session: ort.InferenceSession, ids: np.ndarray) -> dict[str, Any]:
    """Keras vs onnxruntime on the same ids: max abs difference and label agreement."""
    expected = model.predict(ids, batch_size=512, verbose=0)
    actual = session.run(["probabilities"], {"token_ids": ids})[0]
    diff = float(np.abs(expected - actual).max())
    same = bool((expected.argmax(1) == actual.argmax(1)).all())
    return {
        "rows": len(ids),
        "max_abs_diff": diff,
        "same_labels": same,
        "passed": diff < PARITY_TOLERANCE and same,
    }


def latency_ms(session: ort.InferenceSession, ids: np.ndarray, repeats: int = 200) -> float:
    """Median time to score ONE tweet (batch of 1), as the Function does per request."""
    times = []
    for row in ids[:repeats]:
        started = time.perf_counter()
        session.run(["probabilities"], {"token_ids": row[None, :]})
        times.append(time.perf_counter() - started)
    return 1000 * float(np.median(times))


def _rounded(metrics: dict[str, float]) -> dict[str, float]:
    return {k: round(v, 4) for k, v in metrics.items()}


def build_card(
    result: runs.RunResult, meta: dict[str, Any], measured: dict[str, Any]
) -> TrainedCard:
    """The card of ``result``: its test metrics, the split it was judged on, ``measured`` (ONNX)."""
    today = datetime.now(UTC)
    metrics: dict[str, Any] = _rounded(result.test)
    metrics |= {name: _rounded(values) for name, values in result.slices.items()}
    return TrainedCard(
        model_version=f"{today:%Y.%m.%d}-{result.name}-{meta['split_fingerprint'][:8]}",
        labels=meta["labels"],
        max_len=config.MAX_LEN,
        architecture=result.name,
        metrics=metrics,
        data_sources=[DataSource(**source) for source in meta["sources"]],
        split_fingerprint=meta["split_fingerprint"],
        trained_at=today.isoformat(timespec="seconds"),
        git_commit=tracking.git_commit(),
        validation_metrics=_rounded(result.val),
        hyper_parameters=result.params,
        profile=meta["profile"],
        out_of_domain={
            name: {part: _rounded(m) for part, m in parts.items()}
            for name, parts in result.ood.items()
        },
        champion_rule=champion.RULE,
        **measured,
    )


def export(
    model: keras.Model,
    vocab: Vocabulary,
    result: runs.RunResult,
    data: pd.DataFrame,
    meta: dict[str, Any],
    out_dir: Path,
) -> TrainedCard:
    """Write ``model`` (scored as ``result`` on ``data``'s split ``meta``) to ``out_dir``.

    Reads nothing but its arguments and writes nothing but ``out_dir``: the three files are
    staged and checked first (ONNX parity on the whole test split, the card as serving reads
    it), so a refused export (:class:`ParityError`) leaves ``out_dir`` as it was.
    """
    ids = vocab.encode(tokens_of(data[data["split"] == "test"]), config.MAX_LEN).ids
    with tempfile.TemporaryDirectory() as tmp:
        staged = Path(tmp)
        convert(model, staged / MODEL_FILE)
        session = ort.InferenceSession(str(staged / MODEL_FILE), providers=["CPUExecutionProvider"])
        check = parity(model, session, ids)
        if not check["passed"]:
            raise ParityError(check)
        vocab.save(staged / VOCAB_FILE)
        measured = {
            "parity": check,
            "onnx_ms_per_tweet": round(latency_ms(session, ids), 3),
            "onnx_size_bytes": (staged / MODEL_FILE).stat().st_size,
        }
        card = build_card(result, meta, measured)
        write_card(card, staged)
        read_card(staged)  # the contract serving will apply
        out_dir.mkdir(parents=True, exist_ok=True)
        for file in (MODEL_FILE, VOCAB_FILE, CARD_FILE):
            shutil.copy(staged / file, out_dir / file)
    return card


def register(
    card: TrainedCard, out_dir: Path, meta: dict[str, Any], data: pd.DataFrame
) -> str | None:
    """The exported model in MLflow: logged, registered, the ``champion`` alias moved to it."""
    return tracking.log_champion(
        out_dir / MODEL_FILE,
        card.model_dump(mode="json"),
        meta,
        data,
        [out_dir / f for f in (MODEL_FILE, VOCAB_FILE, CARD_FILE)],
    )


def main(argv: list[str] | None = None) -> TrainedCard:
    parser = cli.step_parser(__doc__)
    parser.add_argument(
        "--out",
        type=Path,
        default=config.ARTIFACTS_DIR,
        help="where the model artifacts go [%(default)s]",
    )
    parser.add_argument("--model", help="export this run instead of the champion rule's choice")
    args = parser.parse_args(argv)
    result = choose(args.work_dir, args.model)
    data, meta = data_step.load(args.work_dir)
    model = keras.models.load_model(result.directory(args.work_dir) / KERAS_FILE)
    vocab_file = result.directory(args.work_dir) / WORK_VOCAB  # the model's own, if it has one
    vocab = Vocabulary.load(vocab_file if vocab_file.is_file() else args.work_dir / WORK_VOCAB)
    try:
        card = export(model, vocab, result, data, meta, args.out)
    except ParityError as error:
        raise SystemExit(f"export: {error}") from None
    # The report step reads the champion from here.
    (args.work_dir / "champion.json").write_text(json.dumps(card.model_dump(mode="json"), indent=2))
    register(card, args.out, meta, data)
    print(
        f"export: {card.model_version} -> {args.out} (test macro-F1 "
        f"{card.metrics['macro_f1']:.4f}, parity max diff {card.parity['max_abs_diff']:.2e})"
    )
    return card


if __name__ == "__main__":
    main()
