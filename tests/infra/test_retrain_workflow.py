"""retrain.yml does what the feedback loop needs (schema and actionlint: test_workflows.py):
weekly and by hand, OIDC sign-in with no secret, the one `make retrain` command, and a pull request
only when the candidate was promoted."""

from __future__ import annotations

import re

from tests.infra.test_workflows import load, runs, steps, uses
from tweet_sentiment.config import REPO_ROOT


def test_retrain_runs_weekly_and_by_hand() -> None:
    workflow = load("retrain.yml")
    assert set(workflow["on"]) == {"schedule", "workflow_dispatch"}
    (cron,) = [entry["cron"] for entry in workflow["on"]["schedule"]]
    assert re.fullmatch(r"\d+ \d+ \* \* [0-6]", cron), cron  # once a week


def test_retrain_signs_in_with_oidc_and_reads_storage_by_identity() -> None:
    workflow = load("retrain.yml")
    job = workflow["jobs"]["retrain"]
    assert job["permissions"]["id-token"] == "write"
    assert set(uses(workflow, "retrain", "azure/login")["with"]) == {
        "client-id",
        "tenant-id",
        "subscription-id",
    }
    assert job["env"]["FEEDBACK_STORAGE_ACCOUNT_URL"].startswith("https://")
    text = (REPO_ROOT / ".github" / "workflows" / "retrain.yml").read_text(encoding="utf-8")
    assert "secrets." not in text and "CONNECTION_STRING" not in text


def test_retrain_runs_the_make_target_and_opens_a_pull_request_only_when_promoted() -> None:
    workflow = load("retrain.yml")
    assert re.search(r"^\s*make retrain\b", runs(workflow, "retrain"), re.M)
    makefile = (REPO_ROOT / "Makefile").read_text(encoding="utf-8")
    assert re.search(r"^retrain:.*\n\t.*-m training\.retrain", makefile, re.M)
    pull_request = uses(workflow, "retrain", "peter-evans/create-pull-request")
    assert pull_request["if"] == "steps.decision.outputs.promoted == 'true'"
    assert pull_request["with"]["add-paths"] == "model_artifacts/"
    assert pull_request["with"]["body-path"] == "build/retrain/comparison.md"
    names = [s.get("name", s.get("uses", "")) for s in steps(workflow, "retrain")]
    assert names.index("Retrain on feedback") < names.index("Decision") < len(names) - 1
