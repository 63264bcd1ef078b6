"""Token vocabulary and encoding to the fixed-length int32 ids the ONNX model takes.

Shared by training (which builds and saves it) and serving (which loads it), so ids, padding and
truncation can never differ between the two. Pre-padding (zeros first) lets an unmasked LSTM read
the real tokens last, which keeps the exported graph a single fused ONNX LSTM node.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

PAD = "<pad>"
OOV = "<oov>"
PAD_ID = 0
OOV_ID = 1


@dataclass(frozen=True)
class Encoded:
    """A batch of encoded tweets and the counts the telemetry needs (drift: OOV rate)."""

    ids: np.ndarray  # int32 [batch, max_len]
    tokens: list[tuple[str, ...]]  # the tokens actually kept (after truncation), per tweet
    oov_tokens: int
    total_tokens: int

    @property
    def oov_rate(self) -> float:
        return self.oov_tokens / self.total_tokens if self.total_tokens else 0.0


@dataclass
class Vocabulary:
    """Id 0 is padding, id 1 unknown words; the rest by decreasing training frequency."""

    tokens: list[str]
    index: dict[str, int] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if self.tokens[:2] != [PAD, OOV]:
            raise ValueError(f"vocabulary must start with {PAD!r}, {OOV!r}")
        self.index = {token: i for i, token in enumerate(self.tokens)}

    def __len__(self) -> int:
        return len(self.tokens)

    @classmethod
    def build(
        cls, token_lists: Iterable[Sequence[str]], max_size: int = 20000, min_count: int = 2
    ) -> Vocabulary:
        """Most frequent tokens first; ties broken alphabetically so builds are reproducible."""
        counts = Counter(token for tokens in token_lists for token in tokens)
        ranked = sorted(
            (t for t, c in counts.items() if c >= min_count and t not in (PAD, OOV)),
            key=lambda t: (-counts[t], t),
        )
        return cls([PAD, OOV, *ranked[: max_size - 2]])

    @classmethod
    def load(cls, path: Path) -> Vocabulary:
        return cls(path.read_text(encoding="utf-8").split("\n"))

    def save(self, path: Path) -> None:
        path.write_text("\n".join(self.tokens), encoding="utf-8")

    def encode(self, token_lists: Sequence[Sequence[str]], max_len: int) -> Encoded:
        """Keep the first ``max_len`` tokens, pad zeros on the left."""
        ids = np.zeros((len(token_lists), max_len), dtype=np.int32)
        kept: list[tuple[str, ...]] = []
        oov = total = 0
        for row, tokens in enumerate(token_lists):
            tokens = tuple(tokens[:max_len])
            kept.append(tokens)
            if not tokens:
                continue
            token_ids = [self.index.get(t, OOV_ID) for t in tokens]
            ids[row, max_len - len(token_ids) :] = token_ids
            oov += token_ids.count(OOV_ID)
            total += len(token_ids)
        return Encoded(ids=ids, tokens=kept, oov_tokens=oov, total_tokens=total)
