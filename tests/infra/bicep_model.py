"""The Bicep templates as data, for tests that cannot run Bicep or Azure.

pycep-parser turns each .bicep file into a dict (identifiers become plain strings, so a property
whose value is the name of a parameter refers to that parameter). This module adds the little the
tests need on top: find resources by type, resolve a module parameter to main.bicep's default, and
render a rule's query string the way Bicep would (``loadTextContent`` and ``${param}``
interpolation), so the KQL a test runs is the KQL Azure would receive.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from pycep import BicepParser

from tweet_sentiment.config import REPO_ROOT

INFRA = REPO_ROOT / "infra"
MAIN = INFRA / "main.bicep"
MODULES = INFRA / "modules"
KQL_DIR = INFRA / "kql"

_LOAD_TEXT = re.compile(r"\$\{loadTextContent\('([^']+)'\)\}")
_INTERPOLATION = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def bicep_files() -> list[Path]:
    return sorted(INFRA.rglob("*.bicep"))


@cache
def parse(path: Path) -> dict[str, Any]:
    """pycep's structure of one file (cached: the parser is slow)."""
    return BicepParser().parse(file_path=path)


def module_path(name: str) -> Path:
    return MODULES / f"{name}.bicep"


def resources(path: Path, type_: str | None = None) -> dict[str, dict[str, Any]]:
    """Resources of a file by symbolic name, optionally only those of one type."""
    found = parse(path).get("resources", {})
    return {k: v for k, v in found.items() if type_ is None or v["type"] == type_}


def config(resource: dict[str, Any]) -> dict[str, Any]:
    """A resource's body (for a `for` loop resource, the body of one iteration)."""
    body = resource["config"]
    return body["config"] if "loop_type" in body else body


def main_param_default(name: str) -> Any:
    return parse(MAIN)["parameters"][name]["default"]


def module_call(module_file: str) -> dict[str, Any]:
    """The `module` declaration of main.bicep that deploys modules/<module_file>.bicep."""
    for declaration in parse(MAIN)["modules"].values():
        if declaration["detail"]["path"] == f"modules/{module_file}.bicep":
            return declaration["config"]
    raise KeyError(module_file)


def deployed_value(module_file: str, param: str) -> Any:
    """What a module parameter is when main.bicep is deployed with its defaults."""
    passed = module_call(module_file)["params"].get(param)
    main_params = parse(MAIN)["parameters"]
    if isinstance(passed, str) and passed in main_params:
        return main_params[passed]["default"]
    if passed is not None:
        return passed
    return parse(module_path(module_file))["parameters"][param]["default"]


def render(template: Any, module_file: str, base: Path) -> str:
    """A Bicep string as deployed: loadTextContent inlined, ${param} and ${variable} replaced
    (a string variable is rendered in turn), escapes applied."""
    function = template.get("function", {}) if isinstance(template, dict) else {}
    if function.get("type") == "load_text_content":
        return (base / template["function"]["parameters"]["file_path"]).read_text(encoding="utf-8")
    assert isinstance(template, str), f"cannot render {template!r}"
    text = template.replace("\\n", "\n").replace("\\'", "'")
    text = _LOAD_TEXT.sub(lambda m: (base / m.group(1)).read_text(encoding="utf-8"), text)
    variables = parse(module_path(module_file)).get("variables", {})

    def value(name: str) -> str:
        if name in variables:
            return render(variables[name]["value"], module_file, base)
        found = deployed_value(module_file, name)
        return str(found).lower() if isinstance(found, bool) else str(found)  # Bicep's true

    return _INTERPOLATION.sub(lambda m: value(m.group(1)), text)


def loaded_kql_files(path: Path) -> set[Path]:
    """KQL files a Bicep file reads with loadTextContent."""
    text = path.read_text(encoding="utf-8")
    return {(path.parent / p).resolve() for p in re.findall(r"loadTextContent\('([^']+)'\)", text)}


@dataclass(frozen=True)
class AlertRule:
    """One scheduled query rule as Azure Monitor would run it with main.bicep's defaults."""

    symbol: str
    query: str
    time_aggregation: str
    metric_column: str | None
    operator: str
    threshold: float
    window: str
    frequency: str
    scopes: list[Any]
    query_time_range: str  # overrideQueryTimeRange, else the window (one evaluation period)


def _value(module_file: str, raw: Any) -> Any:
    """A literal, the deployed value of the module parameter the identifier names, or a string
    with ${...} interpolations rendered."""
    params = parse(module_path(module_file))["parameters"]
    if isinstance(raw, str) and raw in params:
        return deployed_value(module_file, raw)
    if isinstance(raw, str) and "${" in raw:
        return render(raw, module_file, module_path(module_file).parent)
    return raw


def alert_rules() -> dict[str, AlertRule]:
    """Every scheduled query rule of modules/alerts.bicep, by symbolic name."""
    path = module_path("alerts")
    rules = {}
    for symbol, resource in resources(path, "Microsoft.Insights/scheduledQueryRules").items():
        props = config(resource)["properties"]
        (criterion,) = props["criteria"]["allOf"]
        rules[symbol] = AlertRule(
            symbol=symbol,
            query=render(criterion["query"], "alerts", path.parent),
            time_aggregation=criterion["timeAggregation"],
            metric_column=criterion.get("metricMeasureColumn"),
            operator=criterion["operator"],
            threshold=float(_value("alerts", criterion["threshold"])),
            window=_value("alerts", props["windowSize"]),
            frequency=_value("alerts", props["evaluationFrequency"]),
            scopes=props["scopes"],
            query_time_range=_value(
                "alerts", props.get("overrideQueryTimeRange", props["windowSize"])
            ),
        )
    return rules
