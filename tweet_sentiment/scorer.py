"""Score tweets with the exported ONNX model: text -> tokens -> ids -> class probabilities.

Only onnxruntime and numpy: no TensorFlow in serving (cold start and package size). Tokenisation is
`tweet_sentiment.text.tokenise`, the function training used, and ids come from the model's own
`vocab.txt` via `Vocabulary.encode`, so serving prepares text exactly as training did.

Labels, max_len and tensor names all come from `metadata.json`: nothing here knows how many classes
the model has or what they are called.

Explanations are by occlusion: for each token, how much the predicted class's log-odds drop when
that token is removed (positive: the word pushed towards the label). Log-odds rather than
probabilities because a confident model saturates (0.99995 vs 0.9998 is a tiny probability change
but a clear 1.4 log-odds change). All variants of all tweets go through one batched ONNX run.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import TypeVar

import numpy as np
import onnxruntime as ort

from tweet_sentiment import language
from tweet_sentiment.artifacts import MODEL_FILE, VOCAB_FILE, ModelCard, read_card
from tweet_sentiment.text import tokenise
from tweet_sentiment.vocab import Encoded, Vocabulary

RUN_CHUNK = 64  # rows per ONNX call; see Scorer.run
Item = TypeVar("Item")
NOT_CHECKED = language.Language(language.UNDETERMINED, reliable=True)


@dataclass(frozen=True)
class Prediction:
    """One scored tweet; ``explanation`` is (token, contribution) pairs when asked for.

    ``reliable`` is False when the tweet is in a language the English model cannot read
    (tweet_sentiment.language): its label is still given, but should not be trusted or counted.
    """

    label: str
    scores: dict[str, float]
    tokens: tuple[str, ...]
    explanation: list[tuple[str, float]] | None = None
    language: str = language.UNDETERMINED
    reliable: bool = True


@dataclass(frozen=True)
class BatchResult:
    """Predictions of a batch plus the numbers telemetry reports (drift: OOV rate)."""

    predictions: list[Prediction]
    oov_rate: float
    label_counts: dict[str, int] = field(default_factory=dict)


class Scorer:
    """A loaded model. Build it once per process with :meth:`from_dir`; it is thread-safe.

    ``check_language=False`` skips the language check (every prediction is then ``und`` and
    reliable): only for the benchmark, which times the pre-issue-13 reference model as it was
    served, without one. The service and the CLI always check.
    """

    def __init__(
        self,
        session: ort.InferenceSession,
        vocab: Vocabulary,
        card: ModelCard,
        check_language: bool = True,
    ) -> None:
        self.session = session
        self.vocab = vocab
        self.card = card
        self.labels: list[str] = list(card.labels)
        self.check_language = check_language
        self._check_signature()

    @classmethod
    def from_dir(
        cls, directory: Path | str, threads: int | None = None, check_language: bool = True
    ) -> Scorer:
        """Load model.onnx, vocab.txt and metadata.json; fail loudly if they do not agree."""
        directory = Path(directory)
        card = read_card(directory)
        vocab = Vocabulary.load(directory / VOCAB_FILE)
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or min(4, os.cpu_count() or 1)
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        session = ort.InferenceSession(
            str(directory / MODEL_FILE), sess_options=options, providers=["CPUExecutionProvider"]
        )
        return cls(session, vocab, card, check_language)

    @property
    def model_version(self) -> str:
        return self.card.model_version

    def _check_signature(self) -> None:
        inputs = {i.name for i in self.session.get_inputs()}
        outputs = {o.name for o in self.session.get_outputs()}
        if self.card.input_name not in inputs or self.card.output_name not in outputs:
            raise ValueError(
                f"model.onnx has inputs {sorted(inputs)} / outputs {sorted(outputs)}, "
                f"metadata.json expects {self.card.input_name!r} / {self.card.output_name!r}"
            )
        probe = self.run(np.zeros((1, self.card.max_len), dtype=np.int32))
        if probe.shape != (1, len(self.labels)):
            raise ValueError(
                f"model.onnx outputs {probe.shape[1]} classes, metadata.json lists {self.labels}"
            )

    def run(self, ids: np.ndarray, chunk: int = RUN_CHUNK) -> np.ndarray:
        """Probabilities [batch, classes] of already encoded tweets (releases the GIL).

        Large batches go through ONNX ``chunk`` rows at a time, so the LSTM's per-step buffers can
        stay in the CPU cache and memory does not grow with the batch (`make bench` measures
        chunked against one call).
        """
        if len(ids) <= chunk:
            return self._run(ids)
        return np.concatenate([self._run(ids[i : i + chunk]) for i in range(0, len(ids), chunk)])

    def _run(self, ids: np.ndarray) -> np.ndarray:
        (probs,) = self.session.run([self.card.output_name], {self.card.input_name: ids})
        return np.asarray(probs, dtype=np.float32)

    def stream(
        self, items: Iterator[Item], batch_size: int, text: Callable[[Item], str]
    ) -> Iterator[tuple[list[Item], np.ndarray]]:
        """(batch, probabilities) of ``items`` in batches, in order, for the streaming CLIs.

        The next batch is read and tokenised here (GIL) while a worker thread runs the current
        one in ONNX (onnxruntime releases the GIL), so both cores stay busy.
        """
        with ThreadPoolExecutor(max_workers=1) as pool:
            pending: tuple[list[Item], Future[np.ndarray]] | None = None
            while batch := list(islice(items, batch_size)):
                future = pool.submit(self.run, self.encode([text(i) for i in batch]).ids)
                if pending is not None:
                    yield pending[0], pending[1].result()
                pending = (batch, future)
            if pending is not None:
                yield pending[0], pending[1].result()

    def encode(self, texts: list[str]) -> Encoded:
        """Tokenise (the training normaliser) and encode to the model's int32 ids."""
        return self.vocab.encode([tokenise(t) for t in texts], self.card.max_len)

    def predict(self, texts: list[str], explain: bool = False) -> BatchResult:
        """Score a batch; with ``explain`` add each token's contribution (occlusion)."""
        if not texts:
            return BatchResult(predictions=[], oov_rate=0.0)
        encoded = self.encode(texts)
        ids = encoded.ids
        variants: list[np.ndarray] = []
        if explain:
            variants = [self._occlusions(tokens) for tokens in encoded.tokens]
            ids = np.concatenate([ids, *variants]) if any(len(v) for v in variants) else ids
        probs = self.run(ids)
        full, occluded = probs[: len(texts)], probs[len(texts) :]
        best = full.argmax(axis=1).tolist()  # one numpy call per batch, not per tweet
        labels = [self.labels[b] for b in best]
        explanations: list[list[tuple[str, float]] | None] = [None] * len(texts)
        if explain:
            explanations = _explain(encoded.tokens, full, occluded, best, variants)
        languages = (
            [language.detect(t) for t in texts]
            if self.check_language
            else [NOT_CHECKED] * len(texts)
        )
        predictions = [
            Prediction(
                label,
                dict(zip(self.labels, row, strict=True)),
                tokens,
                explanation,
                lang.code,
                lang.reliable,
            )
            for label, row, tokens, explanation, lang in zip(
                labels, full.tolist(), encoded.tokens, explanations, languages, strict=True
            )
        ]
        counts = {label: labels.count(label) for label in self.labels}
        return BatchResult(predictions, encoded.oov_rate, counts)

    def _occlusions(self, tokens: tuple[str, ...]) -> np.ndarray:
        """One encoded row per token: the tweet with that token left out."""
        if not tokens:
            return np.zeros((0, self.card.max_len), dtype=np.int32)
        without = [tokens[:i] + tokens[i + 1 :] for i in range(len(tokens))]
        return self.vocab.encode(without, self.card.max_len).ids


def _explain(
    tokens: list[tuple[str, ...]],
    full: np.ndarray,
    occluded: np.ndarray,
    best: list[int],
    variants: list[np.ndarray],
) -> list[list[tuple[str, float]] | None]:
    """Per tweet, (token, drop in the predicted class's log-odds when the token is left out)."""
    out: list[list[tuple[str, float]] | None] = []
    offset = 0
    for row, (kept, label) in enumerate(zip(tokens, best, strict=True)):
        n = len(variants[row])
        drop = _log_odds(full[row, label]) - _log_odds(occluded[offset : offset + n, label])
        out.append([(t, round(float(d), 4)) for t, d in zip(kept, drop, strict=True)])
        offset += n
    return out


def _log_odds(p: np.ndarray | np.floating) -> np.ndarray:
    clipped = np.clip(np.asarray(p, dtype=np.float64), 1e-7, 1 - 1e-7)
    odds: np.ndarray = np.log(clipped / (1 - clipped))
    return odds
