"""Tweet text normalisation and tokenisation: the ONE module training and serving share.

Why one module: a model only works on text prepared exactly as during training. Training
(`training/`) and serving (`tweet_sentiment.scorer`) both call :func:`tokenise`, so there is no
training/serving skew by construction. Any change here changes the model's input: bump
:data:`NORMALISER_VERSION`, which is recorded in the model metadata and checked at load time.

Design:
- Placeholders (``<url>``, ``<user>``, ``<num>``, ``<smile>``, ...) keep the signal ("there was a
  link") without the noise (the link itself). Hashtags keep their word (``#fail`` -> ``fail``).
- Contractions are split the way GloVe's corpus was (``don't`` -> ``do n't``) so negations and
  pronouns are found in the pretrained vocabulary; ``n't`` stays a token, so negation is visible.
- Elongations are capped at two letters (``soooo`` -> ``soo``), repeated ``!``/``?`` at one.
- Emoji become their names (``😡`` -> ``pouting_face``); emoticons become sentiment placeholders.
- Mojibake is repaired with ``ftfy`` when it looks like it, and what cannot be repaired is dropped.
- The output of :func:`normalise` is tokens joined by single spaces, which makes it idempotent.

Speed matters (it runs on every scored tweet): expensive steps (ftfy, emoji) only run when a cheap
check says they are needed, and each regex pass is skipped when the text lacks something every
match of it contains. Shortcuts like these must never change an output: tests/data pins the tokens
of every tweet of the training corpus for this NORMALISER_VERSION, and
tests/model/test_champion_reproduces.py re-derives the champion's recorded test metrics.
"""

from __future__ import annotations

import html
import re
import unicodedata
from functools import lru_cache

NORMALISER_VERSION = "2"

PLACEHOLDERS = ("<url>", "<user>", "<num>", "<smile>", "<sad>", "<laugh>", "<heart>", "<wink>")

# Classic mojibake: UTF-8 read as latin-1/cp1252 ("Ã©" for "é", "â€™" for "’").
_LOOKS_MOJIBAKE = re.compile(
    "[\u00c2-\u00f4][\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192"
    "\u02c6\u02dc\u2013\u2014\u2018-\u201e\u2020-\u2022\u2026\u2030\u2039\u203a\u20ac\u2122]"
)
# What ftfy cannot repair (UTF-8 read as mac-roman, as in the 2015 CrowdFlower corpora):
# runs of two or more latin-1/extended characters, C1 controls and underscores.
_MOJIBAKE_RUN = re.compile("(?:[\u0080-\u00ff\u0152-\u02dc\u2013-\u2122\ufffd]_*){2,}_*")
_C1_CONTROLS = re.compile("[\u0080-\u009f\ufffd]")

_URL = re.compile(r"(?:https?://|www\.)\S+|\b[a-z0-9.-]+\.(?:com|net|org|co|ly|io)/\S*", re.I)
_USER = re.compile(r"(?<![\w@])@\w{1,30}")
_HASHTAG = re.compile(r"(?<![\w#])#(\w+)")
# (pattern, placeholder, hint). Python's re cannot scan quickly for a pattern that starts with a
# lookbehind, so each emoticon is only tried when its hint (something every match contains, which
# re finds fast) is in the text: a hint never changes a result, it only skips hopeless searches.
_EMOTICONS = [
    (re.compile(r"(?<!\S)[:=;8xX]-?[dD](?!\w)"), " <laugh> ", re.compile(r"[:=;8xX]-?[dD]")),
    (
        re.compile(r"(?<!\S)(?:[:=]-?[)\]}]+|\(+-?[:=]|\^_*\^)(?!\S)"),
        " <smile> ",
        re.compile(r"[:=(^]"),
    ),
    (
        re.compile(r"(?<!\S)(?:[:=]'?-?[(\[{/\\|]+|[)\]]+-?[:=]|:'\()(?!\S)"),
        " <sad> ",
        re.compile(r"[:=)\]]"),
    ),
    (re.compile(r"(?<!\S);-?[)\]pP](?!\S)"), " <wink> ", re.compile(";")),
    (re.compile(r"(?<!\S)<3+"), " <heart> ", re.compile("<3")),
    (re.compile(r"(?<!\S)[:=]-?[pP](?!\w)"), " <smile> ", re.compile(r"[:=]-?[pP]")),
]
_NUMBER = re.compile(r"(?<![a-z])\d+(?:[.,:/]\d+)*(?:st|nd|rd|th|am|pm|s|k|h|hr|hrs|min|mins)?\b")
_CONTRACTION_NT = re.compile(r"\b(\w+)n't\b")
_CONTRACTION = re.compile(r"\b(\w+)'(s|re|ll|ve|m|d)\b")
_ELONGATED = re.compile(r"([a-z])\1\1+")
_DIGIT = re.compile("[0-9]")
_TOKEN = re.compile(r"<[a-z]+>|n't|'(?:s|re|ll|ve|m|d)\b|[a-z0-9_]+|[!?]")
_TOKEN_ALIASES = {"xd": "<laugh>", "8d": "<laugh>"}
_ALIAS = _TOKEN_ALIASES.get
_DIGITS = frozenset("0123456789")
_NON_ASCII = re.compile(r"[^\x00-\x7f]+")
_EMOJI_RANGE = re.compile("[\u2190-\u2bff\u2600-\u27bf\U0001f000-\U0001faff\ufe0f\u200d]")


def _fix_encoding(text: str) -> str:
    """Repair or drop mojibake; only pays for ftfy when the text looks broken."""
    if _LOOKS_MOJIBAKE.search(text):
        import ftfy  # imported lazily: most tweets never need it

        text = ftfy.fix_text(text, unescape_html=False)
    text = _MOJIBAKE_RUN.sub(" ", text)
    return _C1_CONTROLS.sub(" ", text)


def _unescape(text: str) -> str:
    """Unescape HTML entities to a fixed point (tweets are often double-escaped: &amp;amp;)."""
    for _ in range(4):
        if "&" not in text:
            break
        unescaped = html.unescape(text)
        if unescaped == text:
            break
        text = unescaped
    return text


def _emoji_to_words(text: str) -> str:
    if not _EMOJI_RANGE.search(text):
        return text
    import emoji  # lazily: only tweets with emoji pay for it

    return emoji.demojize(text, delimiters=(" ", " "))


def _fold_accents(text: str) -> str:
    """'café' -> 'cafe': the vocabulary (and GloVe) is ASCII; keep words, drop diacritics."""
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


@lru_cache(maxsize=65536)
def tokenise(text: str) -> tuple[str, ...]:
    """Normalise a raw tweet and split it into tokens (cached: feeds repeat retweets)."""
    if not text.isascii():
        text = _fix_encoding(text)
    text = _unescape(text)
    # Each step is skipped when the text lacks what every match of it needs (a mention needs "@"):
    # the output is the same, and most tweets skip most steps.
    if "/" in text or "www." in text.lower():
        text = _URL.sub(" <url> ", text)
    if "@" in text:
        text = _USER.sub(" <user> ", text)
    if "#" in text:
        text = _HASHTAG.sub(r" \1 ", text)
    for pattern, placeholder, hint in _EMOTICONS:
        if hint.search(text):
            text = pattern.sub(placeholder, text)
    if not text.isascii():
        # What is still not ASCII after folding can never be part of a token: make it a
        # separator now, so numbers and words glued to it are found (and output is idempotent).
        text = _fold_accents(_emoji_to_words(text)).replace("\u2019", "'").replace("\u2018", "'")
        text = _NON_ASCII.sub(" ", text)
    text = text.lower().replace("`", "'")  # ASCII from here on
    if "'" in text:
        if "n't" in text:
            text = _CONTRACTION_NT.sub(r"\1 n't", text)
        text = _CONTRACTION.sub(r"\1 '\2", text)
    if _DIGIT.search(text):
        text = _NUMBER.sub(" <num> ", text)  # after the splits above, which create word boundaries
    text = _ELONGATED.sub(r"\1\1", text)
    # A number glued to something the patterns above could not see as a boundary ("0n't") only
    # becomes its own token here: map it now, so normalising twice changes nothing.
    # Same for the only emoticons made of token characters ("xD" glued to punctuation).
    tokens = [
        "<num>" if t[0] in _DIGITS and _NUMBER.fullmatch(t) else _ALIAS(t, t)
        for t in _TOKEN.findall(text)
    ]
    return tuple(_dedupe_punctuation(tokens))


def _dedupe_punctuation(tokens: list[str]) -> list[str]:
    """'!!!' -> '!': repeated marks carry no more signal than one and waste sequence length."""
    out: list[str] = []
    for token in tokens:
        if token in "!?" and out and out[-1] == token:
            continue
        out.append(token)
    return out


def normalise(text: str) -> str:
    """The normalised tweet as one string (tokens joined by spaces); idempotent."""
    return " ".join(tokenise(text))
