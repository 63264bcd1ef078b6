"""Every command, route, path, variable and figure of README.md is real, so the README cannot rot.

Convention (documented at the end of the README): a fenced bash block preceded by
``<!-- test: run -->`` is safe and is RUN here: `curl` lines against the service started with the
documented command (`python -m tweet_sentiment serve`, what `make run` runs after Azurite; the
script itself is exercised by tests/integration/test_run_local.py) on a free port, other blocks in
a scratch directory. A block preceded by ``<!-- test: check -->`` is not safe here (deploys, long
trainings, servers that never stop): each command is parsed and what it names must exist.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shlex
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.routing import APIRoute, RouteContext, iter_route_contexts

from tests.conftest import free_port, served_subprocess
from tests.docs.numbers import unsupported
from tests.docs.test_blog import SOURCES as BLOG_SOURCES
from tweet_sentiment.config import REPO_ROOT, Settings

README = REPO_ROOT / "README.md"
BLOCK = re.compile(r"<!-- test: (run|check) -->\s*\n```bash\n(.*?)```", re.S)
FIGURE_SOURCES = [
    *BLOG_SOURCES,
    "docs/deploy.md",
    "docs/model-artifacts.md",
    "tweet_sentiment/config.py",
    "tweet_sentiment/__main__.py",
    "scripts/run-local.sh",
    "Makefile",
    "requirements.txt",
    "requirements-train.txt",
    "training/config.py",
    "training/export.py",
    "training/retrain.py",
]


def _text() -> str:
    return README.read_text(encoding="utf-8")


def blocks(kind: str) -> list[str]:
    return [body for k, body in BLOCK.findall(_text()) if k == kind]


def commands(block: str) -> list[str]:
    """Logical command lines: continuations joined, blank lines dropped."""
    return [c.strip() for c in block.replace("\\\n", " ").splitlines() if c.strip()]


def _section(title: str) -> str:
    return _text().split(f"\n## {title}\n", 1)[1].split("\n## ", 1)[0]


def test_the_readme_marks_its_snippets() -> None:
    fenced = len(re.findall(r"^```bash$", _text(), re.M))
    assert fenced == len(BLOCK.findall(_text())), "every bash block needs a test: run|check mark"
    assert len(blocks("run")) >= 2 and len(blocks("check")) >= 5


# --- blocks marked "run" --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def documented_server(azurite, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The service as the README starts it, on a free port, feedback into the test Azurite."""
    port = free_port()
    env = {
        **os.environ,
        "FEEDBACK_STORAGE_CONNECTION_STRING": azurite.connection_string,
        "FEEDBACK_CONTAINER": f"readme-{uuid.uuid4().hex[:8]}",
    }
    env.pop("APPLICATIONINSIGHTS_CONNECTION_STRING", None)
    with served_subprocess(port, env, tmp_path_factory.mktemp("readme") / "server.log",
                           "the service") as url:  # fmt: skip
        yield url


def curl_commands() -> list[str]:
    return [c for block in blocks("run") for c in commands(block) if c.startswith("curl ")]


def served_routes() -> list[RouteContext]:
    """Every route of the app, those of its included routers too."""
    from tweet_sentiment.api import create_app

    return list(iter_route_contexts(create_app(Settings()).routes))


def test_there_is_a_curl_example_per_route() -> None:
    found = (re.search(r"localhost:8000(/[\w/.]*)", c) for c in curl_commands())
    routes = {m.group(1) for m in found if m}
    # The app's own routes (FastAPI's documentation pages are plain Routes, not APIRoutes).
    ours = {r.path for r in served_routes() if isinstance(r.original_route, APIRoute)}
    assert {"/api/predict", "/api/feedback", "/api/health", "/api/model", "/"} <= ours
    for route in sorted(ours):
        assert route in routes, f"no curl example of {route}"


@pytest.mark.parametrize("command", curl_commands())
def test_curl_examples_answer_2xx(documented_server: str, command: str) -> None:
    host = documented_server.removeprefix("http://")
    line = command.replace("localhost:8000", host) + " -w '\\n%{http_code}'"
    done = subprocess.run(["bash", "-c", line], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    body, _, status = done.stdout.rpartition("\n")
    assert status.startswith("2"), f"{command}\n-> {status} {body[:500]}"
    if re.search(r"localhost:8000/?['\s]*$", command):
        assert "<html" in body.lower()
    else:
        assert isinstance(json.loads(body), dict)


def test_other_run_blocks_work_in_a_scratch_directory(tmp_path: Path) -> None:
    other = [b for b in blocks("run") if not commands(b)[0].startswith("curl ")]
    assert other, "the command-line examples are marked run"
    (tmp_path / ".venv").symlink_to(sys.prefix)  # the venv running the tests
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    for block in other:
        done = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", block], cwd=tmp_path, env=env,
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert done.returncode == 0, f"{block}\n{done.stderr}"
        outputs = [done.stdout, *(p.read_text() for p in tmp_path.glob("*.jsonl"))]
        lines = [line for text in outputs for line in text.splitlines()]
        assert lines, block
        assert all("label" in json.loads(line) for line in lines)


# --- blocks marked "check" ------------------------------------------------------------------------


def _make_targets() -> set[str]:
    makefile = (REPO_ROOT / "Makefile").read_text(encoding="utf-8")
    return set(re.findall(r"^([\w-]+):", makefile, re.M))


def _module(words: list[str]) -> str | None:
    return words[words.index("-m") + 1] if "-m" in words else None


def check_command(command: str) -> None:
    """Fail unless what the command names exists in the project."""
    words = shlex.split(command, comments=True)
    words = [w for w in words if not re.fullmatch(r"[A-Z_]+=.*", w) and w != "&"]
    head = words[0]
    if head == "make":
        assert words[1] in _make_targets(), f"no Makefile target {words[1]!r}"
    elif head.endswith("python") or head == "python":
        module = _module(words)
        assert module and importlib.util.find_spec(module), f"no module {module!r}"
    elif head == "azd":
        assert (REPO_ROOT / "azure.yaml").is_file() and (REPO_ROOT / "infra/main.bicep").is_file()
    elif head == "npx":
        assert (REPO_ROOT / "node_modules/.bin" / words[1]).exists(), f"no npm binary {words[1]}"
    elif head == "source":
        assert words[1] == ".venv/bin/activate"
    elif head == "func":
        assert (REPO_ROOT / "function_app.py").is_file() and (REPO_ROOT / "host.json").is_file()
    else:
        pytest.fail(f"the README test does not know how to check {command!r}")


@pytest.mark.parametrize("command", [c for b in blocks("check") for c in commands(b)])
def test_checked_commands_name_real_things(command: str) -> None:
    check_command(command)


def test_the_checker_refuses_what_does_not_exist() -> None:
    for bad in ("make deploy-everything", "python -m training.nothing", "rm -rf build"):
        with (
            pytest.raises(pytest.fail.Exception)
            if bad.startswith("rm")
            else pytest.raises(AssertionError)
        ):
            check_command(bad)


# --- routes, paths, variables, figures --------------------------------------------------------


def test_every_route_in_the_api_table_is_served() -> None:
    served = {(m, r.path) for r in served_routes() for m in r.methods or ()}
    table = _section("API").split("\n\n", 1)[0]
    documented = re.findall(r"`(GET|POST) (/[\w/.]*)", table)
    documented += re.findall(r", `(GET|POST) (/[\w/.]*)", table)
    assert len(documented) >= 6
    for method, path in documented:
        assert (method, path) in served, f"{method} {path} is not a route of the app"


def _paths() -> set[str]:
    text = _text()
    code = set(re.findall(r"`([^`\s<>{}:]+/[^`\s<>{}:]*)`", text))
    links = set(re.findall(r"\]\(((?!https?:|#)[^)]+)\)", text))
    top = {p.name for p in REPO_ROOT.iterdir()}
    return {
        p.rstrip("/")
        for p in code | links
        if p.split("/")[0] in top and not p.startswith(("build/", ".azurite", ".venv"))
    }


def test_every_path_named_exists() -> None:
    paths = _paths()
    assert len(paths) >= 30
    missing = [p for p in sorted(paths) if not list(REPO_ROOT.glob(p))]
    assert not missing, f"README names paths that do not exist: {missing}"


def test_the_configuration_table_is_what_the_code_reads() -> None:
    section = _section("Configuration")
    documented = set(re.findall(r"^\| `([A-Z_]+)`", section, re.M))
    documented |= set(re.findall(r"`([A-Z_]{4,})`", section.split("\n| ", 1)[1].split("\n\n")[0]))
    read = {
        str(name)
        for field in Settings.model_fields.values()
        for name in getattr(field.validation_alias, "choices", ())
    }
    assert read, "tweet_sentiment/config.py changed how it reads the environment"
    assert not read - documented - {"AzureWebJobsStorage"}, read - documented
    assert "AzureWebJobsStorage" in section
    code = "".join(
        p.read_text(encoding="utf-8")
        for p in [*REPO_ROOT.glob("tweet_sentiment/*.py"), *REPO_ROOT.glob("training/*.py"),
                  REPO_ROOT / "scripts/run-local.sh"]
    )  # fmt: skip
    unused = [v for v in documented if v not in code]
    assert not unused, f"documented but read nowhere: {unused}"
    defaults = Settings()
    rows = dict(re.findall(r"^\| `([A-Z_]+)` \| `?([^`|]+?)`? \|", section, re.M))
    for name, attribute in [("MAX_BATCH", "max_batch"), ("MAX_EXPLAIN_BATCH", "max_explain_batch"),
                            ("MAX_TEXT_CHARS", "max_text_chars"),
                            ("MAX_BODY_BYTES", "max_body_bytes"),
                            ("STORAGE_TIMEOUT_SECONDS", "storage_timeout_seconds"),
                            ("FEEDBACK_CONTAINER", "feedback_container"),
                            ("FUNCTION_AUTH_LEVEL", "auth_level")]:  # fmt: skip
        assert rows[name] == str(getattr(defaults, attribute)).removesuffix(".0"), name


def test_every_figure_comes_from_a_source() -> None:
    stale = unsupported(_text(), [REPO_ROOT / p for p in FIGURE_SOURCES])
    assert not stale, f"figures in README.md found in none of the sources: {stale}"
