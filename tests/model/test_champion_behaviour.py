"""Behaviour tests of the committed champion, through the serving scorer (what users get).

They check what the aggregate metrics cannot: airline complaints read as negative, negation
flips, intensifiers strengthen, and who is addressed or which link is shared changes nothing.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tweet_sentiment.artifacts import read_card
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


@pytest.fixture(scope="module")
def scorer(model_dir: Path) -> Scorer:
    read_card(model_dir)
    return Scorer.from_dir(model_dir)


def scores(scorer: Scorer, texts: list[str]) -> list[dict[str, float]]:
    return [p.scores for p in scorer.predict(texts).predictions]


@pytest.mark.parametrize("tweet", COMPLAINTS)
def test_airline_complaints_are_negative(scorer: Scorer, tweet: str) -> None:
    assert scorer.predict([tweet]).predictions[0].label == "negative"


@pytest.mark.parametrize("tweet", PRAISE)
def test_praise_is_positive(scorer: Scorer, tweet: str) -> None:
    assert scorer.predict([tweet]).predictions[0].label == "positive"


@pytest.mark.parametrize(("plain", "negated"), NEGATION_PAIRS)
def test_negation_moves_towards_negative(scorer: Scorer, plain: str, negated: str) -> None:
    before, after = scores(scorer, [plain, negated])
    assert after["positive"] < before["positive"]
    assert after["negative"] > before["negative"]


@pytest.mark.parametrize(("plain", "intense"), INTENSIFIER_PAIRS)
def test_intensifiers_strengthen_the_polarity(scorer: Scorer, plain: str, intense: str) -> None:
    before, after = scores(scorer, [plain, intense])
    label = max(before, key=before.get)
    assert label in ("negative", "positive")
    assert after[label] >= before[label]


def test_mentions_are_invariant(scorer: Scorer) -> None:
    """Every handle becomes <user>: the airline addressed cannot change the verdict."""
    texts = [f"@{handle} my bag never arrived" for handle in ("united", "delta", "someone_else")]
    first, *rest = scores(scorer, texts)
    for other in rest:
        assert other == pytest.approx(first, abs=1e-6)


def test_urls_do_not_change_the_label(scorer: Scorer) -> None:
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
    assert with_url[0] == pytest.approx(with_url[1], abs=1e-6)


@pytest.mark.xfail(
    strict=True,
    reason="known weakness of the current champion: '!' is learnt as a positive cue (excited "
    "Coachella tweets), so 'so bad!' reads positive. Strict: passes once a model fixes it.",
)
def test_exclamation_does_not_flip_a_complaint(scorer: Scorer) -> None:
    assert scorer.predict(["the service was so bad!"]).predictions[0].label == "negative"
