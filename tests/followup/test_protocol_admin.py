"""Protocols in the admin: a site defines and adjusts schedules; errors are shown at the field."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from palliro.followup.models import Enrolment, Invitation, InvitationState, Protocol, ProtocolStep
from palliro.followup.protocols import STEP_FIELDS, sync_shipped_protocols
from palliro.followup.scheduling import enrol

pytestmark = pytest.mark.django_db

PROTOCOL = {"code": "our-diary", "name": "Our pain diary", "indication": "pain", "description": "", "active": "on"}
DIARY = {"label": "diary", "instrument_code": "palliro-pain-diary", "respondent": "patient", "anchor": "first_fraction",
         "day_offset": "0", "window_days": "1", "repeat_until_anchor": "last_fraction", "repeat_until_offset": "7"}


def management(count, initial=0):
    return {"steps-TOTAL_FORMS": str(count), "steps-INITIAL_FORMS": str(initial),
            "steps-MIN_NUM_FORMS": "0", "steps-MAX_NUM_FORMS": "1000"}


def new_steps(*steps):
    data = management(len(steps))
    for n, step in enumerate(steps):
        data.update({f"steps-{n}-{key}": value for key, value in step.items()})
    return data


def change_data(protocol, edit=None, delete=()):
    """The change form of ``protocol`` as the admin page posts it, with ``edit(label, values)`` applied."""
    data = {"name": protocol.name, "indication": protocol.indication, "description": protocol.description}
    if not protocol.shipped:
        data["code"] = protocol.code
    if protocol.active:
        data["active"] = "on"
    steps = list(protocol.steps.order_by("pk"))
    data.update(management(len(steps), initial=len(steps)))
    for n, step in enumerate(steps):
        values = {f: "" if getattr(step, f) is None else str(getattr(step, f)) for f in STEP_FIELDS}
        if edit:
            edit(step, values)
        data.update({f"steps-{n}-{key}": value for key, value in values.items()})
        data[f"steps-{n}-id"], data[f"steps-{n}-protocol"] = str(step.pk), str(protocol.pk)
        if step.pk in delete:
            data[f"steps-{n}-DELETE"] = "on"
    return data


def step_errors(response):
    [inline] = response.context["inline_admin_formsets"]
    return [form.errors for form in inline.formset.forms], inline.formset.non_form_errors()


@pytest.fixture
def admin_client(login, superuser):
    return login(superuser)


class TestAdd:
    def test_a_site_adds_its_own_protocol_with_its_steps(self, admin_client, ann, ann_course):
        week = {**DIARY, "label": "week 3", "instrument_code": "palliro-general", "day_offset": "21",
                "window_days": "4", "repeat_until_anchor": "", "repeat_until_offset": ""}
        response = admin_client.post(reverse("admin:followup_protocol_add"), {**PROTOCOL, **new_steps(DIARY, week)})
        assert response.status_code == 302, step_errors(response)
        protocol = Protocol.objects.get(code="our-diary")
        assert not protocol.shipped and not protocol.edited
        assert sorted(protocol.steps.values_list("label", "instrument_code")) == [
            ("diary", "palliro-pain-diary"), ("week 3", "palliro-general")]
        # Staff can enrol in it at once.
        enrolment = enrol(ann, protocol, ann_course)
        assert enrolment.invitations.filter(step_label="diary").count() == 12  # first fraction to last + 7

    def test_the_list_shows_the_shipped_protocols(self, admin_client):
        response = admin_client.get(reverse("admin:followup_protocol_changelist"))
        assert response.status_code == 200 and b"Spinal cord compression" in response.content

    def test_a_protocol_needs_a_step(self, admin_client):
        response = admin_client.post(reverse("admin:followup_protocol_add"), {**PROTOCOL, **management(0)})
        assert response.status_code == 200 and not Protocol.objects.filter(code="our-diary").exists()
        assert step_errors(response)[1] == ["A protocol needs at least one step."]


class TestValidation:
    @pytest.mark.parametrize(("change", "field", "message"), [
        ({"instrument_code": "palliro-genral"}, "instrument_code", "No questionnaire 'palliro-genral' is installed"),
        ({"instrument_code": "palliro-general-proxy"}, "instrument_code",
         "palliro-general-proxy is answered by a relative, not by the patient: use palliro-general for this step."),
        ({"instrument_code": "palliro-bone", "respondent": "proxy"}, "instrument_code",
         "palliro-bone is answered by the patient, not by a relative: use palliro-bone-proxy for this step."),
        ({"instrument_code": "eortc-qlq-bm22"}, "instrument_code", "has only neutral labels"),
        ({"window_days": "0"}, "window_days", "The link must stay valid for at least one day."),
        ({"repeat_until_offset": ""}, "repeat_until_offset", "A daily diary needs both 'repeat until' fields"),
        ({"repeat_until_anchor": ""}, "repeat_until_anchor", "A daily diary needs both 'repeat until' fields"),
        ({"repeat_until_anchor": "first_fraction", "day_offset": "3", "repeat_until_offset": "2"},
         "repeat_until_offset", "The diary would end before it starts"),
        ({"anchor": "enrolment", "day_offset": "-5", "window_days": "2", "repeat_until_anchor": "",
          "repeat_until_offset": ""}, "day_offset", "would close before the day of enrolment"),
    ])
    def test_a_step_is_refused_with_a_message_at_its_field(self, admin_client, change, field, message):
        response = admin_client.post(reverse("admin:followup_protocol_add"),
                                     {**PROTOCOL, **new_steps({**DIARY, **change})})
        assert response.status_code == 200 and not Protocol.objects.filter(code="our-diary").exists()
        [errors], _ = step_errors(response)
        assert any(message in error for error in errors.get(field, [])), errors

    def test_a_staff_interview_may_use_a_structure_only_questionnaire(self, admin_client):
        step = {**DIARY, "instrument_code": "eortc-qlq-bm22", "respondent": "staff"}
        response = admin_client.post(reverse("admin:followup_protocol_add"), {**PROTOCOL, **new_steps(step)})
        assert response.status_code == 302, step_errors(response)

    def test_the_same_questionnaire_twice_at_one_time_point_is_refused(self, admin_client):
        response = admin_client.post(reverse("admin:followup_protocol_add"), {**PROTOCOL, **new_steps(DIARY, DIARY)})
        assert response.status_code == 200
        errors, _ = step_errors(response)
        assert "give each time point its own label" in errors[1]["label"][0]


class TestChange:
    def test_changing_a_shipped_protocols_step_marks_it_edited_and_replans(self, admin_client, ann, ann_course):
        protocol = Protocol.objects.get(code="bone-metastases")
        enrolment = enrol(ann, protocol, ann_course)
        week1 = {i.pk: i.due_at for i in enrolment.invitations.filter(step_label="week 1")}

        def later(step, values):
            if step.label == "week 1":
                values["day_offset"] = "9"

        response = admin_client.post(reverse("admin:followup_protocol_change", args=[protocol.pk]),
                                     change_data(protocol, later), follow=True)
        assert response.status_code == 200 and "active enrolment(s) were replanned" in response.content.decode()
        protocol.refresh_from_db()
        assert protocol.edited and protocol.steps.filter(label="week 1", day_offset=9).count() == 2
        moved = {i.pk: i.due_at for i in enrolment.invitations.filter(step_label="week 1")}
        assert moved == {pk: due + timedelta(days=2) for pk, due in week1.items()}
        # An upgrade no longer touches it.
        assert sync_shipped_protocols() == []
        assert protocol.steps.filter(label="week 1", day_offset=9).count() == 2

    def test_deleting_a_step_cancels_its_open_invitations_and_marks_the_protocol_edited(self, admin_client, ann,
                                                                                     ann_course):
        protocol = Protocol.objects.get(code="general-palliative")
        enrolment = enrol(ann, protocol, ann_course)
        week12 = protocol.steps.get(label="week 12")
        invitation = enrolment.invitations.get(step=week12)
        response = admin_client.post(reverse("admin:followup_protocol_change", args=[protocol.pk]),
                                     change_data(protocol, delete={week12.pk}))
        assert response.status_code == 302, step_errors(response)
        assert not ProtocolStep.objects.filter(pk=week12.pk).exists()
        invitation.refresh_from_db()
        assert invitation.state == InvitationState.CANCELLED
        assert Protocol.objects.get(pk=protocol.pk).edited

    def test_a_step_added_to_a_protocol_in_use_is_planned_for_its_enrolments(self, admin_client, ann, ann_course):
        protocol = Protocol.objects.get(code="general-palliative")
        enrolment = enrol(ann, protocol, ann_course)
        data = change_data(protocol)
        n = protocol.steps.count()
        week6 = {"label": "week 6", "instrument_code": "palliro-general", "respondent": "patient",
                 "anchor": "first_fraction", "day_offset": "42", "window_days": "4"}
        data.update({f"steps-{n}-{key}": value for key, value in week6.items()})
        data.update({"steps-TOTAL_FORMS": str(n + 1), f"steps-{n}-protocol": str(protocol.pk)})
        response = admin_client.post(reverse("admin:followup_protocol_change", args=[protocol.pk]), data)
        assert response.status_code == 302, step_errors(response)
        [planned] = enrolment.invitations.filter(step_label="week 6")
        assert planned.state == InvitationState.SCHEDULED and planned.step.day_offset == 42
        assert timezone.localtime(planned.due_at).date() == ann_course.first_fraction_date + timedelta(days=42)

    def test_saving_without_a_change_keeps_it_unedited(self, admin_client):
        protocol = Protocol.objects.get(code="bleeding")
        response = admin_client.post(reverse("admin:followup_protocol_change", args=[protocol.pk]),
                                     change_data(protocol))
        assert response.status_code == 302, step_errors(response)
        assert not Protocol.objects.get(pk=protocol.pk).edited

    def test_renaming_a_shipped_protocol_marks_it_edited_and_keeps_its_code(self, admin_client):
        protocol = Protocol.objects.get(code="bleeding")
        data = {**change_data(protocol), "name": "Bleeding (our schedule)", "code": "ours"}
        response = admin_client.post(reverse("admin:followup_protocol_change", args=[protocol.pk]), data)
        assert response.status_code == 302, step_errors(response)
        protocol.refresh_from_db()
        assert (protocol.code, protocol.name, protocol.edited) == ("bleeding", "Bleeding (our schedule)", True)

    def test_an_invalid_change_is_refused_and_leaves_the_protocol_as_it_was(self, admin_client):
        protocol = Protocol.objects.get(code="whole-brain")

        def proxy_asks_patient_version(step, values):
            if step.respondent == "proxy":
                values["instrument_code"] = "palliro-general"

        response = admin_client.post(reverse("admin:followup_protocol_change", args=[protocol.pk]),
                                     change_data(protocol, proxy_asks_patient_version))
        assert response.status_code == 200
        assert "use palliro-general-proxy for this step" in response.content.decode()
        protocol.refresh_from_db()
        assert not protocol.edited and protocol.steps.filter(instrument_code="palliro-general-proxy").count() == 3


class TestDelete:
    def test_a_protocol_with_enrolments_is_not_deleted_and_the_page_says_why(self, admin_client, ann, ann_course):
        protocol = Protocol.objects.get(code="bone-metastases")
        enrol(ann, protocol, ann_course)
        url = reverse("admin:followup_protocol_delete", args=[protocol.pk])
        page = admin_client.get(url)
        assert page.status_code == 200
        text = page.content.decode()
        assert "1 enrolment(s), running or finished, follow this protocol" in text
        assert ann.pseudonym not in text  # the patients themselves are not listed
        response = admin_client.post(url, {"post": "yes"})
        assert response.status_code == 200 and "1 enrolment(s)" in response.content.decode()
        assert Protocol.objects.filter(pk=protocol.pk).exists() and Enrolment.objects.count() == 1

    def test_the_delete_action_refuses_it_too(self, admin_client, ann, ann_course):
        protocol = Protocol.objects.get(code="bone-metastases")
        enrol(ann, protocol, ann_course)
        response = admin_client.post(reverse("admin:followup_protocol_changelist"), {
            "action": "delete_selected", "_selected_action": [protocol.pk], "post": "yes"})
        assert response.status_code == 200 and "1 enrolment(s), running or finished" in response.content.decode()
        assert Protocol.objects.filter(pk=protocol.pk).exists()

    def test_a_protocol_without_enrolments_can_be_deleted(self, admin_client):
        protocol = Protocol.objects.create(code="unused", name="Unused")
        response = admin_client.post(reverse("admin:followup_protocol_delete", args=[protocol.pk]), {"post": "yes"})
        assert response.status_code == 302 and not Protocol.objects.filter(pk=protocol.pk).exists()


def test_nurses_cannot_open_the_protocol_admin(login, nurse_a):
    response = login(nurse_a).get(reverse("admin:followup_protocol_changelist"))
    assert response.status_code == 302 and "/admin/login/" in response.url


def test_an_invitation_of_a_step_keeps_working_after_its_window_was_changed(admin_client, ann, ann_course):
    """A link already sent keeps its window when the step changes (as after a course save)."""
    protocol = Protocol.objects.get(code="general-palliative")
    enrolment = enrol(ann, protocol, ann_course)
    sent = enrolment.invitations.get(step_label="baseline")
    Invitation.objects.filter(pk=sent.pk).update(state=InvitationState.SENT)

    def wider(step, values):
        values["window_days"] = "7"

    response = admin_client.post(reverse("admin:followup_protocol_change", args=[protocol.pk]),
                                 change_data(protocol, wider))
    assert response.status_code == 302, step_errors(response)
    after = Invitation.objects.get(pk=sent.pk)
    assert (after.state, after.due_at, after.expires_at) == (InvitationState.SENT, sent.due_at, sent.expires_at)
