"""deploy.yml's reading of the deployment outputs, run on outputs cased the way ARM returns them.

ARM does not keep the case of output names (Azure/azure-dev#512): `az deployment group create
--query properties.outputs` gives `functioN_APP_NAME` for `FUNCTION_APP_NAME`. The sample below
is every output of main.bicep renamed by the rule that produces exactly that (Newtonsoft's
camel-casing, which ARM's serializer applies), and the test runs the very command line of the
workflow step on it, with a real `$GITHUB_OUTPUT` file.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.infra.bicep_model import MAIN, parse
from tests.infra.test_workflows import load, steps
from tweet_sentiment.config import REPO_ROOT

SAMPLE_VALUES = {
    "FUNCTION_APP_NAME": "func-prod-2kq7xw4tq3vbe",
    "FUNCTION_APP_URL": "https://func-prod-2kq7xw4tq3vbe.azurewebsites.net",
}


def arm_cased(name: str) -> str:
    """An output name as ARM returns it: the leading capitals lower-cased, except the last one
    before a non-capital (FUNCTION_APP_NAME -> functioN_APP_NAME, Public_SSH -> public_SSH)."""
    chars = list(name)
    for i, char in enumerate(chars):
        if i == 1 and not char.isupper():
            break
        if i > 0 and i + 1 < len(chars) and not chars[i + 1].isupper():
            break
        chars[i] = char.lower()
    return "".join(chars)


def arm_outputs() -> dict:
    """`--query properties.outputs` of a deployment of main.bicep, names as ARM returns them."""
    outputs = {}
    for name, output in parse(MAIN)["outputs"].items():
        kind = output["type"]
        value = SAMPLE_VALUES.get(name, [] if kind == "array" else f"value-of-{name}")
        outputs[arm_cased(name)] = {"type": kind.capitalize(), "value": value}
    return outputs


def step_command() -> str:
    """The command of the "Deploy infrastructure" step that turns outputs into step outputs."""
    step = next(s for s in steps(load("deploy.yml"), "deploy") if s.get("id") == "infra")
    script = step["run"].replace("\\\n", " ")
    (line,) = [x for x in script.splitlines() if "scripts/arm_outputs.py" in x]
    return line.strip()


def run_step(tmp_path: Path, outputs: dict) -> tuple[subprocess.CompletedProcess, dict]:
    (tmp_path / "outputs.json").write_text(json.dumps(outputs), encoding="utf-8")
    github_output = tmp_path / "github_output"
    github_output.touch()
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "RUNNER_TEMP": str(tmp_path),
        "GITHUB_OUTPUT": str(github_output),
    }
    done = subprocess.run(
        ["bash", "-eo", "pipefail", "-c", step_command()],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    lines = github_output.read_text(encoding="utf-8").splitlines()
    return done, dict(line.split("=", 1) for line in lines)


def test_the_casing_rule_gives_what_arm_returns() -> None:
    assert arm_cased("FUNCTION_APP_NAME") == "functioN_APP_NAME"  # issue 11, from a real run
    assert arm_cased("Public_SSH") == "public_SSH"  # Azure/Industrial-IoT#1872
    assert arm_cased("functionAppName") == "functionAppName"


def test_the_step_reads_camel_cased_outputs(tmp_path: Path) -> None:
    outputs = arm_outputs()
    assert "functioN_APP_NAME" in outputs and "FUNCTION_APP_NAME" not in outputs
    done, written = run_step(tmp_path, outputs)
    assert done.returncode == 0, done.stderr
    assert written == {
        "function_app_name": SAMPLE_VALUES["FUNCTION_APP_NAME"],
        "function_app_url": SAMPLE_VALUES["FUNCTION_APP_URL"],
    }


def test_every_step_output_the_workflow_uses_is_written(tmp_path: Path) -> None:
    text = (REPO_ROOT / ".github" / "workflows" / "deploy.yml").read_text(encoding="utf-8")
    used = set(re.findall(r"steps\.infra\.outputs\.(\w+)", text))
    assert used == {"function_app_name", "function_app_url"}
    _, written = run_step(tmp_path, arm_outputs())
    assert used <= set(written)


@pytest.mark.parametrize(
    "broken",
    [
        {"functioN_APP_URL": {"type": "String", "value": "https://x.azurewebsites.net"}},
        {"functioN_APP_NAME": {"type": "String", "value": None},
         "functioN_APP_URL": {"type": "String", "value": "https://x.azurewebsites.net"}},
        {"functioN_APP_NAME": {"type": "String", "value": ""},
         "functioN_APP_URL": {"type": "String", "value": "https://x.azurewebsites.net"}},
    ],
    ids=["missing", "null", "empty"],
)  # fmt: skip
def test_a_missing_output_fails_the_step_and_writes_nothing(tmp_path: Path, broken) -> None:
    done, written = run_step(tmp_path, broken)
    assert done.returncode != 0
    assert "FUNCTION_APP_NAME" in done.stderr
    assert written == {}


def test_outputs_that_are_not_json_fail_the_step(tmp_path: Path) -> None:
    done, written = run_step(tmp_path, None)  # `az` printed `null`
    assert done.returncode != 0 and written == {}
