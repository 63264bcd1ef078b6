"""Pull user feedback from Blob Storage and turn it into labelled training rows, with a report.

    python -m training.feedback [--out build/feedback]

Why a separate step: feedback is the only data that comes from outside the curated corpus, so it
is checked before anything learns from it. Every document written by
``tweet_sentiment.feedback_store`` (one JSON blob per feedback) is read through the same client
the service uses (``FeedbackStore.from_settings``: Azurite by connection string, a real account by
managed identity / OIDC), and each is either KEPT as a row with its provenance (blob name,
feedback id, time, model version) or REJECTED with a reason:

- ``not_json`` / ``schema``: unreadable, or not the service's document
  (``tweet_sentiment.feedback_store.FeedbackDocument``: a field missing or of the wrong type);
- ``unknown_label``: a label the champion does not have;
- ``inconsistent``: ``is_correct`` does not match ``correct_label`` vs ``predicted_label`` (the
  document's own rules, the ones the API enforces);
- ``empty_text`` (nothing left after normalisation) / ``oversize_text`` (longer than
  ``MAX_TEXT_CHARS``, the API's own limit);
- ``duplicate``: the same normalised text with the same label again (the latest is kept);
- ``contradicting_labels``: the same normalised text with different labels (all dropped: we
  cannot tell who is right, and a wrong label teaches the model a mistake).

The snapshot fingerprint (sha256 over every blob's name and content sha256) names exactly what was
read, so an MLflow run says which feedback a model learnt from.
"""

from __future__ import annotations

import argparse
import hashlib
import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from pydantic import ValidationError

from training import config
from tweet_sentiment.config import Settings
from tweet_sentiment.feedback_store import FeedbackDocument, FeedbackStore
from tweet_sentiment.schemas import INCONSISTENT, UNKNOWN_LABEL
from tweet_sentiment.text import normalise

ROWS_FILE = "feedback.parquet"
REJECTED_FILE = "feedback_rejected.json"
REPORT_FILE = "feedback_report.md"
ROW_COLUMNS = [
    "text",
    "normalised",
    "label",
    "feedback_id",
    "blob_name",
    "received_at",
    "model_version",
    "predicted_label",
    "is_correct",
]


@dataclass
class Snapshot:
    """What one pull read: kept rows, rejected documents (with reasons) and the fingerprint."""

    rows: pd.DataFrame
    rejected: list[dict] = field(default_factory=list)
    fingerprint: str = ""
    blobs: int = 0

    def reasons(self) -> dict[str, int]:
        return dict(Counter(r["reason"] for r in self.rejected))

    def exclude(self, normalised_texts: set[str], reason: str) -> Snapshot:
        """Reject kept rows whose text is in ``normalised_texts`` (e.g. the fixed test split)."""
        hit = self.rows["normalised"].isin(normalised_texts)
        moved = [_rejection(r.blob_name, reason, r.text) for r in self.rows[hit].itertuples()]
        return Snapshot(self.rows[~hit].reset_index(drop=True), self.rejected + moved,
                        self.fingerprint, self.blobs)  # fmt: skip


def _rejection(blob_name: str, reason: str, text: object = None) -> dict:
    preview = text[:80] if isinstance(text, str) else None
    return {"blob_name": blob_name, "reason": reason, "text": preview}


def download(container) -> list[tuple[str, bytes]]:
    """(blob name, content) of every feedback document, in name (= time) order."""
    return [
        (blob.name, container.download_blob(blob.name).readall())
        for blob in sorted(container.list_blobs(), key=lambda b: b.name)
    ]


def fingerprint(blobs: list[tuple[str, bytes]]) -> str:
    lines = sorted(f"{name}\t{hashlib.sha256(data).hexdigest()}\n" for name, data in blobs)
    return hashlib.sha256("".join(lines).encode()).hexdigest()


def check_document(name: str, data: bytes, labels: list[str], max_chars: int) -> dict | str:
    """The row for one document, or the reason it is rejected.

    The document's shape and the rules between its fields are the service's own
    (:class:`~tweet_sentiment.feedback_store.FeedbackDocument`), labels those of ``labels``.
    """
    try:
        raw = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return "not_json"
    try:
        doc = FeedbackDocument.model_validate(raw, context={"labels": labels})
    except ValidationError as error:
        kinds = {e["type"] for e in error.errors()}
        if kinds - {UNKNOWN_LABEL, INCONSISTENT}:
            return "schema"
        return "unknown_label" if UNKNOWN_LABEL in kinds else "inconsistent"
    if len(doc.text) > max_chars:
        return "oversize_text"
    normalised = normalise(doc.text)
    if not normalised:
        return "empty_text"
    return {
        "text": doc.text,
        "normalised": normalised,
        "label": doc.correct_label,
        "feedback_id": doc.feedback_id,
        "blob_name": name,
        "received_at": doc.received_at,
        "model_version": doc.model_version or "",
        "predicted_label": doc.predicted_label,
        "is_correct": doc.is_correct,
    }


def validate(blobs: list[tuple[str, bytes]], labels: list[str], max_chars: int) -> Snapshot:
    rows, rejected = [], []
    for name, data in blobs:
        checked = check_document(name, data, labels, max_chars)
        if isinstance(checked, str):
            rejected.append(_rejection(name, checked))
        else:
            rows.append(checked)
    frame = pd.DataFrame(rows, columns=ROW_COLUMNS).sort_values(["received_at", "blob_name"])
    contradicting = frame.groupby("normalised")["label"].transform("nunique") > 1
    rejected += [
        _rejection(r.blob_name, "contradicting_labels", r.text)
        for r in frame[contradicting].itertuples()
    ]
    frame = frame[~contradicting]
    repeated = frame.duplicated("normalised", keep="last")
    rejected += [_rejection(r.blob_name, "duplicate", r.text) for r in frame[repeated].itertuples()]
    frame = frame[~repeated].reset_index(drop=True)
    return Snapshot(frame, rejected, fingerprint(blobs), len(blobs))


def pull(labels: list[str], settings: Settings | None = None) -> Snapshot:
    """Read and validate every feedback document of the configured container."""
    settings = settings or Settings.from_env()
    container = FeedbackStore.from_settings(settings).container
    if not container.exists():
        return validate([], labels, settings.max_text_chars)
    return validate(download(container), labels, settings.max_text_chars)


def report(snapshot: Snapshot) -> str:
    """Markdown: what was read, kept and rejected, and why."""
    lines = [
        "# Feedback snapshot",
        "",
        f"- fingerprint: `{snapshot.fingerprint}`",
        f"- documents read: {snapshot.blobs}",
        f"- kept: {len(snapshot.rows)} "
        f"({snapshot.rows['label'].value_counts().to_dict() if len(snapshot.rows) else {}})",
        f"- rejected: {len(snapshot.rejected)}",
        "",
        "| reason | documents |",
        "|---|---:|",
        *(f"| {reason} | {count} |" for reason, count in sorted(snapshot.reasons().items())),
    ]
    return "\n".join(lines) + "\n"


def write(snapshot: Snapshot, directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    paths = [directory / ROWS_FILE, directory / REJECTED_FILE, directory / REPORT_FILE]
    snapshot.rows.to_parquet(paths[0])
    paths[1].write_text(json.dumps(snapshot.rejected, indent=2, ensure_ascii=False))
    paths[2].write_text(report(snapshot))
    return paths


def main(argv: list[str] | None = None) -> Snapshot:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--out",
        type=Path,
        default=config.WORK_DIR / "feedback",
        help="where the snapshot's rows, rejections and report go [%(default)s]",
    )
    parser.add_argument(
        "--labels",
        default=",".join(config.LABELS),
        help="the model's labels, comma-separated [%(default)s]",
    )
    args = parser.parse_args(argv)
    snapshot = pull(args.labels.split(","))
    write(snapshot, args.out)
    print(report(snapshot))
    return snapshot


if __name__ == "__main__":
    main()
