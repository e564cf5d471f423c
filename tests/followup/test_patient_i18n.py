"""No untranslated patient-facing string: every page text has a Dutch, French and Spanish translation, the
compiled catalogues match their sources, and pages drawn in those languages contain no English UI text."""

import ast
import gettext
import re
from pathlib import Path

import pytest
from django.urls import reverse

from tests.followup.test_patient_support import make_invitation

SRC = Path(__file__).resolve().parents[2] / "src" / "palliro"
TEMPLATES = SRC / "templates" / "followup" / "patient"
PYTHON = [SRC / "followup" / name for name in ("patient_views.py", "patient_forms.py", "linkaccess.py")]
LOCALES = ("nl", "fr", "es")
GETTEXT_NAMES = {"_", "gettext", "gettext_lazy", "gettext_noop", "pgettext", "ngettext"}


def template_msgids() -> set[str]:
    ids = set()
    for path in TEMPLATES.glob("*.html"):
        text = path.read_text()
        ids |= set(re.findall(r'{%\s*translate\s+"([^"]+)"', text))
        ids |= set(re.findall(r"{%\s*translate\s+'([^']+)'", text))
        for body in re.findall(r"{%\s*blocktranslate[^%]*%}(.*?){%\s*endblocktranslate\s*%}", text, re.S):
            ids.add(re.sub(r"{{\s*(\w+)\s*}}", r"%(\1)s", body))
    return ids


def python_msgids() -> set[str]:
    ids = set()
    for path in PYTHON:
        for node in ast.walk(ast.parse(path.read_text())):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in GETTEXT_NAMES
                    and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
                ids.add(node.args[0].value)
    return ids


def _unquote(chunks: list[str]) -> str:
    return "".join(chunks).replace('\\"', '"').replace("\\n", "\n").replace("\\\\", "\\")


def read_po(path: Path) -> dict[str, str]:
    """A small .po reader: msgid/msgstr pairs with continuation lines; fuzzy entries are left out."""
    entries, fuzzy, key, current = {}, False, None, {"msgid": [], "msgstr": []}
    for line in path.read_text(encoding="utf-8").splitlines() + [""]:
        if line.startswith("#,") and "fuzzy" in line:
            fuzzy = True
        elif line.startswith(("msgid ", "msgstr ")):
            key, rest = line.split(" ", 1)
            current[key] = [rest.strip()[1:-1]]
        elif line.startswith('"') and key:
            current[key].append(line.strip()[1:-1])
        elif not line.strip():
            if current["msgid"] and not fuzzy:
                entries[_unquote(current["msgid"])] = _unquote(current["msgstr"])
            fuzzy, key, current = False, None, {"msgid": [], "msgstr": []}
    entries.pop("", None)
    return entries


def test_the_extractors_find_the_page_texts():
    ids = template_msgids() | python_msgids()
    assert "Next" in ids and "Step %(step)s of %(steps)s" in ids and "This link does not work" in ids
    assert len(ids) > 40


@pytest.mark.parametrize("lang", LOCALES)
def test_every_page_text_is_translated(lang):
    catalogue = read_po(SRC / "locale" / lang / "LC_MESSAGES" / "django.po")
    placeholder = re.compile(r"%\(\w+\)s")
    for msgid in sorted(template_msgids() | python_msgids()):
        assert catalogue.get(msgid), f"{lang}: no translation of {msgid!r}"
        assert sorted(placeholder.findall(catalogue[msgid])) == sorted(placeholder.findall(msgid)), msgid


@pytest.mark.parametrize("lang", LOCALES)
def test_the_compiled_catalogue_matches_its_source(lang):
    folder = SRC / "locale" / lang / "LC_MESSAGES"
    with open(folder / "django.mo", "rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    for msgid, msgstr in read_po(folder / "django.po").items():
        assert compiled.gettext(msgid) == msgstr, f"{lang}: django.mo is stale for {msgid!r} (run msgfmt)"


# Distinctive English page texts; none may appear on a page drawn in another language.
ENGLISH = [
    "Next", "Back", "Step ", "Check your answers", "Send my answers", "Not answered", "Change", "Thank you",
    "Call your care team", "What you can do", "Your answers", "Skip to", "close this page", "care team",
    "Please check", "Choose all", "This questionnaire", "This link", "year of birth", "Continue", "emergency",
    "Please answer this question",
]


def english_in(html: str) -> list[str]:
    visible = re.sub(r"<[^>]+>", " ", html)
    visible = re.sub(r"\b(English|Nederlands|Français|Español)\b", "", visible)
    return [text for text in ENGLISH if re.search(rf"\b{re.escape(text.strip())}\b", visible)]


@pytest.mark.django_db
@pytest.mark.parametrize("lang", LOCALES)
def test_pages_drawn_in_another_language_have_no_english(client, ann, lang):
    ann.language = lang
    ann.save()
    invitation = make_invitation(ann)
    token = invitation.token()
    pages = [client.get(reverse("respond", args=[token]))]
    pages.append(client.post(reverse("respond", args=[token]), {"page": "1", "action": "next", "shown": "pain-worst"}))  # error
    client.post(reverse("respond", args=[token]), {"page": "1", "action": "next", "q-pain-worst": "9", "shown": "pain-worst"})
    pages.append(client.get(reverse("respond", args=[token]) + "?page=2"))
    review = client.get(reverse("respond_review", args=[token]))
    pages.append(review)
    client.post(reverse("respond_review", args=[token]), {"submission_id": review.context["submission_id"]})
    pages.append(client.get(reverse("respond_done", args=[token])))
    expired = make_invitation(ann, state="expired")
    pages.append(client.get(reverse("respond", args=[expired.token()])))
    ann.site.link_check = "birth_year"
    ann.site.save()
    fresh = make_invitation(ann)
    pages.append(client.get(reverse("respond", args=[fresh.token()])))
    pages.append(client.post(reverse("respond_check", args=[fresh.token()]), {"year": "1900"}))
    for page in pages:
        assert page.status_code in (200, 410), page.status_code
        assert page["Content-Language"] == lang
        html = page.content.decode()
        assert english_in(html) == [], (lang, english_in(html), html[:3000])
