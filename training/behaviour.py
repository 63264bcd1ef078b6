"""Behaviour checks: small, readable expectations any Air Paradis model should meet.

Why: aggregate metrics can hold while a model breaks something obvious (a retrain on skewed
feedback may start calling every complaint neutral). Each check is a list of tweets with the label
they must get (minimum functionality) or a pair of tweets that must get the same label
(invariance: the airline's handle or a URL must not change the verdict). The promotion rule in
``training.retrain`` refuses a candidate that fails a check the champion passes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

# (name, [(tweet, expected label)]): every tweet must get its label.
EXPECTED: list[tuple[str, list[tuple[str, str]]]] = [
    (
        "clear complaints are negative",
        [
            ("@united worst airline ever, lost my luggage and nobody cares", "negative"),
            ("@americanair flight cancelled again, this is a disaster", "negative"),
            ("@usairways rude staff and a three hour delay. never again", "negative"),
        ],
    ),
    (
        "clear praise is positive",
        [
            ("@jetblue thank you so much, amazing crew and a great flight!", "positive"),
            ("@southwestair love you guys, best service ever", "positive"),
            ("@virginamerica awesome experience, thanks for the upgrade", "positive"),
        ],
    ),
    (
        # A model corrected on "no complaints" / "not bad" must not learn that "not" is praise.
        "negated praise stays negative",
        [
            ("@jetblue not good enough", "negative"),
            ("@united not happy with the service today", "negative"),
            ("@delta the crew was not helpful at all", "negative"),
            ("@americanair not impressed, seat was broken", "negative"),
            ("@usairways not worth the money", "negative"),
        ],
    ),
    (
        "plain questions are neutral",
        [
            ("@united what time does the gate open for flight 1234?", "neutral"),
            ("@jetblue do you fly from boston to austin in march?", "neutral"),
        ],
    ),
]

# (name, [(tweet, variant)]): both must get the same label.
INVARIANT: list[tuple[str, list[tuple[str, str]]]] = [
    (
        "the airline handle does not change the verdict",
        [
            ("@united lost my bag again", "@jetblue lost my bag again"),
            ("@delta thanks for the great service", "@southwestair thanks for the great service"),
        ],
    ),
    (
        "a link does not change the verdict",
        [
            ("@united worst delay ever", "@united worst delay ever http://t.co/abc"),
            ("@jetblue lovely crew today", "@jetblue lovely crew today http://t.co/xyz"),
        ],
    ),
]


@dataclass(frozen=True)
class CheckResult:
    name: str
    passed: bool
    failures: list[str]


def run(predict: Callable[[Sequence[str]], np.ndarray], labels: Sequence[str]) -> list[CheckResult]:
    """Apply every check; ``predict`` maps tweets to [n, k] probabilities in ``labels`` order."""
    results = []
    for name, cases in EXPECTED:
        got = [labels[i] for i in predict([t for t, _ in cases]).argmax(axis=1)]
        failures = [f"{t!r}: {g} (expected {e})" for (t, e), g in zip(cases, got, strict=True)]
        failures = [f for f, (_, e), g in zip(failures, cases, got, strict=True) if g != e]
        results.append(CheckResult(name, not failures, failures))
    for name, pairs in INVARIANT:
        left = predict([a for a, _ in pairs]).argmax(axis=1)
        right = predict([b for _, b in pairs]).argmax(axis=1)
        failures = [
            f"{a!r}: {labels[i]} but {b!r}: {labels[j]}"
            for (a, b), i, j in zip(pairs, left, right, strict=True)
            if i != j
        ]
        results.append(CheckResult(name, not failures, failures))
    return results


def regressions(champion: list[CheckResult], candidate: list[CheckResult]) -> list[str]:
    """Checks the champion passes and the candidate fails."""
    passed = {c.name for c in champion if c.passed}
    return [c.name for c in candidate if c.name in passed and not c.passed]
