"""The page driven in a real headless Chromium (Debian `chromium`, Playwright's Python driver):
type a tweet, see the label, click "wrong", pick the right label, find the feedback in Azurite."""

from __future__ import annotations

import json
import shutil

import pytest

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]  # fmt: skip

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def page():
    if not shutil.which(CHROMIUM):
        pytest.fail(f"{CHROMIUM} missing: `apt-get install chromium` (make test does it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        context = browser.new_context()
        external = []
        context.route(
            "**/*",
            lambda route: (
                route.continue_()
                if route.request.url.startswith("http://127.0.0.1")
                else (external.append(route.request.url), route.abort())
            ),
        )
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.external, page.errors = external, errors
        yield page
        browser.close()


def test_type_score_and_report_a_wrong_prediction(page, live_server, azurite, app_settings):
    page.goto(live_server + "/")
    page.wait_for_selector("#model-info:has-text('model ')")
    tweet = "@AirParadis 4 hours late and my bag is lost. Never again."
    page.fill("#tweets", tweet)
    page.click("#score")
    result = page.wait_for_selector("#results .result")
    label = result.query_selector(".label").inner_text().strip().lower()
    labels = json.loads(page.evaluate("JSON.stringify(labels)"))
    assert label in labels
    assert result.query_selector_all(".token"), "the words should be highlighted (explain)"
    assert len(result.query_selector_all(".bar")) == len(labels)

    result.query_selector("button.wrong").click()
    correct = next(other for other in labels if other != label)
    result.query_selector(f"button.correct-label[data-label='{correct}']").click()
    status = page.wait_for_selector(".feedback-status:has-text('saved')")
    feedback_id = status.inner_text().split("(")[1].rstrip(")")

    container = azurite.container(app_settings.feedback_container)
    stored = [json.loads(container.download_blob(b.name).readall()) for b in container.list_blobs()
              if feedback_id in b.name]  # fmt: skip
    assert len(stored) == 1
    document = stored[0]
    assert document["text"] == tweet
    assert document["is_correct"] is False
    assert (document["predicted_label"], document["correct_label"]) == (label, correct)
    assert document["prediction_id"] == result.get_attribute("data-prediction-id")
    assert page.errors == [] and page.external == []


def test_a_tweet_in_another_language_is_marked_unreliable(page, live_server, app_settings):
    page.goto(live_server + "/")
    page.wait_for_selector("#model-info:has-text('model ')")
    page.fill("#tweets", "Perdieron mi maleta otra vez y nadie responde\nlost my bag again")
    page.click("#score")
    page.wait_for_selector("#results .result:nth-child(2)")
    spanish, english = page.query_selector_all("#results .result")
    assert "English only" in spanish.query_selector(".language-note").inner_text()
    assert not english.query_selector(".language-note").is_visible()
    assert page.errors == [] and page.external == []


def test_the_page_shows_api_errors(page, live_server, app_settings):
    page.goto(live_server + "/")
    page.fill("#tweets", "x" * (app_settings.max_text_chars + 1))
    page.click("#score")
    page.wait_for_selector("#status.error")
    assert f"at most {app_settings.max_text_chars}" in page.inner_text("#status")


def test_upload_a_csv_and_see_the_timeline_and_the_alert(page, live_server, tmp_path):
    """The buzz view: a day and a bit of real-looking tweets with a burst of lost-bag complaints,
    uploaded as a file; the SVG timeline has a bar per window and the alert shaded, and the
    alert is listed with what it is about."""
    from tests.integration.test_buzz_api import BURST, BURST_AT, buzz_csv

    path = tmp_path / "tweets.csv"
    path.write_text(buzz_csv(), encoding="utf-8")
    page.goto(live_server + "/")
    page.set_input_files("#buzz-file", str(path))
    page.click("#buzz-run")
    page.wait_for_selector("#buzz-status:has-text('alert(s)')", timeout=120_000)
    status = page.inner_text("#buzz-status")
    windows = int(status.split(" windows")[0].split(" in ")[-1])
    assert len(page.query_selector_all("#buzz-chart svg rect.volume")) == windows
    shaded = page.query_selector_all("#buzz-chart svg rect.alert-span")
    assert shaded and shaded[0].get_attribute("data-start") == BURST_AT.strftime(
        "%Y-%m-%dT%H:%M:%SZ"
    )
    assert page.query_selector("#buzz-chart svg polygon.band")
    assert page.query_selector("#buzz-chart svg polyline.share")
    (alert,) = page.query_selector_all("#buzz-alerts .buzz-alert")
    themes = [t.inner_text() for t in alert.query_selector_all(".themes span")]
    assert {"lost", "#lostluggage"} & set(themes[:3]), themes
    assert alert.query_selector("blockquote").inner_text() in BURST
    page.screenshot(path=str(tmp_path / "buzz.png"), full_page=True)
    assert page.errors == [] and page.external == []


def test_the_buzz_view_shows_the_row_of_a_bad_file(page, live_server, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("text,created_at\nok,2026-03-01T08:00:00Z\nlate,yesterday\n", encoding="utf-8")
    page.goto(live_server + "/")
    page.set_input_files("#buzz-file", str(path))
    page.click("#buzz-run")
    page.wait_for_selector("#buzz-status.error")
    assert "row 3" in page.inner_text("#buzz-status")
