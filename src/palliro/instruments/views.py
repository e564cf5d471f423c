from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_GET

from palliro.accounts.access import staff_required
from palliro.core.scoring import SCORERS
from palliro.instruments.importing import export_questionnaire
from palliro.instruments.models import Instrument


@staff_required
@require_GET
def instrument_list(request):
    instruments = Instrument.objects.order_by("kind", "code", "-version")
    return render(request, "instruments/list.html", {"instruments": instruments})


@staff_required
@require_GET
def instrument_detail(request, code, version):
    instrument = get_object_or_404(Instrument, code=code, version=version)
    questionnaire = instrument.questionnaire()
    scorer = SCORERS.get(instrument.scorer_code)
    scales = scorer.definition.scales if scorer else ()
    preview_urls = [
        (lang, reverse("instrument_preview", args=[code, version]) + f"?lang={lang}")
        for lang in instrument.languages
    ]
    return render(
        request,
        "instruments/detail.html",
        {"instrument": instrument, "questionnaire": questionnaire, "scales": scales, "scorer": scorer,
         "preview_urls": preview_urls},
    )


@staff_required
@require_GET
def instrument_fhir(request, code, version):
    instrument = get_object_or_404(Instrument, code=code, version=version)
    response = HttpResponse(export_questionnaire(instrument), content_type="application/fhir+json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{instrument.code}-{instrument.version}.json"'
    return response
