"""docs/performance.md from a results dict: the issue-13 rows (reference model, model size) and
the models named from the run's own results, never from the page's prose."""

from __future__ import annotations

import copy

import pytest

from bench import report
from bench.scoring import vs_reference


def _latency(p50: float, p99: float, n: int = 3000) -> dict:
    return {"n": n, "p50_ms": p50, "p95_ms": p99 * 0.9, "p99_ms": p99, "mean_ms": p50 * 1.1}


def _keras_path(p50: float) -> dict:
    return {
        "single": _latency(p50, p50 * 1.2, 300),
        "tweets_per_s": {32: 700, 256: 3000, 1000: 5000},
    }


def _model(version: str, onnx_bytes: int, vocab: int, dim: int) -> dict:
    return {
        "model_version": version,
        "architecture": "bilstm-glove",
        "cell": "bilstm",
        "units": 64,
        "embedding_dim": dim,
        "vocab_size": vocab,
        "onnx_bytes": onnx_bytes,
        "onnx_mb": onnx_bytes / 1e6,
    }


def _cold(median: float, rss: float = 80, runs: int = 5) -> dict:
    return {
        "median_s": median,
        "min_s": median * 0.9,
        "max_s": median * 1.2,
        "rss_mb": rss,
        "runs": runs,
    }


def _http(concurrency: int) -> dict:
    return {
        "concurrency": concurrency,
        "requests": 1000,
        "requests_per_s": 400.0,
        "tweets_per_s": 400.0 * concurrency,
        "latency": _latency(15, 40),
        "errors": {},
        "memory_after": {"rss_mb": 150.0, "peak_rss_mb": 160.0},
    }


def results(
    served_p50: float = 0.15,
    reference_p50: float = 0.12,
    served_cold: float = 0.22,
    reference_cold: float = 0.20,
    onnx_bytes: int = 17_900_000,
) -> dict:
    """One run's results, shaped like `python -m bench` writes them (figures are made up)."""
    single = {
        "onnx": _latency(served_p50, served_p50 * 1.5),
        "onnx_no_language": _latency(served_p50 - 0.02, served_p50 * 1.4),
        "reference": _latency(reference_p50, reference_p50 * 1.5),
        "language": _latency(0.02, 0.05),
    }
    keras = {"keras_predict": 36.0, "keras_call": 80.0, "keras_graph": 1.8}
    scoring = {
        "model_version": "2026.12.02-bilstm-glove100-new",
        "tweets": 37243,
        "batch_tweets": 10000,
        "onnx": {"single": single["onnx"], "tweets_per_s": {32: 15000, 256: 16000, 1000: 16500}},
        **{name: {"single": single[name]} for name in ("onnx_no_language", "language")},
        "reference": {"single": single["reference"], "model_version": "2026.12.02-old"},
        "vs_reference": vs_reference(single),
        "breakdown": {
            "tokenise_per_s": 37000.0,
            "non_ascii_share": 0.13,
            "non_ascii_time_share": 0.36,
            "onnx_run_per_s": 30000.0,
            "onnx_chunk": 64,
            "onnx_one_call_per_s": 26000.0,
            "onnx_threads": 2,
            "onnx_run_1_thread_per_s": 16000.0,
            "predict_per_s": 15000.0,
            "overlapped_per_s": 15100.0,
        },
        "keras_file": "build/bench/twin/model.keras",
        "parity": {"rows": 2000, "max_abs_diff": 4e-7, "same_labels": True},
        **{name: _keras_path(p50) for name, p50 in keras.items()},
        "ratios": {
            name: {
                "p50": p50 / served_p50,
                "p99": p50 / served_p50,
                "batch_32": 20.0,
                "batch_256": 5.0,
                "batch_1000": 3.0,
            }
            for name, p50 in keras.items()
        },
    }
    cold = {
        "repeats": 5,
        "onnx_scorer": _cold(served_cold, runs=15),
        "reference_scorer": _cold(reference_cold, runs=15),
        "function_app": _cold(0.6, 120),
        "tensorflow": _cold(3.4, 730),
    }
    cold |= {
        "ratio_onnx_scorer": 3.4 / served_cold,
        "ratio_function_app": 3.4 / 0.6,
        "ratio_reference": served_cold / reference_cold,
    }
    package = {
        "mb": 206.0,
        "distributions": 65,
        "largest": [("numpy", 68.1), ("onnxruntime", 65.8)],
    }
    return {
        "quick": False,
        "machine": {
            "date_utc": "2026-12-02T15:00:00+00:00",
            "cpu": "AMD EPYC",
            "cores": 2,
            "memory_gib": 23.5,
            "os": "Linux",
            "python": "3.11.7",
            "versions": dict.fromkeys(
                ("onnxruntime", "numpy", "fastapi", "uvicorn", "tensorflow", "keras"), "1.0"
            ),
            "git_commit": "abc1234",
            "load_before": [0.5, 0.5, 0.5],
            "load_after": [2.0, 1.0, 0.5],
            "bench_seconds": 190,
        },
        "scoring": scoring,
        "cli": {
            "tweets": 50000,
            "distinct": 50000,
            "median_s": 3.8,
            "runs_s": [3.8] * 3,
            "tweets_per_s": 13000.0,
        },
        "cold-start": cold,
        "size": {
            "serving": package,
            "serving_plus_tensorflow": {**package, "mb": 2168.0, "distributions": 86},
            "tensorflow_requirement": "tensorflow==2.21.0",
            "ratio": 10.5,
            "models": {
                "served": _model(scoring["model_version"], onnx_bytes, 40_002, 100),
                "reference": _model("2026.12.02-old", 2_401_963, 10_776, 50),
            },
        },
        "http": {
            "single": _http(8),
            "batch_32": _http(4),
            "batch_1000": _http(2),
            "memory_idle": {"rss_mb": 138.0},
            "memory_after": {"rss_mb": 150.0, "peak_rss_mb": 160.0},
            "seconds_per_scenario": 20.0,
            "max_requests": 20000,
            "distinct_tweets": 57117,
        },
    }


def _row(page: str, start: str) -> str:
    (line,) = [line for line in page.splitlines() if line.startswith(start)]
    return line


def test_targets_table_has_the_issue_13_rows():
    page = report.render(results())
    assert "## Targets (issues 5 and 13)" in page
    p50 = _row(page, "| 13 | single tweet p50 <= 1.5x the reference model's")
    assert "1.25x (0.150 vs 0.120 ms)" in p50 and p50.endswith("| met |")
    cold = _row(page, "| 13 | cold start <= 1.2x the reference model's")
    assert "1.10x (0.22 vs 0.20 s)" in cold and cold.endswith("| met |")
    size = _row(page, "| 13 | model.onnx <= 25 MB")
    assert "17.9 MB" in size and size.endswith("| met |")
    assert _row(page, "| 5, 13 | single tweet >= 200x faster than Keras").endswith("| met |")
    assert _row(page, "| 5, 13 | cold start >= 5x faster than TensorFlow").endswith("| met |")


@pytest.mark.parametrize(
    ("change", "row"),
    [
        ({"reference_p50": 0.09}, "| 13 | single tweet p50 <= 1.5x"),
        ({"served_cold": 0.25}, "| 13 | cold start <= 1.2x"),
        ({"onnx_bytes": 25_000_001}, "| 13 | model.onnx <= 25 MB"),
    ],
)
def test_a_bound_passed_is_reported_missed(change, row):
    page = report.render(results(**change))
    assert _row(page, row).endswith("| **missed** |")
    before = {t.name for t in report.targets(results()) if not t.met}
    after = [t for t in report.targets(results(**change)) if not t.met and t.name not in before]
    assert [t.issues for t in after] == ["13"]


def test_reference_section_names_both_models_from_the_results():
    r = results()
    page = report.render(r)
    section = page.split("## Against the reference model (issue 13)")[1].split("\n## ")[0]
    assert (
        "`2026.12.02-bilstm-glove100-new` (bilstm, 64 units, 100d embeddings, a 40,002" in section
    )
    assert "`2026.12.02-old` (bilstm, 64 units, 50d embeddings, a 10,776-entry" in section
    assert (
        "| batch 1 p50, normalisation included | 0.150 ms / 0.120 ms | 1.25x | at most 1.5x |"
        in (section)
    )
    assert "| model.onnx | 17.9 MB / 2.4 MB | 7.5x | at most 25 MB |" in section
    assert "`language.detect` alone (CLD2) takes 0.020 ms a tweet at p50" in section
    # the page's opening names the served model from this run, never a stale one
    renamed = copy.deepcopy(r)
    renamed["size"]["models"]["served"]["model_version"] = "another-champion"
    assert "committed model `another-champion` (bilstm" in report.render(renamed)


def test_quick_subset_prints_its_targets_with_a_caveat():
    r = results()
    subset = {k: r[k] for k in ("machine", "scoring", "size")} | {"quick": True}
    text = report.targets_text(subset)
    assert text.startswith(
        "targets of issues 5 and 13 (a quick run: fewer calls, indicative only; "
        "only the benchmarks run):"
    )
    assert "[met] (issue 13) single tweet p50 <= 1.5x the reference model's" in text
    assert "[met] (issue 13) model.onnx <= 25 MB (10^6 bytes): 17.9 MB" in text
    assert "cold start" not in text and "HTTP" not in text
