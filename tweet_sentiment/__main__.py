"""Command line: `python -m tweet_sentiment score [FILE]`, `buzz FILE` and `serve`.

`score` reads tweets from FILE or standard input (one per line, or a CSV with a `text` column) and
writes one JSON line per tweet (`text`, `label`, `scores`, `language`, `reliable`). It streams in
batches, so memory stays flat on a million-tweet dump, and it overlaps reading/tokenising the next
batch with the ONNX run of the current one (onnxruntime releases the GIL).

`buzz` scores a CSV of dated tweets and reports bad buzzes window by window (JSON lines, and an
HTML timeline with `--html`): see tweet_sentiment/buzz_cli.py and docs/alerts.md.

`serve` runs the same FastAPI app as the Azure Function under uvicorn.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
from collections.abc import Iterator
from itertools import chain
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from tweet_sentiment import language

if TYPE_CHECKING:
    import numpy as np

    from tweet_sentiment.scorer import Scorer

BATCH = 4096


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tweet_sentiment", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    score = commands.add_parser("score", help="score tweets to JSON lines")
    score.add_argument("file", nargs="?", help="text file (one tweet a line) or CSV; default stdin")
    score.add_argument("--model-dir", type=Path, help="default: MODEL_DIR or model_artifacts/")
    score.add_argument("--batch-size", type=int, default=BATCH)
    from tweet_sentiment.buzz_cli import add_arguments

    buzz = commands.add_parser("buzz", help="detect bad buzzes in a CSV of dated tweets")
    add_arguments(buzz)
    serve = commands.add_parser("serve", help="serve the API and the page with uvicorn")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    args = parser.parse_args(argv)
    if args.command == "score":
        return _score(args)
    if args.command == "buzz":
        from tweet_sentiment.buzz_cli import run

        return run(args)
    return _serve(args.host, args.port)


def _serve(host: str, port: int) -> int:
    import uvicorn

    from tweet_sentiment.api import create_app

    uvicorn.run(create_app(), host=host, port=port, log_level="info")
    return 0


def _score(args: argparse.Namespace) -> int:
    from tweet_sentiment.config import get_settings
    from tweet_sentiment.scorer import Scorer

    scorer = Scorer.from_dir(args.model_dir or get_settings().model_dir)
    stream = (
        open(args.file, encoding="utf-8", errors="replace", newline="")  # noqa: SIM115
        if args.file
        else io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8", errors="replace", newline="")
    )
    with stream:
        count = score_stream(scorer, read_tweets(stream), sys.stdout, max(1, args.batch_size))
    print(f"scored {count} tweets with {scorer.model_version}", file=sys.stderr)
    return 0


def read_tweets(stream: TextIO) -> Iterator[str]:
    """Tweets of a text stream: a CSV with a `text` column, else one tweet per non-empty line."""
    first = stream.readline()
    header = next(csv.reader([first]), [])
    columns = [c.strip().lower() for c in header]
    if "text" in columns:
        column = columns.index("text")
        for row in csv.reader(stream):
            if len(row) > column and row[column].strip():
                yield row[column]
        return
    lines = [first] if first else []
    for line in chain(lines, stream):
        line = line.rstrip("\r\n")
        if line.strip():
            yield line


def score_stream(scorer: Scorer, tweets: Iterator[str], out: TextIO, batch_size: int) -> int:
    """Score ``tweets`` in batches and write JSON lines; returns how many were written."""
    count = 0
    for batch, probs in scorer.stream(tweets, batch_size, str):
        count += _write(batch, probs, scorer.labels, out)
    out.flush()
    return count


def _write(batch: list[str], probs: np.ndarray, labels: list[str], out: TextIO) -> int:
    best = probs.argmax(axis=1)
    rows = probs.astype("float64").round(6).tolist()
    dumps = json.dumps
    lines = [
        dumps(
            {
                "text": text,
                "label": labels[b],
                "scores": dict(zip(labels, row, strict=True)),
                "language": (lang := language.detect(text)).code,
                "reliable": lang.reliable,
            },
            ensure_ascii=True,  # no raw U+2028/U+0085 that str.splitlines() would split on
        )
        for text, b, row in zip(batch, best.tolist(), rows, strict=True)
    ]
    out.write("\n".join(lines) + "\n")
    return len(lines)


if __name__ == "__main__":
    raise SystemExit(main())
