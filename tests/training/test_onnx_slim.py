"""training.onnx_slim on a real tf2onnx export: the benchmark's reference model, kept as it was
exported (the champion's own graph is already slimmed)."""

from __future__ import annotations

import numpy as np
import onnx
import onnxruntime as ort
from onnx import numpy_helper

from bench import reference
from training.onnx_slim import slim
from tweet_sentiment.artifacts import MODEL_FILE

TWEETS = [
    "@united lost my bag again, worst airline ever",
    "@jetblue thank you for the upgrade, amazing crew!",
    "boarding now",
    "",
    "flight " * 60,  # longer than max_len: truncated
]


def run(model: onnx.ModelProto, ids: np.ndarray) -> np.ndarray:
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    return session.run(["probabilities"], {"token_ids": ids})[0]


def exported() -> onnx.ModelProto:
    return onnx.load(str(reference.REFERENCE_DIR / MODEL_FILE))


def encoded() -> np.ndarray:
    return reference.scorer().encode(TWEETS).ids


def test_slimming_drops_the_id_wrap_and_the_built_zero_state_and_keeps_every_answer() -> None:
    before, ids = exported(), encoded()
    after = slim(exported())

    ops = [n.op_type for n in after.graph.node]
    assert len(ops) < len(before.graph.node) - 15
    for gone in ("Less", "Not", "Expand", "Shape"):
        assert gone not in ops
    (lstm,) = [n for n in after.graph.node if n.op_type == "LSTM"]
    assert len(lstm.input) <= 5  # no initial_h / initial_c: ONNX starts from zeros
    (gather,) = [n for n in after.graph.node if n.op_type == "Gather"]
    assert gather.input[1] == "token_ids"
    assert np.abs(run(before, ids) - run(after, ids)).max() < 1e-6
    assert after.ByteSize() < before.ByteSize()


def test_a_non_zero_initial_state_is_kept() -> None:
    model, ids = exported(), encoded()
    (expand,) = [n for n in model.graph.node if n.op_type == "Expand"]
    (value,) = [t for t in model.graph.initializer if t.name == expand.input[0]]
    half = numpy_helper.from_array(np.full_like(numpy_helper.to_array(value), 0.5), "half")
    model.graph.initializer.append(half)
    expand.input[0] = "half"
    expected = run(model, ids)

    slimmed = slim(model)

    (lstm,) = [n for n in slimmed.graph.node if n.op_type == "LSTM"]
    assert len(lstm.input) == 7
    assert np.abs(run(slimmed, ids) - expected).max() < 1e-6
