"""Small statistics helpers shared by the benchmarks (milliseconds, percentiles, rates)."""

from __future__ import annotations

import statistics

import numpy as np


def latency(seconds: list[float]) -> dict[str, float]:
    """p50/p95/p99/mean in milliseconds of a list of durations in seconds."""
    ms = np.asarray(seconds) * 1000
    return {
        "n": len(ms),
        "p50_ms": float(np.percentile(ms, 50)),
        "p95_ms": float(np.percentile(ms, 95)),
        "p99_ms": float(np.percentile(ms, 99)),
        "mean_ms": float(ms.mean()),
    }


def median(values: list[float]) -> float:
    return float(statistics.median(values))


def ratio(slow: float, fast: float) -> float:
    return slow / fast if fast else float("inf")
