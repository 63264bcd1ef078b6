"""Find every number of a prose document and check it against the files that produced it.

Why: the article and the README quote the pipeline's figures by hand; when a new champion or a new
benchmark run regenerates the sources, a quoted figure that no longer appears in any of them is
stale, and the docs tests fail with the list of such figures.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

NUMBER = re.compile(r"(?<![\w.\-/#@])(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?(%?)(?![\w])")
_CODE_BLOCK = re.compile(r"```.*?```", re.S)
_COMMENT = re.compile(r"<!--.*?-->", re.S)
_INLINE_CODE = re.compile(r"`[^`\n]*`")
_LINK_TARGET = re.compile(r"\]\([^)]*\)")


def prose(markdown: str) -> str:
    """The text a reader reads as figures: no code, comments or link targets."""
    for pattern in (_CODE_BLOCK, _COMMENT, _INLINE_CODE, _LINK_TARGET):
        markdown = pattern.sub(" ", markdown)
    return markdown


def numbers_in(text: str) -> list[str]:
    """Numbers as written (thousands separators kept, a trailing % kept)."""
    return [m.group(0) for m in NUMBER.finditer(text)]


def _decimal(token: str) -> Decimal:
    return Decimal(token.replace(",", "").rstrip("%"))


def source_values(paths: Iterable[Path]) -> set[Decimal]:
    """Every number in the source files (JSON values, and numbers in any text)."""
    values: set[Decimal] = set()
    for path in paths:
        text = path.read_text(encoding="utf-8", errors="replace")
        if path.suffix == ".json":
            _collect_json(json.loads(text), values)
        for match in re.finditer(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?(?:e-?\d+)?", text):
            digits = match.group().replace(",", "")
            value = Decimal(digits)
            if len(digits) <= 20 and abs(value.adjusted()) < 20:  # else a hash, not a figure
                values.add(value)
    return values


def _collect_json(node: object, values: set[Decimal]) -> None:
    if isinstance(node, dict):
        for item in node.values():
            _collect_json(item, values)
    elif isinstance(node, list):
        for item in node:
            _collect_json(item, values)
    elif isinstance(node, int | float) and not isinstance(node, bool):
        values.add(Decimal(repr(node)))


def supported(token: str, values: set[Decimal]) -> bool:
    """A figure is supported if a source has it, or has it to more places and rounds to it
    (0.8325 -> 0.83 or 83%). Integers must appear exactly (or as a percentage of a share)."""
    written = _decimal(token)
    places = -written.as_tuple().exponent if written.as_tuple().exponent < 0 else 0
    quantum = Decimal(1).scaleb(-places)
    candidates = [written]
    if token.endswith("%"):
        candidates.append(written / 100)
    for value in values:
        if value in candidates:
            return True
        if places and value.quantize(quantum, ROUND_HALF_UP) == written:
            return True
        if token.endswith("%") and (value * 100).quantize(quantum, ROUND_HALF_UP) == written:
            return True
    return False


def unsupported(markdown: str, sources: Iterable[Path]) -> list[str]:
    values = source_values(sources)
    return sorted({t for t in numbers_in(prose(markdown)) if not supported(t, values)})
