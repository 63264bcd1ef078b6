"""Behaviour checks: what the aggregate metrics cannot see, run on any served model.

Why: aggregate metrics can hold while a retrain breaks something obvious. This module is the one
definition of the behaviour cases (complaints negative, praise positive, negation and
intensifiers move the scores, an emoji moves a plain tweet, handles and links change nothing)
and of the checks run on them, each on a :class:`~tweet_sentiment.scorer.Scorer` (champion or
candidate, both ONNX, as served).
``tests/model/test_champion_behaviour.py`` parametrises its tests from the same cases and calls
the same checks on the committed champion; :func:`run` runs them all on any model, plus one check
specific to learning from corrections (a model corrected on "no complaints" / "not bad" must not
learn that "not" is praise). ``training.promotion`` refuses a candidate that fails a check the
champion passes. Plain code: no test module, no pytest.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from tweet_sentiment.scorer import Scorer

COMPLAINTS = [
    "flight delayed again, third time this month",
    "@united lost my bag and nobody at the desk cares",
    "@AmericanAir two hours on hold and still no answer. worst customer service",
    "@SouthwestAir cancelled my flight and no refund. unacceptable",
    "stuck on the tarmac for 3 hours with no explanation #neveragain",
    "@JetBlue rude staff at the gate, never flying with you again",
]
PRAISE = [
    "@united thank you for the amazing service, the crew was wonderful!",
    "@JetBlue best flight ever, great crew and free wifi :)",
    "@SouthwestAir love you guys, you made my day",
    "just landed, what a great flight! thanks @VirginAmerica",
]
NEGATION_PAIRS = [
    ("the crew was great", "the crew was not great"),
    ("i love this airline", "i don't love this airline"),
    ("the service was good", "the service was not good at all"),
]
INTENSIFIER_PAIRS = [
    ("the flight was bad", "the flight was really bad"),
    ("the service was bad", "the service was terribly bad"),
    ("the food was good", "the food was soooo good!!"),
]
# Plain tweets and an emoji that must move them towards its side (training.emoji: the corpus
# has none, live tweets are full of them).
EMOJI_PAIRS = [
    ("boarding now", "\U0001f621", "negative"),
    ("@united my flight is at 6", "\U0001f621\U0001f621", "negative"),
    ("boarding now", "\U0001f62d", "negative"),
    ("boarding now", "\U0001f60d", "positive"),
    ("@united my flight is at 6", "\U0001f60a", "positive"),
]
EMOJI_SHIFT = 0.2  # how much p(side) must rise: an unknown token moves it a few hundredths
# Loop-specific: every tweet must keep its label (none of them is ever in the test feedback).
NEGATED_PRAISE = [
    "@jetblue not good enough",
    "@united not happy with the service today",
    "@delta the crew was not helpful at all",
    "@americanair not impressed, seat was broken",
    "@usairways not worth the money",
]
SAME = 1e-6  # scores this close are the same (float32 ONNX outputs)


@dataclass(frozen=True)
class CheckResult:
    name: str
    passed: bool
    failures: list[str]


def scores(scorer: Scorer, texts: list[str]) -> list[dict[str, float]]:
    return [p.scores for p in scorer.predict(texts).predictions]


def _same(a: dict[str, float], b: dict[str, float]) -> bool:
    return a.keys() == b.keys() and all(abs(a[k] - b[k]) <= SAME for k in a)


def airline_complaints_are_negative(scorer: Scorer, tweet: str) -> None:
    assert scorer.predict([tweet]).predictions[0].label == "negative"


def praise_is_positive(scorer: Scorer, tweet: str) -> None:
    assert scorer.predict([tweet]).predictions[0].label == "positive"


def negation_moves_towards_negative(scorer: Scorer, plain: str, negated: str) -> None:
    before, after = scores(scorer, [plain, negated])
    assert after["positive"] < before["positive"], (before, after)
    assert after["negative"] > before["negative"], (before, after)


def intensifiers_strengthen_the_polarity(scorer: Scorer, plain: str, intense: str) -> None:
    before, after = scores(scorer, [plain, intense])
    label = max(before, key=before.__getitem__)
    assert label in ("negative", "positive"), before
    assert after[label] >= before[label], (before, after)


def mentions_are_invariant(scorer: Scorer) -> None:
    """Every handle becomes <user>: the airline addressed cannot change the verdict."""
    texts = [f"@{handle} my bag never arrived" for handle in ("united", "delta", "someone_else")]
    first, *rest = scores(scorer, texts)
    for other in rest:
        assert _same(other, first), (other, first)


def urls_do_not_change_the_label(scorer: Scorer) -> None:
    tweets = [*COMPLAINTS[:3], *PRAISE[:2]]
    plain = scorer.predict(tweets).predictions
    linked = scorer.predict([f"{t} https://t.co/abc{i}" for i, t in enumerate(tweets)]).predictions
    assert [p.label for p in linked] == [p.label for p in plain]
    with_url = scores(
        scorer,
        [
            "my flight is tomorrow http://t.co/x",
            "my flight is tomorrow https://www.example.com/some/long/path?q=1",
        ],
    )
    assert _same(with_url[0], with_url[1]), with_url


def emoji_move_a_plain_tweet(scorer: Scorer, plain: str, emoji: str, side: str) -> None:
    before, after = scores(scorer, [plain, f"{plain} {emoji}"])
    assert after[side] >= before[side] + EMOJI_SHIFT, (before, after)


def exclamation_does_not_flip_a_complaint(scorer: Scorer) -> None:
    """A known weakness of the current champion ('!' is learnt as a positive cue)."""
    assert scorer.predict(["the service was so bad!"]).predictions[0].label == "negative"


def negated_praise_stays_negative(scorer: Scorer) -> None:
    predictions = scorer.predict(NEGATED_PRAISE).predictions
    wrong = [t for t, p in zip(NEGATED_PRAISE, predictions, strict=True) if p.label != "negative"]
    assert not wrong, f"read as not negative: {wrong}"


# (check, its cases): one case is the positional arguments after the scorer; None = no arguments.
SHARED: list[tuple[Callable[..., None], Sequence[Any] | None]] = [
    (airline_complaints_are_negative, COMPLAINTS),
    (praise_is_positive, PRAISE),
    (negation_moves_towards_negative, NEGATION_PAIRS),
    (intensifiers_strengthen_the_polarity, INTENSIFIER_PAIRS),
    (mentions_are_invariant, None),
    (urls_do_not_change_the_label, None),
    (exclamation_does_not_flip_a_complaint, None),
    (emoji_move_a_plain_tweet, EMOJI_PAIRS),
]


def shared_checks() -> list[tuple[str, Callable[[Scorer], None]]]:
    """One callable per case of the shared checks (raises AssertionError if bad), named as the
    test of tests/model that runs it (``test_<check>[<case>]``: names in decision.json and the
    model card stay comparable across models)."""
    checks = []
    for check, cases in SHARED:
        name = f"test_{check.__name__}"
        if cases is None:
            checks.append((name, check))
            continue
        for case in cases:
            args = case if isinstance(case, tuple) else (case,)
            label = f"{name}[{'-'.join(str(v)[:40] for v in args)}]"
            checks.append((label, lambda s, c=check, a=args: c(s, *a)))
    return sorted(checks, key=lambda item: item[0].split("[")[0])


def run(scorer: Scorer) -> list[CheckResult]:
    results = []
    for name, check in [
        *shared_checks(),
        ("negated praise stays negative", negated_praise_stays_negative),
    ]:
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
