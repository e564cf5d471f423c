"""Clinic record pages. Every patient is fetched through ``get_patient_for_user`` so that another site's
patient is a 404 and a researcher sees only pseudonymised, research-consented patients."""

from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from palliro.accounts.access import audit, staff_required
from palliro.clinic import forms
from palliro.clinic.models import AnalgesicRecord, Episode, Patient, Procedure, Proxy, RTCourse


def visible_patients(staff):
    """Patients this staff member may see at all: care sites fully, research sites only with consent."""
    return Patient.objects.filter(
        Q(site_id__in=staff.care_site_ids) | Q(site_id__in=staff.research_site_ids, research_consent=True)
    )


def get_patient_for_user(request, pk, *, care=False) -> Patient:
    """The patient, or 404 if the user's sites do not include them; 403 for a researcher asking to edit."""
    patient = get_object_or_404(visible_patients(request.staff).select_related("site"), pk=pk)
    if care and not request.staff.sees_identifiers_at(patient.site_id):
        raise PermissionDenied("Only the care team can change clinic records.")
    return patient


@staff_required
@require_GET
def patient_list(request):
    staff = request.staff
    form = forms.PatientSearchForm(request.GET or None, site_ids=staff.all_site_ids)
    patients = visible_patients(staff).select_related("site")
    query = ""
    if form.is_valid():
        query = form.cleaned_data["q"].strip()
        if form.cleaned_data["site"]:
            patients = patients.filter(site=form.cleaned_data["site"])
        if query:
            # Researchers search by pseudonym only: names and hospital numbers are not theirs to see.
            match = Q(pseudonym__iexact=query)
            care_match = Q(hospital_number__iexact=query) | Q(family_name__icontains=query) | Q(
                given_name__icontains=query
            )
            patients = patients.filter(match | (care_match & Q(site_id__in=staff.care_site_ids)))
    if staff.is_researcher_only:
        patients = patients.order_by("pseudonym")
    page = Paginator(patients, 50).get_page(request.GET.get("page"))
    audit(request, "patient_list", detail=f"q={query}"[:500] if query else "")
    return render(request, "clinic/patient_list.html", {"form": form, "page": page, "query": query})


@staff_required(care=True)
@require_http_methods(["GET", "POST"])
def patient_create(request):
    form = forms.PatientForm(request.POST or None, care_site_ids=request.staff.care_site_ids)
    if request.method == "POST" and form.is_valid():
        patient = form.save()
        audit(request, "patient_create", patient=patient, obj=patient)
        messages.success(request, "Patient added.")
        return redirect("patient_detail", pk=patient.pk)
    return render(request, "clinic/form.html", {"form": form, "title": "New patient"})


@staff_required
@require_GET
def patient_detail(request, pk):
    patient = get_patient_for_user(request, pk)
    identified = request.staff.sees_identifiers_at(patient.site_id)
    audit(request, "patient_view", patient=patient, obj=patient)
    context = {
        "patient": patient,
        "identified": identified,
        "courses": patient.courses.select_related("previous_course").all(),
        "procedures": patient.procedures.all(),
        "episodes": patient.episodes.all(),
        "analgesics": patient.analgesics.all()[:50],
        "proxies": patient.proxies.all() if identified else [],
        "links_not_sent": _links_not_sent(patient) if identified else 0,
    }
    return render(request, "clinic/patient_detail.html", context)


def _links_not_sent(patient) -> int:
    """Open questionnaire links that went out on no channel: the care team must hand them over."""
    from django.utils import timezone

    from palliro.followup.models import Invitation, InvitationState
    from palliro.followup.notifications import Channel

    return Invitation.objects.filter(
        patient=patient, state=InvitationState.SENT, channel=Channel.NONE, expires_at__gt=timezone.now()
    ).count()


@staff_required(care=True)
@require_http_methods(["GET", "POST"])
def patient_edit(request, pk):
    patient = get_patient_for_user(request, pk, care=True)
    form = forms.PatientForm(request.POST or None, instance=patient, care_site_ids=request.staff.care_site_ids)
    return _save_form(request, form, patient, "patient_edit", f"Edit {patient.full_name}")


@staff_required(care=True)
@require_http_methods(["GET", "POST"])
def vital_status_edit(request, pk):
    patient = get_patient_for_user(request, pk, care=True)
    form = forms.VitalStatusForm(request.POST or None, instance=patient)
    return _save_form(request, form, patient, "vital_status_edit", "Vital status")


@dataclass(frozen=True)
class RecordKind:
    model: type
    form: type
    title: str


RECORD_KINDS = {
    "course": RecordKind(RTCourse, forms.RTCourseForm, "RT course"),
    "procedure": RecordKind(Procedure, forms.ProcedureForm, "procedure"),
    "episode": RecordKind(Episode, forms.EpisodeForm, "episode"),
    "analgesic": RecordKind(AnalgesicRecord, forms.AnalgesicForm, "analgesic"),
    "proxy": RecordKind(Proxy, forms.ProxyForm, "proxy"),
}


def _record_kind(kind: str) -> RecordKind:
    try:
        return RECORD_KINDS[kind]
    except KeyError:
        raise Http404("No such record type.") from None


def _make_form(record_kind: RecordKind, request, patient, instance=None):
    kwargs = {"instance": instance}
    if record_kind.form is forms.RTCourseForm:
        kwargs["patient"] = patient
    return record_kind.form(request.POST or None, **kwargs)


def _save_form(request, form, patient, action, title):
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            if getattr(form.instance, "patient_id", None) is None and hasattr(form.instance, "patient"):
                form.instance.patient = patient
            obj = form.save()
            audit(request, action, patient=patient, obj=obj)
        messages.success(request, "Saved.")
        return redirect("patient_detail", pk=patient.pk)
    return render(request, "clinic/form.html", {"form": form, "title": title, "patient": patient})


@staff_required(care=True)
@require_http_methods(["GET", "POST"])
def record_create(request, pk, kind):
    record_kind = _record_kind(kind)
    patient = get_patient_for_user(request, pk, care=True)
    instance = record_kind.model(patient=patient)
    form = _make_form(record_kind, request, patient, instance)
    return _save_form(request, form, patient, f"{kind}_create", f"New {record_kind.title}")


@staff_required(care=True)
@require_http_methods(["GET", "POST"])
def record_edit(request, kind, record_pk):
    record_kind = _record_kind(kind)
    record = get_object_or_404(record_kind.model.objects.select_related("patient"), pk=record_pk)
    patient = get_patient_for_user(request, record.patient_id, care=True)
    form = _make_form(record_kind, request, patient, record)
    return _save_form(request, form, patient, f"{kind}_edit", f"Edit {record_kind.title}")
