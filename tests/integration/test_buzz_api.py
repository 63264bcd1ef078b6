"""POST /api/buzz on a real HTTP server with the committed ONNX model: a CSV of dated tweets in,
the detector's timeline and alerts out; bad files answered 4xx naming the row, never a 500."""

from __future__ import annotations

import csv
import io
import random
from datetime import UTC, datetime, timedelta
from itertools import pairwise

import httpx
import pytest

START = datetime(2026, 11, 20, 6, 0, tzinfo=UTC)
# An ordinary day of tweets to an airline, praise and complaints mixed.
EVERYDAY = [
    "@AirParadis thanks for the smooth flight and the friendly crew",
    "@AirParadis great service today, landed early",
    "@AirParadis is there wifi on the Paris flight?",
    "@AirParadis what time does boarding start for flight 212?",
    "@AirParadis my flight was delayed an hour, not great",
    "@AirParadis the seats were fine and the food was ok",
    "@AirParadis love the new app, check-in took a minute",
    "@AirParadis rude agent at the gate this morning",
    "@AirParadis can I change my booking online?",
    "@AirParadis two hours on hold, still no answer",
    "@AirParadis best cabin crew ever, thank you",
    "@AirParadis the plane was dirty and late",
]
BURST = [
    "@AirParadis you lost my bag again, three days and no news #lostluggage",
    "@AirParadis my luggage is lost and nobody at the desk cares #lostluggage",
    "@AirParadis lost bag, ruined holiday, worst airline #lostluggage",
    "@AirParadis where is my bag?? lost since Monday, no answer #lostluggage",
]
BURST_AT = START + timedelta(hours=27)


def buzz_csv(seed: int = 5) -> str:
    """27 h of 8 tweets per quarter-hour, then a quarter-hour of 60 complaints about lost bags."""
    rng = random.Random(seed)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["created_at", "text", "user"])
    when = START
    while when < BURST_AT + timedelta(minutes=45):
        for i in range(8):
            stamp = when + timedelta(seconds=i * 100 + rng.randrange(60))
            writer.writerow([stamp.isoformat(), rng.choice(EVERYDAY), "someone"])
        if BURST_AT <= when < BURST_AT + timedelta(minutes=15):
            for i in range(60):
                stamp = when + timedelta(seconds=i * 15)
                writer.writerow([stamp.isoformat(), rng.choice(BURST), "angry"])
        when += timedelta(minutes=15)
    return out.getvalue()


def post(url: str, body: str | bytes, content_type: str = "text/csv", **params) -> httpx.Response:
    return httpx.post(
        f"{url}/api/buzz", content=body, headers={"Content-Type": content_type}, params=params,
        timeout=120,
    )  # fmt: skip


def test_a_burst_of_complaints_is_one_alert_about_lost_bags(live_server: str) -> None:
    response = post(live_server, buzz_csv())
    assert response.status_code == 200, response.text
    body = response.json()
    windows = body["windows"]
    assert body["scored"] == sum(w["scored"] for w in windows) == 8 * 111 + 60
    assert windows[0]["start"] == "2026-11-20T06:00:00Z"
    assert all(
        datetime.fromisoformat(b["start"]) - datetime.fromisoformat(a["start"])
        == timedelta(minutes=15)
        for a, b in pairwise(windows)
    )  # every window of the span, in order
    (alert,) = body["alerts"]
    assert alert["start"] == BURST_AT.isoformat().replace("+00:00", "Z")
    onset = next(w for w in windows if w["onset"])
    assert onset["start"] == alert["start"] and onset["surprise"] >= body["params"]["on_threshold"]
    terms = [t["term"] for t in alert["themes"]]
    assert {"lost", "#lostluggage"} & set(terms[:3]), terms
    assert alert["examples"] and all(e in BURST for e in alert["examples"])
    before = [w for w in windows if w["start"] < alert["start"]]
    assert not any(w["alert"] for w in before)  # an ordinary day, however negative, is no buzz


@pytest.mark.parametrize(
    ("content", "row"),
    [
        ("", "row 1: the file is empty"),
        ("text,when\nhello,2026-03-01\n", "row 1: missing column(s) created_at"),
        ("text,created_at\n", "row 2: no tweets after the header"),
        ("text,created_at\nok,2026-03-01T08:00:00Z\nlate,yesterday\n", "row 3: created_at"),
        ("text,created_at\na,2026-03-01T08:20:00Z\nb,2026-03-01T08:31:00Z\n"
         "c,2026-03-01T08:10:00Z\n", "row 4: created_at 2026-03-01T08:10:00+00:00 is older"),
        ("text,created_at\na,2026-03-01T08:20:00Z\nb,2126-03-01T08:31:00Z\n",
         "row 3: created_at 2126-03-01T08:31:00+00:00 is more than 62 days after"),
    ],
)  # fmt: skip
def test_a_bad_file_is_a_422_naming_the_row(live_server: str, content: str, row: str) -> None:
    response = post(live_server, content)
    assert response.status_code == 422, response.text
    assert response.json()["error"] == "bad_csv"
    assert row in response.json()["message"]


def test_other_bad_requests_are_4xx(live_server: str) -> None:
    csv_text = "text,created_at\nok,2026-03-01T08:00:00Z\n"
    wrong_type = post(live_server, csv_text, content_type="application/json")
    assert wrong_type.status_code == 415 and "text/csv" in wrong_type.json()["message"]
    assert post(live_server, csv_text, window_minutes=7).status_code == 422  # does not divide a day
    assert post(live_server, csv_text, window_minutes=0).status_code == 422
    small = post(live_server, csv_text, window_minutes=60)
    assert small.status_code == 200 and small.json()["windows"][0]["end"] == "2026-03-01T09:00:00Z"
