"""A tiny but real ONNX model honouring the artifact contract, for contract and unit tests.

Graph: token_ids int32 [batch, max_len] -> Gather(per-token class logits) -> ReduceSum over tokens
-> Softmax = probabilities [batch, len(labels)]. Each word in ``lexicon`` pushes its class, so the
tests can check real behaviour (labels from metadata, occlusion explanations, padding) without the
trained champion. Built with `onnx.helper` (in .venv via requirements-train.txt).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from tweet_sentiment.artifacts import MODEL_FILE, VOCAB_FILE, ModelCard, write_card
from tweet_sentiment.vocab import OOV, PAD, Vocabulary

THREE_LABELS = ["negative", "neutral", "positive"]
LEXICON_3 = {
    "bad": "negative", "worst": "negative", "delayed": "negative", "lost": "negative",
    "hate": "negative", "cancelled": "negative",
    "good": "positive", "great": "positive", "love": "positive", "thanks": "positive",
    "amazing": "positive", "best": "positive",
    "flight": "neutral", "today": "neutral", "gate": "neutral", "tomorrow": "neutral",
}  # fmt: skip
LEXICON_2 = {"bad": "sad", "lost": "sad", "worst": "sad", "good": "happy", "love": "happy"}


def build_tiny_model(
    directory: Path,
    labels: list[str] | None = None,
    lexicon: dict[str, str] | None = None,
    max_len: int = 12,
    model_version: str = "tiny-test-model",
    strength: float = 2.0,
) -> Path:
    """Write model.onnx, vocab.txt and metadata.json into ``directory`` and return it."""
    labels = labels or THREE_LABELS
    lexicon = lexicon if lexicon is not None else LEXICON_3
    directory.mkdir(parents=True, exist_ok=True)
    vocab = Vocabulary([PAD, OOV, *sorted(lexicon), "the", "my", "a", "was"])
    weights = np.zeros((len(vocab), len(labels)), dtype=np.float32)
    for word, label in lexicon.items():
        weights[vocab.index[word], labels.index(label)] = strength
    vocab.save(directory / VOCAB_FILE)
    onnx.save(_graph(weights, max_len), str(directory / MODEL_FILE))
    card = ModelCard(
        model_version=model_version,
        labels=labels,
        max_len=max_len,
        architecture="tiny-bag-of-words-test",
        metrics={"macro_f1": 0.5, "note": "test fixture, not a trained model"},
    )
    write_card(card, directory)
    return directory


def _graph(weights: np.ndarray, max_len: int) -> onnx.ModelProto:
    classes = weights.shape[1]
    nodes = [
        helper.make_node("Gather", ["weights", "token_ids"], ["per_token"], axis=0),
        helper.make_node("ReduceSum", ["per_token", "axes"], ["logits"], keepdims=0),
        helper.make_node("Softmax", ["logits"], ["probabilities"], axis=-1),
    ]
    graph = helper.make_graph(
        nodes,
        "tiny_sentiment",
        [helper.make_tensor_value_info("token_ids", TensorProto.INT32, ["batch", max_len])],
        [helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["batch", classes])],
        initializer=[
            numpy_helper.from_array(weights, "weights"),
            numpy_helper.from_array(np.array([1], dtype=np.int64), "axes"),
        ],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model
