"""docs/blog.md quotes only the pipeline's figures, and the served model's, as they are now."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.docs.numbers import unsupported

SOURCES = [
    "reports/results.md",
    "reports/eda.md",
    "model_artifacts/metadata.json",
    "docs/performance.md",
    "docs/feedback-loop.md",
    "docs/alerts.md",
    "docs/model_card.md",
]


@pytest.fixture(scope="module")
def blog(repo_root: Path) -> str:
    return (repo_root / "docs" / "blog.md").read_text(encoding="utf-8")


def _rows(markdown: str) -> list[list[str]]:
    return [
        [cell.strip().replace("**", "").strip() for cell in line.strip().strip("|").split("|")]
        for line in markdown.splitlines()
        if line.startswith("|") and not line.startswith("| ---")
    ]


def _comparison(repo_root: Path) -> dict[str, list[str]]:
    """Model name -> the cells of its row in the generated comparison of reports/results.md."""
    text = (repo_root / "reports" / "results.md").read_text(encoding="utf-8")
    section = text.split("## Comparison", 1)[1].split("\n## ", 1)[0]
    return {row[0]: row[1:] for row in _rows(section) if row[0] != "model"}


def test_every_figure_of_the_article_comes_from_a_generated_source(repo_root, blog) -> None:
    stale = unsupported(blog, [repo_root / path for path in SOURCES])
    assert not stale, f"figures in docs/blog.md found in none of {SOURCES}: {stale}"


def test_results_table_rows_match_the_generated_comparison(repo_root, blog) -> None:
    comparison = _comparison(repo_root)
    rows = [r for r in _rows(blog) if r[0].split(" (")[0] in comparison]
    assert len(rows) >= 5, "the article's results table must list the compared models"
    for row in rows:
        model = row[0].split(" (")[0]
        figures = [c for c in row[1:] if re.fullmatch(r"\d+\.\d+", c)]
        assert figures, row
        missing = [f for f in figures if f not in comparison[model]]
        assert not missing, f"{model}: {missing} not in its row of reports/results.md"


def test_the_served_model_is_the_committed_champion(repo_root, blog) -> None:
    card = json.loads((repo_root / "model_artifacts" / "metadata.json").read_text("utf-8"))
    served = [r for r in _rows(blog) if "served" in r[0]]
    assert len(served) == 1 and served[0][0].startswith(card["architecture"]), served
    assert f"{card['metrics']['macro_f1']:.4f}" in served[0]
    results = (repo_root / "reports" / "results.md").read_text(encoding="utf-8")
    target = re.search(r"\| 3-class macro-F1 >= ([\d.]+) \| [\d.]+ \| (NOT met|met) \|", results)
    assert target, "reports/results.md lost its target table"
    verdict = "misses" if target.group(2) == "NOT met" else "meets"
    assert f"{verdict} the {target.group(1)} target" in blog


def test_the_article_shows_the_pipeline_figures(repo_root, blog) -> None:
    images = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", blog)
    assert len(images) >= 3
    for image in images:
        path = (repo_root / "docs" / image).resolve()
        assert path.is_file(), image
        assert path.parent == repo_root / "reports" / "figures", image


def test_the_article_is_article_length(blog) -> None:
    words = len(re.sub(r"^\|.*$", "", blog, flags=re.M).split())
    assert 1500 <= words <= 2700, words


def test_the_transformer_claim_matches_the_last_run(repo_root, blog) -> None:
    comparison = _comparison(repo_root)
    transformers = [m for m, cells in comparison.items() if cells[0] in ("transformer", "encoder")]
    names = {row[0].split(" (")[0] for row in _rows(blog)}
    if transformers:
        assert set(transformers) <= names, "add the transformer's row"
    else:
        assert "not part of the latest full run" in blog
