"""`python -m bench.buzz` (`make buzz-eval`): evaluate the bad-buzz detector on simulated streams.

Streams of real held-out airline tweets scored by the served model (bench/buzz_streams.py).
For each burst factor (2x, 3x, 5x the normal negative rate) and length (30 min, 1 h, 3 h),
``--seeds`` streams of 2.5 days with one burst on day 2 at a random time of day and on a
random theme; and ``--weeks`` simulated weeks without any burst, starting from no history (so the
first day's behaviour counts). Two rules see the same streams:

- the buzz detector (`tweet_sentiment.buzz`, default parameters);
- today's rule (`infra/kql/bad_buzz.kql` with the defaults of `infra/main.bicep`): more than 40%
  negative among at least 50 tweets over the last hour, evaluated every 15 minutes.

A burst is *detected* when a window in alert overlaps it (or the hour after it); the delay is
from the burst's first tweet to the end of that window, when the rule can first know. A false
alarm is an alert that starts in a stream without a burst (for today's rule, which Azure runs
with auto-mitigation, one alert per run of firing evaluations); the hours in alert per week
show what "always firing" means. For detected alerts, the themes of the first alert window are
checked against the burst's theme (its keyword among the top three terms).

Seeds: the reported figures use seeds from 0; the defaults were tuned with ``--tune`` on seeds
from ``TUNING_SEED`` on, so the report is not measured on what it was tuned on.

Writes the table into docs/alerts.md (between the ``buzz-eval`` markers) and the raw figures
to reports/buzz_eval.json, unless ``--no-write``.
"""

from __future__ import annotations

import argparse
import json
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from itertools import product

import numpy as np

from bench import buzz_report
from bench.buzz_streams import T0, THEMES, Burst, Corpus, Stream, load_corpus, simulate
from tweet_sentiment.buzz import BuzzDetector, BuzzParams, WindowReport, detect
from tweet_sentiment.themes import MAX_TERMS, MIN_COUNT, MIN_Z

WINDOW_MINUTES = 15
FACTORS = (2.0, 3.0, 5.0)
LENGTHS = (30, 60, 180)  # minutes
BURST_DAYS = 2.5  # 24 h of history, the burst on day 2 (24-48 h), then 12 h to see it end
GRACE_MINUTES = 60  # an alert up to an hour after the burst's end still counts as detecting it
TUNING_SEED = 100_000
# Today's rule, infra/main.bicep defaults: > 40% negative, >= 50 tweets, 1 h, every 15 min.
OLD_SHARE, OLD_MIN_VOLUME, OLD_WINDOWS = 0.40, 50, 4


@dataclass
class Outcome:
    """What one rule did on one stream: alert onsets and which windows were in alert."""

    alert: np.ndarray  # bool per window
    onsets: int


def new_rule(params: BuzzParams) -> Callable[[np.ndarray, np.ndarray], Outcome]:
    def run(scored: np.ndarray, negative: np.ndarray) -> Outcome:
        counts = [
            (T0 + timedelta(minutes=WINDOW_MINUTES * i), int(n), int(k))
            for i, (n, k) in enumerate(zip(scored, negative, strict=True))
        ]
        reports = detect(counts, params)
        return Outcome(np.array([r.alert for r in reports]), sum(r.onset for r in reports))

    return run


def old_rule(scored: np.ndarray, negative: np.ndarray) -> Outcome:
    """The fixed threshold over the trailing hour, at the end of every 15-minute window."""
    kernel = np.ones(OLD_WINDOWS)
    n = np.convolve(scored, kernel)[: len(scored)]
    k = np.convolve(negative, kernel)[: len(scored)]
    firing = (n >= OLD_MIN_VOLUME) & (k > OLD_SHARE * np.maximum(n, 1))
    onsets = int(firing[0]) + int(np.sum(firing[1:] & ~firing[:-1]))
    return Outcome(firing, onsets)


@dataclass
class Cell:
    """One burst factor x length: delays of detected bursts (minutes), misses."""

    delays: list[float] = field(default_factory=list)
    missed: int = 0

    def summary(self, within: float = 30) -> dict[str, float | int | None]:
        total = len(self.delays) + self.missed
        d = np.array(self.delays)
        return {
            "bursts": total,
            "detected": len(self.delays) / total if total else 0.0,
            "within_30_min": float(np.sum(d <= within)) / total if total else 0.0,
            "median_delay": float(np.median(d)) if len(d) else None,
            "p90_delay": float(np.percentile(d, 90, method="lower")) if len(d) else None,
        }


def delay(outcome: Outcome, burst: Burst) -> float | None:
    """Minutes from the burst's start to the end of the first alert window overlapping it."""
    first = burst.start_minute // WINDOW_MINUTES
    last = (burst.start_minute + burst.minutes + GRACE_MINUTES) // WINDOW_MINUTES
    hits = np.flatnonzero(outcome.alert[first : last + 1])
    if not len(hits):
        return None
    return (first + int(hits[0]) + 1) * WINDOW_MINUTES - burst.start_minute


def bursts(seeds: Sequence[int]) -> list[tuple[int, Burst]]:
    """(seed, burst) for every factor x length x seed: theme and start drawn from the seed."""
    out = []
    themes = sorted(THEMES)
    for (factor, length), seed in product(product(FACTORS, LENGTHS), seeds):
        rng = np.random.default_rng([seed, int(factor * 10), length])
        start = 24 * 60 + int(rng.integers(0, 24 * 60))
        out.append((seed, Burst(themes[int(rng.integers(len(themes)))], factor, start, length)))
    return out


def evaluate(
    corpus: Corpus,
    rules: dict[str, Callable[[np.ndarray, np.ndarray], Outcome]],
    seeds: Sequence[int],
    weeks: Sequence[int],
) -> dict:
    cells = {name: {(b.factor, b.minutes): Cell() for _, b in bursts(seeds[:1])} for name in rules}
    for seed, burst in bursts(seeds):
        stream = simulate(corpus, BURST_DAYS, seed, burst)
        scored, negative = stream.window_counts(corpus, WINDOW_MINUTES)
        for name, rule in rules.items():
            found = delay(rule(scored, negative), burst)
            cell = cells[name][(burst.factor, burst.minutes)]
            if found is None:
                cell.missed += 1
            else:
                cell.delays.append(found)
    quiet: dict[str, dict[str, float]] = {}
    for name, rule in rules.items():
        onsets = hours = 0.0
        for seed in weeks:
            scored, negative = simulate(corpus, 7, seed).window_counts(corpus, WINDOW_MINUTES)
            outcome = rule(scored, negative)
            onsets += outcome.onsets
            hours += float(outcome.alert.sum()) * WINDOW_MINUTES / 60
        quiet[name] = {
            "false_alarms_per_week": onsets / len(weeks),
            "hours_in_alert": hours / len(weeks),
        }
    return {
        name: {
            "bursts": {f"{f:g}x/{m}": cells[name][(f, m)].summary() for f, m in cells[name]},
            "quiet": quiet[name],
        }
        for name in rules
    }


def themes_found(corpus: Corpus, params: BuzzParams, seeds: Sequence[int]) -> dict:
    """Streaming detector on 3x/1 h bursts: is the burst's theme among the top three terms?"""
    hits = detected = 0
    examples: list[dict] = []
    for seed, burst in bursts(seeds):
        if (burst.factor, burst.minutes) != (3.0, 60):
            continue
        first = first_alert(simulate(corpus, BURST_DAYS, seed, burst), corpus, params, burst)
        if first is None or not first.themes:
            continue
        detected += 1
        top = [t.term for t in first.themes[:3]]
        hit = any(re.search(THEMES[burst.theme], term.lstrip("#@"), re.I) for term in top)
        hits += hit
        if len(examples) < 3:
            examples.append({"theme": burst.theme, "top": [t.to_json() for t in first.themes[:5]]})
    return {
        "detected": detected,
        "theme_in_top_3": hits / detected if detected else 0.0,
        "examples": examples,
    }


def first_alert(
    stream: Stream, corpus: Corpus, params: BuzzParams, burst: Burst
) -> WindowReport | None:
    detector = BuzzDetector(params)
    since = T0 + timedelta(minutes=burst.start_minute)
    for created_at, label, text in stream.rows(corpus):
        for report in detector.add(created_at, label, text):
            if report.alert and report.end > since:
                return report
    return None


def tune(corpus: Corpus, seeds: int, weeks: int) -> None:
    """Print the grid the defaults were chosen from (tuning seeds, never the reported ones)."""
    tuning = range(TUNING_SEED, TUNING_SEED + seeds)
    quiet = range(TUNING_SEED, TUNING_SEED + weeks)
    for volume_cv, on in product((None, 0.15, 0.25, 0.4), (2.5, 2.75, 3.0, 3.5, 4.0)):
        params = BuzzParams(volume_cv=volume_cv, on_threshold=on, off_threshold=min(2.0, on))
        result = evaluate(corpus, {"new": new_rule(params)}, tuning, quiet)["new"]
        b = result["bursts"]
        print(
            f"volume_cv={volume_cv} on_threshold={on}: "
            f"3x/1h within 30 min {b['3x/60']['within_30_min']:.0%}, "
            f"2x/3h detected {b['2x/180']['detected']:.0%}, "
            f"false alarms/week {result['quiet']['false_alarms_per_week']:.2f}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.buzz",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--seeds", type=int, default=100, help="streams per burst cell")
    parser.add_argument("--weeks", type=int, default=50, help="simulated weeks without a burst")
    parser.add_argument("--tune", action="store_true", help="print the tuning grid and stop")
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    corpus = load_corpus()
    if args.tune:
        tune(corpus, args.seeds, args.weeks)
        return 0
    params = BuzzParams()
    rules = {"buzz detector": new_rule(params), "today's rule": old_rule}
    results = {
        "corpus": {
            "tweets": len(corpus.texts),
            "gold_negative_share": round(corpus.gold_negative_share, 4),
            "predicted_negative_share": round(corpus.predicted_negative_share, 4),
            "theme_pools": {name: len(pool) for name, pool in corpus.themes.items()},
            "model_version": corpus.model_version,
        },
        "seeds": args.seeds,
        "weeks": args.weeks,
        "params": json.loads(params.model_dump_json()),
        "theme_limits": {"max_terms": MAX_TERMS, "min_count": MIN_COUNT, "min_z": MIN_Z},
        "tuning_seed": TUNING_SEED,
        "week_hours": 7 * 24,
        "rules": evaluate(corpus, rules, range(args.seeds), range(args.weeks)),
        "themes": themes_found(corpus, params, range(min(args.seeds, 20))),
    }
    results["seconds"] = round(time.perf_counter() - started)
    table = buzz_report.render(results)
    print(table)
    print(buzz_report.targets_text(results))
    if not args.no_write:
        buzz_report.write(results, table)
        print(
            f"wrote {buzz_report.PAGE.name} and {buzz_report.RESULTS.name} ({results['seconds']} s)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
