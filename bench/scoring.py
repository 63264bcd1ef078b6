"""Benchmark 1: scoring speed, one process, one run, same model, same tweets.

Four ways to score a tweet, tokenisation included in all of them (the same
`Scorer.encode`: the shared normaliser + the model's vocabulary):

- ``onnx``: the service's own call, ``Scorer.predict`` (what `POST /api/predict` runs);
- ``keras_predict``: ``model.predict(ids)`` on the Keras twin, as published projects serve it;
- ``keras_call``: ``model(ids, training=False)``, calling the Keras network directly (eager);
- ``keras_graph``: the same call compiled once with ``tf.function`` (fixed input signature): the
  fastest way we know to serve it with TensorFlow, so the comparison is not only against
  ``predict``'s per-call overhead.

Batch 1: median and p99 over many calls, each on a different real tweet. Batches of 32/256/1,000:
tweets per second. The tokeniser's cache is emptied before every timed call (outside the timer),
so no call gets its normalisation for free. ONNX is measured before TensorFlow is even imported.

Against the reference model (issue 13, `bench.reference`): the service's batch-1 figure is measured
side by side with the reference model (served without the language check, as it was), the served
model without the check, and ``language.detect`` alone: the same tweets, interleaved call by call
in a rotating order, so a busy moment of the shared cores hits every path alike.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any

import numpy as np

from bench import keras_twin, reference, stats
from bench.machine import REPO_ROOT
from bench.tweets import cold_cache, load_tweets, take
from tweet_sentiment import language
from tweet_sentiment.config import get_settings
from tweet_sentiment.scorer import RUN_CHUNK, Scorer
from tweet_sentiment.text import tokenise

BATCHES = (32, 256, 1000)
PATHS = ("onnx", "keras_predict", "keras_call", "keras_graph")


def _single_calls(paths: dict[str, Callable[[list[str]], Any]], tweets: list[str]) -> dict:
    """Batch-1 latency of each path on the same tweets, interleaved call by call."""
    names = list(paths)
    times: dict[str, list[float]] = {name: [] for name in names}
    for i, tweet in enumerate(tweets):
        turn = i % len(names)
        for name in names[turn:] + names[:turn]:  # rotating: no path always runs first
            cold_cache()
            start = time.perf_counter()
            paths[name]([tweet])
            times[name].append(time.perf_counter() - start)
    return {name: stats.latency(t) for name, t in times.items()}


def _throughput(score: Callable[[list[str]], Any], tweets: list[str], batch: int) -> float:
    """Tweets per second over ``tweets`` scored ``batch`` at a time (cold tokeniser cache)."""
    busy = 0.0
    for i in range(0, len(tweets), batch):
        chunk = tweets[i : i + batch]
        cold_cache()
        start = time.perf_counter()
        score(chunk)
        busy += time.perf_counter() - start
    return len(tweets) / busy


def _warm_up(score: Callable, tweets: list[str]) -> None:
    score(take(tweets, 8))  # first-call graph building is the cold-start benchmark's job
    for batch in BATCHES:
        score(take(tweets, batch))


def _measure(
    name: str,
    score: Callable,
    tweets: list[str],
    calls: int,
    n_batch: int,
    single: dict | None = None,
) -> dict:
    """Batch-1 latency (``single`` when already measured side by side) and batch throughput."""
    _warm_up(score, tweets)
    single = single or _single_calls({name: score}, take(tweets, calls, start=1000))[name]
    rates = {b: _throughput(score, take(tweets, n_batch, start=5000), b) for b in BATCHES}
    print(
        f"  {name:14s} batch 1: p50 {single['p50_ms']:8.3f} ms  p99 {single['p99_ms']:8.3f} ms"
        f"  ({single['n']} calls) | "
        + "  ".join(f"batch {b}: {r:9,.0f}/s" for b, r in rates.items())
    )
    return {"single": single, "tweets_per_s": rates}


def _breakdown(scorer: Scorer, tweets: list[str]) -> dict:
    """Where a batch spends its time: normalisation vs the ONNX run, and what each depends on.

    The two ONNX variants (64-row chunks, the service's choice, vs one call per 1,000 rows)
    alternate over five rounds and each reports its best round: on shared cores the first rounds
    after a switch and any busy moment are slow, and both variants get the same chance.
    """
    tokenise_s = _tokenise_seconds(tweets)
    plain = [t for t in tweets if t.isascii()]
    ids = scorer.encode(tweets).ids
    one_thread = Scorer.from_dir(get_settings().model_dir, threads=1)
    rounds = [(_onnx_rate(scorer, ids), _onnx_rate(scorer, ids, chunk=1000)) for _ in range(5)]
    out = {
        "tokenise_per_s": len(tweets) / tokenise_s,
        "non_ascii_share": 1 - len(plain) / len(tweets),
        "non_ascii_time_share": 1 - _tokenise_seconds(plain) / tokenise_s,
        "onnx_run_per_s": max(chunked for chunked, _ in rounds),
        "onnx_chunk": RUN_CHUNK,
        "onnx_one_call_per_s": max(one_call for _, one_call in rounds),
        "onnx_threads": scorer.session.get_session_options().intra_op_num_threads,
        "onnx_run_1_thread_per_s": _onnx_rate(one_thread, ids),
        "predict_per_s": _throughput(scorer.predict, tweets, 1000),
        "overlapped_per_s": _throughput(partial(_overlapped, scorer), tweets, 1000),
    }
    print(
        f"  where the time goes: normalise+tokenise {out['tokenise_per_s']:,.0f} tweets/s "
        f"({out['non_ascii_share']:.0%} of tweets are not plain ASCII and take "
        f"{out['non_ascii_time_share']:.0%} of it); ONNX run alone "
        f"{out['onnx_run_per_s']:,.0f} tweets/s ({RUN_CHUNK}-row calls, "
        f"{out['onnx_threads']} threads), {out['onnx_one_call_per_s']:,.0f} as 1,000-row calls, "
        f"{out['onnx_run_1_thread_per_s']:,.0f} with 1 thread; batches of 1,000: predict "
        f"{out['predict_per_s']:,.0f} tweets/s, normalising while ONNX runs "
        f"{out['overlapped_per_s']:,.0f}"
    )
    return out


def _overlapped(scorer: Scorer, texts: list[str], chunk: int = 256) -> np.ndarray:
    """The alternative to `Scorer.predict`'s one-after-the-other: normalise the next ``chunk``
    tweets while a worker thread runs ONNX on the previous ones (onnxruntime releases the GIL)."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        runs = [
            pool.submit(scorer.run, scorer.encode(texts[i : i + chunk]).ids)
            for i in range(0, len(texts), chunk)
        ]
        return np.concatenate([run.result() for run in runs])


def _tokenise_seconds(tweets: list[str]) -> float:
    cold_cache()
    start = time.perf_counter()
    for tweet in tweets:
        tokenise(tweet)
    return time.perf_counter() - start


def _onnx_rate(scorer: Scorer, ids: np.ndarray, chunk: int = RUN_CHUNK) -> float:
    start = time.perf_counter()
    for i in range(0, len(ids), 1000):
        scorer.run(ids[i : i + 1000], chunk=chunk)
    return len(ids) / (time.perf_counter() - start)


def run(quick: bool = False) -> dict:
    calls, keras_calls, n_batch = (300, 50, 2000) if quick else (3000, 300, 10_000)
    tweets = load_tweets()
    model_dir = get_settings().model_dir
    scorer = Scorer.from_dir(model_dir)
    print(f"scoring: {len(tweets):,} distinct real tweets, model {scorer.model_version}")
    results: dict[str, Any] = {
        "model_version": scorer.model_version,
        "tweets": len(tweets),
        "batch_tweets": n_batch,
    }
    side_by_side = _against_reference(scorer, tweets, calls, results)
    results["onnx"] = _measure(
        "onnx (service)", scorer.predict, tweets, calls, n_batch, side_by_side["onnx"]
    )
    results["breakdown"] = _breakdown(scorer, take(tweets, n_batch, start=5000))

    ids = scorer.encode(take(tweets, 2000)).ids
    keras_file = keras_twin.twin_file(scorer.card, model_dir, ids, scorer.run(ids))
    results["keras_file"] = str(keras_file.relative_to(REPO_ROOT))
    model = keras_twin.load_keras(keras_file)
    results["parity"] = keras_twin.check_same_model(model, scorer.run(ids), ids)
    print(
        f"  same model: Keras vs ONNX max |diff| {results['parity']['max_abs_diff']:.1e}, "
        f"same labels on {results['parity']['rows']:,} tweets"
    )

    def keras_predict(texts: list[str]) -> np.ndarray:
        return model.predict(scorer.encode(texts).ids, verbose=0)

    def keras_call(texts: list[str]) -> np.ndarray:
        return np.asarray(model(scorer.encode(texts).ids, training=False))

    results["keras_predict"] = _measure(
        "keras predict", keras_predict, tweets, keras_calls, n_batch
    )
    results["keras_call"] = _measure("keras call", keras_call, tweets, keras_calls, n_batch)
    graph = keras_twin.compiled_call(model, scorer.card.max_len)

    def keras_graph(texts: list[str]) -> np.ndarray:
        return graph(scorer.encode(texts).ids).numpy()

    results["keras_graph"] = _measure("keras graph", keras_graph, tweets, calls // 3, n_batch)
    results["ratios"] = _ratios(results)
    return results


def _against_reference(scorer: Scorer, tweets: list[str], calls: int, results: dict) -> dict:
    """Batch-1 latency of the service, side by side with the reference model (issue 13)."""
    old = reference.scorer()
    model_only = Scorer.from_dir(get_settings().model_dir, check_language=False)
    paths: dict[str, Callable[[list[str]], Any]] = {
        "onnx": scorer.predict,
        "onnx_no_language": model_only.predict,
        "reference": old.predict,
        "language": lambda texts: [language.detect(t) for t in texts],
    }
    for score in paths.values():
        _warm_up(score, tweets)
    single = _single_calls(paths, take(tweets, calls, start=1000))
    labels = {
        "onnx": f"served {scorer.model_version}, language check on (the service)",
        "onnx_no_language": "served model, language check off",
        "reference": f"reference {old.model_version}, no language check (as it was served)",
        "language": "language.detect alone",
    }
    print(f"  batch 1 side by side ({calls:,} tweets, interleaved call by call):")
    for name, label in labels.items():
        print(
            f"    {label:78s} p50 {single[name]['p50_ms']:7.3f} ms  "
            f"p99 {single[name]['p99_ms']:7.3f} ms"
        )
    for name in ("onnx_no_language", "reference", "language"):
        results[name] = {"single": single[name]}
    results["reference"]["model_version"] = old.model_version
    results["vs_reference"] = vs = vs_reference(single)
    print(
        f"  served / reference: p50 {vs['p50']:.2f}x (issue 13: <= {reference.P50_BOUND}x, "
        f"{reference.within(vs['p50'], reference.P50_BOUND)}), p99 {vs['p99']:.2f}x; language "
        f"check off {vs['p50_no_language']:.2f}x; language.detect alone is "
        f"{vs['language_share_p50']:.0%} of the service's p50"
    )
    return single


def vs_reference(single: dict[str, dict]) -> dict[str, float]:
    """The served model's batch-1 latency over the reference's, from side-by-side figures."""
    ref = single["reference"]
    return {
        "p50": stats.ratio(single["onnx"]["p50_ms"], ref["p50_ms"]),
        "p99": stats.ratio(single["onnx"]["p99_ms"], ref["p99_ms"]),
        "p50_no_language": stats.ratio(single["onnx_no_language"]["p50_ms"], ref["p50_ms"]),
        "language_share_p50": single["language"]["p50_ms"] / single["onnx"]["p50_ms"],
    }


def _ratios(r: dict) -> dict:
    onnx = r["onnx"]
    out = {}
    for other in PATHS[1:]:
        out[other] = {
            "p50": stats.ratio(r[other]["single"]["p50_ms"], onnx["single"]["p50_ms"]),
            "p99": stats.ratio(r[other]["single"]["p99_ms"], onnx["single"]["p99_ms"]),
            **{
                f"batch_{b}": stats.ratio(onnx["tweets_per_s"][b], r[other]["tweets_per_s"][b])
                for b in BATCHES
            },
        }
        print(
            f"  onnx vs {other}: batch 1 p50 {out[other]['p50']:.0f}x faster, "
            f"p99 {out[other]['p99']:.0f}x; "
            + ", ".join(f"batch {b} {out[other][f'batch_{b}']:.1f}x" for b in BATCHES)
        )
    return out
