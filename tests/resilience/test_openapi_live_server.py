"""Schemathesis: requests generated from the API's own OpenAPI document, valid (positive) and
schema-violating (negative), sent to the real server (uvicorn on 127.0.0.1, committed model, real
Azurite).

It complements tests/contract/test_openapi_fuzz.py (in process, tiny model, "no server error"
only) with the real transport, the committed model and schemathesis' response checks.

Every answer must be a non-5xx that conforms to the documented responses (schemathesis' checks:
status codes, content types, response schemas, negative data rejected...), and every refusal must
be the documented JSON error. The strategies are driven by hypothesis directly: schemathesis'
lazy pytest loader does not support pytest 9 yet.

The document states every rule that depends on the running service (exactly one of
text/texts, non-blank texts, length and batch limits from the settings, the model's labels), so
schemathesis' "positive data acceptance" check runs too: a request the document allows must be
accepted. Some rules cannot be written in JSON Schema and are stated in prose (the API
description); a schema-valid request that breaks one of them must get the documented error naming
it: the smaller batch limit with `explain=true`, `correct_label` equal to `predicted_label` with
`is_correct` false (or different from it with `is_correct` true), a lone surrogate escape, a body
over the size limit.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance

OPERATIONS = [
    ("/api/predict", "POST", GenerationMode.POSITIVE),
    ("/api/predict", "POST", GenerationMode.NEGATIVE),
    ("/api/feedback", "POST", GenerationMode.POSITIVE),
    ("/api/feedback", "POST", GenerationMode.NEGATIVE),
    ("/api/health", "GET", GenerationMode.POSITIVE),
    ("/api/model", "GET", GenerationMode.POSITIVE),
]


def prose_rule(case, body: dict) -> bool:
    """Whether a refusal of a schema-valid request is one of the rules stated in prose."""
    if body["error"] == "batch_too_large":
        return (case.query or {}).get("explain") in (True, "true")
    if body["error"] == "body_too_large":
        return True
    fields = {tuple(d.get("loc", ())) for d in body.get("details") or []}
    surrogate = all("surrogate" in d.get("msg", "") for d in body.get("details") or [{}])
    return body["error"] == "validation_error" and (
        fields == {("body", "correct_label")} or surrogate
    )


@pytest.fixture(scope="module")
def api_schema(live_server):
    return schemathesis.openapi.from_url(f"{live_server}/api/openapi.json")


@pytest.mark.parametrize(("path", "method", "mode"), OPERATIONS,
                         ids=[f"{m} {p} {g.value}" for p, m, g in OPERATIONS])  # fmt: skip
def test_api_holds_its_openapi_contract(api_schema, path, method, mode):
    operation = api_schema[path][method]
    seen: list[int] = []

    @settings(max_examples=80, deadline=None, suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy(generation_mode=mode))
    def check(case):
        response = case.call(timeout=30)
        refused_by_prose_rule = (
            mode is GenerationMode.POSITIVE
            and response.status_code in (413, 422)
            and prose_rule(case, response.json())
        )
        excluded = [positive_data_acceptance] if refused_by_prose_rule else []
        case.validate_response(response, excluded_checks=excluded)
        seen.append(response.status_code)
        assert response.status_code < 500, response.text[:300]
        if response.status_code >= 400:
            body = response.json()
            assert body["error"] and body["message"], body
            if mode is GenerationMode.POSITIVE:
                assert refused_by_prose_rule, body

    check()
    assert seen, "schemathesis generated no request"
    if mode is GenerationMode.POSITIVE and method == "POST":
        assert 200 in seen or 201 in seen, f"no valid request was ever accepted: {seen}"
