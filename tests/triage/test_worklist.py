"""The worklist: care staff of the alert's site only, most urgent and oldest first, filters, bounded queries."""

from datetime import timedelta

import pytest
from django.utils import timezone

from palliro.accounts.models import AuditEvent

from .helpers import make_alert

URL = "/triage/"


def rows(page):
    return [a.pk for a in page.context["page"].object_list]


def test_it_lists_open_alerts_most_urgent_then_oldest_first(login, nurse_a, ann, cas):
    now = timezone.now()
    old_attention = make_alert(ann, "pain-worst-high", created=now - timedelta(days=2))
    new_urgent = make_alert(cas, "mscc-red-flag", created=now - timedelta(hours=1))
    old_urgent = make_alert(ann, "bleeding-heavy", created=now - timedelta(hours=5))
    info = make_alert(cas, "pain-worst-rise", severity="info", created=now - timedelta(days=9))
    resolved = make_alert(ann, "pain-flare", state="resolved", outcome="phoned")
    page = login(nurse_a).get(URL)
    assert page.status_code == 200
    assert rows(page) == [old_urgent.pk, new_urgent.pk, old_attention.pk, info.pk]
    assert resolved.pk not in rows(page)
    assert "Andersen" in page.content.decode()
    assert AuditEvent.objects.filter(action="triage_worklist", user=nurse_a).exists()


def test_it_does_not_show_another_sites_alerts(login, nurse_a, ann, bob):
    mine, theirs = make_alert(ann), make_alert(bob)
    page = login(nurse_a).get(URL)
    assert rows(page) == [mine.pk]
    assert "Bakker" not in page.content.decode()
    assert theirs.pk not in rows(login(nurse_a).get(URL + "?state=all"))


def test_it_filters_by_severity_assignee_site_and_protocol(login, nurse_a, clinician_a, ann, cas):
    from palliro.followup.models import Protocol

    bone = Protocol.objects.get(code="bone-metastases")
    urgent = make_alert(ann, "mscc-red-flag", assignee=clinician_a)
    attention = make_alert(cas, "pain-worst-high", assignee=nurse_a, protocol=bone)
    unassigned = make_alert(cas, "pain-flare")
    client = login(nurse_a)
    assert rows(client.get(URL + "?severity=urgent")) == [urgent.pk]
    assert rows(client.get(URL + "?assignee=me")) == [attention.pk]
    assert rows(client.get(URL + "?assignee=none")) == [unassigned.pk]
    assert rows(client.get(URL + f"?assignee={clinician_a.pk}")) == [urgent.pk]
    assert rows(client.get(URL + "?protocol=bone-metastases")) == [attention.pk]
    assert len(rows(client.get(URL + f"?site={ann.site_id}"))) == 3


def test_it_shows_resolved_alerts_on_request(login, nurse_a, ann):
    resolved = make_alert(ann, state="resolved", outcome="no_action", resolved_at=timezone.now())
    assert rows(login(nurse_a).get(URL + "?state=resolved")) == [resolved.pk]


@pytest.mark.parametrize("query", ["?site=999", "?severity=bad", "?assignee=abc", "?protocol=nope", "?page=zz"])
def test_it_answers_bad_filters_without_crashing(login, nurse_a, ann, query):
    make_alert(ann)
    page = login(nurse_a).get(URL + query)
    assert page.status_code == 200


def test_it_refuses_researchers(login, researcher):
    assert login(researcher).get(URL).status_code == 403


def test_it_sends_anonymous_users_to_login(client, db):
    page = client.get(URL)
    assert page.status_code == 302 and "/accounts/login/" in page["Location"]


def test_it_refuses_post(login, nurse_a):
    assert login(nurse_a).post(URL).status_code == 405


def test_it_paginates(login, nurse_a, site_a):
    from tests.conftest import make_patient

    for i in range(55):
        make_alert(make_patient(site_a, f"A-{i:04d}X", "P", f"Patient{i}"))
    client = login(nurse_a)
    assert len(rows(client.get(URL))) == 50
    assert len(rows(client.get(URL + "?page=2"))) == 5


@pytest.mark.parametrize("n", [1, 50])
def test_its_query_count_does_not_grow_with_the_alerts(login, nurse_a, site_a, n, django_assert_max_num_queries):
    from tests.conftest import make_patient

    for i in range(n):
        make_alert(make_patient(site_a, f"Q-{i:04d}", "P", f"Q{i}"), assignee=nurse_a)
    client = login(nurse_a)
    client.get(URL)  # warm the session
    with django_assert_max_num_queries(12):
        assert client.get(URL + "?severity=attention").status_code == 200
