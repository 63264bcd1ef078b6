"""Step 7: evaluation figures and ``reports/results.md``: every model on the same test split.

    python -m training.report [--work-dir build] [--reports reports]

Why generated: every number in the report is computed from the saved predictions of this run, so
the report can never drift from the models it describes.
"""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
from sklearn.calibration import calibration_curve
from sklearn.metrics import (
    ConfusionMatrixDisplay,
    PrecisionRecallDisplay,
    RocCurveDisplay,
)

from training import cli, config, runs, tracking
from training import data as data_step
from training import ood as ood_step
from training.champion import (
    DEFAULT_DEV_METRIC,
    DEV_METRIC,
    RULE,
    ood_dev_score,
    shortlist,
    trained_on,
)
from training.markdown import table
from training.metrics import ood_metrics

plt.switch_backend("Agg")

BASELINE = "tfidf-logreg"
TARGET_MACRO_F1 = 0.765
TARGET_AIRLINE_MACRO_F1 = 0.75
TARGET_NEG_VS_POS = 0.89
# Out-of-domain targets, on the report parts (scored once): (set, metric, threshold).
OOD_TARGETS = (
    ("vader", "macro_recall", 0.68),
    ("entity", "macro_recall", 0.60),
    ("sentiment140", "neg_vs_pos_accuracy", 0.75),
)
OOD_COLUMNS = {
    "macro_recall": "macro-recall",
    "macro_f1": "macro-F1",
    "recall_negative": "neg recall",
    "neg_vs_pos_accuracy": "neg-vs-pos acc",
}
BANDS = (0.25, 0.5, 1.0)  # VADER tweets: neutral bands shown in the sensitivity table
# A run derived from another (class bias, emoji rows, lexicon) names its base in one of these,
# latest step first: a derived run keeps the parameters of the run it came from.
DERIVED_FROM = ("lexicon_from", "emoji_from", "calibrated_from")


def comparison(results: list[runs.RunResult]) -> pd.DataFrame:
    rows = []
    for r in sorted(results, key=lambda r: -r.val["macro_f1"]):
        rows.append(
            {
                "model": r.name,
                "family": r.family,
                "val macro-F1": r.val["macro_f1"],
                "test macro-F1": r.test["macro_f1"],
                "test accuracy": r.test["accuracy"],
                "neg-vs-pos acc": r.test.get("neg_vs_pos_accuracy", float("nan")),
                "F1 neg": r.test.get("f1_negative", float("nan")),
                "F1 neu": r.test.get("f1_neutral", float("nan")),
                "F1 pos": r.test.get("f1_positive", float("nan")),
                "ROC AUC (ovr)": r.test.get("roc_auc_ovr", float("nan")),
                "ROC AUC neg": r.test.get("roc_auc_negative", float("nan")),
                "ECE": r.test["ece"],
                "airline macro-F1": r.slices.get("airline", {}).get("macro_f1", float("nan")),
                "train s": f"{r.train_seconds:.0f}",
                "ms/tweet": f"{r.predict_ms_per_tweet:.3f}",
                "size MB": f"{r.size_bytes / 1e6:.2f}",
            }
        )
    return pd.DataFrame(rows)


def ood_tables(results: list[runs.RunResult]) -> list[str]:
    """One table per OOD set: every model, dev (selection) and report (scored once) figures."""
    names = sorted({name for r in results for name in r.ood})
    lines: list[str] = []
    for name in names:
        rows = []
        for r in sorted(results, key=lambda r: -r.val["macro_f1"]):
            parts = r.ood.get(name, {})
            row = {"model": r.name, "family": r.family}
            for part in ("dev", "report"):
                for key, title in OOD_COLUMNS.items():
                    row[f"{part} {title}"] = parts.get(part, {}).get(key, float("nan"))
            rows.append(row)
        sizes = {
            part: int(next((r.ood[name][part]["rows"] for r in results if name in r.ood), 0))
            for part in ("dev", "report")
        }
        lines += [
            f"### {name} (dev {sizes['dev']} tweets, report {sizes['report']} tweets)",
            "",
            table(pd.DataFrame(rows), index=False),
            "",
        ]
    return lines


def profile_names(profile: str) -> set[str]:
    """Every run `make train` makes with this profile's networks (their -cal and -emoji too)."""
    chosen = config.PROFILES.get(profile)
    if chosen is None:
        return set()
    names = {c.name for c in (*chosen.neural, *chosen.distilled)}
    names |= {c.name + config.CALIBRATED for c in chosen.calibrated}
    return names | {c.name + config.CALIBRATED + config.WITH_EMOJI for c in chosen.emoji}


def network_time(results: list[runs.RunResult], profile: str) -> list[str]:
    """The profile's networks' training time together: whether `make train` fits an hour."""
    # A calibrated network (training.calibration) or one with emoji rows (training.emoji) is its
    # base network's training, not another.
    trained = [
        r
        for r in results
        if r.family == "neural" and not any(r.params.get(k) for k in DERIVED_FROM)
    ]
    names = profile_names(profile)
    seconds = [r.train_seconds for r in trained if r.name in names]
    others = [r for r in trained if r.name not in names]
    lines = []
    if seconds:
        lines.append(
            f"The {len(seconds)} networks of the profile trained in {sum(seconds):,.0f} s together."
        )
    if others:
        lines.append(
            f"Also measured in this work dir, outside the profile (`python -m training.neural "
            f"--only NAME`, `--sweep`): {', '.join(r.name for r in others)}."
        )
    return [*lines, ""] if lines else []


def not_trained(results: list[runs.RunResult], profile: str) -> list[str]:
    """Say which of the profile's networks this run did not train (``neural --only``)."""
    missing = sorted(profile_names(profile) - {r.name for r in results})
    if not missing:
        return []
    return [
        "Not trained in this run (`python -m training.neural --only ...`, then "
        f"`python -m training.calibration`, `python -m training.emoji`): {', '.join(missing)}; "
        "`make train` trains every network of the profile.",
        "",
    ]


def lever_table(results: list[runs.RunResult], champion: str) -> list[str]:
    """Each lever against the same network without it: validation and OOD dev/report moves."""
    by_name = {r.name: r for r in results}
    rows = []
    for r in results:
        params = r.params
        levers = any(
            params.get(k)
            for k in ("extra", "distil", "pool_vocab", "class_bias", "emoji_rows", "lexicon")
        )
        if not r.family.startswith("neural") or not (
            levers or params.get("embedding") == "glove100"
        ):
            continue
        # The plain network on GloVe 50d; a class bias, emoji rows or a lexicon against the
        # network they were added to.
        derived = next((params[k] for k in DERIVED_FROM if params.get(k)), None)
        base = by_name.get(derived or f"{params['cell']}-glove")
        if base is None:
            continue
        row = {"lever (model)": r.name, "against": base.name}
        row["val macro-F1"] = f"{r.val['macro_f1'] - base.val['macro_f1']:+.4f}"
        for name in sorted(set(r.ood) & set(base.ood)):
            metric = DEV_METRIC.get(name, DEFAULT_DEV_METRIC)
            for part in ("dev", "report"):
                delta = r.ood[name][part][metric] - base.ood[name][part][metric]
                row[f"{name} {part}"] = f"{delta:+.4f}"
        row["kept"] = "yes" if r.name == champion else "no"
        rows.append(row)
    if not rows:
        return []
    return [
        "### Levers",
        "",
        "Each lever (or combination of levers) is a model of the tables above; here its change "
        "against the same network on GloVe 50d without any; a class bias (`-cal`), emoji "
        "rows (`-emoji`) and the VADER lexicon (`-vader`) against the network they were added "
        "to (OOD columns: macro-recall, "
        "negative-vs-positive accuracy for Sentiment140). "
        "A lever trained on a set's labelled pool (or a lexicon tuned on a set) reads that "
        "set's dev and report tweets as in-domain: its figure there is not out of domain.",
        "",
        table(pd.DataFrame(rows), index=False),
        "",
    ]


def shortlist_table(results: list[runs.RunResult]) -> list[str]:
    """The rule's shortlist: each candidate's validation macro-F1 and OOD dev score."""
    close, sets = shortlist(results)
    if not sets:
        return []
    rows = [
        {
            "candidate": r.name,
            "val macro-F1": r.val["macro_f1"],
            f"OOD dev score ({', '.join(sorted(sets))})": ood_dev_score(r, sets),
            "trained on OOD labels": ", ".join(sorted(trained_on(r))) or "-",
        }
        for r in sorted(close, key=lambda r: -ood_dev_score(r, sets))
    ]
    return [table(pd.DataFrame(rows), index=False), ""]


def band_sensitivity(work_dir: Path, names: list[str], labels: list[str]) -> list[str]:
    """VADER tweets: how the neutral band of the mean rating moves macro-recall (report part)."""
    rows = runs.ood_rows(work_dir)
    if not len(rows) or "vader" not in set(rows["set"]) or "neutral" not in labels:
        return []
    mask = ((rows["set"] == "vader") & (rows["part"] == "report")).to_numpy()
    table_rows = []
    for name in names:
        probs = runs.load_predictions(work_dir, name).get("ood")
        if probs is None:
            continue
        row: dict[str, object] = {"model": name}
        for band in BANDS:
            truth = rows.loc[mask, "rating"].map(lambda r, b=band: ood_step.vader_label(r, b))
            row[f"band {band}"] = ood_metrics(truth, probs[mask], labels)["macro_recall"]
        table_rows.append(row)
    return [
        "### VADER tweets: the neutral band",
        "",
        "A mean rating inside (-band, +band) is neutral. Macro-recall on the report part for "
        f"each band; the tables above use {ood_step.NEUTRAL_BAND}.",
        "",
        table(pd.DataFrame(table_rows), index=False),
        "",
    ]


def figures(results, data, labels, work_dir: Path, champion: str, out: Path) -> list[Path]:
    """Confusion matrices, ROC/PR of the negative class (bad buzz), calibration, F1 history."""
    _, y_test = runs.split_arrays(data, labels, "test")
    probs = {r.name: runs.load_predictions(work_dir, r.name)["test"] for r in results}
    neg = labels.index("negative") if "negative" in labels else 0
    paths = []
    shown = [name for name in (champion, BASELINE) if name in probs]

    _, axes = plt.subplots(1, len(shown), figsize=(5 * len(shown), 4.5), squeeze=False)
    for ax, name in zip(axes[0], shown, strict=True):
        ConfusionMatrixDisplay.from_predictions(
            y_test,
            probs[name].argmax(1),
            display_labels=labels,
            normalize="true",
            ax=ax,
            colorbar=False,
            values_format=".2f",
        )
        ax.set_title(name)
    paths.append(_save(out / "confusion_matrices.png"))

    for kind, display in (("roc", RocCurveDisplay), ("pr", PrecisionRecallDisplay)):
        _, ax = plt.subplots(figsize=(7, 6))
        for name, p in probs.items():
            display.from_predictions(
                y_test == neg, p[:, neg], name=name, ax=ax, plot_chance_level=False
            )
        ax.set_title(f"{kind.upper()} curve, negative class (bad-buzz signal), test split")
        ax.legend(fontsize=7)
        paths.append(_save(out / f"{kind}_negative.png"))

    _, ax = plt.subplots(figsize=(6, 5))
    for name in shown:
        p = probs[name]
        frac, mean = calibration_curve(
            p.argmax(1) == y_test, p.max(1), n_bins=10, strategy="quantile"
        )
        ax.plot(mean, frac, marker="o", label=name)
    ax.plot([0, 1], [0, 1], "k--", label="perfect")
    ax.set(
        xlabel="predicted confidence (top class)",
        ylabel="observed accuracy",
        title="Calibration, test split",
    )
    ax.legend()
    paths.append(_save(out / "calibration.png"))

    _, ax = plt.subplots(figsize=(7, 4.5))
    for r in results:
        if r.family == "neural":
            history = r.params.get("val_macro_f1_history", [])
            ax.plot(range(1, len(history) + 1), history, marker=".", label=r.name)
    ax.set(xlabel="epoch", ylabel="validation macro-F1", title="Neural models: early stopping")
    ax.legend(fontsize=7)
    paths.append(_save(out / "neural_validation_f1.png"))
    return paths


def _save(path: Path) -> Path:
    plt.tight_layout()
    plt.savefig(path, dpi=110)
    plt.close("all")
    return path


def worst_errors(data, labels, work_dir: Path, champion: str, n: int = 8) -> str:
    """The most confident misses on the bad-buzz signal: the tweets to read first."""
    if "negative" not in labels:
        return ""
    test, y_test = runs.split_arrays(data, labels, "test")
    p = runs.load_predictions(work_dir, champion)["test"]
    neg = labels.index("negative")
    frame = test.assign(p_negative=p[:, neg], predicted=[labels[i] for i in p.argmax(1)])
    fp = frame[(y_test != neg) & (p.argmax(1) == neg)].nlargest(n, "p_negative")
    fn = frame[(y_test == neg) & (p.argmax(1) != neg)].nsmallest(n, "p_negative")

    def rows(part: pd.DataFrame) -> str:
        part = part.assign(
            text=part["text"]
            .str.replace(r"\s+", " ", regex=True)
            .str.replace("|", "/")
            .str.slice(0, 140)
        )
        return table(
            part[["label", "predicted", "p_negative", "topic", "text"]],
            index=False,
            floats="{:.3f}",
        )

    return "\n".join(
        [
            "### Worst false positives (called negative, are not)",
            "",
            rows(fp),
            "",
            "### Worst false negatives (negative, missed)",
            "",
            rows(fn),
            "",
        ]
    )


def targets(champion: runs.RunResult, baseline: runs.RunResult | None) -> str:
    airline = champion.slices.get("airline", {}).get("macro_f1", float("nan"))
    checks = [
        (
            f"3-class macro-F1 >= {TARGET_MACRO_F1}",
            champion.test["macro_f1"],
            champion.test["macro_f1"] >= TARGET_MACRO_F1,
        ),
        (
            f"airline-slice macro-F1 >= {TARGET_AIRLINE_MACRO_F1}",
            airline,
            airline >= TARGET_AIRLINE_MACRO_F1,
        ),
        (
            f"negative-vs-positive accuracy >= {TARGET_NEG_VS_POS}",
            champion.test.get("neg_vs_pos_accuracy", float("nan")),
            champion.test.get("neg_vs_pos_accuracy", 0) >= TARGET_NEG_VS_POS,
        ),
    ]
    if baseline:
        checks.append(
            (
                f"beats {BASELINE} on test macro-F1 ({baseline.test['macro_f1']:.4f})",
                champion.test["macro_f1"],
                champion.test["macro_f1"] > baseline.test["macro_f1"],
            )
        )
    for name, metric, threshold in OOD_TARGETS:
        value = champion.ood.get(name, {}).get("report", {}).get(metric)
        if value is not None:
            title = f"{name} (out of domain, report part) {OOD_COLUMNS[metric]} >= {threshold}"
            checks.append((title, value, value >= threshold))
    return "\n".join(
        f"| {name} | {value:.4f} | {'met' if ok else 'NOT met'} |" for name, value, ok in checks
    )


def write(work_dir: Path, reports: Path) -> Path:
    data, meta = data_step.load(work_dir)
    labels = meta["labels"]
    results = runs.load_all(work_dir)
    card = json.loads((work_dir / "champion.json").read_text())
    by_name = {r.name: r for r in results}
    champion = by_name[card["architecture"]]
    baseline = by_name.get(BASELINE)
    out = reports / "figures"
    out.mkdir(parents=True, exist_ok=True)
    paths = figures(results, data, labels, work_dir, champion.name, out)
    neural = sorted((r for r in results if r.family == "neural"), key=lambda r: -r.val["macro_f1"])
    best_val = neural[0] if neural and neural[0].name != champion.name else None
    airline = champion.slices.get("airline", {})
    rel = out.relative_to(reports)
    lines = [
        "# Results",
        "",
        f"Generated by `python -m training.report` (profile `{meta['profile']}`, split "
        f"`{meta['split_fingerprint'][:16]}`, {len(data)} tweets: "
        + ", ".join(
            f"{s['name']} ({s['rows']} rows, sha256 `{s['sha256'][:12]}`)" for s in meta["sources"]
        )
        + ").",
        "Every model is trained on the same train split (rows with annotator agreement < "
        f"{config.MIN_TRAIN_CONFIDENCE} dropped), tuned and chosen on validation, and scored "
        "once on the untouched test split. Sorted by validation macro-F1.",
        "",
        "## Comparison (test split unless the column says validation)",
        "",
        table(comparison(results), index=False),
        "",
        *not_trained(results, meta["profile"]),
        *network_time(results, meta["profile"]),
        "`neg-vs-pos acc`: on tweets labelled negative or positive, whether p(negative) > "
        "p(positive) is right (the polarity task). `ECE`: expected calibration error of the top "
        "class. `ms/tweet`: batch prediction time in the training framework; the exported ONNX "
        "model's single-tweet latency is below. `size`: serialised model.",
        "",
        "## Out-of-domain (OOD) sets",
        "",
        "Real labelled tweets from outside the training corpus (docs/ood-sets.md): every model "
        "is scored on each set's dev part (used to choose the champion) and its report part "
        "(scored once, like the test split, never used for a choice). Macro figures average over "
        "the classes the set has; Sentiment140 has no neutral class.",
        "",
        *ood_tables(results),
        *band_sensitivity(work_dir, [champion.name, "vader"], labels),
        *lever_table(results, champion.name),
        "## Chosen model",
        "",
        f"**{champion.name}**, exported as `{card['model_version']}`. The rule "
        f"(training/champion.py): {card.get('champion_rule', RULE)}. Its validation macro-F1 "
        f"{champion.val['macro_f1']:.4f}"
        + (f" (best neural {best_val.name}: {best_val.val['macro_f1']:.4f})" if best_val else "")
        + ". The test split and the OOD report parts played no part in the choice.",
        "",
        *shortlist_table(results),
        "| target | value | status |",
        "| --- | --- | --- |",
        targets(champion, baseline),
        "",
        f"- ONNX: {card['onnx_size_bytes'] / 1e6:.2f} MB, {card['onnx_ms_per_tweet']:.3f} ms per "
        f"tweet (onnxruntime, batch of 1); parity with Keras on {card['parity']['rows']} test "
        f"tweets: max abs diff {card['parity']['max_abs_diff']:.1e}, same labels: "
        f"{card['parity']['same_labels']}.",
        f"- Airline slice (the client's domain): macro-F1 "
        f"{airline.get('macro_f1', float('nan')):.4f}, "
        f"negative recall {airline.get('recall_negative', float('nan')):.4f}.",
    ]
    lines += [
        "",
        "## Figures",
        "",
        *[f"![{p.stem}]({rel}/{p.name})" for p in paths],
        "",
        "## Errors of the chosen model",
        "",
        worst_errors(data, labels, work_dir, champion.name),
    ]
    path = reports / "results.md"
    path.write_text("\n".join(lines), encoding="utf-8")
    tracking.log_files(
        "report", meta, [path, *paths], {"champion_test_macro_f1": champion.test["macro_f1"]}
    )
    return path


def main(argv: list[str] | None = None) -> Path:
    parser = cli.step_parser(__doc__)
    parser.add_argument(
        "--reports",
        type=Path,
        default=config.REPORTS_DIR,
        help="where results.md and figures go [%(default)s]",
    )
    args = parser.parse_args(argv)
    path = write(args.work_dir, args.reports)
    print(f"report: {path}")
    return path


if __name__ == "__main__":
    main()
