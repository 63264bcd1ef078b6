"""The drift watch query (infra/kql/drift.kql) really runs and computes, per model version and
day, the mean OOV rate, the mean negative probability and the label mix of scored tweets.

It runs with duckdb-kql on rows shaped like Application Insights' customEvents, as the alert rules
do in test_alert_rules.py. (That the app emits these dimensions: test_telemetry_replay.py checks
every .kql file against real envelopes.)
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import duckdb_kql
import pytest

from tests.infra.alert_engine import TABLES, custom_event
from tests.infra.bicep_model import KQL_DIR
from tests.infra.test_kql_contract import code, dimension_keys, event_names
from tweet_sentiment import telemetry

DRIFT = KQL_DIR / "drift.kql"
DAY = datetime(2026, 11, 20, 9, tzinfo=UTC)


def scored(when: datetime, version: str, label: str, negative: float, oov: float) -> dict:
    return custom_event(
        telemetry.SCORED_EVENT,
        when,
        **{
            telemetry.PROP_MODEL_VERSION: version,
            telemetry.PROP_LABEL: label,
            telemetry.PROP_NEGATIVE_PROBABILITY: str(negative),
            telemetry.PROP_OOV_RATE: str(oov),
        },
    )


def run(rows: list[dict]) -> list[dict]:
    con = duckdb_kql.connect()
    con.sql(f'CREATE TABLE "customEvents" ({TABLES["customEvents"]})')
    for row in rows:
        values = [
            row["timestamp"].replace(tzinfo=None),
            row["name"],
            json.dumps(row["customDimensions"]),
        ]
        con.execute('INSERT INTO "customEvents" VALUES (?, ?, ?)', values)
    result = duckdb_kql.query(con, DRIFT.read_text(encoding="utf-8"))
    return [dict(zip(result.columns, r, strict=True)) for r in result.fetchall()]


def test_the_drift_query_reads_the_scored_event_drift_dimensions() -> None:
    kql = code(DRIFT)
    assert duckdb_kql.validate(DRIFT.read_text(encoding="utf-8")) == []
    assert event_names(kql) == {telemetry.SCORED_EVENT}
    assert dimension_keys(kql) == {
        telemetry.PROP_MODEL_VERSION,
        telemetry.PROP_LABEL,
        telemetry.PROP_NEGATIVE_PROBABILITY,
        telemetry.PROP_OOV_RATE,
    }


def test_drift_is_summarised_per_model_version_and_day() -> None:
    rows = [
        scored(DAY, "v1", "negative", 0.9, 0.10),
        scored(DAY + timedelta(hours=1), "v1", "positive", 0.1, 0.30),
        scored(DAY + timedelta(hours=2), "v1", "negative", 0.8, 0.20),
        scored(DAY + timedelta(days=1), "v1", "neutral", 0.2, 0.50),
        scored(DAY + timedelta(hours=3), "v2", "positive", 0.05, 0.0),
        custom_event(telemetry.FEEDBACK_EVENT, DAY, **{telemetry.PROP_MODEL_VERSION: "v1"}),
    ]
    out = {(r["model_version"], r["day"].date().isoformat()): r for r in run(rows)}
    assert set(out) == {("v1", "2026-11-20"), ("v1", "2026-11-21"), ("v2", "2026-11-20")}
    first = out[("v1", "2026-11-20")]
    assert first["scored"] == 3
    assert first["mean_oov_rate"] == pytest.approx(0.2)
    assert first["mean_negative_probability"] == pytest.approx(0.6)
    assert (first["negative_share"], first["neutral_share"], first["positive_share"]) == (
        pytest.approx(0.6667),
        0,
        pytest.approx(0.3333),
    )
    assert out[("v1", "2026-11-21")]["mean_oov_rate"] == pytest.approx(0.5)
    assert out[("v2", "2026-11-20")]["positive_share"] == 1
