"""The Keras/TensorFlow twin of the served ONNX model: the SAME trained network, as a user who
deployed "the Keras model" would serve it.

Where it comes from: `training.neural` saves every trained network as
``<TRAIN_WORK_DIR>/runs/<name>/model.keras`` (default work dir: ``build/``) and `training.export`
converts the best one to ``model_artifacts/model.onnx``, recording its name as ``architecture`` in
``metadata.json``. So the twin of the champion is ``runs/<architecture>/model.keras``.

"Same model" is checked, not assumed: :func:`check_same_model` scores real tweets with both and
refuses to go on if they differ by more than the export's own parity tolerance.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from tweet_sentiment.artifacts import ModelCard

PARITY_TOLERANCE = 1e-4  # the export's own check (training/export.py)
HOW_TO_GET_IT = (
    "`make train` trains the networks into build/runs/<name>/model.keras and exports the best "
    "one to model_artifacts/; for a few-minute check, `make train-quick` then "
    "`MODEL_DIR=build/quick/model_artifacts TRAIN_WORK_DIR=build/quick python -m bench`"
)


def keras_path(card: ModelCard) -> Path:
    """Where training saved the Keras network the ONNX champion was converted from."""
    from training import config  # stdlib only: no TensorFlow imported here
    from training.runs import RUNS_DIR

    return config.WORK_DIR / RUNS_DIR / card.architecture / "model.keras"


def require_keras_model(card: ModelCard) -> Path:
    """The twin's path, or a clear exit saying which command produces it."""
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
    import keras

    from training.neural import MODEL_FILE

    assert path.name == MODEL_FILE, f"training now saves {MODEL_FILE}, not {path.name}"
    return keras.models.load_model(path, compile=False)


def check_same_model(model: Any, onnx_probs: np.ndarray, ids: np.ndarray) -> dict:
    """Keras vs ONNX probabilities on the same ids; exits if they are not the same network."""
    keras_probs = model.predict(ids, batch_size=512, verbose=0)
    diff = float(np.abs(keras_probs - onnx_probs).max())
    same = bool((keras_probs.argmax(1) == onnx_probs.argmax(1)).all())
    result = {"rows": len(ids), "max_abs_diff": diff, "same_labels": same}
    if diff >= PARITY_TOLERANCE or not same:
        raise SystemExit(
            f"the Keras model is NOT the served ONNX model ({result}): retrain and re-export "
            f"together ({HOW_TO_GET_IT})"
        )
    return result


def compiled_call(model: Any, max_len: int) -> Any:
    """``model(ids)`` as one TensorFlow graph, traced once for any batch size."""
    import tensorflow as tf

    signature = [tf.TensorSpec((None, max_len), tf.int32)]
    return tf.function(lambda ids: model(ids, training=False), input_signature=signature)
