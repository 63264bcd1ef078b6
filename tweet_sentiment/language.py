"""Which language a tweet is in, and whether our English model's reading of it can be trusted.

Why: tweets to an airline come in many languages, and the model was trained on English tweets
only: it gives a Spanish complaint a confident label made of out-of-vocabulary noise. CLD2 (Google's
Compact Language Detector 2, through ``pycld2``: a C++ n-gram model bundled in the wheel, no
download) is the cheapest well-kept detector measured here: ~0.02 ms a tweet (single-tweet
scoring is ~0.13 ms), 0.2 s to load (py3langid: ~0.04 ms and 1.1 s; lingua restricted to seven
languages: ~0.05 ms and it missed Turkish, Japanese, Arabic and Russian).

A tweet is *unreliable* only when CLD2 is sure it is another language: short or slangy English
is often "unknown" to CLD2 (3% of a 20k Sentiment140 sample) and must keep its reading, so
"unknown" counts as readable. Scots is read as English (CLD2 tags slang such as "missin' the boo"
as Scots).
"""

from __future__ import annotations

from dataclasses import dataclass

import pycld2

UNDETERMINED = "und"  # BCP 47's code for an undetermined language
READABLE = frozenset({"en", "sco"})  # what the English model reads
MIN_PERCENT = 50  # of the text's bytes in the detected language, for a "not English" verdict


@dataclass(frozen=True)
class Language:
    code: str  # ISO 639-1 (or 639-2/3 where CLD2 has no 2-letter code), "und" when unknown
    reliable: bool  # False: another language, so the English model's reading is not trusted


def detect(text: str) -> Language:
    """The tweet's language; a text CLD2 cannot take (some control bytes) is undetermined."""
    try:  # lone surrogates (JSON allows them) become U+FFFD instead of an encoding error
        is_reliable, _, details = pycld2.detect(text.encode("utf-8", "replace"))
    except pycld2.error:
        return Language(UNDETERMINED, True)
    _, code, percent, _ = details[0]
    if not is_reliable or code == "un":
        return Language(UNDETERMINED, True)
    return Language(code, code in READABLE or percent < MIN_PERCENT)
