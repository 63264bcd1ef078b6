"""Markdown tables for the generated reports (no tabulate dependency for one small job)."""

from __future__ import annotations

import pandas as pd


def table(frame: pd.DataFrame, index: bool = True, floats: str = "{:.4f}") -> str:
    """A GitHub-flavoured markdown table of a DataFrame."""
    frame = frame.reset_index() if index else frame
    header = "| " + " | ".join(str(c) for c in frame.columns) + " |"
    rule = "| " + " | ".join("---" for _ in frame.columns) + " |"

    def cell(value) -> str:
        return floats.format(value) if isinstance(value, float) else str(value)

    body = ["| " + " | ".join(cell(v) for v in row) + " |" for row in frame.itertuples(index=False)]
    return "\n".join([header, rule, *body])
