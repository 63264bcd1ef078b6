"""POST /api/buzz: a CSV of dated tweets (`text`, `created_at`) in, the detector's timeline out.

The same path as `python -m tweet_sentiment buzz FILE` (tweet_sentiment/buzz_cli.py: its CSV
reader, its batched scoring, :class:`~tweet_sentiment.buzz.BuzzDetector`), answered as one JSON
document the page draws: every window, and per alert its span, peak and themes. A bad file is a
422 naming the row (the CLI's messages), never a 500.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from tweet_sentiment.api.errors import ApiError
from tweet_sentiment.buzz import BuzzParams, WindowReport
from tweet_sentiment.buzz_cli import BATCH, BadInput, Row, detect_stream, read_rows
from tweet_sentiment.scorer import Scorer

CSV_TYPES = ("text/csv", "text/plain", "application/csv")


def check_media_type(content_type: str) -> None:
    """415 unless the body says it is a CSV."""
    media = content_type.split(";")[0].strip().lower()
    if media not in CSV_TYPES:
        raise ApiError(
            415,
            "unsupported_media_type",
            f"send the CSV with Content-Type: text/csv (got {media or 'none'})",
        )


def timeline(body: bytes, scorer: Scorer, params: BuzzParams, max_days: int) -> dict[str, Any]:
    """Score and detect; ApiError(422) naming the row for a bad file."""
    text = body.decode("utf-8", errors="replace")
    windows: list[WindowReport] = []
    try:
        rows = within_span(read_rows(io.StringIO(text, newline="")), timedelta(days=max_days))
        count = detect_stream(scorer, rows, params, io.StringIO(), BATCH, windows)
    except BadInput as error:
        raise ApiError(422, "bad_csv", str(error)) from None
    except csv.Error as error:  # e.g. a NUL byte, an unterminated quote at the end
        raise ApiError(422, "bad_csv", f"not a CSV file: {error}") from None
    return {
        "model_version": scorer.model_version,
        "scored": count,
        "params": params.model_dump(mode="json"),
        "windows": [w.to_json() for w in windows],
        "alerts": alerts(windows),
    }


def within_span(rows: Iterator[Row], span: timedelta) -> Iterator[Row]:
    """The rows, or BadInput at the first one more than ``span`` after the first row."""
    first = None
    for row in rows:
        first = first or row.created_at
        if row.created_at - first > span:
            raise BadInput(
                f"row {row.number}: created_at {row.created_at.isoformat()} is more than "
                f"{span.days} days after the first tweet ({first.isoformat()}); split the file"
            )
        yield row


def alerts(windows: list[WindowReport]) -> list[dict[str, Any]]:
    """One entry per alert: its span, its peak window, and the themes and examples of its last
    window (they accumulate from the onset)."""
    found: dict[int, list[WindowReport]] = {}
    for w in windows:
        if w.alert_id is not None:
            found.setdefault(w.alert_id, []).append(w)
    out = []
    for alert_id, span in found.items():
        peak = max(span, key=lambda w: w.surprise)
        last = span[-1]
        out.append(
            {
                "alert_id": alert_id,
                "start": span[0].to_json()["start"],
                "end": last.to_json()["end"],
                "windows": len(span),
                "negative": sum(w.negative for w in span),
                "peak_surprise": round(peak.surprise, 3),
                "peak_start": peak.to_json()["start"],
                "themes": [t.to_json() for t in last.themes or []],
                "examples": last.examples or [],
            }
        )
    return out
