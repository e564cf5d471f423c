"""End to end in a real browser: a nurse triages an urgent spinal cord compression alert."""

import os

import pytest

from tests.browser.conftest import logged_in_tab, needs_chromium

pytestmark = needs_chromium


@pytest.fixture
def page(browser, live_server, client, nurse_a):
    return logged_in_tab(browser, live_server, client, nurse_a)


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
