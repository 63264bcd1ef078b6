"""docs/alerts.md: the buzz evaluation is the rendered output of `make buzz-eval`, every detector
parameter is documented with its real default, and the detector's prose quotes real figures."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path

import pytest

from bench import buzz_report
from tests.docs.numbers import unsupported
from tweet_sentiment.buzz import BuzzParams

SOURCES = [
    "reports/buzz_eval.json",
    "tweet_sentiment/buzz.py",
    "tweet_sentiment/themes.py",
    "tweet_sentiment/buzz_cli.py",
    "bench/buzz.py",
    "bench/buzz_streams.py",
    "infra/main.bicep",
]
DETECTOR = "\n## The bad-buzz detector (issue 14)\n"


@pytest.fixture(scope="module")
def page(repo_root: Path) -> str:
    return (repo_root / "docs" / "alerts.md").read_text(encoding="utf-8")


def test_the_evaluation_section_is_the_rendered_last_run(repo_root, page) -> None:
    results = json.loads((repo_root / "reports" / "buzz_eval.json").read_text("utf-8"))
    section = page.split(buzz_report.BEGIN, 1)[1].split(buzz_report.END, 1)[0]
    assert section.strip() == buzz_report.render(results).strip(), "rerun `make buzz-eval`"
    assert results["params"] == json.loads(BuzzParams().model_dump_json()), (
        "the figures were measured with other defaults than BuzzParams': rerun `make buzz-eval`"
    )


def _shown(value: object) -> str:
    if isinstance(value, timedelta):
        minutes = value.total_seconds() / 60
        return f"{minutes / 60:g} h" if minutes >= 60 else f"{minutes:g} min"
    return f"{value:g}" if isinstance(value, float) else str(value)


def test_every_detector_parameter_is_in_the_table_with_its_default(page) -> None:
    rows = dict(re.findall(r"^\| `(\w+)` \| ([^|]+?) \|", page.split(DETECTOR, 1)[1], re.M))
    defaults = BuzzParams()
    assert set(rows) == set(BuzzParams.model_fields)
    for name in BuzzParams.model_fields:
        assert rows[name] == _shown(getattr(defaults, name)), name


def test_the_detector_prose_quotes_only_generated_figures(repo_root, page) -> None:
    detector = page.split(DETECTOR, 1)[1]
    stale = unsupported(detector, [repo_root / p for p in SOURCES])
    assert not stale, f"figures in the buzz sections of docs/alerts.md found in no source: {stale}"
