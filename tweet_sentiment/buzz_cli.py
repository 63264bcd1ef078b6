"""`python -m tweet_sentiment buzz FILE`: score a CSV of dated tweets and report bad buzzes.

FILE is a CSV with `text` and `created_at` (ISO 8601; no offset means UTC) columns, sorted by
`created_at`; other columns are ignored. Tweets are scored by the served model in batches and fed
to :class:`tweet_sentiment.buzz.BuzzDetector`; one JSON line per window goes to stdout (or
`--out`), and `--html` writes a self-contained report (tweet_sentiment/buzz_html.py).

It streams: memory holds one batch of tweets, the detector's bounded state and, for `--html`, one
small summary per window (a month of 15-minute windows is 2,880 of them), never the tweets.

Bad input stops with exit code 2 and a message naming the row (the header is row 1, as in a
spreadsheet), never a traceback: no header, missing columns, a date that is not ISO 8601, a row
older than the window being counted. Rows may be out of order *inside* one window (tweets
collected by several workers often are): the window is only closed when a later one starts.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from pydantic import ValidationError

from tweet_sentiment import language
from tweet_sentiment.buzz import BuzzDetector, BuzzParams, OutOfOrder, WindowReport

if TYPE_CHECKING:
    from tweet_sentiment.scorer import Scorer

BATCH = 4096
REQUIRED = ("text", "created_at")
# Options in these units on the command line (timedelta fields of BuzzParams).
UNITS = {
    "window": ("minutes", timedelta(minutes=1)),
    "baseline": ("hours", timedelta(hours=1)),
    "theme_half_life": ("hours", timedelta(hours=1)),
}


class BadInput(Exception):
    """A problem with FILE, worded for the person who made it (names the row)."""


@dataclass(frozen=True)
class Row:
    number: int  # spreadsheet row: the header is row 1
    created_at: datetime
    text: str


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The buzz command's options: FILE, outputs, and one option per BuzzParams field."""
    parser.add_argument("file", type=Path, help="CSV with text and created_at columns")
    parser.add_argument("--out", type=Path, help="JSON lines here instead of stdout")
    parser.add_argument("--html", type=Path, metavar="REPORT.html", help="self-contained report")
    parser.add_argument("--model-dir", type=Path, help="default: MODEL_DIR or model_artifacts/")
    parser.add_argument("--batch-size", type=int, default=BATCH)
    defaults = BuzzParams()
    for name, info in BuzzParams.model_fields.items():
        default = getattr(defaults, name)
        unit = UNITS.get(name)
        shown = default / unit[1] if unit else default
        parser.add_argument(
            f"--{name.replace('_', '-')}",
            dest=name,
            type=_option_type(name),
            metavar=unit[0].upper() if unit else None,
            help=f"{info.description} [default: {shown:g}]"
            if isinstance(shown, float | int)
            else f"{info.description} [default: {shown}]",
        )


def _option_type(name: str) -> Callable[[str], object]:
    if name in UNITS:
        return float
    if name == "volume_cv":
        return lambda v: "none" if v.strip().lower() == "none" else float(v)
    annotation = BuzzParams.model_fields[name].annotation
    return int if annotation is int else float


def params_of(args: argparse.Namespace) -> BuzzParams:
    given = {n: getattr(args, n) for n in BuzzParams.model_fields if getattr(args, n) is not None}
    if given.get("volume_cv") == "none":
        given["volume_cv"] = None  # share test only
    for name, (_, unit) in UNITS.items():
        if name in given:
            given[name] = given[name] * unit
    return BuzzParams(**given)


def run(args: argparse.Namespace) -> int:
    """The command: exit 0, or 2 with a message naming the problem's row."""
    try:
        params = params_of(args)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'parameters'}: {e['msg']}" for e in error.errors()
        )
        return _fail(f"bad parameters: {problems}")
    try:
        source = args.file.open(encoding="utf-8", errors="replace", newline="")
    except OSError as error:
        return _fail(f"{args.file}: {error.strerror}")
    from tweet_sentiment.config import get_settings
    from tweet_sentiment.scorer import Scorer

    scorer = Scorer.from_dir(args.model_dir or get_settings().model_dir)
    out = args.out.open("w", encoding="utf-8") if args.out else sys.stdout
    windows: list[WindowReport] | None = [] if args.html else None
    try:
        with source:
            count = detect_stream(
                scorer, read_rows(source), params, out, max(1, args.batch_size), windows
            )
    except BadInput as error:
        return _fail(f"{args.file}: {error}")
    except BrokenPipeError:  # `buzz FILE | head`: the reader has gone, the job is done
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    finally:
        if args.out:
            out.close()
    if args.html and windows is not None:
        from tweet_sentiment.buzz_html import render

        args.html.write_text(render(windows, params, str(args.file.name)), encoding="utf-8")
    alerts = len({w.alert_id for w in windows or [] if w.alert_id is not None})
    print(
        f"scored {count} tweets with {scorer.model_version}"
        + (f"; {alerts} alert(s); report in {args.html}" if args.html else ""),
        file=sys.stderr,
    )
    return 0


def _fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 2


def read_rows(stream: TextIO) -> Iterator[Row]:
    """The CSV's rows as (row number, UTC datetime, text); BadInput on the first bad one."""
    reader = csv.reader(stream)
    try:
        header = next(reader, None)
    except csv.Error as error:
        raise BadInput(f"row 1: not readable as CSV ({error})") from None
    if header is None:
        raise BadInput("row 1: the file is empty (expected a header with text and created_at)")
    columns = [c.strip().lower().lstrip("\ufeff") for c in header]
    missing = [c for c in REQUIRED if c not in columns]
    if missing:
        raise BadInput(f"row 1: missing column(s) {', '.join(missing)} in header {header}")
    text_at, date_at = columns.index("text"), columns.index("created_at")
    number = 1
    rows = enumerate(reader, start=2)
    while True:
        try:
            number, row = next(rows)
        except StopIteration:
            break
        except csv.Error as error:  # e.g. a field over the csv module's size limit
            raise BadInput(f"row {number + 1}: not readable as CSV ({error})") from None
        if not any(cell.strip() for cell in row):
            continue  # a blank line
        if len(row) <= max(text_at, date_at):
            raise BadInput(f"row {number}: {len(row)} column(s), the header has {len(header)}")
        yield Row(number, _parse_date(row[date_at], number), row[text_at])
    if number == 1:
        raise BadInput("row 2: no tweets after the header")


def _parse_date(raw: str, number: int) -> datetime:
    try:
        when = datetime.fromisoformat(raw.strip())
    except ValueError:
        raise BadInput(f"row {number}: created_at {raw!r} is not an ISO 8601 date") from None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def detect_stream(
    scorer: Scorer,
    rows: Iterator[Row],
    params: BuzzParams,
    out: TextIO,
    batch_size: int,
    keep: list[WindowReport] | None = None,
) -> int:
    """Score ``rows`` in batches (the next batch is read while ONNX runs), detect, write lines."""
    detector = BuzzDetector(params)
    negative = scorer.labels.index("negative")
    count = 0
    for batch, probs in scorer.stream(rows, batch_size, lambda row: row.text):
        for row, is_negative in zip(
            batch, (probs.argmax(axis=1) == negative).tolist(), strict=True
        ):
            if not language.detect(row.text).reliable:
                continue  # another language: its label is noise (the KQL rule skips it too)
            label = "negative" if is_negative else "other"
            _emit(_add(detector, row, label, params), out, keep)
        count += len(batch)
    _emit(detector.close(), out, keep)
    out.flush()
    return count


def _add(detector: BuzzDetector, row: Row, label: str, params: BuzzParams) -> list[WindowReport]:
    try:
        return detector.add(row.created_at, label, row.text)
    except OutOfOrder:
        minutes = params.window / timedelta(minutes=1)
        raise BadInput(
            f"row {row.number}: created_at {row.created_at.isoformat()} is older than the "
            f"{minutes:g}-minute window already being counted; sort the file by created_at "
            "(inside one window any order is accepted)"
        ) from None


def _emit(reports: list[WindowReport], out: TextIO, keep: list[WindowReport] | None) -> None:
    for report in reports:
        out.write(json.dumps(report.to_json(), ensure_ascii=True) + "\n")
        if keep is not None:
            keep.append(report)  # small: themes and examples only on alert windows
