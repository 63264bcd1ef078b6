"""Telemetry is off without a connection string, and then costs nothing and never raises."""

from __future__ import annotations

from tweet_sentiment import telemetry


def test_no_connection_string_is_a_no_op():
    assert telemetry.configure(None) is False
    assert telemetry.configure("") is False
    telemetry.emit_event(telemetry.FEEDBACK_EVENT, {telemetry.PROP_IS_CORRECT: False})
    with telemetry.scoring_span(3, "v", explain=False) as results:
        results.update(oov_rate=0.1, label_counts={"a": 3})


def test_dimensions_are_kql_friendly_strings():
    assert telemetry._as_dimension(True) == "true"
    assert telemetry._as_dimension(False) == "false"
    assert telemetry._as_dimension(None) == ""
    assert telemetry._as_dimension(0.25) == "0.25"


def test_aad_authentication_string_gives_a_managed_identity_credential():
    from azure.identity import ManagedIdentityCredential

    credential = telemetry._credential_from("Authorization=AAD;ClientId=1234-abcd")
    assert isinstance(credential, ManagedIdentityCredential)
    assert isinstance(telemetry._credential_from("Authorization=AAD"), ManagedIdentityCredential)
    assert telemetry._credential_from(None) is None
    assert telemetry._credential_from("Authorization=Key") is None


def test_custom_event_attribute_is_the_one_the_exporter_reads():
    from azure.monitor.opentelemetry.exporter import _constants

    assert telemetry.CUSTOM_EVENT_NAME_ATTR == _constants._MICROSOFT_CUSTOM_EVENT_NAME
