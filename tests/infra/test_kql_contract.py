"""The alert KQL and the Function agree on names: event names and customDimensions keys in
infra/kql/*.kql are exactly the constants of tweet_sentiment.telemetry, the tables are those of
the scope the rules use, and every file is valid KQL that Bicep really loads.

(That the running app emits these names in real envelopes: test_telemetry_replay.py.)
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb_kql
import pytest

from tests.infra.alert_engine import HOST_SDK_VERSION, WORKER_SDK_VERSION
from tests.infra.bicep_model import KQL_DIR, alert_rules, loaded_kql_files, module_path
from tweet_sentiment import telemetry

KQL_FILES = sorted(KQL_DIR.glob("*.kql"))
# The requests rows the service-health rules count: those of the app's OpenTelemetry exporter,
# not the Functions host's row for the same call (infra/kql/server_errors.kql says why).
REQUEST_QUERIES = ("server_errors", "latency_p95")
REQUEST_SOURCE_LINE = '| where sdkVersion matches regex "^[a-z]+_py[0-9]"\n'
# Workbook / Logs queries people run (docs/feedback-loop.md, docs/alerts.md), not alert rules.
WATCH_QUERIES = {"drift", "buzz_themes"}
EVENT_NAMES = {telemetry.FEEDBACK_EVENT, telemetry.SCORED_EVENT}
PROPERTY_NAMES = {value for name, value in vars(telemetry).items() if name.startswith("PROP_")}


def code(path: Path) -> str:
    """The query without its // comments (they may name things in prose)."""
    return "\n".join(line.split("//")[0] for line in path.read_text(encoding="utf-8").splitlines())


def event_names(kql: str) -> set[str]:
    return set(re.findall(r'\bname\s*==\s*"([^"]+)"', kql))


def dimension_keys(kql: str) -> set[str]:
    return set(re.findall(r'customDimensions\s*\[\s*"([^"]+)"\s*\]', kql)) | set(
        re.findall(r"customDimensions\.(\w+)", kql)
    )


def tables(kql: str) -> set[str]:
    """Tables a query starts from (a line that is just an identifier, before the first pipe),
    not the tabular `let` names it defines itself."""
    defined = set(re.findall(r"\blet\s+(\w+)\s*=", kql))
    return set(re.findall(r"^\s*([A-Za-z]\w*)\s*$", kql, re.M)) - defined


def test_there_is_one_kql_file_per_rule_and_bicep_loads_each() -> None:
    assert {p.stem for p in KQL_FILES} - WATCH_QUERIES == {
        "mispredictions",
        "bad_buzz",
        "server_errors",
        "latency_p95",
    }
    rules = {p.resolve() for p in KQL_FILES if p.stem not in WATCH_QUERIES}
    assert loaded_kql_files(module_path("alerts")) == rules


@pytest.mark.parametrize("path", KQL_FILES, ids=lambda p: p.stem)
def test_event_and_dimension_names_are_the_telemetry_constants(path: Path) -> None:
    kql = code(path)
    assert event_names(kql) <= EVENT_NAMES
    assert dimension_keys(kql) <= PROPERTY_NAMES


def test_the_mispredictions_rule_counts_feedback_saying_false() -> None:
    kql = code(KQL_DIR / "mispredictions.kql")
    assert event_names(kql) == {telemetry.FEEDBACK_EVENT}
    assert re.search(
        rf'tostring\(customDimensions\["{telemetry.PROP_IS_CORRECT}"\]\)\s*==\s*"false"', kql
    )
    assert {
        telemetry.PROP_PREDICTED_LABEL,
        telemetry.PROP_CORRECT_LABEL,
        telemetry.PROP_MODEL_VERSION,
        telemetry.PROP_PREDICTION_ID,
    } <= dimension_keys(kql)


def test_the_bad_buzz_rule_reads_the_scored_label() -> None:
    kql = code(KQL_DIR / "bad_buzz.kql")
    assert event_names(kql) == {telemetry.SCORED_EVENT}
    assert dimension_keys(kql) == {telemetry.PROP_LABEL, telemetry.PROP_RELIABLE}


def test_the_checks_would_catch_a_renamed_event() -> None:
    wrong = code(KQL_DIR / "mispredictions.kql").replace(
        telemetry.FEEDBACK_EVENT, "prediction_feedbacks"
    )
    assert not event_names(wrong) <= EVENT_NAMES


def test_rules_scoped_to_app_insights_read_app_insights_tables() -> None:
    """Scope and schema go together: a component-scoped rule reads customEvents/customDimensions;
    the workspace's AppEvents/Properties would find nothing there (and vice versa)."""
    for rule in alert_rules().values():
        assert rule.scopes == ["appInsightsId"], rule.symbol
    for path in KQL_FILES:
        kql = code(path)
        assert tables(kql) <= {"customEvents", "requests"}, path.name
        assert "AppEvents" not in kql and "AppRequests" not in kql and "Properties" not in kql


@pytest.mark.parametrize("symbol", sorted(alert_rules()))
def test_the_deployed_queries_are_valid_kql(symbol: str) -> None:
    """The text Azure receives (let-lines from parameters + the file) parses as KQL."""
    query = alert_rules()[symbol].query
    assert "${" not in query
    assert duckdb_kql.validate(query) == []


def test_the_validator_rejects_broken_kql() -> None:
    assert duckdb_kql.validate("customEvents | where name ==")


@pytest.mark.parametrize("stem", REQUEST_QUERIES)
def test_the_request_queries_count_one_source(stem: str) -> None:
    kql = code(KQL_DIR / f"{stem}.kql")
    assert tables(kql) == {"requests"}
    first_step = kql.split("requests\n", 1)[1].split("\n", 1)[0] + "\n"
    assert first_step == REQUEST_SOURCE_LINE, f"{stem}: the source filter must come first"


def source_pattern() -> re.Pattern:
    return re.compile(re.search(r'regex "([^"]+)"', REQUEST_SOURCE_LINE).group(1))


def test_the_source_filter_keeps_the_exporters_rows_and_drops_the_hosts(monkeypatch) -> None:
    """The real exporter's sdkVersion, on Functions (FUNCTIONS_WORKER_RUNTIME set) and off it,
    matches; the host's ("azurefunctions: <version>") and a .NET exporter's do not."""
    from azure.monitor.opentelemetry.exporter import _utils

    monkeypatch.setenv("FUNCTIONS_WORKER_RUNTIME", "python")
    on_functions = _utils._get_sdk_version()
    assert on_functions.startswith("f")
    monkeypatch.delenv("FUNCTIONS_WORKER_RUNTIME")
    for version in (on_functions, _utils._get_sdk_version(), WORKER_SDK_VERSION):
        assert source_pattern().search(version), version
    for version in (HOST_SDK_VERSION, "azurefunctions: 4.34.2.22820", "dotnet8.0.11:otel1.9.0"):
        assert not source_pattern().search(version), version
