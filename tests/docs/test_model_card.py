"""docs/model_card.md is exactly what training/model_card.py renders from the committed model."""

from __future__ import annotations

import json
from pathlib import Path

from training import model_card


def test_committed_model_card_is_up_to_date(repo_root: Path) -> None:
    committed = (repo_root / "docs" / "model_card.md").read_text(encoding="utf-8")
    rendered = model_card.render(repo_root / "model_artifacts")
    assert committed == rendered, "docs/model_card.md is stale: run python -m training.model_card"


def test_card_shows_the_metadata_it_is_rendered_from(repo_root: Path, tmp_path: Path) -> None:
    """A changed metric in metadata.json changes the card: the renderer reads it, not a copy."""
    source = repo_root / "model_artifacts"
    for name in ("model.onnx", "vocab.txt"):
        (tmp_path / name).symlink_to(source / name)
    card = json.loads((source / "metadata.json").read_text(encoding="utf-8"))
    card["metrics"]["airline"]["macro_f1"] = 0.1234
    card["data_sources"][0]["sha256"] = "f" * 64
    (tmp_path / "metadata.json").write_text(json.dumps(card), encoding="utf-8")
    text = model_card.render(tmp_path)
    assert "| macro-F1 | " in text and "| 0.1234 |" in text
    assert "f" * 64 in text


def test_check_mode_fails_on_a_stale_card(repo_root: Path, tmp_path: Path) -> None:
    stale = tmp_path / "card.md"
    stale.write_text("# an old card\n", encoding="utf-8")
    args = ["--model-dir", str(repo_root / "model_artifacts"), "--out", str(stale)]
    assert model_card.main([*args, "--check"]) == 1
    assert model_card.main(args) == 0
    assert model_card.main([*args, "--check"]) == 0
