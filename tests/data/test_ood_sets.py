"""The out-of-domain sets: parsing, label mapping, de-duplication and the dev/report split, on
package files these tests write (the pipeline downloads the real ones)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.data.ood_files import write_downloads, write_entity_wheel, write_vader_sdist
from tests.data.test_sources_and_split import write_sentiment140
from training import ood


def test_vader_ratings_map_to_classes_with_a_neutral_band(tmp_path: Path) -> None:
    frame = ood.load_vader(write_vader_sdist(tmp_path, rows=30))
    assert len(frame) == 30
    assert frame["label"].value_counts().to_dict() == {
        "negative": 10,
        "neutral": 10,
        "positive": 10,
    }
    assert [ood.vader_label(r) for r in (-0.5, -0.49, 0.0, 0.49, 0.5)] == [
        "negative",
        "neutral",
        "neutral",
        "neutral",
        "positive",
    ]
    assert ood.vader_label(0.7, band=1.0) == "neutral"


def test_entity_set_drops_irrelevant_and_keeps_one_text_per_id(tmp_path: Path) -> None:
    frame = ood.load_entity(write_entity_wheel(tmp_path, ids=40, variants=4))
    assert len(frame) == 30  # 40 ids, a quarter Irrelevant
    assert frame["group"].is_unique and frame["text"].str.endswith(" v0").all()
    assert set(frame["label"]) == {"negative", "neutral", "positive"}


def test_split_is_by_tweet_id_seeded_and_fingerprinted(tmp_path: Path) -> None:
    downloads = write_downloads(tmp_path / "downloads")
    s140 = write_sentiment140(tmp_path / "s140.csv", rows=200)
    data, meta = ood.build(downloads, s140, seed=42)
    again, meta_again = ood.build(downloads, s140, seed=42)
    assert meta["fingerprint"] == meta_again["fingerprint"] and data.equals(again)
    assert meta["fingerprint"] != ood.build(downloads, s140, seed=7)[1]["fingerprint"]
    assert set(meta["sets"]) == {"vader", "entity", "sentiment140"}
    assert set(data[data["set"] == "vader"]["part"]) == {"dev", "report"}  # no pool: all scored
    assert set(data[data["set"] == "entity"]["part"]) == {"dev", "report", "pool"}
    assert data.groupby("group")["part"].nunique().max() == 1  # an id sits in one part only
    assert not data.duplicated(["set", "normalised"]).any()
    assert set(data[data["set"] == "sentiment140"]["label"]) == {"negative", "positive"}
    for name, card in meta["sets"].items():
        assert len(card["sha256"]) == 64 and card["origin"] and card["licence"], name


def test_a_set_the_model_trains_on_is_left_out(tmp_path: Path) -> None:
    downloads = write_downloads(tmp_path / "downloads")
    s140 = write_sentiment140(tmp_path / "s140.csv", rows=50)
    data, meta = ood.build(downloads, s140, exclude={"sentiment140"})
    assert set(meta["sets"]) == {"vader", "entity"} and "sentiment140" not in set(data["set"])


def test_unreachable_registry_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PIP_NO_INDEX", "1")  # pip fails at once, as with no registry
    with pytest.raises(ood.OODUnavailable, match="--no-ood"):
        ood.fetch(ood.SETS["vader"], tmp_path / "empty")
