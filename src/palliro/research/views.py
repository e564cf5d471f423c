"""Research pages: cohorts, the cohort report and its exports. Pseudonymised for every viewer.

A cohort is visible to a user when every one of its sites is one of the user's sites; any other cohort
is a 404. Within a visible cohort the rows are further limited by :func:`cohort_frame` (researchers:
research-consented patients only).
"""

import json

from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from palliro.accounts.access import audit, staff_required
from palliro.accounts.models import Site
from palliro.research.alive import ALIVE_EVIDENCE
from palliro.research.analyses import ReportOptions
from palliro.research.cohort import cohort_frame
from palliro.research.exports import cohort_bundle, table_csv, table_xlsx
from palliro.research.forms import CohortForm, ReportForm
from palliro.research.models import Cohort
from palliro.research.report_run import cohort_report as compute_report
from palliro.stats.plots import figure_to_bytes, inline_svg

CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "svg": "image/svg+xml",
    "png": "image/png",
}


def visible_cohorts(staff):
    outside = Site.objects.exclude(id__in=staff.all_site_ids)
    return Cohort.objects.filter(sites__isnull=False).exclude(sites__in=outside).distinct()


def get_cohort(request, pk) -> Cohort:
    return get_object_or_404(visible_cohorts(request.staff).select_related("protocol"), pk=pk)


@staff_required
@require_GET
def cohort_list(request):
    cohorts = visible_cohorts(request.staff).prefetch_related("sites")
    return render(request, "research/cohort_list.html", {"cohorts": cohorts})


def _save(request, form):
    with transaction.atomic():
        cohort = form.save(commit=False)
        if cohort.owner_id is None:
            cohort.owner = request.user
        cohort.save()
        form.save_m2m()
    return cohort


@staff_required
@require_http_methods(["GET", "POST"])
def cohort_create(request):
    form = CohortForm(request.POST or None, site_ids=request.staff.all_site_ids)
    if request.method == "POST" and form.is_valid():
        cohort = _save(request, form)
        audit(request, "research_cohort_create", obj=cohort)
        return redirect("research:cohort_report", cohort.pk)
    return render(request, "research/cohort_form.html", {"form": form, "cohort": None})


@staff_required
@require_http_methods(["GET", "POST"])
def cohort_edit(request, pk):
    cohort = get_cohort(request, pk)
    form = CohortForm(request.POST or None, instance=cohort, site_ids=request.staff.all_site_ids)
    if request.method == "POST" and form.is_valid():
        _save(request, form)
        audit(request, "research_cohort_edit", obj=cohort)
        return redirect("research:cohort_report", cohort.pk)
    return render(request, "research/cohort_form.html", {"form": form, "cohort": cohort})


def _report(request, cohort, *, endpoints=True):
    form = ReportForm(request.GET or None)
    options = form.options() if form.is_bound and form.is_valid() else ReportOptions()
    if not form.is_bound:
        form = ReportForm(initial={"group_by": "indication", "covariates": ["age"]})
    # Frame, endpoint data and report: from the analysis store, or from queries run side by side (report_run).
    built, report = compute_report(cohort, request.staff, options, endpoints=endpoints)
    return form, built, report


def _table_view(table):
    frame = table.frame
    rows = [["" if v is None or (isinstance(v, float) and v != v) else v for v in r]
            for r in frame.itertuples(index=False)]
    return {"key": table.key, "title": table.title, "note": table.note, "columns": list(frame.columns), "rows": rows}


@staff_required
@require_GET
def cohort_report(request, pk):
    cohort = get_cohort(request, pk)
    form, built, report = _report(request, cohort)
    sections = []
    if report is not None:
        for s in report.sections:
            figures = []
            for f in s.figures:
                try:
                    svg = inline_svg(figure_to_bytes(f.build(), "svg"))
                except ValueError as exc:
                    svg = None
                    f = f.__class__(f.key, f"{f.title} — could not be drawn: {exc}", f.build)
                figures.append({"key": f.key, "title": f.title, "svg": svg})
            sections.append({"key": s.key, "title": s.title, "error": s.error, "notes": s.notes,
                             "tables": [_table_view(t) for t in s.tables], "figures": figures})
    audit(request, "research_report", obj=cohort, detail=f"rows={len(built.frame)}")
    query = request.GET.urlencode()
    return render(request, "research/cohort_report.html", {
        "cohort": cohort, "form": form, "built": built, "sections": sections, "query": query,
        "filters": cohort.describe(),
    })


def _download(body: bytes, fmt: str, filename: str) -> HttpResponse:
    response = HttpResponse(body, content_type=CONTENT_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@staff_required
@require_GET
def table_export(request, pk, key, fmt):
    cohort = get_cohort(request, pk)
    if fmt not in ("csv", "xlsx"):
        raise Http404("Tables are exported as csv or xlsx.")
    _form, _built, report = _report(request, cohort, endpoints=not key.startswith(
        ("km", "logrank", "cox", "regimen", "not_completed", "mortality", "pathway", "validation", "calibration",
         "proportions")))
    table = report.table(key) if report is not None else None
    if table is None:
        raise Http404("No such table for this cohort.")
    audit(request, "research_export_table", obj=cohort, detail=f"{key}.{fmt}")
    name = f"cohort-{cohort.pk}-{key}.{fmt}"
    if fmt == "csv":
        return _download(table_csv(table.frame), fmt, name)
    # The workbook says which date last known alive its follow-up used, as the page's notes do.
    lines = [*cohort.describe(), ("Date last known alive", ALIVE_EVIDENCE[report.options.alive_evidence])]
    return _download(table_xlsx(table.frame, table.title, lines), fmt, name)


@staff_required
@require_GET
def figure_export(request, pk, key, fmt):
    cohort = get_cohort(request, pk)
    if fmt not in ("png", "svg"):
        raise Http404("Figures are exported as png or svg.")
    _form, _built, report = _report(request, cohort, endpoints=key.startswith("bland_altman"))
    figure = report.figure(key) if report is not None else None
    if figure is None:
        raise Http404("No such figure for this cohort.")
    audit(request, "research_export_figure", obj=cohort, detail=f"{key}.{fmt}")
    return _download(figure_to_bytes(figure.build(), fmt), fmt, f"cohort-{cohort.pk}-{key}.{fmt}")


@staff_required
@require_GET
def fhir_export(request, pk):
    cohort = get_cohort(request, pk)
    built = cohort_frame(cohort, request.staff)
    bundle = cohort_bundle(built.frame)
    audit(request, "research_export_fhir", obj=cohort, detail=f"entries={len(bundle['entry'])}")
    response = HttpResponse(json.dumps(bundle, default=str), content_type="application/fhir+json")
    response["Content-Disposition"] = f'attachment; filename="cohort-{cohort.pk}-fhir-r4b.json"'
    return response


__all__ = ["cohort_create", "cohort_edit", "cohort_list", "cohort_report", "fhir_export", "figure_export",
           "table_export"]
