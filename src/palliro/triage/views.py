"""Worklist, alert actions and the patient timeline, for the care team only.

Researchers get 403 on every page here: the worklist and the timeline show identified patients and
clinical alerts, which are care work; researchers read pseudonymised data in the research pages.
Another site's alert or patient is a 404. Every query is bounded: the page size caps the rows, and the
number of queries does not grow with the data.
"""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from palliro.accounts.access import audit, staff_required
from palliro.accounts.models import Site
from palliro.clinic.views import get_patient_for_user
from palliro.followup.models import Response, ResponseStatus
from palliro.followup.shown import what_was_shown
from palliro.triage import forms, plots, services, tasks
from palliro.triage.models import OPEN_STATES, Alert, AlertState

PAGE_SIZE = 50
TIMELINE_ROWS = 50


def _alerts_for(staff):
    return Alert.objects.filter(patient__site_id__in=staff.care_site_ids)


@staff_required(care=True)
@require_GET
def worklist(request):
    staff = request.staff
    sites = list(Site.objects.filter(pk__in=staff.care_site_ids))
    form = forms.WorklistFilterForm(request.GET or None, sites=sites, user=request.user)
    alerts = _alerts_for(staff).select_related("patient__site", "rule", "assignee", "protocol")
    state = "open"
    if form.is_valid():
        data = form.cleaned_data
        state = data["state"] or "open"
        if data["site"]:
            alerts = alerts.filter(patient__site_id=data["site"])
        if data["severity"]:
            alerts = alerts.filter(severity=data["severity"])
        if data["assignee"] == "me":
            alerts = alerts.filter(assignee=request.user)
        elif data["assignee"] == "none":
            alerts = alerts.filter(assignee__isnull=True)
        elif data["assignee"]:
            alerts = alerts.filter(assignee_id=int(data["assignee"]))
        if data["protocol"]:
            alerts = alerts.filter(protocol__code=data["protocol"])
    if state == "open":
        alerts = alerts.filter(state__in=OPEN_STATES).order_by("priority", "created", "id")
    elif state == "resolved":
        alerts = alerts.filter(state=AlertState.RESOLVED).order_by("-resolved_at", "-id")
    else:
        alerts = alerts.order_by("priority", "created", "id")
    page = Paginator(alerts, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    audit(request, "triage_worklist", detail=query.urlencode()[:500])
    return render(request, "triage/worklist.html", {
        "form": form, "page": page, "now": timezone.now(), "query": query.urlencode(), "state": state,
    })


def _get_alert(request, pk) -> Alert:
    alert = (
        _alerts_for(request.staff)
        .select_related("patient__site", "rule", "assignee", "acknowledged_by", "resolved_by", "protocol",
                        "response__instrument")
        .filter(pk=pk).first()
    )
    if alert is None:
        raise Http404("No such alert at your sites.")
    return alert


@staff_required(care=True)
@require_GET
def alert_detail(request, pk):
    alert = _get_alert(request, pk)
    audit(request, "triage_alert", patient=alert.patient, obj=alert)
    return _render_detail(request, alert)


def _render_detail(request, alert, *, status=200, **form_overrides):
    response = alert.response
    if response is not None and response.patient_id == alert.patient_id:
        response.patient = alert.patient  # already read with its site
    # What the respondent was shown, from the very function that draws their thank-you page.
    shown = what_was_shown(response) if response is not None and response.status == ResponseStatus.COMPLETED else None
    context = {
        "alert": alert,
        "shown": shown,
        "notes": alert.notes.select_related("author"),
        "assign_form": forms.AssignForm(initial={"assignee": alert.assignee_id}, site_id=alert.patient.site_id),
        "note_form": forms.NoteForm(),
        "resolve_form": forms.ResolveForm(),
    }
    context.update(form_overrides)
    return render(request, "triage/alert_detail.html", context, status=status)


def _done(request, alert, message):
    messages.success(request, message)
    return redirect("triage:alert", alert.pk)


@staff_required(care=True)
@require_POST
def alert_acknowledge(request, pk):
    alert = _get_alert(request, pk)
    try:
        services.acknowledge(alert, request.user)
    except services.ActionError as exc:
        messages.error(request, str(exc))
        return redirect("triage:alert", alert.pk)
    return _done(request, alert, "Alert acknowledged.")


@staff_required(care=True)
@require_POST
def alert_assign(request, pk):
    alert = _get_alert(request, pk)
    form = forms.AssignForm(request.POST, site_id=alert.patient.site_id)
    if not form.is_valid():
        return _render_detail(request, alert, status=400, assign_form=form)
    try:
        services.assign(alert, request.user, form.people.get(form.cleaned_data["assignee"]))
    except services.ActionError as exc:
        messages.error(request, str(exc))
        return redirect("triage:alert", alert.pk)
    return _done(request, alert, "Alert assigned.")


@staff_required(care=True)
@require_POST
def alert_note(request, pk):
    alert = _get_alert(request, pk)
    form = forms.NoteForm(request.POST)
    if not form.is_valid():
        return _render_detail(request, alert, status=400, note_form=form)
    try:
        services.add_note(alert, request.user, form.cleaned_data["text"])
    except services.ActionError as exc:
        form.add_error("text", str(exc))
        return _render_detail(request, alert, status=400, note_form=form)
    return _done(request, alert, "Note added.")


@staff_required(care=True)
@require_POST
def alert_resolve(request, pk):
    alert = _get_alert(request, pk)
    form = forms.ResolveForm(request.POST)
    if not form.is_valid():
        return _render_detail(request, alert, status=400, resolve_form=form)
    try:
        services.resolve(alert, request.user, form.cleaned_data["outcome"], form.cleaned_data["note"])
    except services.ActionError as exc:
        messages.error(request, str(exc))
        return redirect("triage:alert", alert.pk)
    return _done(request, alert, "Alert resolved.")


# --- timeline --------------------------------------------------------------------------------------
#
# The figure is read back from TimelineFigure when it still shows the current data (the usual case: a task
# draws it after every submission). When it does not, the page does not wait for matplotlib: it points an
# <img> at timeline.svg, whose request draws and stores it. Either way a summary table carries the same
# data as text for screen readers and for browsers without images.


def _timeline_inputs(request, pk):
    patient = get_patient_for_user(request, pk, care=True)
    courses = list(patient.courses.all())
    procedures = list(patient.procedures.all())
    return patient, courses, procedures, tasks.timeline_inputs(patient, courses, procedures)


@staff_required(care=True)
@require_GET
def timeline(request, pk):
    patient, courses, procedures, inputs = _timeline_inputs(request, pk)
    table = patient.site.omed_table
    analgesics = list(patient.analgesics.all()[:TIMELINE_ROWS])
    for record in analgesics:
        record.omed_result = record.omed(table)
    responses = list(
        Response.objects.filter(patient=patient, status=ResponseStatus.COMPLETED)
        .select_related("instrument", "proxy", "entered_by")
        # The table shows who answered what and when: decoding 50 answer sets, FHIR responses and the
        # instruments' FHIR Questionnaires would be most of the page's time.
        .defer("answers", "questionnaire_response", "instrument__resource", "instrument__languages")
        .order_by("-submitted_at", "-id")[:TIMELINE_ROWS]
    )
    alerts = list(
        patient.alerts.select_related("rule", "assignee").defer("rule__instruments", "rule__parameters")
        .order_by("-created", "-id")[:TIMELINE_ROWS]
    )
    stored = tasks.stored_figure(inputs)
    if patient.is_dead:
        # Shown above the page's heading (base.html draws messages there), so nobody phones about symptoms.
        messages.warning(request, f"Deceased {patient.death_date:%Y-%m-%d}: this patient died. Open alerts stay "
                                  "listed until someone resolves them (outcome \"Patient died\").")
    audit(request, "triage_timeline", patient=patient, obj=patient)
    return render(request, "triage/timeline.html", {
        "patient": patient, "courses": courses, "procedures": procedures,
        "episodes": patient.episodes.all()[:TIMELINE_ROWS], "analgesics": analgesics, "responses": responses,
        "alerts": alerts, "limit": TIMELINE_ROWS,
        "figure_svg": stored or "", "figure_version": inputs.fingerprint,
        "figure_summary": plots.summarise(inputs.rows), "has_qol": any(r[0] in plots.QOL_CODES for r in inputs.rows),
        "treatment_marks": inputs.treatments,
    })


def _timeline_figure(request, pk):
    """The page figure as an image: the stored copy if current, else drawn now and stored for everyone."""
    patient, _courses, _procedures, inputs = _timeline_inputs(request, pk)
    svg = tasks.stored_figure(inputs)
    if svg is None:
        svg = tasks.draw_and_store(inputs)
    audit(request, "triage_timeline_figure", patient=patient, obj=patient)
    response = HttpResponse(svg, content_type="image/svg+xml")
    # The page asks for ?v=<fingerprint>: that URL always means this very figure, so the browser may keep it.
    fresh = request.GET.get("v") == inputs.fingerprint
    response["Cache-Control"] = "private, max-age=86400" if fresh else "private, no-cache"
    return response


@staff_required(care=True)
@require_GET
def timeline_plot(request, pk, kind, fmt):
    if kind == "timeline" and fmt == "svg":
        return _timeline_figure(request, pk)
    if kind not in plots.KINDS or fmt not in ("svg", "png"):
        raise Http404("No such figure.")
    patient, _courses, _procedures, inputs = _timeline_inputs(request, pk)
    rows = plots.split_rows(inputs.rows)[kind]
    body = plots.render(kind, rows, inputs.treatments, fmt=fmt)
    audit(request, "triage_plot_download", patient=patient, detail=f"{kind}.{fmt}")
    response = HttpResponse(body, content_type="image/svg+xml" if fmt == "svg" else "image/png")
    response["Content-Disposition"] = f'attachment; filename="{patient.pseudonym}-{kind}.{fmt}"'
    return response
