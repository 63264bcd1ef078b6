"""`python -m tweet_sentiment buzz`: options, bad input (exit 2, the row named), output shape."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest

from tweet_sentiment.__main__ import main
from tweet_sentiment.buzz_cli import BadInput, read_rows

T0 = datetime(2026, 3, 1, 8, tzinfo=UTC)


def _run(tiny_model_dir, tmp_path, content: str, *options: str):
    path = tmp_path / "tweets.csv"
    path.write_text(content, encoding="utf-8")
    command = [sys.executable, "-m", "tweet_sentiment", "buzz", str(path),
               "--model-dir", str(tiny_model_dir), *options]  # fmt: skip
    return subprocess.run(command, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "row 1: the file is empty"),
        ("text,when\nhello,2026-03-01\n", "row 1: missing column(s) created_at"),
        ("id,created_at\n1,2026-03-01\n", "row 1: missing column(s) text"),
        ("text,created_at\n", "row 2: no tweets after the header"),
        ("text,created_at\nok,2026-03-01T08:00:00Z\nlate,yesterday\n",
         "row 3: created_at 'yesterday' is not an ISO 8601 date"),
        ("text,created_at\nok,2026-03-01T08:00:00Z\nshort\n", "row 3: 1 column(s)"),
        ("text,created_at\nok,2026-03-01T08:00:00Z\n" + "x" * 200_000 + ",2026-03-01\n",
         "row 3: not readable as CSV (field larger than field limit"),
        ("text,created_at\na,2026-03-01T08:20:00Z\nb,2026-03-01T08:31:00Z\n"
         "c,2026-03-01T08:10:00Z\n", "row 4: created_at 2026-03-01T08:10:00+00:00 is older"),
    ],
)  # fmt: skip
def test_bad_input_exits_2_naming_the_row(tiny_model_dir, tmp_path, content, message):
    done = _run(tiny_model_dir, tmp_path, content)
    assert done.returncode == 2, done.stderr
    assert message in done.stderr
    assert "Traceback" not in done.stderr


def test_bad_parameters_exit_2(tiny_model_dir, tmp_path):
    done = _run(tiny_model_dir, tmp_path, "text,created_at\na,2026-03-01\n", "--window", "7")
    assert done.returncode == 2 and "window must be positive and divide a day" in done.stderr
    done = _run(tiny_model_dir, tmp_path, "text,created_at\na,2026-03-01\n", "--file-of", "x")
    assert done.returncode == 2 and "Traceback" not in done.stderr  # argparse's own error


def test_rows_parse_dates_to_utc_and_skip_blank_lines():
    raw = ("\ufeffId,Created_At,Text\n1,2026-03-01T09:00:00+01:00,a\n\n"
           '2,2026-03-01 08:05,"multi\nline"\n')  # fmt: skip
    rows = list(read_rows(io.StringIO(raw)))
    assert [(r.number, r.created_at, r.text) for r in rows] == [
        (2, T0, "a"), (4, T0 + timedelta(minutes=5), "multi\nline")
    ]  # fmt: skip
    with pytest.raises(BadInput, match="row 1: the file is empty"):
        list(read_rows(io.StringIO("")))


def test_one_json_line_per_window_with_the_documented_fields(tiny_model_dir, tmp_path):
    lines = ["text,created_at,user"]
    for minute in range(0, 95, 5):
        when = (T0 + timedelta(minutes=minute)).isoformat()
        lines += [f'"lost my bag, awful",{when},a', f"great crew thanks,{when},b"]
    out, report = tmp_path / "windows.jsonl", tmp_path / "report.html"
    options = ("--window", "30", "--out", str(out), "--html", str(report), "--volume-cv", "none")
    done = _run(tiny_model_dir, tmp_path, "\n".join(lines) + "\n", *options)
    assert done.returncode == 0, done.stderr
    windows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [w["start"] for w in windows] == [
        "2026-03-01T08:00:00Z", "2026-03-01T08:30:00Z", "2026-03-01T09:00:00Z",
        "2026-03-01T09:30:00Z",
    ]  # fmt: skip
    assert [w["scored"] for w in windows] == [12, 12, 12, 2]
    for window in windows:
        assert {"start", "end", "scored", "negative", "negative_share", "expected_negative",
                "surprise", "alert", "themes"} <= set(window)  # fmt: skip
        assert window["negative"] == window["scored"] // 2  # the tiny model: bag vs crew
        assert window["alert"] is False and window["themes"] is None
    assert "scored 38 tweets" in done.stderr and "0 alert(s)" in done.stderr
    page = report.read_text()
    assert page.startswith("<!doctype html>") and page.count("<svg") == 2
    assert "http://" not in page.replace("http://www.w3.org", "") and "<script" not in page


def test_the_buzz_command_is_in_the_cli_help(capsys):
    with pytest.raises(SystemExit):
        main(["buzz", "--help"])
    text = capsys.readouterr().out
    for option in (
        "--window",
        "--on-threshold",
        "--off-threshold",
        "--release-windows",
        "--min-negative",
        "--prior-share",
        "--volume-cv",
        "--html",
        "--out",
    ):
        assert option in text  # fmt: skip


def test_tweets_in_another_language_are_left_out_of_the_counts(tiny_model_dir, tmp_path):
    """Like the KQL rule (reliable == "false" skipped): the English model cannot read them."""
    when = T0.isoformat()
    content = (
        "text,created_at\n"
        f'"lost my bag, awful",{when}\n'
        f'"Perdieron mi maleta otra vez y nadie responde, qué vergüenza",{when}\n'
        f"great crew thanks,{when}\n"
    )
    out = tmp_path / "windows.jsonl"
    done = _run(tiny_model_dir, tmp_path, content, "--out", str(out), "--volume-cv", "none")
    assert done.returncode == 0, done.stderr
    (window,) = [json.loads(line) for line in out.read_text().splitlines()]
    assert window["scored"] == 2
