"""The options every training step CLI shares, declared once.

Why one place: the pipeline passes ``--work-dir`` and ``--quick`` to each step it runs, so the
steps must agree on their names, types, defaults and meaning; a step adds only its own options.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from training import config


def step_parser(
    doc: str | None,
    *,
    quick: str | None = None,
    work_dir: Path | None = config.WORK_DIR,
    work_dir_help: str = "where the training steps read and write",
) -> argparse.ArgumentParser:
    """A step's parser: its module docstring's first line, ``--work-dir`` and, when the step has
    a quick mode, ``--quick`` (``quick`` says what it changes)."""
    parser = argparse.ArgumentParser(description=(doc or "").strip().split("\n")[0])
    default = " [%(default)s]" if work_dir is not None else ""
    parser.add_argument("--work-dir", type=Path, default=work_dir, help=work_dir_help + default)
    if quick:
        parser.add_argument("--quick", action="store_true", help=quick)
    return parser
