"""Evaluate an alert rule the way Azure Monitor does, on rows instead of a workspace.

A log search alert runs its KQL over the rule's window, then either counts the result rows
(``timeAggregation: Count``) or aggregates ``metricMeasureColumn`` over them, and compares the
number with the threshold. Here the KQL really runs (duckdb-kql executes it on DuckDB tables with
the Application Insights schema), so a test proves what the deployed query text does, not what a
re-typed copy of its condition does.

``envelope_rows`` maps the envelopes the Azure Monitor exporter sends to the rows ingestion
would store (customEvents / requests), for tests that replay real telemetry.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

import duckdb_kql
import pyarrow

from tests.infra.bicep_model import AlertRule

# The columns of the Application Insights tables the rules read (a subset of the real schema).
TABLES = {
    "customEvents": "timestamp TIMESTAMP, name VARCHAR, customDimensions JSON",
    "requests": (
        "timestamp TIMESTAMP, name VARCHAR, resultCode VARCHAR, duration DOUBLE, "
        "success BOOLEAN, operation_Id VARCHAR, sdkVersion VARCHAR"
    ),
}
# sdkVersion of the two emitters of a requests row per call on Azure Functions: the app's
# azure-monitor-opentelemetry exporter (`_utils._get_sdk_version()`: "f" Functions, "l" Linux,
# "m" manual set-up, then py/otel/distro versions) and the Functions host (its tests assert the
# prefix "azurefunctions: ", Azure/azure-functions-host).
WORKER_SDK_VERSION = "flm_py3.11.13:otel1.39.1:dst1.8.11"
HOST_SDK_VERSION = "azurefunctions: 4.1041.200.2"
# The function AsgiFunctionApp registers (azure.functions' default name): the host's row name.
HOST_FUNCTION_NAME = "http_app_func"

_OPERATORS = {
    "GreaterThan": lambda v, t: v > t,
    "GreaterThanOrEqual": lambda v, t: v >= t,
    "LessThan": lambda v, t: v < t,
    "LessThanOrEqual": lambda v, t: v <= t,
    "Equals": lambda v, t: v == t,
}
_DURATION = re.compile(r"^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?)?$")


def iso_minutes(duration: str) -> int:
    """Minutes of an ISO 8601 rule duration such as PT5M, PT1H or P1D."""
    match = _DURATION.match(duration)
    assert match and any(match.groups()), f"unsupported duration {duration!r}"
    days, hours, minutes = (int(g or 0) for g in match.groups())
    return (days * 24 + hours) * 60 + minutes


@dataclass(frozen=True)
class Verdict:
    fired: bool
    value: float | None
    rows: int


def run_query(
    query: str,
    tables: Mapping[str, Iterable[Mapping[str, Any]]],
    now: datetime,
    window: str,
) -> list[dict[str, Any]]:
    """The result rows of ``query`` over the table rows inside the time range ``window`` ending at
    ``now``, with ``now()`` being ``now`` (Kusto's ``query_now`` request option: what Azure's
    ``now()`` is when the rule runs)."""
    start = now - timedelta(minutes=iso_minutes(window))
    con = _connection()
    for table, columns in TABLES.items():
        con.sql(f'CREATE OR REPLACE TABLE "{table}" ({columns})')
        names = [c.split()[0] for c in columns.split(", ")]
        rows = [row for row in tables.get(table, []) if start < row["timestamp"] <= now]
        if rows:  # one columnar insert: row by row takes minutes for a few days of tweets
            batch = pyarrow.table({n: [_sql_value(row.get(n)) for row in rows] for n in names})
            con.register("batch", batch)
            con.sql(f'INSERT INTO "{table}" SELECT * FROM batch')
            con.unregister("batch")
    result = duckdb_kql.query(con, query, query_now=now.astimezone(UTC).replace(tzinfo=None))
    columns = result.columns
    return [dict(zip(columns, r, strict=True)) for r in result.fetchall()]


@cache
def _connection() -> Any:
    """One DuckDB connection per process (opening one takes seconds on a busy machine); each
    query recreates the tables it reads."""
    return duckdb_kql.connect()


def evaluate(
    rule: AlertRule, tables: Mapping[str, Iterable[Mapping[str, Any]]], now: datetime
) -> Verdict:
    """Run the rule's query over the rows inside its query time range ending at ``now`` (its
    window, or its overrideQueryTimeRange); fire or not."""
    records = run_query(rule.query, tables, now, rule.query_time_range)
    if rule.time_aggregation == "Count":
        value: float | None = float(len(records))
    else:
        measures = [
            float(r[rule.metric_column]) for r in records if r[rule.metric_column] is not None
        ]
        aggregate = {
            "Maximum": max,
            "Minimum": min,
            "Total": sum,
            "Average": lambda v: sum(v) / len(v),
        }[rule.time_aggregation]
        value = aggregate(measures) if measures else None
    fired = value is not None and _OPERATORS[rule.operator](value, rule.threshold)
    return Verdict(fired=fired, value=value, rows=len(records))


def _sql_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None)
    if isinstance(value, dict):
        return json.dumps(value)
    return value


def custom_event(name: str, when: datetime, **dimensions: str) -> dict[str, Any]:
    return {"timestamp": when, "name": name, "customDimensions": dimensions}


def request(
    when: datetime, result_code: int, duration_ms: float = 20.0, name: str = "POST /api/predict"
) -> dict[str, Any]:
    """A requests row as the app's OpenTelemetry exporter writes it."""
    return {
        "timestamp": when,
        "name": name,
        "resultCode": str(result_code),
        "duration": duration_ms,
        "success": result_code < 400,
        "operation_Id": "op",
        "sdkVersion": WORKER_SDK_VERSION,
    }


def host_request(worker_row: Mapping[str, Any]) -> dict[str, Any]:
    """The Functions host's requests row for the same call: same operation, same status, the
    function's name, a little longer (it includes the hop to the worker). A stand-in: the host
    cannot run here."""
    return {
        **worker_row,
        "name": HOST_FUNCTION_NAME,
        "duration": float(worker_row["duration"]) + 3.0,
        "sdkVersion": HOST_SDK_VERSION,
    }


def _timespan_ms(value: str) -> float:
    """Application Insights duration 'd.hh:mm:ss.ffffff' (days optional) in milliseconds."""
    head, _, rest = value.partition(":")
    days, _, hours = head.rpartition(".")
    minutes, seconds = rest.split(":")
    total_seconds = (int(days or 0) * 24 + int(hours)) * 3600 + int(minutes) * 60 + float(seconds)
    return total_seconds * 1000


def envelope_rows(envelopes: Iterable[Mapping[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """What ingestion stores for the exporter's envelopes: customEvents and requests rows."""
    tables: dict[str, list[dict[str, Any]]] = {"customEvents": [], "requests": []}
    for envelope in envelopes:
        data = envelope.get("data", {})
        base = data.get("baseData", {})
        when = datetime.fromisoformat(envelope["time"].replace("Z", "+00:00"))
        if data.get("baseType") == "EventData":
            tables["customEvents"].append(
                {
                    "timestamp": when,
                    "name": base["name"],
                    "customDimensions": dict(base.get("properties") or {}),
                }
            )
        elif data.get("baseType") == "RequestData":
            tables["requests"].append(
                {
                    "timestamp": when,
                    "name": base.get("name"),
                    "resultCode": str(base.get("responseCode")),
                    "duration": _timespan_ms(base["duration"]),
                    "success": base.get("success"),
                    "operation_Id": (envelope.get("tags") or {}).get("ai.operation.id"),
                    "sdkVersion": (envelope.get("tags") or {}).get("ai.internal.sdkVersion"),
                }
            )
    return tables
