"""Calculator pages.  Calculators that take no patient data need no login and use GET forms, so a result
is a bookmarkable URL; ``?format=csv&part=<slug>`` downloads a result table.  The two that take pasted text
(a pain diary, a CVI rating matrix) post their form instead: thousands of characters do not fit in a URL
(servers refuse request lines over 4 KB) and do not belong in access logs; their CSV downloads post the
same fields.  They still answer a GET with the fields in the query string.  The patient prognosis page is
staff-only, site-scoped and audited like the clinic pages."""

from __future__ import annotations

from dataclasses import dataclass

from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.utils.text import slugify
from django.views.decorators.http import require_GET, require_http_methods

from palliro.accounts.access import audit, staff_required
from palliro.calculators import forms, inputs
from palliro.calculators.output import CalcOutput, table_csv
from palliro.calculators.patient import prognosis_for_patient
from palliro.clinic.views import get_patient_for_user

CONTROL_PARAMS = ("format", "part")


@dataclass(frozen=True)
class Page:
    url_name: str
    title: str
    intro: str
    form_class: type[forms.CalculatorForm]
    form_template: str = "includes/form.html"
    #: The form posts (pasted text too long for a URL).
    posts: bool = False


PAGES: dict[str, Page] = {
    page.url_name: page
    for page in (
        Page("bed", "BED, EQD2 and EQDX of one regimen",
             "Biologically effective dose and equivalent doses by the linear-quadratic model, optionally "
             "corrected for overall treatment time.", forms.BedForm),
        Page("compare", "Compare regimens",
             "BED and EQD2 of several regimens side by side at α/β 10, 3 and 2 Gy (no time correction).",
             forms.CompareForm),
        Page("isoeffect", "Isoeffective dose conversion",
             "Total dose in a new dose per fraction giving the same BED: D2 = D1·(α/β + d1)/(α/β + d2).",
             forms.IsoeffectForm),
        Page("brachy", "EBRT + brachytherapy EQD2 sum",
             "Each component converted to EQD2 at the same α/β and summed, assuming full repair between HDR "
             "fractions and no time correction.", forms.BrachyForm),
        Page("reirradiation", "Cumulative re-irradiation dose",
             "Cumulative BED/EQD2 of successive courses to one organ at one α/β, with an optional recovery "
             "discount and the spinal-cord guidance of Nieder 2006 (conventional re-irradiation: cumulative "
             "BED ≤ 135.5 Gy2, each course ≤ 98 Gy2, interval ≥ 6 months) or Sahgal 2012 (SBRT after "
             "conventional RT: total nBED ≤ ~70 Gy2/2, SBRT ≤ ~25 Gy2/2 and ≤ ~50 % of the total, interval "
             "≥ 5 months).", forms.ReirradiationForm),
        Page("omed", "Oral morphine equivalent (OMED)",
             "Daily oral morphine equivalent from a list of opioids with a fixed, cited conversion table.",
             forms.OmedForm, "calculators/includes/omed_form.html"),
        Page("pain_response", "Pain response (International Consensus Endpoints)",
             "Complete, partial, indeterminate response or pain progression at one follow-up, from worst pain "
             "(0-10) and daily OMED. The options (a)-(e) settle points the ICE wording leaves open; the defaults "
             "are the literal reading.", forms.PainResponseForm),
        Page("flare", "Pain flare from a daily diary",
             "A temporary rise of worst pain by ≥ 2 points or of OMED by ≥ 25 % during or after RT that returns "
             "to baseline within the follow-up window (Chow 2005; Hird 2009).", forms.FlareForm, posts=True),
        Page("cvi", "Content validity index",
             "I-CVI per item, S-CVI/Ave, S-CVI/UA and modified kappa from an experts × items matrix of relevance "
             "ratings (1-4; 3 and 4 count as relevant).", forms.CviForm, "calculators/includes/cvi_form.html",
             posts=True),
    )
}


def _is_bound(params) -> bool:
    return any(key not in CONTROL_PARAMS for key in params)


def _csv_response(out: CalcOutput, slug: str | None, name: str) -> HttpResponse | None:
    table = out.table(slug)
    if table is None:
        return None
    response = HttpResponse(table_csv(table), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{slugify(name)}-{table.slug}.csv"'
    return response


def _params(request) -> QueryDict:
    return request.POST if request.method == "POST" else request.GET


def _render_calculator(request, page_name, title, intro, form, form_template, out, posts=False, **extra):
    params = _params(request)
    if out is not None and params.get("format") == "csv":
        response = _csv_response(out, params.get("part"), page_name)
        if response is not None:
            return response
        raise Http404("No such table.")
    context = {"title": title, "intro": intro, "form": form, "form_template": form_template, "out": out,
               "page_name": page_name, "posts": posts, **extra}
    if posts and out is not None and "csv_fields" not in context:
        # The download buttons post the fields that gave this result.
        context["csv_fields"] = [(key, value) for key, values in params.lists() for value in values
                                 if key not in (*CONTROL_PARAMS, "csrfmiddlewaretoken")]
    return render(request, "calculators/calculator.html", context)


@require_GET
def index(request):
    return render(request, "calculators/index.html",
                  {"pages": PAGES.values(), "models": inputs.MODELS.values()})


def _page_view(name: str):
    page = PAGES[name]

    @require_http_methods(["GET", "POST"] if page.posts else ["GET"])
    def view(request):
        params = _params(request)
        bound = _is_bound(params)
        form = page.form_class(params if bound else None)
        out = form.result() if bound else None
        return _render_calculator(request, name, page.title, page.intro, form, page.form_template, out,
                                  posts=page.posts)

    view.__name__ = f"{name}_view"
    return view


bed = _page_view("bed")
compare = _page_view("compare")
isoeffect = _page_view("isoeffect")
brachy = _page_view("brachy")
reirradiation = _page_view("reirradiation")
omed = _page_view("omed")
pain_response = _page_view("pain_response")
flare = _page_view("flare")


@require_http_methods(["GET", "POST"])
def cvi(request):
    """Pasted ratings or a CSV upload, both posted (a GET with the fields in the query string still works)."""
    page = PAGES["cvi"]
    if request.method == "POST":
        form = page.form_class(request.POST, request.FILES)
        out = form.result()
    else:
        bound = _is_bound(request.GET)
        form = page.form_class(request.GET if bound else None)
        out = form.result() if bound else None
    extra = {}
    if out is not None:
        # An uploaded file's ratings are posted back as text by the download buttons.
        extra["csv_fields"] = [(key, form.cleaned_data[key]) for key in ("ratings", "rows_are", "icvi_rule")]
    return _render_calculator(request, "cvi", page.title, page.intro, form, page.form_template, out,
                              posts=True, **extra)


@require_GET
def prognosis_index(request):
    return render(request, "calculators/prognosis_index.html", {"models": inputs.MODELS.values()})


@require_GET
def prognosis(request, model):
    spec = inputs.MODELS.get(model)
    if spec is None:
        raise Http404("No such prognostic model.")
    form_class = forms.prognosis_form_class(spec)
    bound = _is_bound(request.GET)
    form = form_class(request.GET if bound else None)
    out = form.result() if bound else None
    intro = f"{spec.summary}. Source: {spec.citation}."
    return _render_calculator(request, f"prognosis-{model}", spec.title, intro, form, "includes/form.html", out,
                              back_url=reverse("calculators:prognosis_index"))


@staff_required
@require_GET
def patient_prognosis(request, pk):
    patient = get_patient_for_user(request, pk)
    identified = request.staff.sees_identifiers_at(patient.site_id)
    audit(request, "prognosis_view", patient=patient, obj=patient)
    return render(request, "calculators/patient_prognosis.html",
                  {"patient": patient, "identified": identified, "items": prognosis_for_patient(patient)})
