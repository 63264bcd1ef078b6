"""Drop two computations that tf2onnx carries over from Keras and that never change an answer here.

Why: a single tweet is scored in about a quarter of a millisecond of ONNX run time, and a third of
the exported graph's nodes do no useful work at batch 1 (each node costs onnxruntime a few
microseconds of dispatch):

- Keras' ``Embedding`` looks ids up with ``take``, which wraps negative ids around the table
  (Less, Not, Cast, Mul, Add around the Gather). Our ids come from ``Vocabulary.encode``: never
  negative, so the Gather can read the input directly;
- Keras builds each LSTM direction's initial state as zeros shaped from the batch size (Shape,
  Slice, Concat, Cast, Expand, Unsqueeze, Concat). ONNX's LSTM starts from zeros when no initial
  state is given, so the inputs can simply be left out.

Both rewrites are exact: the export's parity check (Keras against onnxruntime on the whole test
split) runs on the rewritten graph, and `make bench` measures what it buys. Nodes whose outputs
nothing reads any more are then removed. Retraining reads the weights back by op type
(`training.onnx_weights`), which the rewrite keeps.
"""

from __future__ import annotations

import numpy as np
import onnx
from onnx import numpy_helper

INITIAL_STATE = slice(5, 7)  # ONNX LSTM inputs: X, W, R, B, sequence_lens, initial_h, initial_c


def slim(model: onnx.ModelProto) -> onnx.ModelProto:
    """``model`` rewritten in place (and returned): ids straight into the embedding's Gather,
    no explicit zero initial state, no dead nodes or initializers."""
    graph = model.graph
    weights = {t.name: t for t in graph.initializer}
    producers = {out: node for node in graph.node for out in node.output}
    gathers = [n for n in graph.node if n.op_type == "Gather"]
    if len(gathers) == 1 and gathers[0].input[0] in weights:  # the embedding lookup
        gathers[0].input[1] = graph.input[0].name
    for node in graph.node:
        state = node.input[INITIAL_STATE]
        if node.op_type == "LSTM" and all(_is_zeros(i, producers, weights) for i in state):
            del node.input[INITIAL_STATE.start :]
    _drop_dead(graph)
    onnx.checker.check_model(model)
    return model


def _is_zeros(
    name: str, producers: dict[str, onnx.NodeProto], weights: dict[str, onnx.TensorProto]
) -> bool:
    """Whether ``name`` is a tensor of zeros whatever the batch: an all-zero constant, or built
    by Expand (possibly through Unsqueeze and Concat) from one."""
    node = producers.get(name)
    if node is None:
        return name in weights and not np.any(numpy_helper.to_array(weights[name]))
    if node.op_type in ("Concat", "Unsqueeze", "Expand"):
        data = node.input if node.op_type == "Concat" else node.input[:1]
        return all(_is_zeros(i, producers, weights) for i in data)
    return False


def _drop_dead(graph: onnx.GraphProto) -> None:
    """Remove nodes none of whose outputs is read, then initializers no node reads."""
    nodes = list(graph.node)
    while True:
        read = {i for n in nodes for i in n.input} | {o.name for o in graph.output}
        alive = [n for n in nodes if any(o in read for o in n.output)]
        if len(alive) == len(nodes):
            break
        nodes = alive
    read = {i for n in nodes for i in n.input}
    weights = [t for t in graph.initializer if t.name in read]
    del graph.node[:]
    graph.node.extend(nodes)
    del graph.initializer[:]
    graph.initializer.extend(weights)
