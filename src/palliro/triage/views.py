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
from palliro.followup.models import Observation, Response, ResponseStatus
from palliro.stats.plots import inline_svg
from palliro.triage import forms, plots, services
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
    context = {
        "alert": alert,
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


def _treatments(courses, procedures):
    marks = []
    for c in courses:
        if c.first_fraction_date:
            marks.append((c.first_fraction_date, f"RT {c.regimen_label}"))
    for p in procedures:
        marks.append((p.performed_on, p.get_kind_display()))
    return sorted(marks)


def _plot_rows(patient, codes):
    rows = Observation.objects.filter(patient=patient, code__in=list(codes)).order_by("observed_at", "id")
    return [
        (code, value, timezone.localdate(at), respondent)
        for code, value, at, respondent in rows.values_list("code", "value", "observed_at", "respondent")
    ]


def _timeline_data(request, pk):
    patient = get_patient_for_user(request, pk, care=True)
    courses = list(patient.courses.all())
    procedures = list(patient.procedures.all())
    return patient, courses, procedures, _treatments(courses, procedures)


@staff_required(care=True)
@require_GET
def timeline(request, pk):
    patient, courses, procedures, treatments = _timeline_data(request, pk)
    table = patient.site.omed_table
    analgesics = list(patient.analgesics.all()[:TIMELINE_ROWS])
    for record in analgesics:
        record.omed_result = record.omed(table)
    responses = list(
        Response.objects.filter(patient=patient, status=ResponseStatus.COMPLETED)
        .select_related("instrument", "proxy", "entered_by").order_by("-submitted_at", "-id")[:TIMELINE_ROWS]
    )
    alerts = list(patient.alerts.select_related("rule", "assignee").order_by("-created", "-id")[:TIMELINE_ROWS])
    symptom_svg = inline_svg(plots.symptom_svg(patient.pk, _plot_rows(patient, plots.SYMPTOM_CODES), treatments))
    qol_rows = _plot_rows(patient, plots.QOL_CODES)
    qol_svg = inline_svg(plots.qol_svg(patient.pk, qol_rows, treatments)) if qol_rows else ""
    audit(request, "triage_timeline", patient=patient, obj=patient)
    return render(request, "triage/timeline.html", {
        "patient": patient, "courses": courses, "procedures": procedures,
        "episodes": patient.episodes.all()[:TIMELINE_ROWS], "analgesics": analgesics, "responses": responses,
        "alerts": alerts, "symptom_svg": symptom_svg, "qol_svg": qol_svg, "limit": TIMELINE_ROWS,
    })


@staff_required(care=True)
@require_GET
def timeline_plot(request, pk, kind, fmt):
    if kind not in ("symptoms", "qol") or fmt not in ("svg", "png"):
        raise Http404("No such figure.")
    patient, _courses, _procedures, treatments = _timeline_data(request, pk)
    codes = plots.SYMPTOM_CODES if kind == "symptoms" else plots.QOL_CODES
    rows = _plot_rows(patient, codes)
    if fmt == "svg":
        body = (plots.symptom_svg if kind == "symptoms" else plots.qol_svg)(patient.pk, rows, treatments)
        content_type = "image/svg+xml"
    else:
        body = plots.render(kind, rows, treatments, fmt="png")
        content_type = "image/png"
    audit(request, "triage_plot_download", patient=patient, detail=f"{kind}.{fmt}")
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{patient.pseudonym}-{kind}.{fmt}"'
    return response
