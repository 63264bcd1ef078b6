"""The bad-buzz workbook (infra/modules/workbook.bicep, content infra/workbooks/*.json): a real
Microsoft.Insights/workbooks resource (property paths of the azure-mgmt-applicationinsights SDK),
wired in main.bicep, whose queries run (duckdb-kql) on the stream of test_buzz_rule.py and show
the detector's windows: the timeline agrees with the Python detector window by window, the alert
windows are its alert windows, the themes name the burst's topic.
"""

from __future__ import annotations

import json
import random
from datetime import timedelta

import pytest
from azure.mgmt.applicationinsights.v2023_06_01 import models as insights
from azure.mgmt.monitor import models as monitor

from tests.infra.alert_engine import custom_event, run_query
from tests.infra.bicep_model import INFRA, config, module_call, module_path, parse, resources
from tests.infra.test_buzz_rule import EVENTS, PARAMS, PYTHON, RULE
from tweet_sentiment import telemetry
from tweet_sentiment.buzz import window_start

WORKBOOK = module_path("workbook")
CONTENT = json.loads((INFRA / "workbooks" / "bad_buzz.workbook.json").read_text(encoding="utf-8"))
LETS = RULE.query.split("\n", 1)[0]  # the alert rule's parameters, as alerts.bicep renders them


def sdk_paths(model) -> set[str]:
    return {entry["key"] for entry in model._attribute_map.values()}


def bicep_paths(body: dict, prefix: str = "") -> set[str]:
    found = set()
    for key, value in body.items():
        path = f"{prefix}{key}"
        if key == "properties" and isinstance(value, dict):
            found |= {f"properties.{k}" for k in value}
        else:
            found.add(path)
    return found


def query(name: str) -> str:
    (item,) = [i for i in CONTENT["items"] if i.get("name") == name]
    assert item["type"] == 3 and item["content"]["version"] == "KqlItem/1.0"
    assert item["content"]["resourceType"] == "microsoft.insights/components"
    assert item["content"]["timeContextFromParameter"] == "TimeRange"
    return item["content"]["query"].replace("__BAD_BUZZ_LETS__", LETS)


def test_the_workbook_is_a_shared_workbook_of_the_component() -> None:
    (resource,) = resources(WORKBOOK, "Microsoft.Insights/workbooks").values()
    body = config(resource)
    assert bicep_paths(body) - {"name"} <= sdk_paths(insights.Workbook)
    assert body["kind"] == "shared"
    props = body["properties"]
    assert props["version"] == CONTENT["version"] == "Notebook/1.0"
    assert props["category"] == "workbook"
    replace = props["serializedData"]["function"]
    assert replace["type"] == "replace"
    assert replace["parameters"]["original_string"]["function"]["parameters"]["file_path"] == (
        "../workbooks/bad_buzz.workbook.json"
    )
    assert (replace["parameters"]["old_string"], replace["parameters"]["new_string"]) == (
        "__BAD_BUZZ_LETS__",
        "badBuzzLets",
    )
    call = module_call("workbook")["params"]
    for param, module in (("appInsightsId", "monitoring"), ("badBuzzLets", "alerts")):
        accessor = call[param]["operator"]["operands"]
        assert accessor["operand_1"] == module
        assert accessor["operand_2"]["operator"]["operands"]["operand_2"] == param
    assert "badBuzzLets" in parse(module_path("alerts"))["outputs"]


def test_the_alert_rule_uses_property_paths_the_monitor_sdk_knows() -> None:
    (resource,) = [
        r
        for s, r in resources(
            module_path("alerts"), "Microsoft.Insights/scheduledQueryRules"
        ).items()
        if s == "badBuzzRule"
    ]
    body = config(resource)
    assert bicep_paths(body) - {"name"} <= sdk_paths(monitor.ScheduledQueryRuleResource)
    (criterion,) = body["properties"]["criteria"]["allOf"]
    assert set(criterion) <= {e["key"] for e in monitor.Condition._attribute_map.values()}


def test_every_workbook_query_is_valid_kql() -> None:
    import duckdb_kql

    names = [i["name"] for i in CONTENT["items"] if i["type"] == 3]
    assert names == ["timeline-volume", "timeline-share", "alert-windows", "themes", "label-mix"]
    for name in names:
        assert duckdb_kql.validate(query(name)) == [], name
    # The windows are the alert rule's, verbatim: editing bad_buzz.kql means regenerating these.
    kql = (INFRA / "kql" / "bad_buzz.kql").read_text(encoding="utf-8")
    windows = (
        kql.split("// ---- windows", 1)[1].split("\n", 1)[1].split("// ---- end of windows")[0]
    )
    for name in names[:4]:
        assert windows in query(name), name
    themes = (INFRA / "kql" / "buzz_themes.kql").read_text(encoding="utf-8")
    assert query("themes").endswith(themes)


@pytest.fixture(scope="module")
def rows() -> dict:
    """The stream of test_buzz_rule.py, with the terms the app stores on negative tweets: the
    bursts are about lost bags, the background about anything."""
    rng = random.Random(7)
    burst_minutes = {w.start for w in PYTHON if w.alert}
    background = ["delay", "crew", "seat", "refund", "gate", "food", "wifi", "upgrade", "pilot"]
    out = []
    for when, label in EVENTS:
        dims = {telemetry.PROP_LABEL: label}
        if label == "negative":
            in_burst = window_start(when, PARAMS.window) in burst_minutes
            topic = ["lost", "bag", "#lostluggage"] if in_burst and rng.random() < 0.6 else []
            dims[telemetry.PROP_TERMS] = " ".join(sorted({*topic, *rng.sample(background, 2)}))
        out.append(custom_event(telemetry.SCORED_EVENT, when, **dims))
    return {"customEvents": out}


def workbook_run(name: str, rows: dict) -> list[dict]:
    now = PYTHON[-1].end + timedelta(minutes=1)
    return run_query(query(name), rows, now, "P4D")


def test_the_timeline_is_the_detectors(rows: dict) -> None:
    volume = workbook_run("timeline-volume", rows)
    share = workbook_run("timeline-share", rows)
    assert [r["start"] for r in volume] == [w.start.replace(tzinfo=None) for w in PYTHON]
    for row, window in zip(volume, PYTHON, strict=True):
        assert (row["scored"], row["expected_scored"]) == (
            window.scored,
            pytest.approx(window.expected_scored),
        )
    for row, window in zip(share, PYTHON, strict=True):
        assert row["expected_share"] == pytest.approx(window.expected_share)
        assert (row["negative_share"] is None) == (window.negative_share is None)


def test_the_alert_windows_are_the_detectors(rows: dict) -> None:
    alerts = workbook_run("alert-windows", rows)
    assert sorted(r["start"] for r in alerts) == [
        w.start.replace(tzinfo=None) for w in PYTHON if w.alert
    ]
    assert sum(r["onset"] for r in alerts) == sum(w.onset for w in PYTHON)


def test_the_themes_name_what_the_latest_buzz_is_about(rows: dict) -> None:
    themes = workbook_run("themes", rows)
    top = [t["term"] for t in themes[:3]]
    assert set(top) == {"lost", "bag", "#lostluggage"}, themes
    assert all(t["z"] > 0 for t in themes)


def test_the_label_mix_counts_every_scored_tweet(rows: dict) -> None:
    mix = workbook_run("label-mix", rows)
    assert sum(r["tweets"] for r in mix) == len(EVENTS)
    assert {r["label"] for r in mix} == {"negative", "positive"}
