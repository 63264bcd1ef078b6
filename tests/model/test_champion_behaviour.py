"""Behaviour tests of the committed champion, through the serving scorer (what users get).

They check what the aggregate metrics cannot: airline complaints read as negative, negation
flips, intensifiers strengthen, an emoji counts, and who is addressed or which link is shared
changes nothing.
The cases and the checks are `training/behaviour.py`'s (the promotion rule runs the same ones on
every candidate); this file runs them on the committed champion, one test per case.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from training import behaviour
from tweet_sentiment.artifacts import read_card
from tweet_sentiment.scorer import Scorer


@pytest.fixture(scope="module")
def scorer(model_dir: Path) -> Scorer:
    read_card(model_dir)
    return Scorer.from_dir(model_dir)


@pytest.mark.parametrize("tweet", behaviour.COMPLAINTS)
def test_airline_complaints_are_negative(scorer: Scorer, tweet: str) -> None:
    behaviour.airline_complaints_are_negative(scorer, tweet)


@pytest.mark.parametrize("tweet", behaviour.PRAISE)
def test_praise_is_positive(scorer: Scorer, tweet: str) -> None:
    behaviour.praise_is_positive(scorer, tweet)


@pytest.mark.parametrize(("plain", "negated"), behaviour.NEGATION_PAIRS)
def test_negation_moves_towards_negative(scorer: Scorer, plain: str, negated: str) -> None:
    behaviour.negation_moves_towards_negative(scorer, plain, negated)


@pytest.mark.parametrize(("plain", "intense"), behaviour.INTENSIFIER_PAIRS)
def test_intensifiers_strengthen_the_polarity(scorer: Scorer, plain: str, intense: str) -> None:
    behaviour.intensifiers_strengthen_the_polarity(scorer, plain, intense)


def test_mentions_are_invariant(scorer: Scorer) -> None:
    behaviour.mentions_are_invariant(scorer)


def test_urls_do_not_change_the_label(scorer: Scorer) -> None:
    behaviour.urls_do_not_change_the_label(scorer)


def test_exclamation_does_not_flip_a_complaint(scorer: Scorer) -> None:
    behaviour.exclamation_does_not_flip_a_complaint(scorer)


@pytest.mark.parametrize(("plain", "emoji", "side"), behaviour.EMOJI_PAIRS)
def test_emoji_move_a_plain_tweet(scorer: Scorer, plain: str, emoji: str, side: str) -> None:
    behaviour.emoji_move_a_plain_tweet(scorer, plain, emoji, side)


def test_every_shared_check_is_a_test_here() -> None:
    """A check added to training/behaviour.py must be run on the champion too."""
    tests = {name for name, value in globals().items() if name.startswith("test_")}
    shared = {f"test_{check.__name__}" for check, _ in behaviour.SHARED}
    assert shared <= tests, shared - tests
