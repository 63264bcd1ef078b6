"""Benchmark 2b: installed size of the serving requirements, with and without TensorFlow.

How: resolve the dependency closure of `requirements.txt` (then of the same plus the pinned
`tensorflow` of requirements-train.txt) from the distributions installed in this virtualenv, and
add up the bytes on disk of every file each distribution's RECORD lists. Nothing is downloaded,
it is reproducible, and it counts what `pip install` really puts in site-packages (compiled
bytecode included when pip recorded it).

Also the model files: model.onnx of the served model and of the reference model (issue 13 bounds
the served one to 25 MB), with what each model is, read from its own metadata.json and vocab.txt.
"""

from __future__ import annotations

import re
from importlib import metadata
from pathlib import Path
from typing import Any

from packaging.markers import default_environment
from packaging.requirements import Requirement

from bench import reference
from bench.machine import REPO_ROOT
from tweet_sentiment.config import get_settings

MB = 1024 * 1024


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _installed() -> dict[str, metadata.Distribution]:
    return {_norm(d.metadata["Name"]): d for d in metadata.distributions()}


def read_requirements(path: Path) -> list[Requirement]:
    lines = (line.split("#", 1)[0].strip() for line in path.read_text().splitlines())
    return [Requirement(line) for line in lines if line and not line.startswith("-")]


def closure(requirements: list[Requirement]) -> dict[str, metadata.Distribution]:
    """Every installed distribution the requirements pull in (markers and extras honoured)."""
    installed = _installed()
    found: dict[str, metadata.Distribution] = {}
    todo = [(r, frozenset(r.extras)) for r in requirements]
    env = default_environment()
    while todo:
        requirement, extras = todo.pop()
        name = _norm(requirement.name)
        if name in found or name not in installed:
            continue
        dist = installed[name]
        found[name] = dist
        for text in dist.requires or []:
            dep = Requirement(text)
            wanted = (
                any(dep.marker.evaluate({**env, "extra": e}) for e in extras or {""})  # type: ignore[dict-item]
                if dep.marker
                else True
            )
            if wanted:
                todo.append((dep, frozenset(dep.extras)))
    return found


def size_on_disk(dist: metadata.Distribution) -> int:
    total = 0
    for file in dist.files or []:
        path = Path(str(dist.locate_file(file)))
        if path.is_file():
            total += path.stat().st_size
    return total


def measure(requirements: list[Requirement]) -> dict[str, Any]:
    dists = closure(requirements)
    sizes = {name: size_on_disk(d) for name, d in dists.items()}
    top = sorted(sizes.items(), key=lambda kv: -kv[1])[:6]
    return {
        "distributions": len(sizes),
        "mb": sum(sizes.values()) / MB,
        "largest": [(name, round(size / MB, 1)) for name, size in top],
    }


def run(quick: bool = False) -> dict[str, Any]:
    serving = read_requirements(REPO_ROOT / "requirements.txt")
    tensorflow = next(
        r
        for r in read_requirements(REPO_ROOT / "requirements-train.txt")
        if _norm(r.name) == "tensorflow"
    )
    missing = [r.name for r in [*serving, tensorflow] if _norm(r.name) not in _installed()]
    if missing:
        raise SystemExit(f"not installed in this venv: {missing} (make bench installs them)")
    results: dict[str, Any] = {
        "serving": measure(serving),
        "serving_plus_tensorflow": measure([*serving, tensorflow]),
        "tensorflow_requirement": str(tensorflow),
    }
    results["models"] = models = {
        "served": reference.describe(get_settings().model_dir),
        "reference": reference.describe(reference.REFERENCE_DIR),
    }
    served, old = models["served"], models["reference"]
    print(
        f"  model.onnx: served {served['model_version']} {served['onnx_mb']:.1f} MB (issue 13: "
        f"<= {reference.ONNX_MB_BOUND} MB, "
        f"{reference.within(served['onnx_mb'], reference.ONNX_MB_BOUND)}); reference "
        f"{old['model_version']} {old['onnx_mb']:.1f} MB"
    )
    s, t = results["serving"], results["serving_plus_tensorflow"]
    results["ratio"] = t["mb"] / s["mb"]
    print(
        f"  installed size requirements.txt: {s['mb']:7.0f} MB ({s['distributions']} dists); "
        f"largest {s['largest'][:3]}"
    )
    print(
        f"  same + {tensorflow}: {t['mb']:7.0f} MB ({t['distributions']} dists); "
        f"largest {t['largest'][:3]}; {results['ratio']:.1f}x larger"
    )
    return results
