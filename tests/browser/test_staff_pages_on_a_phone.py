"""The nurse's pages fit a 360×640 phone screen: nothing scrolls sideways (wide tables scroll inside their own
box, long words and codes wrap, the navigation wraps), checked in Debian's Chromium."""

import pytest

from tests.browser.conftest import PHONE, logged_in_tab, needs_chromium

pytestmark = [pytest.mark.browser, needs_chromium]

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
def phone(browser, live_server, client, nurse_a):
    # Not is_mobile: mobile emulation zooms a too-wide page out to fit, which widens window.innerWidth to the
    # page's width, so the check below could never fail.
    return logged_in_tab(browser, live_server, client, nurse_a, viewport=PHONE)


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
