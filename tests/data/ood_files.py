"""Out-of-domain package files in their real layouts, written by the tests (never downloaded).

The VADER sdist holds a tarball inside a tarball; the entity wheel is a zip with a header-less
CSV of (id, entity, label, text) where each id repeats with paraphrases.
"""

from __future__ import annotations

import csv
import io
import tarfile
import zipfile
from pathlib import Path

from training.ood import ENTITY_MEMBER, SETS, VADER_MEMBER, VADER_TWEETS

NEGATIVE = ["worst service ever", "my game keeps crashing", "so angry at this update"]
NEUTRAL = ["the patch ships on monday", "new trailer out today", "servers restart at noon"]
POSITIVE = ["love this new map", "best update so far", "what a great stream"]


def _word(i: int) -> str:
    """A distinct word per row (digits would all become <num>)."""
    return "".join(chr(97 + int(d)) for d in str(i))


def _tar_bytes(name: str, payload: bytes) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        info = tarfile.TarInfo(name)
        info.size = len(payload)
        archive.addfile(info, io.BytesIO(payload))
    return buffer.getvalue()


def write_vader_sdist(directory: Path, rows: int = 120) -> Path:
    """vaderSentiment-3.3.2.tar.gz with additional_resources/hutto_ICWSM_2014.tar.gz inside."""
    lines = []
    for i in range(rows):
        rating, texts = [(-2.5, NEGATIVE), (0.1, NEUTRAL), (2.2, POSITIVE)][i % 3]
        lines.append(f"{i + 1}\t{rating + 0.01 * (i % 7)}\t{texts[i % 3]} {_word(i)}")
    inner = _tar_bytes(f"hutto_ICWSM_2014/{VADER_TWEETS}", "\r\n".join(lines).encode("latin-1"))
    path = directory / SETS["vader"].glob
    path.write_bytes(_tar_bytes(f"vaderSentiment-3.3.2/{VADER_MEMBER}", inner))
    return path


def write_entity_wheel(directory: Path, ids: int = 200, variants: int = 3) -> Path:
    """A wheel whose twitter_training.csv repeats each id with paraphrases; some Irrelevant."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    labels = ["Negative", "Neutral", "Positive", "Irrelevant"]
    for i in range(ids):
        label = labels[i % 4]
        texts = {"Negative": NEGATIVE, "Neutral": NEUTRAL, "Positive": POSITIVE}.get(label, NEUTRAL)
        for v in range(variants):
            writer.writerow([1000 + i, "SomeGame", label, f"{texts[i % 3]} {_word(i)} v{v}"])
    path = directory / SETS["entity"].glob.replace("*", "py3-none-any")
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(ENTITY_MEMBER, buffer.getvalue())
    return path


def write_downloads(directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    write_vader_sdist(directory)
    write_entity_wheel(directory)
    return directory
