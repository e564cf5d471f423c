"""The nurse's pages fit a 360×640 phone screen: nothing scrolls sideways (wide tables scroll inside their own
box, long words and codes wrap, the navigation wraps), checked in Debian's Chromium."""

from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
PHONE = {"width": 360, "height": 640}

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"no Chromium at {CHROMIUM} (apt install chromium)"),
]

# Names the elements that stick out to the right of the screen, outside any box that scrolls on its own.
OVERFLOW = """() => {
  const width = window.innerWidth, out = [];
  for (const el of document.querySelectorAll('body *')) {
    if (el.getBoundingClientRect().right <= width + 0.5) continue;
    let clipped = false;
    for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
      const x = getComputedStyle(p).overflowX;
      if (x === 'auto' || x === 'scroll' || x === 'hidden') { clipped = true; break; }
    }
    if (!clipped) out.push(el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
                           (el.className && typeof el.className === 'string' ? '.' + el.className.split(' ').join('.') : ''));
  }
  return {scrollWidth: document.documentElement.scrollWidth, innerWidth: width, sticking_out: out.slice(0, 12)};
}"""


@pytest.fixture
def phone(live_server, client, nurse_a, monkeypatch):
    from django.conf import settings
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the ORM calls in the test stay synchronous.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    client.force_login(nurse_a)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
        )
        # Not is_mobile: mobile emulation zooms a too-wide page out to fit, which widens window.innerWidth to the
        # page's width, so the check below could never fail.
        context = browser.new_context(viewport=PHONE)
        context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}])
        tab = context.new_page()
        tab.set_default_timeout(15000)
        yield tab
        browser.close()


@pytest.mark.django_db(transaction=True)
def test_the_nurses_pages_do_not_scroll_sideways_on_a_phone(phone, live_server, ann, nurse_a):
    from django.urls import reverse

    from palliro.triage.models import Alert
    from tests.triage.helpers import answer_invited, enrol_course, submit

    enrolment = enrol_course(ann, first_fraction_days_ago=10, enrolled_days_ago=14)
    answer_invited(enrolment, "palliro-general", 14, label="baseline", pain_worst="3")
    response = answer_invited(
        enrolment, "palliro-general", 3, pain_worst="9", flu_like="a-lot",
        anything_else="Sinds gisteren kan ik mijn benen nauwelijks bewegen, "
                      "zie https://example.org/een/heel/lange/verwijzing/zonder/spaties/die/niet/afbreekt?x=1234567890",
    )
    submit(ann, "palliro-mscc", limb_weakness="yes", bladder_bowel_control="yes")
    alert = Alert.objects.get(patient=ann, rule__code="pain-worst-high")
    comment = Alert.objects.get(patient=ann, rule__code="free-text-comment")  # quotes the unbreakable link

    pages = {
        "worklist": reverse("triage:worklist"),
        "alert": reverse("triage:alert", args=[alert.pk]),
        "comment alert": reverse("triage:alert", args=[comment.pk]),
        "patient": reverse("patient_detail", args=[ann.pk]),
        "timeline": reverse("triage:timeline", args=[ann.pk]),
        "follow-up": reverse("followup_patient", args=[ann.pk]),
        "response": reverse("response_detail", args=[response.pk]),
    }
    wide = {}
    for name, path in pages.items():
        assert phone.goto(live_server.url + path).status == 200, name
        assert phone.evaluate("window.innerWidth") == PHONE["width"], name
        if not phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth"):
            wide[name] = phone.evaluate(OVERFLOW)
    assert not wide, "scrolls sideways:\n" + "\n".join(f"{name}: {found}" for name, found in wide.items())
