"""`python -m tweet_sentiment score`: input formats, output shape, streaming."""

from __future__ import annotations

import io
import json
import subprocess
import sys

import pytest

from tweet_sentiment.__main__ import read_tweets, score_stream
from tweet_sentiment.scorer import Scorer


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("good flight\n\nbad gate\r\n", ["good flight", "bad gate"]),
        ("text\nonly a header-like first line\n", ["only a header-like first line"]),
        ('sentiment,confidence,text\nnegative,1,"lost, my bag"\npositive,1,great\n',
         ["lost, my bag", "great"]),
        ('id,text\n1,"multi\nline tweet"\n2,\n', ["multi\nline tweet"]),
        ("", []),
    ],
)  # fmt: skip
def test_read_tweets(raw, expected):
    assert list(read_tweets(io.StringIO(raw))) == expected


def test_score_stream_writes_one_json_line_per_tweet_in_order(tiny_model_dir):
    scorer = Scorer.from_dir(tiny_model_dir)
    tweets = [f"great crew {i}" if i % 2 else f"lost bag {i}" for i in range(25)]
    out = io.StringIO()
    assert score_stream(scorer, iter(tweets), out, batch_size=4) == 25
    rows = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [r["text"] for r in rows] == tweets
    assert [r["label"] for r in rows] == ["negative", "positive"] * 12 + ["negative"]
    for row in rows:
        assert list(row["scores"]) == scorer.labels
        assert abs(sum(row["scores"].values()) - 1) < 1e-4


def test_cli_reads_stdin_and_files(tiny_model_dir, tmp_path):
    command = [sys.executable, "-m", "tweet_sentiment", "score", "--model-dir", str(tiny_model_dir)]
    done = subprocess.run(command, input="love it\nworst day\n", capture_output=True, text=True,
                          check=True)  # fmt: skip
    assert [json.loads(line)["label"] for line in done.stdout.splitlines()] == [
        "positive", "negative"
    ]  # fmt: skip
    assert "scored 2 tweets" in done.stderr
    csv_file = tmp_path / "tweets.csv"
    csv_file.write_text('text,user\n"thanks, amazing crew",a\n"flight cancelled",b\n')
    done = subprocess.run([*command, str(csv_file)], capture_output=True, text=True, check=True)
    assert [json.loads(line)["text"] for line in done.stdout.splitlines()] == [
        "thanks, amazing crew", "flight cancelled"
    ]  # fmt: skip
