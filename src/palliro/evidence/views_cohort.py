"""The department's own cohort as a study, and the IPD upload page."""

import pandas as pd
from django.contrib import messages
from django.db import transaction
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from palliro.accounts.access import audit, staff_required
from palliro.evidence import cohort, forms
from palliro.evidence.ipd_upload import analyse_ipd, read_ipd
from palliro.evidence.models import DICHOTOMOUS, StudyRow
from palliro.evidence.views import _next_position, outcome_for_user, review_for_user
from palliro.research.alive import ALIVE_EVIDENCE_SHORT
from palliro.stats.errors import StatsInputError
from palliro.stats.meta import StudyTableError
from palliro.stats.plots import inline_svg
from palliro.stats.plots_meta import figure_to_bytes, forest_plot

OWN_TRIAL = "Own cohort"


def _message(exc: StatsInputError) -> str:
    return str(exc).split(": ", 1)[-1]


@staff_required
@require_http_methods(["GET", "POST"])
def own_cohort(request, pk):
    outcome = outcome_for_user(request, pk)
    supported = outcome.measure in (*DICHOTOMOUS, "HR")
    form = forms.OwnCohortForm(request.POST or None)
    if request.method == "POST" and supported and form.is_valid():
        spec = form.spec(request.staff.all_site_ids)
        days = form.cleaned_data.get("days")
        if spec is not None and outcome.measure in DICHOTOMOUS and not days:
            form.add_error("days", "Enter the number of days for the event definition.")
        elif spec is not None:
            try:
                row = _own_row(outcome, spec, days, form.cleaned_data["label"])
            except StatsInputError as exc:
                target = exc.field if exc.field in form.fields else None
                form.add_error(target, _message(exc))
            else:
                audit(request, "own_cohort_study", obj=row, detail=row.source)
                messages.success(request, f"Added {row.label}: {row.source}")
                return redirect("evidence:outcome_detail", pk=outcome.pk)
    return render(request, "evidence/own_cohort.html",
                  {"form": form, "outcome": outcome, "review": outcome.review, "supported": supported})


def _own_row(outcome, spec: cohort.CohortSpec, days: int | None, label: str) -> StudyRow:
    patients = cohort.cohort_patients(spec)
    groups = f"{spec.group_a.label} vs {spec.group_b.label}"
    alive = f"; last known alive: {ALIVE_EVIDENCE_SHORT[spec.alive_evidence]}"
    if outcome.measure in DICHOTOMOUS:
        counts = cohort.death_within(patients, days)
        inputs = counts.as_inputs
        source = (f"Own cohort, {groups}: death within {days} days, {counts.events_a}/{counts.total_a} vs "
                  f"{counts.events_b}/{counts.total_b}; {counts.incomplete} without complete follow-up left out"
                  f"{alive}")
    else:
        hazard = cohort.hazard_ratio(patients)
        inputs = hazard.as_inputs
        source = (f"Own cohort, {groups}: Cox model of survival from first fraction, {hazard.n_a} vs {hazard.n_b} "
                  f"patients, {hazard.events} deaths; {hazard.left_out} without follow-up left out{alive}")
    with transaction.atomic():
        return StudyRow.objects.create(
            outcome=outcome, position=_next_position(outcome), label=label, source=source[:300],
            is_own_cohort=True, **{k: int(v) if k in ("ai", "bi", "ci", "di") else v for k, v in inputs.items()},
        )


@staff_required
@require_http_methods(["GET", "POST"])
def ipd(request, pk):
    review = review_for_user(request, pk)
    form = forms.IPDForm(request.POST or None, request.FILES or None)
    own_form = forms.IPDOwnForm(request.POST or None, prefix="own")
    context = {"review": review, "form": form, "own_form": own_form, "errors": [], "problem": ""}
    if request.method == "POST" and form.is_valid():
        include_own = form.cleaned_data["include_own"]
        if include_own and not own_form.is_valid():
            return render(request, "evidence/ipd.html", context)
        model, covariates = form.cleaned_data["model"], form.covariate_list()
        try:
            frame = read_ipd(form.cleaned_data["file"].read(), model=model, covariates=covariates)
            if include_own:
                frame = _with_own(frame, own_form, request.staff.all_site_ids, model, covariates)
            result = analyse_ipd(frame, model=model, covariates=covariates, method=form.cleaned_data["method"],
                                 knha=form.cleaned_data["knha"])
        except StudyTableError as exc:
            context["errors"] = list(exc.errors)
        except StatsInputError as exc:
            context["problem"] = _message(exc) if exc.field != "own" else str(exc).split(": ", 1)[-1]
        else:
            audit(request, "ipd_analysis", obj=review, detail=f"{result.n_patients} patients")
            two = result.two_stage
            context |= {
                "result": result,
                "ratio": "HR" if model == "cox" else "OR",
                "one": result.one_stage.exp(),
                "two": two.meta.exp(),
                "trials": [
                    {"label": label, "n": n, "events": e}
                    for label, n, e in zip(two.effects.labels, two.n_per_trial, two.events_per_trial, strict=True)
                ],
                "forest_svg": inline_svg(figure_to_bytes(forest_plot(two.meta, title="Two-stage IPD"), "svg")),
            }
    return render(request, "evidence/ipd.html", context)


def _with_own(frame: pd.DataFrame, own_form, site_ids, model: str, covariates) -> pd.DataFrame:
    if covariates:
        raise StatsInputError("covariates are not available for the department's own patients", field="own")
    spec = own_form.spec(site_ids)
    if spec is None:
        raise StatsInputError("; ".join(own_form.non_field_errors()), field="own")
    patients = cohort.cohort_patients(spec)
    if model == "cox":
        own = cohort.survival_frame(patients)
    else:
        days = own_form.cleaned_data.get("days")
        if not days:
            raise StatsInputError("enter the number of days for the event definition", field="own")
        own = cohort.binary_frame(patients, days)
    if own.empty:
        raise StatsInputError("no eligible own patients with follow-up for these groups", field="own")
    if OWN_TRIAL in set(frame["trial"]):
        raise StatsInputError(f"the file already has a trial called {OWN_TRIAL!r}", field="own")
    own["trial"] = OWN_TRIAL
    return pd.concat([frame, own[frame.columns]], ignore_index=True)
