"""The reference model (issue 13): the champion served before issue 13, kept in
``bench/reference_model/`` and measured side by side with the served model in every run.

Issue 13 bounds what a new champion may cost against it, in the same run: single-tweet p50
(normalisation included) at most 1.5x, cold start at most 1.2x, and model.onnx at most 25 MB.

Why it is scored without the language check: it was served without one, so "what users got" is
the reference alone, and "what users get" is the served model with the check. The check's own cost
is measured too (`bench.scoring`), so the page shows where the time goes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bench.machine import REPO_ROOT
from tweet_sentiment.artifacts import MODEL_FILE, VOCAB_FILE, read_card
from tweet_sentiment.scorer import Scorer
from tweet_sentiment.vocab import Vocabulary

REFERENCE_DIR = REPO_ROOT / "bench" / "reference_model"
P50_BOUND = 1.5  # served single-tweet p50 / the reference's, at most
COLD_START_BOUND = 1.2  # served cold start / the reference's, at most
ONNX_MB_BOUND = 25  # model.onnx, in MB of 10^6 bytes (the stricter reading of "25 MB")
MB = 1_000_000


def scorer(threads: int | None = None) -> Scorer:
    """The reference model as it was served: no language check."""
    return Scorer.from_dir(REFERENCE_DIR, threads=threads, check_language=False)


def describe(model_dir: Path) -> dict[str, Any]:
    """What the page says about a model, read from its own files (so the prose cannot go stale)."""
    card = read_card(model_dir)
    params = (card.model_extra or {}).get("hyper_parameters") or {}
    onnx_bytes = (model_dir / MODEL_FILE).stat().st_size
    return {
        "model_version": card.model_version,
        "architecture": card.architecture,
        "cell": params.get("cell"),
        "units": params.get("units"),
        "embedding_dim": params.get("embedding_dim"),
        "vocab_size": len(Vocabulary.load(model_dir / VOCAB_FILE)),  # <pad> and <oov> included
        "onnx_bytes": onnx_bytes,
        "onnx_mb": onnx_bytes / MB,
    }


def within(ratio: float, bound: float) -> str:
    """``met`` or ``MISSED``, for the benchmarks' printed lines."""
    return "met" if ratio <= bound else "MISSED"
