"""End to end in a real browser: a nurse triages an urgent spinal cord compression alert."""

import os
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"no Chromium at {CHROMIUM}")


@pytest.fixture
def page(live_server, client, nurse_a, monkeypatch):
    from django.conf import settings
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the ORM calls in the test are still synchronous.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    client.force_login(nurse_a)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
        )
        context = browser.new_context()
        context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}])
        tab = context.new_page()
        tab.set_default_timeout(15000)
        yield tab
        browser.close()


@pytest.mark.django_db(transaction=True)
def test_a_nurse_triages_an_urgent_alert_end_to_end(page, live_server, ann, nurse_a, site_a):
    from palliro.triage.models import Alert
    from tests.triage.helpers import submit

    assert os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] == "true"
    submit(ann, "palliro-mscc", limb_weakness="yes")
    submit(ann, "palliro-general", pain_worst="3")  # quiet: no alert

    page.goto(f"{live_server.url}/triage/")
    assert page.title().startswith("Worklist")
    row = page.locator("tbody tr").first
    assert "Urgent" in row.inner_text() and "Andersen" in row.inner_text()
    row.get_by_role("link", name="suspected spinal cord compression").click()

    page.get_by_role("button", name="Acknowledge").click()
    assert "Alert acknowledged." in page.locator(".messages").inner_text()
    assert "Acknowledged" in page.locator("#alert-state").inner_text()

    page.locator("#id_text").fill("Phoned: new leg weakness since yesterday. MRI today.")
    page.get_by_role("button", name="Add note").click()
    assert "MRI today." in page.locator(".notes").inner_text()

    page.locator("#id_outcome").select_option(label="Referred to radiotherapy")
    page.get_by_role("button", name="Resolve").click()
    assert "Referred to radiotherapy" in page.locator("#alert-state").inner_text()

    page.get_by_role("link", name="← Worklist").click()
    assert "No alerts match." in page.content()

    alert = Alert.objects.get(patient=ann)
    assert (alert.state, alert.outcome, alert.acknowledged_by, alert.resolved_by) == (
        "resolved", "referred_rt", nurse_a, nurse_a)
    assert alert.acknowledged_at <= alert.resolved_at
