"""Staff preview of a questionnaire, rendered with the patient's own page template.

The preview is stateless: answers travel in the query string, so branching behaves exactly as it does for a
patient, and nothing is stored.
"""

from urllib.parse import urlencode

from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import translation
from django.views.decorators.http import require_GET

from palliro.accounts.access import staff_required
from palliro.followup.patient_forms import describe, field_name, paginate, read_answers
from palliro.followup.patient_views import LANGUAGE_NAMES, _render
from palliro.instruments.models import Instrument


def _carry(questionnaire, answers: dict, page) -> list[tuple[str, str]]:
    """Hidden fields for answers given on other pages, in the patient form's own field names."""
    on_page = {item.link_id for item in page.items}
    carried = []
    for item in questionnaire.questions:
        if item.link_id in answers and item.link_id not in on_page:
            values = answers[item.link_id] if isinstance(answers[item.link_id], list) else [answers[item.link_id]]
            carried.extend((field_name(item), str(value)) for value in values)
    return carried


@staff_required
@require_GET
def instrument_preview(request, code, version):
    instrument = get_object_or_404(Instrument, code=code, version=version)
    lang = request.GET.get("lang", "en")
    if lang not in instrument.languages:
        raise Http404("This questionnaire is not available in that language.")
    questionnaire = instrument.questionnaire()
    answers = {k: v for k, v in read_answers(questionnaire.questions, request.GET).items() if v is not None}
    pages = paginate(questionnaire, answers)
    if not pages:
        raise Http404("This questionnaire has no questions to show.")
    try:
        number = int(request.GET.get("page", "1"))
    except ValueError:
        number = 1
    action = request.GET.get("action")
    if action == "next":
        number += 1
    elif action == "back":
        number -= 1
    number = min(max(number, 1), len(pages))
    page = pages[number - 1]
    base = reverse("instrument_preview", args=[code, version])
    keep = [(k, value) for k, values in request.GET.lists() for value in values if k not in {"lang", "page", "action"}]
    languages = [
        {"code": c, "name": LANGUAGE_NAMES[c], "current": c == lang,
         "url": f"{base}?{urlencode([*keep, ('lang', c), ('page', number)])}"}
        for c in instrument.languages
    ]
    with translation.override(lang):
        context = {
            "preview": True, "preview_action": base, "preview_carry": _carry(questionnaire, answers, page),
            "token": "", "is_proxy": instrument.respondent == "proxy", "title": questionnaire.title(lang),
            "languages": languages, "page": page, "fields": describe(page, answers, lang), "errors": False,
            "step": number, "steps": len(pages) + 1, "from_review": False,
        }
    return _render(request, "page.html", context, lang)
