"""Behaviour checks for the promotion rule: the champion's behaviour tests, run on any model.

Why: aggregate metrics can hold while a retrain breaks something obvious. The behaviour tests of
the champion (``tests/model/test_champion_behaviour.py``: complaints negative, praise positive,
negation and intensifiers move the scores, handles and links change nothing) are the shared
definition; this module runs those same test functions, with their own parametrised cases, on a
:class:`~tweet_sentiment.scorer.Scorer` (champion or candidate, both ONNX, as served), plus one
check specific to learning from corrections: a model corrected on "no complaints" / "not bad" must
not learn that "not" is praise. ``training.promotion`` refuses a candidate that fails a check the
champion passes.
"""

from __future__ import annotations

import importlib
import inspect
import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from tweet_sentiment.scorer import Scorer

SHARED_TESTS = "tests.model.test_champion_behaviour"

# Loop-specific: every tweet must keep its label (none of them is ever in the test feedback).
NEGATED_PRAISE = [
    "@jetblue not good enough",
    "@united not happy with the service today",
    "@delta the crew was not helpful at all",
    "@americanair not impressed, seat was broken",
    "@usairways not worth the money",
]


@dataclass(frozen=True)
class CheckResult:
    name: str
    passed: bool
    failures: list[str]


def _cases(function: Callable) -> Iterator[tuple[str, dict]]:
    """(id, keyword arguments) of every parametrised case of a pytest test function."""
    grids = []
    for mark in getattr(function, "pytestmark", []):
        if mark.name != "parametrize":
            continue
        names, values = mark.args[0], mark.args[1]
        names = [n.strip() for n in names.split(",")] if isinstance(names, str) else list(names)
        rows = [v if len(names) > 1 else (v,) for v in values]
        grids.append([dict(zip(names, row, strict=True)) for row in rows])
    for combo in itertools.product(*grids):
        kwargs = {k: v for part in combo for k, v in part.items()}
        yield "-".join(str(v)[:40] for v in kwargs.values()), kwargs


def shared_checks() -> list[tuple[str, Callable[[Scorer], None]]]:
    """One callable per test case of the shared behaviour tests (raises AssertionError if bad)."""
    module = importlib.import_module(SHARED_TESTS)
    checks = []
    for name, function in inspect.getmembers(module, inspect.isfunction):
        if not name.startswith("test_") or function.__module__ != module.__name__:
            continue
        for case, kwargs in _cases(function):
            label = f"{name}[{case}]" if case else name
            checks.append((label, lambda s, f=function, kw=kwargs: f(scorer=s, **kw)))
    return checks


def _negated_praise(scorer: Scorer) -> None:
    predictions = scorer.predict(NEGATED_PRAISE).predictions
    wrong = [t for t, p in zip(NEGATED_PRAISE, predictions, strict=True) if p.label != "negative"]
    assert not wrong, f"read as not negative: {wrong}"


def run(scorer: Scorer) -> list[CheckResult]:
    results = []
    for name, check in [*shared_checks(), ("negated praise stays negative", _negated_praise)]:
        try:
            check(scorer)
            results.append(CheckResult(name, True, []))
        except AssertionError as failure:
            results.append(CheckResult(name, False, [str(failure)[:300]]))
    return results


def regressions(champion: list[CheckResult], candidate: list[CheckResult]) -> list[str]:
    """Checks the champion passes and the candidate fails."""
    passed = {c.name for c in champion if c.passed}
    return [c.name for c in candidate if c.name in passed and not c.passed]
