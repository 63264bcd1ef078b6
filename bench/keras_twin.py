"""The Keras/TensorFlow twin of the served ONNX model: the SAME trained network, as a user who
deployed "the Keras model" would serve it.

Where it comes from: the architecture is rebuilt with Keras by the training code
(`training.neural.build_model`) and the weights are read back from `model_artifacts/model.onnx`
(`training.onnx_weights`), then saved as ``build/bench/twin/model.keras`` (what the cold-start
probe loads). So `make bench` works on a fresh clone, without the work directory of the training
run. For an architecture that mapping does not cover, the training run's own file is used:
``<TRAIN_WORK_DIR>/runs/<architecture>/model.keras``.

"Same model" is checked, not assumed: :func:`check_same_model` scores real tweets with both and
refuses to go on if they differ by more than the export's own parity tolerance.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from bench.machine import REPO_ROOT
from tweet_sentiment.artifacts import MODEL_FILE, ModelCard

PARITY_TOLERANCE = 1e-4  # the export's own check (training/export.py)
TWIN_DIR = REPO_ROOT / "build" / "bench" / "twin"
HOW_TO_GET_IT = (
    "`make train` trains the networks into build/runs/<name>/model.keras and exports the best "
    "one to model_artifacts/"
)


def keras_path(card: ModelCard) -> Path:
    """Where training saved the Keras network the ONNX champion was converted from."""
    from training import config  # stdlib only: no TensorFlow imported here
    from training.runs import RUNS_DIR

    return config.WORK_DIR / RUNS_DIR / card.architecture / "model.keras"


def twin_file(
    card: ModelCard, model_dir: Path, check_ids: np.ndarray, onnx_probs: np.ndarray
) -> Path:
    """model.keras of the served network, built on first use (this imports TensorFlow).

    ``check_ids``/``onnx_probs``: real tweets and the ONNX model's answers, to check the twin.
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    path, stamp = TWIN_DIR / "model.keras", TWIN_DIR / "source.json"
    onnx_file = model_dir / MODEL_FILE
    source = {
        "model_version": card.model_version,
        "onnx_sha256": hashlib.sha256(onnx_file.read_bytes()).hexdigest(),
    }
    if path.is_file() and stamp.is_file() and json.loads(stamp.read_text()) == source:
        return path
    from training.onnx_weights import UnsupportedArchitecture, to_keras

    try:
        model, _ = to_keras(model_dir, card)
    except UnsupportedArchitecture:  # not a network the mapping covers: the training run's own
        model = load_keras(_training_file(card))
    check_same_model(model, onnx_probs, check_ids)
    TWIN_DIR.mkdir(parents=True, exist_ok=True)
    model.save(path)
    stamp.write_text(json.dumps(source))
    return path


def _training_file(card: ModelCard) -> Path:
    path = keras_path(card)
    if not path.is_file():
        raise SystemExit(
            f"no Keras model for the champion {card.model_version} at {path}.\n{HOW_TO_GET_IT}; "
            "set TRAIN_WORK_DIR if your training work dir is elsewhere."
        )
    return path


def load_keras(path: Path) -> Any:
    """Load the network with TensorFlow (imported here, so the ONNX figures are measured first)."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    from training import config

    config.configure_threads()  # the same TensorFlow thread caps as training
    import keras

    return keras.models.load_model(path, compile=False)


def check_same_model(model: Any, onnx_probs: np.ndarray, ids: np.ndarray) -> dict:
    """Keras vs ONNX probabilities on the same ids; exits if they are not the same network."""
    keras_probs = model.predict(ids, batch_size=512, verbose=0)
    diff = float(np.abs(keras_probs - onnx_probs).max())
    same = bool((keras_probs.argmax(1) == onnx_probs.argmax(1)).all())
    result = {"rows": len(ids), "max_abs_diff": diff, "same_labels": same}
    if diff >= PARITY_TOLERANCE or not same:
        raise SystemExit(
            f"the Keras model is NOT the served ONNX model ({result}): a stale training run or a "
            f"wrong ONNX->Keras weight mapping (training/onnx_weights.py); {HOW_TO_GET_IT}"
        )
    return result


def compiled_call(model: Any, max_len: int) -> Any:
    """``model(ids)`` as one TensorFlow graph, traced once for any batch size."""
    import tensorflow as tf

    signature = [tf.TensorSpec((None, max_len), tf.int32)]
    return tf.function(lambda ids: model(ids, training=False), input_signature=signature)
