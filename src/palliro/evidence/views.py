"""Review workspace: reviews, outcomes and their meta-analyses.

Every review is fetched through ``review_for_user``: reviews of another site are a 404. Any role at the
review's site may read and edit it; the data are published study results, and the own-cohort study holds
aggregate counts only.
"""

from django.contrib import messages
from django.db import transaction
from django.db.models import Count
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.text import slugify
from django.views.decorators.http import require_GET, require_http_methods

from palliro.accounts.access import audit, staff_required
from palliro.evidence import forms
from palliro.evidence.analysis import analyse, display, results_csv, summary
from palliro.evidence.models import Outcome, Review, StudyRow
from palliro.evidence.tables import StudyInput, export_studies
from palliro.stats.errors import StatsInputError
from palliro.stats.meta import StudyTableError
from palliro.stats.plots import inline_svg
from palliro.stats.plots_meta import figure_to_bytes, forest_plot, funnel_plot


def visible_reviews(staff):
    return Review.objects.filter(site_id__in=staff.all_site_ids)


def review_for_user(request, pk) -> Review:
    return get_object_or_404(visible_reviews(request.staff).select_related("site"), pk=pk)


def outcome_for_user(request, pk) -> Outcome:
    return get_object_or_404(
        Outcome.objects.select_related("review", "review__site").filter(review__site_id__in=request.staff.all_site_ids),
        pk=pk,
    )


def study_inputs(outcome: Outcome) -> list[StudyInput]:
    return [StudyInput(r.label, r.inputs(), r.subgroup, r.year, r.source, r.is_own_cohort)
            for r in outcome.rows.all()]


def run_analysis(outcome: Outcome):
    """(analysis, error message): the message is shown instead of results when pooling is impossible."""
    studies = study_inputs(outcome)
    if not studies:
        return None, "Add studies to see the meta-analysis."
    try:
        return analyse(studies, outcome.measure, outcome.method, knha=outcome.knha, level=float(outcome.level)), ""
    except StudyTableError as exc:
        return None, "; ".join(str(e) for e in exc.errors)
    except StatsInputError as exc:
        return None, str(exc).split(": ", 1)[-1]


@staff_required
@require_GET
def review_list(request):
    reviews = visible_reviews(request.staff).select_related("site").annotate(n_outcomes=Count("outcomes"))
    return render(request, "evidence/review_list.html", {"reviews": reviews})


@staff_required
@require_http_methods(["GET", "POST"])
def review_create(request):
    form = forms.ReviewForm(request.POST or None, site_ids=request.staff.all_site_ids)
    if request.method == "POST" and form.is_valid():
        review = form.save(commit=False)
        review.owner = request.user
        review.save()
        audit(request, "review_create", obj=review)
        messages.success(request, "Review created.")
        return redirect("evidence:review_detail", pk=review.pk)
    return render(request, "evidence/form.html", {"form": form, "title": "New review"})


@staff_required
@require_http_methods(["GET", "POST"])
def review_edit(request, pk):
    review = review_for_user(request, pk)
    form = forms.ReviewForm(request.POST or None, instance=review, site_ids=request.staff.all_site_ids)
    if request.method == "POST" and form.is_valid():
        form.save()
        audit(request, "review_edit", obj=review)
        messages.success(request, "Saved.")
        return redirect("evidence:review_detail", pk=review.pk)
    return render(request, "evidence/form.html", {"form": form, "title": "Edit review", "review": review})


@staff_required
@require_GET
def review_detail(request, pk):
    review = review_for_user(request, pk)
    outcomes = review.outcomes.annotate(k=Count("rows"))
    return render(request, "evidence/review_detail.html", {"review": review, "outcomes": outcomes})


@staff_required
@require_http_methods(["GET", "POST"])
def outcome_create(request, pk):
    review = review_for_user(request, pk)
    form = forms.OutcomeForm(request.POST or None, instance=Outcome(review=review))
    if request.method == "POST" and form.is_valid():
        outcome = form.save()
        audit(request, "outcome_create", obj=outcome)
        messages.success(request, "Outcome added.")
        return redirect("evidence:outcome_detail", pk=outcome.pk)
    return render(request, "evidence/form.html", {"form": form, "title": "New outcome", "review": review})


@staff_required
@require_http_methods(["GET", "POST"])
def outcome_edit(request, pk):
    outcome = outcome_for_user(request, pk)
    form = forms.OutcomeForm(request.POST or None, instance=outcome)
    if request.method == "POST" and form.is_valid():
        if "measure" in form.changed_data and outcome.rows.exists():
            form.add_error("measure", "Remove the studies before changing the measure: their numbers depend on it.")
        else:
            form.save()
            audit(request, "outcome_edit", obj=outcome)
            messages.success(request, "Saved.")
            return redirect("evidence:outcome_detail", pk=outcome.pk)
    return render(request, "evidence/form.html",
                  {"form": form, "title": f"Edit {outcome.name}", "review": outcome.review, "outcome": outcome})


def _table_rows(result, level):
    eff = result.effects
    lo, hi = eff.ci(level)
    return [
        {"label": label, "estimate": display(result, eff.yi[i]), "ci_lb": display(result, lo[i]),
         "ci_ub": display(result, hi[i]), "weight": float(result.weights[i])}
        for i, label in enumerate(eff.labels)
    ]


def _sequence_rows(seq):
    if seq is None:
        return []
    return [dict(label=label, **summary(r)) for label, r in zip(seq.labels, seq.results, strict=True)]


@staff_required
@require_GET
def outcome_detail(request, pk):
    outcome = outcome_for_user(request, pk)
    analysis, problem = run_analysis(outcome)
    context = {"outcome": outcome, "review": outcome.review, "rows": outcome.rows.all(), "problem": problem,
               "analysis": analysis}
    if analysis is not None:
        result = analysis.result
        context |= {
            "summary": summary(result),
            "per_study": _table_rows(result, result.level),
            "forest_svg": inline_svg(figure_to_bytes(forest_plot(result, title=outcome.name), "svg")),
            "funnel_svg": inline_svg(figure_to_bytes(funnel_plot(result), "svg")),
            "loo": _sequence_rows(analysis.leave_one_out),
            "cumul": _sequence_rows(analysis.cumulative),
        }
        if analysis.subgroups is not None:
            sub = analysis.subgroups
            context["subgroups"] = [dict(group=g, **summary(r)) for g, r in zip(sub.groups, sub.results, strict=True)]
            context["subgroup_test"] = sub
    return render(request, "evidence/outcome_detail.html", context)


PLOTS = {"forest": forest_plot, "funnel": funnel_plot}
CONTENT_TYPES = {"svg": "image/svg+xml", "png": "image/png"}


@staff_required
@require_GET
def outcome_plot(request, pk, kind, fmt):
    if kind not in PLOTS or fmt not in CONTENT_TYPES:
        raise Http404("No such plot.")
    outcome = outcome_for_user(request, pk)
    analysis, problem = run_analysis(outcome)
    if analysis is None:
        return HttpResponse(problem, status=409, content_type="text/plain; charset=utf-8")
    fig = forest_plot(analysis.result, title=outcome.name) if kind == "forest" else funnel_plot(analysis.result)
    response = HttpResponse(figure_to_bytes(fig, fmt), content_type=CONTENT_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="{slugify(outcome.name) or "outcome"}-{kind}.{fmt}"'
    return response


@staff_required
@require_GET
def outcome_export(request, pk, what):
    outcome = outcome_for_user(request, pk)
    if what == "studies":
        body = export_studies(study_inputs(outcome))
    elif what == "results":
        analysis, problem = run_analysis(outcome)
        if analysis is None:
            return HttpResponse(problem, status=409, content_type="text/plain; charset=utf-8")
        body = results_csv(analysis)
    else:
        raise Http404("No such export.")
    audit(request, f"outcome_export_{what}", obj=outcome)
    response = HttpResponse(body, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{slugify(outcome.name) or "outcome"}-{what}.csv"'
    return response


def _next_position(outcome: Outcome) -> int:
    last = outcome.rows.order_by("-position").values_list("position", flat=True).first()
    return 0 if last is None else last + 1


@staff_required
@require_http_methods(["GET", "POST"])
def row_create(request, pk):
    outcome = outcome_for_user(request, pk)
    form = forms.StudyRowForm(request.POST or None, instance=StudyRow(outcome=outcome), measure=outcome.measure)
    if request.method == "POST" and form.is_valid():
        row = form.save(commit=False)
        row.position = _next_position(outcome)
        row.save()
        audit(request, "study_row_create", obj=row)
        messages.success(request, "Study added.")
        return redirect("evidence:outcome_detail", pk=outcome.pk)
    return render(request, "evidence/form.html",
                  {"form": form, "title": "Add a study", "review": outcome.review, "outcome": outcome})


def _row_for_user(request, pk) -> StudyRow:
    return get_object_or_404(
        StudyRow.objects.select_related("outcome", "outcome__review").filter(
            outcome__review__site_id__in=request.staff.all_site_ids),
        pk=pk,
    )


@staff_required
@require_http_methods(["GET", "POST"])
def row_edit(request, pk):
    row = _row_for_user(request, pk)
    outcome = row.outcome
    if row.is_own_cohort:
        messages.error(request, "The own-cohort study is computed from clinic data; delete it and add it again.")
        return redirect("evidence:outcome_detail", pk=outcome.pk)
    form = forms.StudyRowForm(request.POST or None, instance=row, measure=outcome.measure)
    if request.method == "POST" and form.is_valid():
        form.save()
        audit(request, "study_row_edit", obj=row)
        messages.success(request, "Saved.")
        return redirect("evidence:outcome_detail", pk=outcome.pk)
    return render(request, "evidence/form.html",
                  {"form": form, "title": f"Edit {row.label}", "review": outcome.review, "outcome": outcome})


@staff_required
@require_http_methods(["POST"])
def row_delete(request, pk):
    row = _row_for_user(request, pk)
    outcome = row.outcome
    audit(request, "study_row_delete", obj=row, detail=row.label)
    row.delete()
    messages.success(request, f"Removed {row.label}.")
    return redirect("evidence:outcome_detail", pk=outcome.pk)


@staff_required
@require_http_methods(["GET", "POST"])
def outcome_upload(request, pk):
    from palliro.evidence.tables import read_upload

    outcome = outcome_for_user(request, pk)
    form = forms.UploadForm(request.POST or None, request.FILES or None)
    errors = []
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data["file"].read()
        try:
            parsed = read_upload(data, outcome.measure, subgroup_column=form.cleaned_data["subgroup_column"].strip() or None)
        except StudyTableError as exc:
            errors = list(exc.errors)
        else:
            with transaction.atomic():
                if form.cleaned_data["replace"]:
                    outcome.rows.all().delete()
                start = _next_position(outcome)
                StudyRow.objects.bulk_create([
                    StudyRow(outcome=outcome, position=start + i, label=s.label[:200], year=s.year,
                             subgroup=s.subgroup[:100], source=s.source, **_int_counts(s.inputs))
                    for i, s in enumerate(parsed.studies)
                ])
                audit(request, "study_table_upload", obj=outcome, detail=f"{len(parsed.studies)} studies")
            messages.success(request, f"{len(parsed.studies)} studies added.")
            return redirect("evidence:outcome_detail", pk=outcome.pk)
    return render(request, "evidence/upload.html",
                  {"form": form, "outcome": outcome, "review": outcome.review, "errors": errors})


COUNT_FIELDS = ("ai", "bi", "ci", "di", "n1i", "n2i")


def _int_counts(inputs: dict[str, float]) -> dict[str, float | int]:
    return {k: int(v) if k in COUNT_FIELDS else v for k, v in inputs.items()}
