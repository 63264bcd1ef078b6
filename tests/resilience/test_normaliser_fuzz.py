"""Property-based fuzzing (hypothesis) of the text path every tweet takes before the model:
normaliser -> vocabulary ids -> ONNX probabilities, with the committed model.

tests/unit/test_text.py already checks that the normaliser never raises and is idempotent; these
properties go further down the path: the token grammar the vocabulary was built on, the
cache never changing an answer, the exact id layout the model expects (pre-padding), and finite
probabilities that do not depend on which other tweets share the batch.
"""

from __future__ import annotations

import itertools
import re

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tweet_sentiment.scorer import Scorer
from tweet_sentiment.text import PLACEHOLDERS, tokenise

TOKEN = re.compile(r"<[a-z]+>|n't|'(?:s|re|ll|ve|m|d)|[a-z0-9_]+|[!?]")
FRAGMENTS = st.one_of(
    st.text(max_size=8),  # any unicode, surrogates excluded by hypothesis' default
    st.sampled_from(
        ["@AirParadis ", "#delayed", "http://t.co/x ", "www.a.com/b", "&amp;amp;", "&#128545;",
         "don't", "I'm", "soooo", "!!!", "???", ":-)", ":'(", "<3", ";)", "xD", "😡", "👩‍👩‍👧",
         "🇫🇷", "Ã©", "â€™", "\u00d5\u00a2_", "\u0000", "\u200b", "\u202e", "１２３", "ﬁ",
         "İ", "ß", "12:30pm", "3rd", *PLACEHOLDERS, " ", "\n"]
    ),
)  # fmt: skip
tweets = st.lists(FRAGMENTS, max_size=30).map("".join)
FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(scope="module")
def scorer(model_dir) -> Scorer:
    return Scorer.from_dir(model_dir)


@FAST
@given(tweets)
def test_tokens_follow_the_vocabulary_grammar(text: str) -> None:
    tokens = tokenise(text)
    for token in tokens:
        assert token.isascii() and TOKEN.fullmatch(token), (text, token)
        assert not token.startswith("<") or token in PLACEHOLDERS, (text, token)
    for before, after in itertools.pairwise(tokens):
        assert not (before == after and before in "!?"), ("repeated mark kept", text, tokens)


@FAST
@given(tweets)
def test_the_cache_never_changes_an_answer(text: str) -> None:
    assert tokenise.__wrapped__(text) == tokenise(text) == tokenise(text)


@FAST
@given(tweets)
def test_ids_are_pre_padded_in_range_and_truncated(scorer, text: str) -> None:
    encoded = scorer.encode([text])
    ids, max_len = encoded.ids, scorer.card.max_len
    assert ids.shape == (1, max_len) and ids.dtype == np.int32
    assert ((ids >= 0) & (ids < len(scorer.vocab))).all()
    used = min(len(tokenise(text)), max_len)
    assert (ids[0, : max_len - used] == 0).all(), "padding must be on the left"
    assert (ids[0, max_len - used :] != 0).all(), "a real token was encoded as padding"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(tweets, min_size=1, max_size=8))
def test_scores_are_probabilities_whatever_shares_the_batch(scorer, texts: list[str]) -> None:
    batch = scorer.predict(texts).predictions
    for text, in_batch in zip(texts, batch, strict=True):
        alone = scorer.predict([text]).predictions[0]
        values = np.array(list(in_batch.scores.values()))
        assert np.isfinite(values).all() and abs(values.sum() - 1) < 1e-4
        assert in_batch.label in scorer.labels
        assert max(abs(in_batch.scores[k] - alone.scores[k]) for k in scorer.labels) < 1e-5
