"""Staff follow-up pages: enrolment, a patient's invitations, phone interviews, proxy invitations, handouts and
adherence.

Patient-level pages are for the care team only (researchers get 403) and fetch the patient through
``get_patient_for_user`` (another site's patient is a 404). The adherence page is aggregate: counts per
protocol and time point, no identifiers, so researchers may see it.
"""

from zoneinfo import ZoneInfo

from django.contrib import messages
from django.db.models import Count, Min, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from palliro.accounts.access import audit, staff_required
from palliro.clinic.views import get_patient_for_user, visible_patients
from palliro.followup import handout as handouts
from palliro.followup.forms import (
    AdherenceFilterForm,
    EnrolForm,
    ProxyInvitationForm,
    StaffResponseForm,
    StopEnrolmentForm,
)
from palliro.followup.models import (
    OPEN_INVITATION_STATES,
    Enrolment,
    Invitation,
    InvitationState,
    Respondent,
    Response,
)
from palliro.followup.notifications import Channel, channel_for, link_not_sent, recipient_of, state_label
from palliro.followup.scheduling import EnrolmentError, enrol, invite_proxy, stop_enrolment
from palliro.followup.submission import SubmissionError, submit
from palliro.followup.tasks import send_invitation

CHANNEL_LABELS = {Channel.EMAIL: "e-mail", Channel.SMS: "SMS", Channel.NONE: "no channel: no address on file"}


def _invitation_for_care(request, pk) -> Invitation:
    invitation = get_object_or_404(
        Invitation.objects.select_related("instrument", "proxy", "enrolment__protocol"), pk=pk
    )
    invitation.patient = get_patient_for_user(request, invitation.patient_id, care=True)
    return invitation


def _back(invitation):
    return redirect("followup_patient", pk=invitation.patient_id)


@staff_required(care=True)
@require_GET
def patient_followup(request, pk):
    patient = get_patient_for_user(request, pk, care=True)
    invitations = list(
        patient.invitations.select_related("instrument", "proxy", "enrolment__protocol").order_by("due_at", "pk")
    )
    # Every stored answer set, drafts included, each linking to its page (response_detail).
    answered = list(
        Response.objects.filter(patient=patient)
        .only("pk", "invitation_id", "status", "submitted_at", "updated_at", "respondent", "instrument__title")
        .select_related("instrument").order_by("submitted_at", "pk")
    )
    by_invitation: dict[int, list[Response]] = {}
    for response in answered:
        by_invitation.setdefault(response.invitation_id, []).append(response)
    now = timezone.now()
    for invitation in invitations:
        invitation.is_live = invitation.is_open and invitation.expires_at > now
        invitation.channel_label = CHANNEL_LABELS.get(invitation.channel, "")
        invitation.state_label = state_label(invitation)
        invitation.not_sent = link_not_sent(invitation)
        invitation.answer_sets = by_invitation.get(invitation.pk, [])
    audit(request, "followup_view", patient=patient, obj=patient)
    context = {
        "patient": patient,
        "enrolments": patient.enrolments.select_related("protocol", "course"),
        "invitations": invitations,
        "uninvited_responses": by_invitation.get(None, []),
        "no_channel": not (patient.email or patient.phone),
        # Open links nobody received: the nurse must hand each one over (or add an address and send it).
        "not_sent": sum(1 for i in invitations if i.not_sent and i.is_live),
        "zone": ZoneInfo(patient.site.timezone),
    }
    return render(request, "followup/staff/patient.html", context)


@staff_required(care=True)
@require_http_methods(["GET", "POST"])
def enrol_patient(request, pk):
    patient = get_patient_for_user(request, pk, care=True)
    form = EnrolForm(request.POST or None, patient=patient)
    if request.method == "POST" and form.is_valid():
        try:
            enrolment = enrol(patient, form.cleaned_data["protocol"], form.cleaned_data["course"], request.user,
                              anchor_date=form.anchor_date())
        except EnrolmentError as exc:
            form.add_error(None, str(exc))
        else:
            start = f", from {enrolment.anchor_date:%Y-%m-%d}" if enrolment.anchor_date else ""
            audit(request, "followup_enrol", patient=patient, obj=enrolment, detail=enrolment.protocol.code + start)
            count = enrolment.invitations.count()
            without = f" without a course, time points counting from {enrolment.anchor_date:%Y-%m-%d}" if start else ""
            messages.success(request, f"Enrolled in {enrolment.protocol.name}{without}: {count} questionnaires planned.")
            if not (patient.email or patient.phone):
                messages.warning(request, "No e-mail address or mobile number on file: no link will be sent. Hand "
                                          "each one over when it is due (Handout / link), or add an address.")
            return redirect("followup_patient", pk=patient.pk)
    audit(request, "followup_enrol_form", patient=patient, obj=patient)
    return render(request, "followup/staff/enrol.html", {"form": form, "patient": patient})


@staff_required(care=True)
@require_POST
def enrolment_stop(request, pk):
    """Stop one enrolment with a reason: its open links are cancelled, its answers stay (audited)."""
    enrolment = get_object_or_404(Enrolment.objects.select_related("protocol"), pk=pk)
    patient = get_patient_for_user(request, enrolment.patient_id, care=True)
    form = StopEnrolmentForm(request.POST)
    if not form.is_valid():
        messages.error(request, f"Not stopped: {form.errors['reason'][0]}")
        return redirect("followup_patient", pk=patient.pk)
    try:
        cancelled = stop_enrolment(enrolment, form.cleaned_data["reason"])
    except EnrolmentError as exc:
        messages.error(request, f"Not stopped: {exc}")
        return redirect("followup_patient", pk=patient.pk)
    audit(request, "followup_enrolment_stop", patient=patient, obj=enrolment, detail=enrolment.stopped_reason)
    messages.success(request, f"Stopped {enrolment.protocol.name}: {cancelled} open questionnaire"
                              f"{'s' if cancelled != 1 else ''} cancelled; the answers given stay.")
    return redirect("followup_patient", pk=patient.pk)


@staff_required(care=True)
@require_POST
def invitation_send(request, pk):
    """Staff's "send now". Before its due time a single time point is opened now (it keeps its closing time)
    and the audit event says who opened it early; a diary day is refused (followup.tasks.opens_early)."""
    from palliro.followup.tasks import opens_early

    invitation = _invitation_for_care(request, pk)
    now = timezone.now()
    early = invitation.state == InvitationState.SCHEDULED and invitation.due_at > now
    due = timezone.localtime(invitation.due_at, invitation.patient.site.zone)
    refusal = ""
    if not invitation.is_open or invitation.expires_at <= now:
        refusal = "This questionnaire is no longer open: nothing was sent."
    elif invitation.respondent == Respondent.STAFF:
        refusal = "This time point is a phone interview: enter the answers instead."
    elif early and not opens_early(invitation):
        refusal = (f"This is a diary day: its link opens on {due:%Y-%m-%d at %H:%M} and cannot be opened earlier, "
                   "because the answers are about that day. Nothing was sent.")
    elif channel_for(recipient_of(invitation)) == Channel.NONE:
        refusal = "There is no e-mail address or mobile number on file: print the handout instead."
    detail = f"opened early by {request.user.get_username()}: was due {due:%Y-%m-%d %H:%M %Z}" if early and not refusal else ""
    audit(request, "invitation_send", patient=invitation.patient, obj=invitation, detail=detail)
    if refusal:
        messages.error(request, refusal)
    else:
        result = send_invitation.enqueue(invitation.pk)
        opened = " The questionnaire was opened now, before its planned time, and closes as planned." if early else ""
        if not result.is_finished:
            messages.success(request, "Queued: the link goes out within a minute." + opened)
        elif result.status == "SUCCESSFUL":
            messages.success(request, "The link was sent." + opened)
        else:
            messages.error(request, "Sending failed; it will be tried again automatically.")
    return _back(invitation)


@staff_required(care=True)
@require_POST
def invitation_cancel(request, pk):
    invitation = _invitation_for_care(request, pk)
    updated = Invitation.objects.filter(
        pk=invitation.pk, state__in=OPEN_INVITATION_STATES
    ).update(state=InvitationState.CANCELLED)
    audit(request, "invitation_cancel", patient=invitation.patient, obj=invitation)
    if updated:
        messages.success(request, f"Cancelled: {invitation.step_label}, {invitation.instrument.title}.")
    else:
        messages.error(request, "This questionnaire is no longer open: nothing was cancelled.")
    return _back(invitation)


@staff_required(care=True)
@require_GET
def invitation_handout(request, pk):
    """A printable sheet with the link as text and as QR code; also where staff copy the link."""
    invitation = _invitation_for_care(request, pk)
    audit(request, "invitation_link_view", patient=invitation.patient, obj=invitation)
    live = invitation.is_open and invitation.expires_at > timezone.now()
    context = {
        "invitation": invitation, "patient": invitation.patient, "live": live,
        "not_sent": link_not_sent(invitation), "no_channel": channel_for(recipient_of(invitation)) == Channel.NONE,
        "channel_label": CHANNEL_LABELS.get(invitation.channel, ""),
    }
    if live:
        recipient = recipient_of(invitation)
        site = invitation.patient.site
        context["handout"] = handouts.build(
            link=invitation.link(), language=recipient.language, site=site.name, phone=site.phone,
            until=timezone.localtime(invitation.expires_at, ZoneInfo(site.timezone)).date(),
        )
        context["recipient_first_name"] = recipient.first_name
    return render(request, "followup/staff/handout.html", context)


@staff_required(care=True)
@require_http_methods(["GET", "POST"])
def staff_entry(request, pk):
    """Answers taken by phone, entered by staff: respondent 'staff', entered_by the user."""
    invitation = _invitation_for_care(request, pk)
    patient = invitation.patient
    if not invitation.is_open:
        messages.error(request, f"This questionnaire is {invitation.get_state_display().lower()}: "
                                "answers can no longer be entered.")
        return _back(invitation)
    questionnaire = invitation.instrument.questionnaire()
    initial = {"language": (invitation.proxy.language if invitation.proxy else patient.language)}
    form = StaffResponseForm(request.POST or None, questionnaire=questionnaire, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            result = submit(
                instrument=invitation.instrument, patient=patient, respondent=Respondent.STAFF,
                answers=form.answers(), submission_id=form.cleaned_data["submission_id"],
                language=form.cleaned_data["language"], invitation=invitation, proxy=invitation.proxy,
                entered_by=request.user,
            )
        except SubmissionError as exc:
            form.attach_errors(exc.errors)
        else:
            audit(request, "response_staff_entry", patient=patient, obj=result.response)
            if result.created:
                messages.success(request, "The answers were saved as a phone interview.")
            else:
                messages.info(request, "These answers had already been saved.")
            return _back(invitation)
    audit(request, "response_staff_entry_form", patient=patient, obj=invitation)
    context = {"form": form, "patient": patient, "invitation": invitation, "title": questionnaire.title("en")}
    return render(request, "followup/staff/entry.html", context)


@staff_required(care=True)
@require_http_methods(["GET", "POST"])
def proxy_invitation(request, pk):
    patient = get_patient_for_user(request, pk, care=True)
    form = ProxyInvitationForm(request.POST or None, patient=patient)
    if request.method == "POST" and form.is_valid():
        try:
            invitation = invite_proxy(
                patient, form.cleaned_data["proxy"], form.cleaned_data["instrument"], form.cleaned_data["window_days"]
            )
        except EnrolmentError as exc:
            form.add_error(None, str(exc))
        else:
            audit(request, "invitation_proxy_create", patient=patient, obj=invitation)
            if channel_for(recipient_of(invitation)) == Channel.NONE:
                messages.warning(request, "The relative has no e-mail address or mobile number: print the handout.")
            else:
                send_invitation.enqueue(invitation.pk)
                messages.success(request, "The invitation for the relative was created and is being sent.")
            return redirect("followup_patient", pk=patient.pk)
    audit(request, "invitation_proxy_form", patient=patient, obj=patient)
    has_proxies = form.fields["proxy"].queryset.exists()
    return render(request, "followup/staff/proxy.html", {"form": form, "patient": patient, "has_proxies": has_proxies})


@staff_required
@require_GET
def adherence(request):
    """Completed / due per protocol and time point. 'Due' counts every planned questionnaire whose due time
    has passed and that was not cancelled; those still open are shown beside it.

    A questionnaire whose link went out on no channel (no address on file) and that was not answered was never
    offered to the respondent: it counts as due (the protocol asked for it) but apart, as "not sent", neither
    as still open (the respondent cannot answer a link they do not have) nor as expired (they never missed it).
    Answered ones count as completed however the link reached the respondent (handout, phone interview).
    Due = completed + still open + expired + not sent."""
    staff = request.staff
    form = AdherenceFilterForm(request.GET or None, site_ids=staff.all_site_ids)
    rows = Invitation.objects.filter(
        patient__in=visible_patients(staff), enrolment__isnull=False, due_at__lte=timezone.now()
    ).exclude(state=InvitationState.CANCELLED)
    if form.is_valid():
        if form.cleaned_data["site"]:
            rows = rows.filter(patient__site=form.cleaned_data["site"])
        if form.cleaned_data["protocol"]:
            rows = rows.filter(enrolment__protocol=form.cleaned_data["protocol"])
    table = (
        rows.values("enrolment__protocol__name", "step_label")
        .annotate(
            due=Count("pk"),
            completed=Count("pk", filter=Q(state=InvitationState.COMPLETED)),
            open=Count("pk", filter=Q(state__in=OPEN_INVITATION_STATES) & ~Q(channel=Channel.NONE)),
            expired=Count("pk", filter=Q(state=InvitationState.EXPIRED) & ~Q(channel=Channel.NONE)),
            not_sent=Count("pk", filter=Q(channel=Channel.NONE) & ~Q(state=InvitationState.COMPLETED)),
            anchor=Min("step__anchor"),
            offset=Min("step__day_offset"),
        )
        .order_by("enrolment__protocol__name", "anchor", "offset", "step_label")
    )
    groups: dict[str, list[dict]] = {}
    for row in table:
        row["percent"] = round(100 * row["completed"] / row["due"]) if row["due"] else None
        groups.setdefault(row["enrolment__protocol__name"], []).append(row)
    audit(request, "followup_adherence", detail=request.GET.urlencode()[:500])
    return render(request, "followup/staff/adherence.html", {"form": form, "groups": groups})
