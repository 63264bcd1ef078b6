"""Benchmark 3: HTTP load through the real server on 127.0.0.1.

The server is `python -m tweet_sentiment serve` (uvicorn, one worker: one Function instance) in
its own process, with the committed model and no telemetry. The load generator is a bounded
asyncio + httpx client in this process: a fixed number of concurrent connections, each sending
its next request as soon as the previous answer arrives, stopping at a time limit or a request
count, whichever comes first. Any answer other than 200, and any transport error, counts as an
error.

No tweet is scored twice: each scenario gets a fresh server and distinct real tweets (the corpus
topped up with the Sentiment140 sample when present), so the server's tokeniser cache, which in
production answers retweets for free, never flatters a figure. A scenario therefore also stops
when the distinct tweets run out.

Both processes share this machine's cores, so the figures are a floor for a dedicated instance.
The server's resident memory (current and peak) is read from /proc after the load: it is what
one instance needs.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

from bench import stats
from bench.machine import REPO_ROOT
from bench.tweets import more_tweets
from tweet_sentiment.config import get_settings

# (name, tweets per request, concurrent connections)
SCENARIOS = (("single", 1, 8), ("batch_32", 32, 4), ("batch_1000", 1000, 2))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def server(model_dir: Path) -> Iterator[tuple[str, int]]:
    """A real uvicorn server process; yields (base URL, pid)."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k != "APPLICATIONINSIGHTS_CONNECTION_STRING"}
    env |= {"MODEL_DIR": str(model_dir), "PYTHONPATH": str(REPO_ROOT)}
    process = subprocess.Popen(
        [sys.executable, "-m", "tweet_sentiment", "serve", "--port", str(port)],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{url}/api/health", timeout=1).status_code == 200:
                    break
            if time.monotonic() > deadline or process.poll() is not None:
                raise SystemExit("the server did not start")
            time.sleep(0.1)
        yield url, process.pid
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()


def memory_mb(pid: int) -> dict[str, float]:
    """Resident memory now and at its peak (VmRSS / VmHWM) of a process."""
    found = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            found[key] = int(value.split()[0]) / 1024
    return {"rss_mb": found.get("VmRSS", 0.0), "peak_rss_mb": found.get("VmHWM", 0.0)}


async def _load(url: str, bodies: list[dict], concurrency: int, seconds: float) -> dict:
    latencies: list[float] = []
    errors: dict[str, int] = {}
    next_body = 0
    deadline = time.perf_counter() + seconds
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal next_body
        while time.perf_counter() < deadline and next_body < len(bodies):
            body = bodies[next_body]
            next_body += 1
            start = time.perf_counter()
            try:
                response = await client.post(f"{url}/api/predict", json=body)
                code = str(response.status_code)
            except httpx.HTTPError as error:
                code = type(error).__name__
            latencies.append(time.perf_counter() - start)
            if code != "200":
                errors[code] = errors.get(code, 0) + 1

    async with httpx.AsyncClient(limits=limits, timeout=60) as client:
        started = time.perf_counter()
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    return {
        "requests": len(latencies),
        "seconds": elapsed,
        "errors": errors,
        "latency": stats.latency(latencies),
    }


def run(quick: bool = False) -> dict:
    seconds, max_requests = (4.0, 2_000) if quick else (20.0, 20_000)
    tweets = more_tweets()
    warm_up, pool = tweets[-64:], tweets[:-64]
    results: dict = {
        "seconds_per_scenario": seconds,
        "max_requests": max_requests,
        "distinct_tweets": len(pool),
    }
    model_dir = get_settings().model_dir
    for name, size, concurrency in SCENARIOS:
        count = min(max_requests, len(pool) // size)
        bodies = [
            {"text": pool[i]} if size == 1 else {"texts": pool[i * size : (i + 1) * size]}
            for i in range(count)
        ]
        with server(model_dir) as (url, pid):
            httpx.post(f"{url}/api/predict", json={"texts": warm_up}, timeout=60)
            results.setdefault("memory_idle", memory_mb(pid))
            r = asyncio.run(_load(url, bodies, concurrency, seconds))
            r["memory_after"] = memory_mb(pid)
        r |= {"tweets_per_request": size, "concurrency": concurrency}
        r["requests_per_s"] = r["requests"] / r["seconds"]
        r["tweets_per_s"] = r["requests_per_s"] * size
        results[name] = r
        lat = r["latency"]
        print(
            f"  HTTP {name:10s} (c={concurrency}): {r['requests']:6,} requests in "
            f"{r['seconds']:5.1f} s = {r['requests_per_s']:7,.0f} req/s, "
            f"{r['tweets_per_s']:7,.0f} tweets/s; p50 {lat['p50_ms']:7.1f} ms "
            f"p95 {lat['p95_ms']:7.1f} ms p99 {lat['p99_ms']:7.1f} ms; "
            f"errors {sum(r['errors'].values())} {r['errors'] or ''}; "
            f"server RSS {r['memory_after']['rss_mb']:.0f} MB"
        )
    after = [results[name]["memory_after"] for name, _, _ in SCENARIOS]
    results["memory_after"] = {key: max(m[key] for m in after) for key in after[0]}
    idle, m = results["memory_idle"], results["memory_after"]
    print(
        f"  server memory: {idle['rss_mb']:.0f} MB after start + one request, "
        f"peak {m['peak_rss_mb']:.0f} MB over the scenarios"
    )
    return results
