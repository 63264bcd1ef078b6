"""Feedback blob names: date-partitioned, sortable, unique."""

from __future__ import annotations

from datetime import UTC, datetime

from tweet_sentiment.feedback_store import FeedbackStore


def test_names_are_date_partitioned_and_unique():
    now = datetime(2026, 11, 22, 3, 4, 5, 678901, tzinfo=UTC)
    names = {FeedbackStore.new_blob_name(now)[1] for _ in range(1000)}
    assert len(names) == 1000
    for name in names:
        assert name.startswith("2026/11/22/03/20261122T030405678901Z-") and name.endswith(".json")


def test_id_is_in_the_name():
    feedback_id, name = FeedbackStore.new_blob_name()
    assert feedback_id in name
