"""A committed (bi)LSTM champion as a Keras model, its weights read back from the ONNX graph.

Why: only the ONNX model is committed, yet two jobs need the network in Keras: retraining
warm-starts from it (`training.retrain`) and the benchmark serves it with TensorFlow to compare
(`bench.keras_twin`). Reading the weights back means neither needs the work directory of the
training run that produced the champion.

An LSTM's weights map one to one: ONNX gate order i,o,f,c vs Keras i,f,c,o, and ONNX splits the
bias in two. Callers check the result against the ONNX session, so a wrong mapping can never go
unnoticed.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import numpy as np
import onnx
from onnx import numpy_helper

from training import config
from training.card import TrainedCard
from tweet_sentiment.artifacts import MODEL_FILE, ModelCard


class UnsupportedArchitecture(ValueError):
    """The champion is not a network whose weights this module maps back from ONNX."""


def neural_config(card: ModelCard, **changes: Any) -> config.NeuralConfig:
    """The champion's architecture from its model card; only what the mapping below supports."""
    known = {f.name for f in dataclasses.fields(config.NeuralConfig)}
    params = TrainedCard.of(card).hyper_parameters
    if not params:
        raise UnsupportedArchitecture(
            f"{card.model_version}: the model card has no hyper_parameters"
        )
    cfg = config.NeuralConfig(**{k: v for k, v in params.items() if k in known})
    if cfg.cell not in ("lstm", "bilstm") or cfg.dense:
        raise UnsupportedArchitecture(
            f"reading weights from ONNX supports (bi)LSTM without a dense layer, not {cfg.name}"
        )
    return dataclasses.replace(cfg, **changes)


def keras_weights(model_path: Path) -> list[np.ndarray]:
    """The weights in the order `training.neural.build_model`'s layers take them."""
    graph = onnx.load(str(model_path)).graph
    weights = {i.name: numpy_helper.to_array(i) for i in graph.initializer}

    def only(op: str) -> onnx.NodeProto:
        (node,) = [n for n in graph.node if n.op_type == op]
        return node

    def keras_gates(array: np.ndarray) -> np.ndarray:
        i, o, f, c = np.split(array, 4, axis=0)
        return np.concatenate([i, f, c, o], axis=0)

    lstm = only("LSTM")
    w, r, b = (weights[name] for name in lstm.input[1:4])
    units = r.shape[2]
    values = [weights[only("Gather").input[0]]]
    for d in range(w.shape[0]):  # forward, then backward
        bias = b[d][: 4 * units] + b[d][4 * units :]
        values += [keras_gates(w[d]).T, keras_gates(r[d]).T, keras_gates(bias)]
    matmul = only("MatMul")
    (add,) = [n for n in graph.node if n.op_type == "Add" and n.input[0] == matmul.output[0]]
    return [*values, weights[matmul.input[1]], weights[add.input[1]]]


def to_keras(model_dir: Path, card: ModelCard, **changes: Any) -> tuple[Any, config.NeuralConfig]:
    """Build the champion's architecture (with ``changes`` to its config) and load its weights.

    Raises :class:`UnsupportedArchitecture` for a network the mapping does not cover.
    """
    config.configure_threads()  # before TensorFlow is imported, which the caller times (bench)
    import keras

    from training.neural import build_model

    values = keras_weights(model_dir / MODEL_FILE)
    # the embedding's width from the weights themselves: any vocabulary or GloVe size maps
    cfg = neural_config(card, **{"embedding_dim": int(values[0].shape[1]), **changes})
    keras.utils.set_random_seed(config.SEED)  # dropout seed generators are made with the layers
    model = build_model(cfg, values[0].shape[0], len(card.labels), None)
    model.set_weights(values)
    return model, cfg
