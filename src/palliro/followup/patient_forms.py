"""Patient questionnaire pages: paging, reading posted answers and describing fields for the templates.

Questions are not Django form fields because their number, type and wording come from the questionnaire;
this module turns a page of :class:`~palliro.core.questionnaire.Item` into plain field descriptions and
posted strings back into typed answers (see :mod:`palliro.core.questionnaire.answers` for the format).
Validation itself stays in one place, :func:`palliro.core.questionnaire.validate_answers`.
"""

from dataclasses import dataclass
from typing import Any

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from palliro.core.questionnaire import Instrument, Item, enabled_items

#: Questions shown together on one phone screen.
QUESTIONS_PER_PAGE = 3
#: A choice question with more options than this gets a screen of its own.
LONG_OPTION_LIST = 6
FIELD_PREFIX = "q-"


@dataclass(frozen=True)
class Page:
    number: int  # 1-based, as in ?page=N
    items: tuple[Item, ...]

    @property
    def questions(self) -> tuple[Item, ...]:
        return tuple(item for item in self.items if item.answerable)


def _is_long(item: Item) -> bool:
    return item.type == "choice" and len(item.options) > LONG_OPTION_LIST


def paginate(questionnaire: Instrument, answers: dict) -> tuple[Page, ...]:
    """The screens for these answers: the questionnaire's fixed layout (:func:`_layout`) with the items that
    enableWhen hides left out, and screens left without a question dropped.

    The layout does not depend on the answers, so an answer that shows a conditional question never moves an
    already answered question to the next screen (it did when the screens were cut from the enabled items
    only: "Step 1 of 3" became "Step 2 of 4" and two answered questions came back).
    """
    enabled = {item.link_id for item in enabled_items(questionnaire, answers)}
    pages = []
    for screen in _layout(questionnaire):
        shown = tuple(item for item in screen if item.link_id in enabled)
        if any(item.answerable for item in shown):
            pages.append(shown)
    return tuple(Page(number, items) for number, items in enumerate(pages, start=1))


def _layout(questionnaire: Instrument) -> list[list[Item]]:
    """Every item on its screen, as if every condition held.

    A question whose enableWhen looks at a question on the current screen starts a new screen, so that a
    conditional question appears only after the answer that shows it has been saved (no JavaScript).
    Display items travel with the question after them; groups are structure only.
    """
    pages: list[list[Item]] = []
    current: list[Item] = []
    pending_display: list[Item] = []
    for item in questionnaire.items:
        if item.type == "group":
            continue
        if item.type == "display":
            pending_display.append(item)
            continue
        on_screen = {i.link_id for i in current}
        depends_here = any(cond.question in on_screen for cond in item.enable_when)
        count = sum(1 for i in current if i.answerable)
        if current and (depends_here or _is_long(item) or count >= QUESTIONS_PER_PAGE
                        or any(_is_long(i) for i in current)):
            pages.append(current)
            current = []
        current.extend(pending_display)
        pending_display = []
        current.append(item)
    current.extend(pending_display)
    if current:
        pages.append(current)
    return pages


# --- reading posted answers ---------------------------------------------------------------------------

def field_name(item: Item) -> str:
    return FIELD_PREFIX + item.link_id


def _number(raw: str, integer: bool) -> Any:
    text = raw.strip().replace(" ", "")
    if text == "":
        return None
    try:
        return int(text)
    except ValueError:
        pass
    if not integer:
        try:
            # nl, fr and es write a decimal comma.
            value = float(text.replace(",", "."))
        except ValueError:
            return raw
        return value if value == value and abs(value) != float("inf") else raw
    return raw  # kept as text so that validation explains "a whole number"


class _Posted:
    """POST data with NUL characters removed: PostgreSQL cannot store them in JSON text."""

    def __init__(self, data):
        self.data = data

    def get(self, name, default=None):
        value = self.data.get(name, default)
        return value.replace("\x00", "") if isinstance(value, str) else value

    def getlist(self, name):
        return [value.replace("\x00", "") for value in self.data.getlist(name)]


def _without_nul(data):
    return data if isinstance(data, _Posted) else _Posted(data)


def read_answers(items: tuple[Item, ...], data) -> dict[str, Any]:
    """Typed answers for the questions of one screen from POST data; unanswered questions map to None.

    Unparsable input is kept as the posted text so that validation reports it instead of losing it.
    """
    answers: dict[str, Any] = {}
    data = _without_nul(data)
    for item in items:
        if not item.answerable:
            continue
        name = field_name(item)
        if item.type == "choice" and item.repeats:
            answers[item.link_id] = [v for v in data.getlist(name) if v] or None
        elif item.type == "choice":
            answers[item.link_id] = data.get(name) or None
        elif item.type == "integer":
            answers[item.link_id] = _number(data.get(name, ""), integer=True)
        elif item.type == "decimal":
            answers[item.link_id] = _number(data.get(name, ""), integer=False)
        elif item.type == "boolean":
            raw = data.get(name, "")
            answers[item.link_id] = {"yes": True, "no": False}.get(raw, raw or None)
        else:
            text = data.get(name, "").strip()
            answers[item.link_id] = text or None
    return answers


# --- describing fields for the templates ----------------------------------------------------------

@dataclass(frozen=True)
class Choice:
    value: str
    label: str
    checked: bool
    id: str


@dataclass(frozen=True)
class Field:
    """One question as the template draws it: ``widget`` is radio, scale, checkbox, number or textarea/text."""

    link_id: str
    name: str
    id: str
    legend: str
    widget: str
    choices: tuple[Choice, ...] = ()
    value: str = ""
    error: str = ""
    min_value: str = ""
    max_value: str = ""
    max_length: int | None = None
    required: bool = False
    intro: tuple[str, ...] = ()


def _is_scale(item: Item) -> bool:
    """0-10 style items: every option label is its own number, so the options form a compact scale."""
    if item.type == "integer":
        return (item.min_value is not None and item.max_value is not None
                and 0 <= item.max_value - item.min_value <= 10)
    return (item.type == "choice" and not item.repeats and len(item.options) > LONG_OPTION_LIST
            and all(option.code.lstrip("-").isdigit() for option in item.options))


def _display_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def describe(page: Page, answers: dict, lang: str, errors: dict[str, str] | None = None) -> list[Field]:
    """Field descriptions for a screen, filled with ``answers`` (draft or just posted)."""
    errors = errors or {}
    fields = []
    intro: list[str] = []
    for item in page.items:
        if item.type == "display":
            intro.append(item.text(lang))
            continue
        name = field_name(item)
        value = answers.get(item.link_id)
        common = dict(link_id=item.link_id, name=name, id=name, legend=item.text(lang),
                      error=errors.get(item.link_id, ""), required=item.required, intro=tuple(intro))
        intro = []
        if item.type == "choice":
            selected = set(value) if isinstance(value, list) else {value}
            choices = tuple(
                Choice(option.code, option.display(lang), option.code in selected, f"{name}-{index}")
                for index, option in enumerate(item.options)
            )
            widget = "checkbox" if item.repeats else ("scale" if _is_scale(item) else "radio")
            fields.append(Field(widget=widget, choices=choices, **common))
        elif item.type == "boolean":
            choices = (Choice("yes", _("Yes"), value is True, f"{name}-0"),
                       Choice("no", _("No"), value is False, f"{name}-1"))
            fields.append(Field(widget="radio", choices=choices, **common))
        elif item.type == "integer" and _is_scale(item):
            low, high = int(item.min_value), int(item.max_value)
            choices = tuple(
                Choice(str(n), str(n), value == n, f"{name}-{n - low}") for n in range(low, high + 1)
            )
            fields.append(Field(widget="scale", choices=choices, **common))
        elif item.type in ("integer", "decimal"):
            fields.append(Field(
                widget="number", value=_display_value(value),
                min_value=_display_value(item.min_value), max_value=_display_value(item.max_value), **common,
            ))
        else:
            fields.append(Field(widget="textarea" if item.type == "text" else "text",
                                value=_display_value(value), max_length=item.max_length, **common))
    return fields


def display_answer(item: Item, value: Any, lang: str) -> str:
    """An answer as the respondent chose it, for the review page."""
    if value is None or value == "" or value == []:
        return ""
    if item.type == "choice":
        codes = value if isinstance(value, list) else [value]
        shown = []
        for code in codes:
            option = item.option(code) if isinstance(code, str) else None
            shown.append(option.display(lang) if option else str(code))
        return ", ".join(shown)
    if item.type == "boolean":
        return _("Yes") if value is True else _("No") if value is False else str(value)
    return _display_value(value)


class BirthYearForm(forms.Form):
    year = forms.IntegerField(
        label=gettext_lazy("Year of birth"),
        min_value=1900, max_value=2100,
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
        error_messages={
            "required": gettext_lazy("Please enter the year as four digits."),
            "invalid": gettext_lazy("Please enter the year as four digits."),
            "min_value": gettext_lazy("Please enter the year as four digits."),
            "max_value": gettext_lazy("Please enter the year as four digits."),
        },
    )
