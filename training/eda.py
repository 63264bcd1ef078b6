"""Step 2: exploratory analysis of the split dataset -> reports/figures/*.png and reports/eda.md.

    python -m training.eda [--work-dir build] [--reports reports]

Why it is a pipeline step: the figures describe exactly the data the models were trained on
(after normalisation and de-duplication), so they are regenerated with every full run.
"""

from __future__ import annotations

import math
from collections import Counter
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from training import cli, config, tracking
from training import data as data_step
from training.data import tokens_of
from training.embeddings import glove_coverage
from training.markdown import table

plt.switch_backend("Agg")  # figures are files, never windows

COLOURS = {"negative": "#d62728", "neutral": "#7f7f7f", "positive": "#2ca02c"}
# Function words say nothing about sentiment on their own; negations are kept on purpose.
_STOPWORDS = """the a an to and of in on for is it i you my me at be this that with was so are
have just we your from it's 's 're 'm 'll 've 'd do get by or as its our they he she if am will what
all about out up can has there their them us been would when how who"""
STOPWORDS = set(_STOPWORDS.split())


def class_balance(data: pd.DataFrame, labels: list[str], path: Path) -> pd.DataFrame:
    table = pd.crosstab(data["topic"], data["label"])[labels]
    table = table.loc[table.sum(axis=1).sort_values().index]
    shares = table.div(table.sum(axis=1), axis=0)
    ax = shares.plot.barh(stacked=True, color=[COLOURS.get(c) for c in labels], figsize=(8, 4.5))
    for i, total in enumerate(table.sum(axis=1)):
        ax.text(1.01, i, f"n={total}", va="center", fontsize=8)
    ax.set(xlabel="share of tweets", ylabel="", title="Class balance per topic", xlim=(0, 1.15))
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=len(labels), fontsize=8)
    _save(path)
    return table


def lengths(data: pd.DataFrame, labels: list[str], path: Path) -> pd.Series:
    counts = data["normalised"].str.count(" ") + 1
    plt.figure(figsize=(8, 4))
    bins = np.arange(0, counts.max() + 2, 2)
    for label in labels:
        plt.hist(
            counts[data["label"] == label],
            bins=bins.tolist(),
            alpha=0.5,
            label=label,
            color=COLOURS.get(label),
            density=True,
        )
    plt.axvline(config.MAX_LEN, color="black", linestyle="--", label=f"max_len={config.MAX_LEN}")
    plt.xlabel("tokens per tweet (after normalisation)")
    plt.ylabel("density")
    plt.title("Tweet length by class")
    plt.legend()
    _save(path)
    return counts


def top_words(data: pd.DataFrame, labels: list[str], path: Path, n: int = 15) -> dict:
    """Most over-represented words per class (smoothed log-odds vs the other classes)."""
    counters: dict[str, Counter[str]] = {label: Counter() for label in labels}
    for label, tokens in zip(data["label"], tokens_of(data), strict=True):
        counters[label].update(t for t in set(tokens) if t not in STOPWORDS and len(t) > 1)
    total = sum(counters.values(), Counter())
    _, axes = plt.subplots(1, len(labels), figsize=(4 * len(labels), 5))
    tops = {}
    for ax, label in zip(np.atleast_1d(axes), labels, strict=True):
        own, rest = counters[label], total - counters[label]
        n_own, n_rest = sum(own.values()), sum(rest.values())
        scores = {
            w: math.log((c + 1) / (n_own + 1)) - math.log((rest[w] + 1) / (n_rest + 1))
            for w, c in own.items()
            if c >= 20
        }
        best = sorted(scores, key=scores.__getitem__, reverse=True)[:n]
        tops[label] = best
        ax.barh(best[::-1], [scores[w] for w in best[::-1]], color=COLOURS.get(label))
        ax.set_title(f"{label}: most distinctive words")
        ax.set_xlabel("log-odds vs other classes")
    _save(path)
    return tops


def coverage(data: pd.DataFrame, path: Path) -> dict:
    """Share of the corpus GloVe 6B knows, overall and per topic (drives the embedding choice)."""
    rows = {"all": glove_coverage(tokens_of(data))}
    for topic, part in data.groupby("topic"):
        rows[topic] = glove_coverage(tokens_of(part))
    frame = pd.DataFrame(rows).T
    ax = frame.plot.bar(figsize=(8, 4), color=["#1f77b4", "#ff7f0e"])
    ax.set(
        ylim=(0, 1),
        ylabel="share known to GloVe 6B",
        title="Vocabulary coverage by GloVe (distinct words vs running tokens)",
    )
    ax.legend(["distinct words", "running tokens"], loc="lower right")
    _save(path)
    return rows


def _save(path: Path) -> None:
    plt.tight_layout()
    plt.savefig(path, dpi=110)
    plt.close("all")


def write_report(data, meta, balance, counts, tops, cover, figures: Path, out: Path) -> None:
    labels = meta["labels"]
    sources = "\n".join(
        f"| {s['name']} | {s['rows']} | `{s['sha256'][:16]}` |" for s in meta["sources"]
    )
    split = pd.crosstab(data["split"], data["label"])[labels]
    over = (counts > config.MAX_LEN).mean()
    rel = figures.relative_to(out.parent)
    lines = [
        "# Exploratory data analysis",
        "",
        "Generated by `python -m training.eda` from the split the models are trained on "
        f"(profile `{meta['profile']}`, split fingerprint `{meta['split_fingerprint'][:16]}`).",
        "",
        "## Sources",
        "| source | rows kept | sha256 |",
        "| --- | --- | --- |",
        sources,
        "",
        f"{len(data)} unique tweets after normalisation and de-duplication (duplicates and "
        "retweets are merged before the split, conflicting labels resolved by majority).",
        "",
        "## Split (seeded, stratified by label x topic)",
        table(split),
        "",
        "## Class balance per topic",
        f"![class balance]({rel}/class_balance_by_topic.png)",
        "",
        table(balance),
        "",
        "Airline tweets are mostly complaints; self-driving cars, Claritin and the unlabelled "
        "'other' tweets are mostly neutral. The topic is a strong prior, which is why the split "
        "is stratified by it and the airline slice is reported on its own.",
        "",
        "## Lengths",
        f"![lengths]({rel}/lengths.png)",
        "",
        f"Tokens per tweet: median {counts.median():.0f}, 95th percentile "
        f"{counts.quantile(0.95):.0f}, max {counts.max()}. {over:.2%} of tweets are longer than "
        f"`max_len={config.MAX_LEN}` and lose their tail.",
        "",
        "## Most distinctive words per class",
        f"![top words]({rel}/top_words.png)",
        "",
        *[f"- **{label}**: {', '.join(words)}" for label, words in tops.items()],
        "",
        "Each source study labelled its own question: in the Deflategate tweets 'positive' often "
        "means agreeing that the Patriots cheated (hence 'cheaters' among positive words), and "
        "airline complaints are sometimes labelled neutral. This label noise caps every model; "
        "the annotators' `confidence` is used to drop the least agreed train rows.",
        "",
        "## Vocabulary coverage by GloVe 6B 50d",
        f"![coverage]({rel}/glove_coverage.png)",
        "",
        "| slice | distinct words known | running tokens known |",
        "| --- | --- | --- |",
        *[f"| {k} | {v['types']:.1%} | {v['tokens']:.1%} |" for k, v in cover.items()],
        "",
        "Unknown words are mostly misspellings, handles inside hashtags and mojibake remains; "
        "they get a random vector that is fine-tuned with the model.",
        "",
    ]
    out.write_text("\n".join(lines), encoding="utf-8")


def main(argv: list[str] | None = None) -> Path:
    parser = cli.step_parser(__doc__)
    parser.add_argument(
        "--reports",
        type=Path,
        default=config.REPORTS_DIR,
        help="where eda.md and figures go [%(default)s]",
    )
    args = parser.parse_args(argv)
    data, meta = data_step.load(args.work_dir)
    figures = args.reports / "figures"
    figures.mkdir(parents=True, exist_ok=True)
    labels = meta["labels"]
    balance = class_balance(data, labels, figures / "class_balance_by_topic.png")
    counts = lengths(data, labels, figures / "lengths.png")
    tops = top_words(data, labels, figures / "top_words.png")
    cover = coverage(data, figures / "glove_coverage.png")
    out = args.reports / "eda.md"
    write_report(data, meta, balance, counts, tops, cover, figures, out)
    pngs = [
        figures / f"{n}.png"
        for n in ("class_balance_by_topic", "lengths", "top_words", "glove_coverage")
    ]
    tracking.log_files("eda", meta, [out, *pngs], {"glove_token_coverage": cover["all"]["tokens"]})
    print(f"eda: {out} and {len(pngs)} figures")
    return out


if __name__ == "__main__":
    main()
