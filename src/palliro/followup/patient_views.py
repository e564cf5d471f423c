"""The pages a patient or proxy sees after opening their secret link (mounted at /r/).

Every page works without JavaScript and redirects after each POST, so reloading, the back button and a
closed tab never resend or lose answers: each screen is saved into the invitation's draft before moving on.
No page names the patient; a proxy is told they answer about "the person you care for".
"""

import uuid
from urllib.parse import urlencode

from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy, gettext_noop
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from palliro.core.questionnaire import LANGUAGES, advice_for, enabled_items, validate_answers
from palliro.core.questionnaire.answers import AnswerError
from palliro.followup import linkaccess, scheduling
from palliro.followup.linkaccess import LinkState
from palliro.followup.models import Invitation, InvitationState, Respondent, Response, ResponseStatus
from palliro.followup.patient_forms import BirthYearForm, describe, display_answer, paginate, read_answers
from palliro.followup.shown import EMERGENCY_NUMBER, what_was_shown
from palliro.followup.submission import SubmissionError, save_draft, submit

__all__ = ["EMERGENCY_NUMBER"]  # kept importable from here
#: Namespace of the submission ids derived from a draft, so that every copy of the review page carries the
#: same id and a retried or double-clicked submission is recognised.
SUBMISSION_NAMESPACE = uuid.UUID("6f1c2b1e-5d0a-4f55-9a57-2f0d1c9b8e41")
LANGUAGE_NAMES = {"en": "English", "nl": "Nederlands", "fr": "Français", "es": "Español"}

_PROBLEMS = {
    # state: (HTTP status, title, explanation); the texts are translated when the page is drawn.
    LinkState.UNKNOWN: (
        404, gettext_noop("This link does not work"),
        gettext_noop("Please check that you opened the whole link from your message. If it still does not "
                     "work, ask your care team for a new link."),
    ),
    LinkState.EXPIRED: (
        # A closed questionnaire is not sent again, and another one follows only if one is scheduled (it may
        # have been the last): _problem promises a new link only then (_EXPIRED_NEXT) and gives the number.
        410, gettext_noop("This questionnaire has closed"),
        gettext_noop("The time to fill in this questionnaire is over. If you have symptoms or questions, "
                     "please call your care team."),
    ),
    LinkState.CANCELLED: (
        410, gettext_noop("This link is no longer in use"),
        gettext_noop("Your care team no longer needs this questionnaire. You do not need to do anything."),
    ),
    LinkState.NOT_YET_OPEN: (200, gettext_noop("This questionnaire is not open yet"), ""),
    LinkState.RATE_LIMITED: (
        429, gettext_noop("Too many attempts"),
        gettext_noop("For your safety this page is locked for a while. Please try again in 15 minutes."),
    ),
}


#: The expired page's text when a later questionnaire for the same respondent is already scheduled.
_EXPIRED_NEXT = gettext_noop("The time to fill in this questionnaire is over. You will get a new link when the next "
                             "questionnaire is due.")
#: A day of the pain diary whose link closed (the next day's link opened): the answers were about that day, so
#: it cannot be given later; the page names the day and points to the newest link, without blame.
_DIARY_PASSED = gettext_noop("This diary day has passed")
_DIARY_NEXT = gettext_noop("Each day of the diary has its own link: please use the newest one you received. A "
                           "missed day is not a problem.")
_DIARY_DONE = gettext_noop("Thank you for keeping the diary. You do not need to do anything.")
#: Link states whose page gives the site's phone number (the invitation is known and genuine).
_PHONE_STATES = (LinkState.NOT_YET_OPEN, LinkState.EXPIRED, LinkState.CANCELLED, LinkState.COMPLETED)


# --- helpers -----------------------------------------------------------------------------------------

def _available_languages(invitation) -> list[str]:
    questionnaire = invitation.instrument.questionnaire()
    offered = set(invitation.instrument.languages) | {questionnaire.language}
    return [lang for lang in LANGUAGES if lang in offered]


def _default_language(invitation) -> str:
    return invitation.proxy.language if invitation.proxy_id and invitation.proxy else invitation.patient.language


def _language(invitation, draft=None, wanted: str | None = None) -> str:
    available = _available_languages(invitation)
    for lang in (wanted, draft.language if draft else None, _default_language(invitation)):
        if lang in available:
            return lang
    return "en" if "en" in available else available[0]


def _draft(invitation):
    return Response.objects.filter(invitation=invitation, status=ResponseStatus.IN_PROGRESS).first()


def _completed(invitation):
    return Response.objects.filter(invitation=invitation, status=ResponseStatus.COMPLETED).first()


def _render(request, template, context, lang, status=200):
    with translation.override(lang):
        response = render(request, f"followup/patient/{template}", {"lang": lang, **context}, status=status)
    response["Content-Language"] = lang
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _url(name, token, **query) -> str:
    url = reverse(name, args=[token])
    query = {k: v for k, v in query.items() if v not in (None, "")}
    return f"{url}?{urlencode(query)}" if query else url


def _next_scheduled(invitation) -> bool:
    """Whether a later questionnaire for the same patient and respondent is scheduled (its link will come)."""
    return Invitation.objects.filter(
        patient_id=invitation.patient_id, respondent=invitation.respondent, proxy_id=invitation.proxy_id,
        state=InvitationState.SCHEDULED, due_at__gt=invitation.due_at,
    ).exclude(pk=invitation.pk).exists()


def _problem(request, access, lang=None):
    status, title, text = _PROBLEMS[access.state]
    invitation = access.invitation
    if lang is None:
        lang = _language(invitation) if invitation else translation.get_language() or "en"
        lang = lang if lang in LANGUAGES else "en"
    opens = ""
    if access.state == LinkState.NOT_YET_OPEN:
        with translation.override(lang):
            due = timezone.localtime(invitation.due_at, invitation.patient.site.zone)  # the day AND the time
            opens = f"{date_format(due, 'DATE_FORMAT')}, {date_format(due, 'H:i')}"
    # The care team's number, only when the link is a real one (the invitation, hence the site, is known): an
    # unknown or rate-limited token reveals nothing, not even which site it might belong to.
    phone = ""
    if invitation is not None and access.state in _PHONE_STATES:
        phone = invitation.patient.site.phone or ""
    diary_day = ""
    if access.state == LinkState.EXPIRED and invitation is not None and scheduling.is_diary_day(invitation):
        title, text = _DIARY_PASSED, _DIARY_NEXT if scheduling.later_diary_link(invitation) else _DIARY_DONE
        with translation.override(lang):
            diary_day = date_format(scheduling.diary_day(invitation.due_at, invitation.patient.site.zone),
                                    "DATE_FORMAT")
    elif access.state == LinkState.EXPIRED and invitation is not None and _next_scheduled(invitation):
        text = _EXPIRED_NEXT
    context = {"title": title, "text": text, "opens": opens, "phone": phone, "diary_day": diary_day}
    return _render(request, "problem.html", context, lang, status)


def _base_context(token, invitation, lang, url_name="respond", page=None):
    return {
        "token": token,
        "is_proxy": invitation.respondent == Respondent.PROXY,
        "title": invitation.instrument.questionnaire().title(lang),
        "languages": [
            {"code": code, "name": LANGUAGE_NAMES[code], "current": code == lang,
             "url": _url(url_name, token, page=page, lang=code)}
            for code in _available_languages(invitation)
        ],
    }


def _gate(request, token):
    """(invitation, None) when the link may be answered now in this session, else (None, a response)."""
    access = linkaccess.open_link(request, token)
    if access.state == LinkState.COMPLETED:
        return None, HttpResponseRedirect(reverse("respond_done", args=[token]))
    if not access.is_open:
        return None, _problem(request, access)
    if linkaccess.needs_second_check(request, access.invitation):
        if request.method == "POST":
            return None, HttpResponseRedirect(reverse("respond", args=[token]))
        return None, _birth_year_page(request, token, access.invitation, BirthYearForm())
    return access.invitation, None


def _birth_year_page(request, token, invitation, form, status=200):
    lang = _language(invitation, wanted=request.GET.get("lang"))
    if invitation.respondent == Respondent.PATIENT:
        # The patient's own year of birth (WCAG 1.3.5); a relative types someone else's, so no autofill there.
        form.fields["year"].widget.attrs["autocomplete"] = "bday-year"
    context = {**_base_context(token, invitation, lang), "form": form}
    return _render(request, "birth_year.html", context, lang, status)


def _submission_id(draft) -> uuid.UUID:
    return uuid.uuid5(SUBMISSION_NAMESPACE, f"palliro-draft:{draft.pk}")


def _page_number(raw, last: int) -> int | None:
    try:
        number = int(raw)
    except (TypeError, ValueError):
        return None
    return number if 1 <= number <= last else None


def _enabled_answers(questionnaire, answers: dict) -> dict:
    """Only the answers branching still shows: an answer to a question that was hidden again is dropped."""
    shown = {item.link_id for item in enabled_items(questionnaire, answers) if item.answerable}
    return {k: v for k, v in answers.items() if k in shown}


# --- views -------------------------------------------------------------------------------------------

@never_cache
@require_http_methods(["GET", "POST"])
def respond(request, token):
    invitation, refusal = _gate(request, token)
    if refusal is not None:
        return refusal
    questionnaire = invitation.instrument.questionnaire()
    draft = _draft(invitation)
    answers = dict(draft.answers) if draft else {}
    pages = paginate(questionnaire, answers)
    review = len(pages) + 1

    if request.method == "GET":
        wanted = request.GET.get("lang")
        if wanted and wanted in _available_languages(invitation):
            # The choice is kept in the draft, so reopening the link later keeps the language.
            resume = draft.page if draft else 1
            save_draft(invitation, {}, resume, wanted)
            return HttpResponseRedirect(_url("respond", token, page=request.GET.get("page")))
        lang = _language(invitation, draft)
        number = _page_number(request.GET.get("page"), review)
        if number is None:
            number = _page_number(draft.page if draft else 1, review) or 1
        if number == review:
            if draft is None:  # nothing to ask (every question hidden): the review page needs a draft
                save_draft(invitation, {}, review, lang)
            return HttpResponseRedirect(reverse("respond_review", args=[token]))
        return _question_page(request, token, invitation, pages[number - 1], review, answers, lang,
                              from_review=request.GET.get("from") == "review")

    lang = _language(invitation, draft)
    number = _page_number(request.POST.get("page"), review - 1)
    if number is None:
        return HttpResponseRedirect(reverse("respond", args=[token]))
    page = pages[number - 1]
    # Only the questions this form showed count: if branching changed the page in another tab meanwhile, a
    # question the patient never saw must not be read as "left blank".
    shown = set(request.POST.getlist("shown"))
    posted = read_answers(tuple(item for item in page.questions if item.link_id in shown), request.POST)
    merged = {k: v for k, v in {**answers, **posted}.items() if v is not None}
    on_page = set(posted)
    going_back = request.POST.get("action") == "back"
    errors = {k: v for k, v in validate_answers(questionnaire, merged, lang, complete=not going_back).items()
              if k in on_page}
    if going_back:
        # Going back never blocks: what is valid is kept, what is not is left for the next visit.
        kept = {k: v for k, v in posted.items() if k not in errors}
        save_draft(invitation, kept, max(number - 1, 1), lang)
        return HttpResponseRedirect(_url("respond", token, page=max(number - 1, 1)))
    if errors:
        # What is valid on the page is kept, as on every step: a tab closed on the error message loses nothing.
        kept = {k: v for k, v in posted.items() if k not in errors}
        if kept:
            save_draft(invitation, kept, number, lang)
        return _question_page(request, token, invitation, page, review, merged, lang, errors=errors,
                              from_review=request.POST.get("from") == "review", status=200)
    save_draft(invitation, posted, number + 1, lang)
    if request.POST.get("from") == "review":
        return HttpResponseRedirect(reverse("respond_review", args=[token]))
    return HttpResponseRedirect(_url("respond", token, page=number + 1))


def _call_now(invitation, answers: dict, lang: str) -> dict:
    """Whether an answer already saved says "call your care team now" (and is a red flag), so that the next
    steps say it at once: a patient who stops before the last step must not miss it (the alert is raised only
    on "send")."""
    try:
        advice = advice_for(invitation.instrument.questionnaire(), answers, lang)
    except AnswerError:
        return {}  # an answer not valid (yet): no advice is given on wrong input
    if not any(a.contact_now for a in advice):
        return {}
    return {"call_now": True, "call_now_red_flag": any(a.red_flag for a in advice),
            "phone": invitation.patient.site.phone, "emergency_number": EMERGENCY_NUMBER}


def _question_page(request, token, invitation, page, review, answers, lang, errors=None, from_review=False,
                   status=200):
    context = {
        **_base_context(token, invitation, lang, page=page.number),
        **_call_now(invitation, answers, lang),
        "page": page,
        "fields": describe(page, answers, lang, errors),
        "errors": bool(errors),
        "step": page.number,
        "steps": review,
        "from_review": from_review,
        "diary_day": _late_diary_day(invitation, lang),
    }
    return _render(request, "page.html", context, lang, status)


def _late_diary_day(invitation, lang) -> str:
    """The day a diary link is for, when it is answered after that day (its link stays open until the next
    day's opens, 09:00): the questions ask about "today", which is then that day, not the day of answering.
    Empty otherwise; the step is read only for a link answered on a later day."""
    zone = invitation.patient.site.zone
    day = scheduling.diary_day(invitation.due_at, zone)
    if timezone.localdate(timezone.now(), zone) <= day or not scheduling.is_diary_day(invitation):
        return ""
    with translation.override(lang):
        return date_format(day, "DATE_FORMAT")


@never_cache
@require_http_methods(["GET", "POST"])
def review(request, token):
    # A retried or double-clicked submission of a completed invitation lands on the thank-you page (the
    # gate redirects every completed link there).
    invitation, refusal = _gate(request, token)
    if refusal is not None:
        return refusal
    draft = _draft(invitation)
    if draft is None:
        if _completed(invitation) is not None:
            return HttpResponseRedirect(reverse("respond_done", args=[token]))
        return HttpResponseRedirect(reverse("respond", args=[token]))
    lang = _language(invitation, draft)
    if request.method == "GET":
        wanted = request.GET.get("lang")
        if wanted and wanted in _available_languages(invitation):
            save_draft(invitation, {}, draft.page, wanted)
            return HttpResponseRedirect(reverse("respond_review", args=[token]))
        return _review_page(request, token, invitation, draft, lang)

    try:
        posted_id = uuid.UUID(request.POST.get("submission_id", ""))
    except ValueError:
        posted_id = None
    if posted_id != _submission_id(draft):
        # A stale or altered form: show the current answers again rather than store something unexpected.
        return HttpResponseRedirect(reverse("respond_review", args=[token]))
    questionnaire = invitation.instrument.questionnaire()
    try:
        submit(
            instrument=invitation.instrument, patient=invitation.patient, respondent=invitation.respondent,
            answers=_enabled_answers(questionnaire, draft.answers), submission_id=posted_id, language=lang,
            invitation=invitation, proxy=invitation.proxy,
        )
    except SubmissionError as error:
        return _review_page(request, token, invitation, draft, lang, errors=error.errors)
    return HttpResponseRedirect(reverse("respond_done", args=[token]))


def _review_page(request, token, invitation, draft, lang, errors=None):
    questionnaire = invitation.instrument.questionnaire()
    answers = dict(draft.answers)
    pages = paginate(questionnaire, answers)
    if errors is None:
        errors = validate_answers(questionnaire, _enabled_answers(questionnaire, answers), lang, complete=True)
    rows = []
    for page in pages:
        for item in page.questions:
            rows.append({
                "link_id": item.link_id,
                "question": item.text(lang),
                "answer": display_answer(item, answers.get(item.link_id), lang),
                "error": errors.get(item.link_id, ""),
                "change": _url("respond", token, page=page.number, **{"from": "review"}),
            })
    context = {
        **_base_context(token, invitation, lang, "respond_review"),
        "rows": rows,
        "errors": bool(errors),
        "error_rows": [row for row in rows if row["error"]],
        "submission_id": _submission_id(draft),
        "step": len(pages) + 1,
        "steps": len(pages) + 1,
        "back": _url("respond", token, page=len(pages)) if pages else None,
    }
    return _render(request, "review.html", context, lang)


@never_cache
@require_GET
def done(request, token):
    access = linkaccess.open_link(request, token)
    if access.is_open:
        return HttpResponseRedirect(reverse("respond", args=[token]))
    if access.state != LinkState.COMPLETED:
        return _problem(request, access)
    invitation = access.invitation
    response = _completed(invitation)
    lang = _language(invitation, response, wanted=request.GET.get("lang"))
    context = {**_base_context(token, invitation, lang, "respond_done"), "advice": [], "show_advice": False,
               "phone": invitation.patient.site.phone or ""}
    # Advice repeats the answers' meaning, so it is shown only while the window is open and, where the
    # site asks for it, after the second check.
    if response is not None and timezone.now() < invitation.expires_at:
        if linkaccess.needs_second_check(request, invitation):
            return _birth_year_page(request, token, invitation, BirthYearForm())
        if response.patient_id == invitation.patient_id:
            response.patient = invitation.patient  # read with the link, with its site
        shown = what_was_shown(response, lang)
        if shown is not None:
            context.update(show_advice=True, **shown.as_context())
    return _render(request, "done.html", context, lang)


@never_cache
@require_POST
def check(request, token):
    """The second check: the patient's year of birth, asked of patients and proxies alike."""
    access = linkaccess.open_link(request, token)
    if access.state not in (LinkState.OPEN, LinkState.COMPLETED):
        return _problem(request, access)
    invitation = access.invitation
    form = BirthYearForm(request.POST)
    if form.is_valid():
        if linkaccess.check_birth_year(request, invitation, form.cleaned_data["year"]):
            # The language picked before the check stays picked.
            lang = _language(invitation, wanted=request.GET.get("lang"))
            return HttpResponseRedirect(_url("respond", token, lang=lang))
        if linkaccess.is_rate_limited(request):
            return _problem(request, linkaccess.LinkAccess(LinkState.RATE_LIMITED))
        form.add_error("year", gettext_lazy("This year does not match our records. Please try again."))
    return _birth_year_page(request, token, invitation, form)


# Shown instead of Django's English "CSRF verification failed" page when a patient's form can no longer be
# accepted (cookies blocked or cleared, a very old tab). Nothing was saved from that one page; earlier pages
# are safe in the draft.
_CSRF_TITLE = gettext_noop("Please try that page again")
_CSRF_TEXT = gettext_noop(
    "Your answers on this page could not be saved, because the page was open for a long time or cookies are "
    "switched off. Your earlier answers are saved. Open your link again and continue."
)


def csrf_failure(request, reason=""):
    if not request.path.startswith("/r/"):
        from django.views.csrf import csrf_failure as default_csrf_failure

        return default_csrf_failure(request, reason)
    lang = translation.get_language_from_request(request)
    lang = lang if lang in LANGUAGES else "en"
    return _render(request, "problem.html", {"title": _CSRF_TITLE, "text": _CSRF_TEXT, "opens": ""}, lang, 403)
