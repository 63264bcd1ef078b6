"""The deploy path the way azd and GitHub Actions run it, offline.

A copy of the repository (its tracked and new files, as a fresh clone has them) gets what azd's
restore really leaves in it: azd creates `<folder>_env/` in the project and, because there is a
pyproject.toml, runs `pip install .` there (Azure/azure-dev#6848). Then both packages are built
(azd's: the folder minus .funcignore, tests/infra/packaging.py; deploy.yml's: its own script),
must hold exactly the serving files, and, unpacked next to a clean venv that has only
requirements.txt installed (what Flex Consumption's remote build installs), must answer
/api/health and /api/predict through the Functions entry point, as the Python worker calls it.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.infra.packaging import (
    IGNORE_FILE,
    azd_files,
    azd_package,
    deploy_yml_package,
    files_under,
    ignore_spec,
    unpack,
)
from tweet_sentiment.config import REPO_ROOT

FOLDER = "air-paradis-sentiment"  # a clone's folder name; azd names its venv after it
AZD_VENV = f"{FOLDER}_env"
SERVING_ROOTS = ["function_app.py", "host.json", "requirements.txt", "tweet_sentiment",
                 "model_artifacts"]  # fmt: skip


def git_files(*paths: str) -> list[str]:
    """Tracked files plus new ones git does not ignore (what the next commit would hold)."""
    done = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "--", *paths],
        cwd=REPO_ROOT, capture_output=True, text=True, check=True, timeout=60,
    )  # fmt: skip
    return sorted({f for f in done.stdout.splitlines() if (REPO_ROOT / f).is_file()})


SERVING = git_files(*SERVING_ROOTS)


@dataclass(frozen=True)
class Project:
    root: Path
    restore: subprocess.CompletedProcess
    venv_python: Path


def venv_python(venv: Path) -> Path:
    return venv / "bin" / "python"


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Project:
    """The repository as azd sees it after its restore, plus the usual local leftovers."""
    root = tmp_path_factory.mktemp("clone") / FOLDER
    for relative in git_files():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO_ROOT / relative, root / relative)
    # azd's restore: `python3 -m venv <folder>_env`, then `pip install .` inside it. --no-deps:
    # what failed is the build of the project itself; its dependencies are requirements.txt
    # (asserted below), installed into the clean serving venv of the runtime test.
    subprocess.run([sys.executable, "-m", "venv", AZD_VENV], cwd=root, check=True, timeout=300)
    restore = subprocess.run(
        [str(venv_python(root / AZD_VENV)), "-m", "pip", "install", "--no-deps", "."],
        cwd=root, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    # A developer's own venv, bytecode, and azd's environment folder.
    (root / ".venv" / "lib").mkdir(parents=True)
    (root / ".venv" / "pyvenv.cfg").write_text("home = /usr/bin\n", encoding="utf-8")
    (root / ".venv" / "lib" / "leak.py").write_text("LEAK = True\n", encoding="utf-8")
    (root / "tweet_sentiment" / "__pycache__").mkdir(exist_ok=True)
    (root / "tweet_sentiment" / "__pycache__" / "api.cpython-311.pyc").write_bytes(b"\0")
    (root / ".azure" / "prod").mkdir(parents=True)
    (root / ".azure" / "prod" / ".env").write_text('AZURE_ENV_NAME="prod"\n', encoding="utf-8")
    return Project(root, restore, venv_python(root / AZD_VENV))


def test_pip_install_dot_succeeds_as_azd_restore_runs_it(project: Project) -> None:
    assert project.restore.returncode == 0, project.restore.stdout + project.restore.stderr
    probe = (
        "import importlib.metadata as m, json; d = m.distribution('air-paradis-sentiment');"
        "print(json.dumps({'requires': d.requires, 'files': [str(f) for f in d.files]}))"
    )
    done = subprocess.run(
        [str(project.venv_python), "-c", probe], capture_output=True, text=True, check=True
    )
    installed = json.loads(done.stdout)
    pins = [
        line.strip()
        for line in (project.root / "requirements.txt").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    # With dependencies (azd's own run) it installs exactly the serving requirements...
    assert installed["requires"] == pins
    # ...and no module: the app runs from its source tree, never from site-packages.
    assert all(".dist-info/" in f for f in installed["files"]), installed["files"]


def test_the_leftovers_are_really_there(project: Project) -> None:
    """The decoys the packages must leave out exist, or the next tests would prove nothing."""
    assert (project.root / AZD_VENV / "pyvenv.cfg").is_file()
    assert list(project.root.glob("*.egg-info"))  # written by `pip install .`
    assert (project.root / ".venv" / "lib" / "leak.py").is_file()
    assert (project.root / "local.settings.json").is_file()


def digests(root: Path, files: list[str]) -> dict[str, str]:
    return {f: hashlib.sha256((root / f).read_bytes()).hexdigest() for f in files}


@pytest.fixture(scope="module")
def packages(project: Project, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Both deployment packages, zipped and unpacked into fresh folders."""
    work = tmp_path_factory.mktemp("packages")
    return {
        "azd": unpack(azd_package(project.root, work / "azd.zip"), work / "azd"),
        "deploy.yml": unpack(deploy_yml_package(project.root, work / "gha.zip"), work / "gha"),
    }


@pytest.mark.parametrize("kind", ["azd", "deploy.yml"])
def test_the_package_holds_exactly_the_serving_files(packages, kind: str) -> None:
    unpacked = packages[kind]
    assert files_under(unpacked) == SERVING
    assert digests(unpacked, SERVING) == digests(REPO_ROOT, SERVING)


def test_both_packages_are_the_same(packages) -> None:
    azd, gha = packages["azd"], packages["deploy.yml"]
    assert digests(azd, files_under(azd)) == digests(gha, files_under(gha))


@pytest.mark.parametrize(
    ("rule", "leak"),
    [("*_env/", f"{AZD_VENV}/pyvenv.cfg"), (".venv", ".venv/lib/leak.py"),
     ("*.egg-info/", ".egg-info/PKG-INFO")],
)  # fmt: skip
def test_each_leftover_rule_is_what_keeps_it_out(project: Project, rule: str, leak: str) -> None:
    """Without the rule the leftover ships: the packager really applies .funcignore."""
    text = (project.root / IGNORE_FILE).read_text(encoding="utf-8")
    assert rule in text.splitlines()
    without = "\n".join(line for line in text.splitlines() if line != rule)
    shipped = azd_files(project.root, ignore_spec(project.root, without))
    assert any(f.endswith(leak) for f in shipped), f"{leak} should ship without {rule!r}"
    assert not any(f.endswith(leak) for f in azd_files(project.root))


# ---- the packages run -----------------------------------------------------------------------

HEAVY = ["tensorflow", "keras", "sklearn", "torch", "mlflow", "training", "tests", "pandas"]
PROBE = textwrap.dedent(
    """
    import asyncio, json, sys
    import azure.functions as func
    import function_app

    (function,) = function_app.app.get_functions()
    handler = function.get_user_function()
    loop = asyncio.new_event_loop()

    def call(method, url, body=None):
        raw = json.dumps(body).encode() if body is not None else b""
        request = func.HttpRequest(
            method=method, url="https://air-paradis.azurewebsites.net" + url, params={},
            headers={"Content-Type": "application/json"} if body is not None else {}, body=raw,
        )
        response = loop.run_until_complete(handler(request, None))
        return {"status": response.status_code, "body": response.get_body().decode()}

    tweet = {"text": "@AirParadis lost my bag again and nobody answers, worst airline ever"}
    result = {
        "module": function_app.__file__,
        "predict": call("POST", "/api/predict", tweet),
        "health": call("GET", "/api/health"),
        "page": call("GET", "/")["status"],
        "heavy": sorted({name.split(".")[0] for name in sys.modules} & set(sys.argv[1:])),
    }
    if function_app.app.startup_task_done:
        loop.run_until_complete(function_app.app.middleware.notify_shutdown())
    print(json.dumps(result))
    """
)


@pytest.fixture(scope="module")
def serving_venv(project: Project, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A clean venv with only requirements.txt installed: what the remote build gives the app."""
    venv = tmp_path_factory.mktemp("serving") / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    done = subprocess.run(
        [str(venv_python(venv)), "-m", "pip", "install", "-q", "-r",
         str(project.root / "requirements.txt")],
        capture_output=True, text=True, timeout=1200,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return venv_python(venv)


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["azd", "deploy.yml"])
def test_the_unpacked_package_answers_through_the_functions_entry_point(
    packages, serving_venv: Path, kind: str, tmp_path: Path
) -> None:
    unpacked = packages[kind]
    done = subprocess.run(
        [str(serving_venv), "-c", PROBE, *HEAVY],
        cwd=unpacked, capture_output=True, text=True, timeout=300,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},  # no PYTHONPATH, no MODEL_DIR
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert Path(result["module"]).parent == unpacked  # the package's code, not the repository's
    assert result["heavy"] == []
    assert result["predict"]["status"] == 200, result["predict"]
    body = json.loads(result["predict"]["body"])
    (prediction,) = body["predictions"]
    assert prediction["label"] in body["labels"]
    health = json.loads(result["health"]["body"])
    card = json.loads((unpacked / "model_artifacts" / "metadata.json").read_text("utf-8"))
    assert health["status"] == "ok" and health["model_loaded"] is True, health
    assert health["model_version"] == card["model_version"]
    assert result["page"] == 200  # the web page's static files shipped too
