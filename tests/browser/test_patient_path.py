"""A patient answers a questionnaire on a phone-sized screen in Debian's Chromium, without JavaScript of ours.

The path: open the link, answer, close the page, reopen the link in a fresh browser (resumes with the
answers kept), go back, change an answer, switch to Dutch, finish, send, and read the advice and the
"call your team now" message with the site's phone number.
"""

import pytest

from tests.browser.conftest import PHONE, needs_chromium

pytestmark = [pytest.mark.browser, needs_chromium]


def phone_tab(browser):
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, java_script_enabled=False)
    tab = context.new_page()
    tab.set_default_timeout(15000)
    return context, tab


@pytest.mark.django_db(transaction=True)
def test_a_patient_completes_the_questionnaire_on_a_phone(browser, live_server, ann, site_a):
    from palliro.followup.models import Response
    from tests.followup.test_patient_support import make_invitation

    invitation = make_invitation(ann)
    link = f"{live_server.url}/r/{invitation.token()}/"

    context, tab = phone_tab(browser)
    tab.goto(link)
    assert "Step 1 of" in tab.locator(".progress").inner_text()
    tab.get_by_label("9", exact=True).check()
    tab.get_by_role("button", name="Next").click()
    assert "Step 2 of" in tab.locator(".progress").inner_text()
    tab.get_by_label("5", exact=True).check()  # an answer on a page that is never sent: may be lost
    context.close()  # the tab is closed (or the battery died)

    context, tab = phone_tab(browser)
    tab.goto(link)
    assert "Step 2 of" in tab.locator(".progress").inner_text()  # resumes where the patient was
    tab.get_by_role("button", name="Back").click()
    assert "Step 1 of" in tab.locator(".progress").inner_text()
    assert tab.get_by_label("9", exact=True).is_checked()  # the saved answer is kept
    tab.get_by_label("10 – The worst pain you can imagine").check()
    tab.get_by_role("button", name="Next").click()

    tab.get_by_role("link", name="Nederlands").click()
    assert tab.locator("html").get_attribute("lang") == "nl"
    assert "Stap 2 van" in tab.locator(".progress").inner_text()
    for _ in range(40):
        if tab.get_by_role("heading", name="Controleer uw antwoorden").count():
            break
        tab.get_by_role("button", name="Volgende").click()
    else:
        raise AssertionError("never reached the review page")
    review = tab.locator("dl.answers").inner_text()
    assert "10" in review and "Niet beantwoord" in review
    tab.get_by_role("button", name="Mijn antwoorden versturen").click()

    assert tab.get_by_role("heading", name="Dank u wel").is_visible()
    call = tab.locator(".alert.call")
    assert call.is_visible() and "Bel nu uw zorgteam" in call.inner_text()
    assert tab.get_by_role("link", name=site_a.phone).get_attribute("href") == f"tel:{site_a.phone}"
    assert tab.locator(".advice li").count() >= 1
    context.close()

    response = Response.objects.get(invitation=invitation)
    assert response.status == "completed" and response.language == "nl"
    assert response.answers["pain-worst"] == "10"


@pytest.mark.django_db(transaction=True)
def test_a_page_is_at_most_30_kb_without_scripts_and_fits_the_phone(browser, live_server, ann):
    from tests.followup.test_patient_support import make_invitation

    invitation = make_invitation(ann)
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    tab = context.new_page()
    sizes = {}
    tab.on("response", lambda r: sizes.__setitem__(r.url, len(r.body())))
    tab.goto(f"{live_server.url}/r/{invitation.token()}/")
    tab.wait_for_load_state("load")
    assert tab.locator("script").count() == 0
    assert sum(sizes.values()) <= 30 * 1024, sizes
    assert any(url.endswith("patient.css") for url in sizes)  # the style sheet loaded (CSP allows 'self')
    assert tab.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]  # no sideways scrolling
    for box in (label.bounding_box() for label in tab.locator(".options label").all()):
        assert box["height"] >= 44 and box["width"] >= 200  # large touch targets
    assert tab.get_by_role("button", name="Next").bounding_box()["height"] >= 44
    context.close()
