"""The promotion rule: may a retrained candidate replace the champion? And the table people read.

Why its own module: the rule is the contract of the feedback loop (docs/feedback-loop.md). It is
plain Python, so it can be read and tested without TensorFlow.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from training import behaviour

F1_TOLERANCE = 0.01  # candidate test macro-F1 may be at most this much below the champion's
MIN_HOLDOUT_ROWS = 10  # fewer held-out feedback rows than this: no evidence, no promotion
# The held-out gain must not be luck: one-sided sign test on the rows the two models disagree on.
# Measured: a candidate that learnt 3 more of 100 mislabelled held-out rows (a mis-click
# campaign) passed every other condition; a real fix gained 17 of 80 rows (p ~ 1e-5).
SIGNIFICANCE = 0.05


@dataclass
class Evaluation:
    test: dict
    holdout_hits: tuple[bool, ...]  # per held-out feedback row, in order: was the model right?
    behaviour: list[behaviour.CheckResult]

    @property
    def holdout_rows(self) -> int:
        return len(self.holdout_hits)

    @property
    def holdout_accuracy(self) -> float:
        return sum(self.holdout_hits) / len(self.holdout_hits) if self.holdout_hits else 0.0


@dataclass
class Decision:
    promote: bool
    reasons: list[str]


def decide(champion: Evaluation, candidate: Evaluation) -> Decision:
    """The promotion rule: ALL of these must hold (never the test split alone).

    - enough held-out feedback (``MIN_HOLDOUT_ROWS``) to judge on;
    - held-out feedback accuracy strictly better than the champion's, and significantly so
      (:func:`sign_test` on the held-out rows only one of them gets right, < ``SIGNIFICANCE``);
    - fixed-test macro-F1 no more than ``F1_TOLERANCE`` below the champion's;
    - no behaviour check the champion passes fails for the candidate.
    """
    reasons = []
    if candidate.holdout_rows < MIN_HOLDOUT_ROWS:
        reasons.append(f"{candidate.holdout_rows} held-out feedback rows (< {MIN_HOLDOUT_ROWS})")
    if not candidate.holdout_accuracy > champion.holdout_accuracy:
        reasons.append(
            f"held-out feedback accuracy {candidate.holdout_accuracy:.4f} is not above the "
            f"champion's {champion.holdout_accuracy:.4f}"
        )
    else:
        p = sign_test(champion.holdout_hits, candidate.holdout_hits)
        if not p < SIGNIFICANCE:
            reasons.append(
                f"the held-out feedback gain could be luck (sign test p = {p:.3f}, "
                f">= {SIGNIFICANCE})"
            )
    drop = champion.test["macro_f1"] - candidate.test["macro_f1"]
    if drop > F1_TOLERANCE:
        reasons.append(f"test macro-F1 drops by {drop:.4f} (> {F1_TOLERANCE})")
    regressed = behaviour.regressions(champion.behaviour, candidate.behaviour)
    if regressed:
        reasons.append(f"behaviour checks regress: {', '.join(regressed)}")
    return Decision(not reasons, reasons or ["every condition of the promotion rule holds"])


def sign_test(champion: tuple[bool, ...], candidate: tuple[bool, ...]) -> float:
    """P(the candidate wins at least this many of the disagreements | both equally good).

    Only rows the two models disagree on count (McNemar's exact test, one-sided): ``gained``
    the candidate gets right and the champion wrong, ``lost`` the reverse.
    """
    gained = sum(c and not h for h, c in zip(champion, candidate, strict=True))
    lost = sum(h and not c for h, c in zip(champion, candidate, strict=True))
    n = gained + lost
    return sum(math.comb(n, k) for k in range(gained, n + 1)) / 2**n if n else 1.0


def comparison(
    champion: Evaluation, candidate: Evaluation, decision: Decision, snapshot, meta: dict
) -> str:
    """Markdown table for people (the pull request body, MLflow, the work dir)."""
    rows = [
        ("test macro-F1", "macro_f1"),
        ("test accuracy", "accuracy"),
        ("test negative F1", "f1_negative"),
        ("test ROC AUC (negative)", "roc_auc_negative"),
    ]
    lines = [
        f"## Retrain on feedback `{snapshot.fingerprint[:12]}`: "
        f"{'PROMOTED' if decision.promote else 'REFUSED'}",
        "",
        f"Fixed test split `{meta['split_fingerprint'][:12]}` "
        f"({sum(meta['counts']['test'].values())} rows); feedback: "
        f"{snapshot.blobs} documents read, {len(snapshot.rows)} kept, "
        f"{len(snapshot.rejected)} rejected {snapshot.reasons()}.",
        "",
        "| | champion | candidate |",
        "|---|---:|---:|",
        *(
            f"| {title} | {champion.test[key]:.4f} | {candidate.test[key]:.4f} |"
            for title, key in rows
        ),
        f"| held-out feedback accuracy ({candidate.holdout_rows} rows) | "
        f"{champion.holdout_accuracy:.4f} | {candidate.holdout_accuracy:.4f} |",
        f"| behaviour checks passed | {sum(c.passed for c in champion.behaviour)}"
        f"/{len(champion.behaviour)} | {sum(c.passed for c in candidate.behaviour)}"
        f"/{len(candidate.behaviour)} |",
        "",
        "Decision: " + "; ".join(decision.reasons),
    ]
    return "\n".join(lines) + "\n"
