"""Typed, immutable in-memory model of a Palliro questionnaire (an "instrument").

The FHIR R4 Questionnaire JSON is the source of truth; :mod:`.loader` turns it into these objects
after validating it, so the rest of Palliro never walks raw FHIR dictionaries.
"""

from __future__ import annotations

import functools
import json
import math
from dataclasses import dataclass, field
from typing import Any

from palliro.core.errors import PalliroValueError

__all__ = [
    "ADVICE_BANDS",
    "ANSWERABLE_TYPES",
    "DIRECTIONS",
    "LANGUAGES",
    "Advice",
    "AdviceBand",
    "AnswerError",
    "EnableWhen",
    "Instrument",
    "Item",
    "LocalizedText",
    "Option",
    "Problem",
    "QuestionnaireError",
]

#: Languages Palliro's patient pages are written in; the bank's base language is English.
LANGUAGES = ("en", "nl", "fr", "es")
#: Item types Palliro can render, validate and store. Anything else is refused at load time.
ANSWERABLE_TYPES = ("choice", "integer", "decimal", "boolean", "string", "text")
STRUCTURAL_TYPES = ("group", "display")
DIRECTIONS = ("higher-is-worse", "higher-is-better")
#: Severity band codes used by advice bands, independent of the item's direction.
ADVICE_BANDS = ("none", "mild", "moderate", "severe")


@dataclass(frozen=True)
class Problem:
    """One defect found in a questionnaire; ``link_id`` is None for questionnaire-level problems."""

    link_id: str | None
    message: str

    def __str__(self) -> str:
        return f"{self.link_id or '(questionnaire)'}: {self.message}"


class QuestionnaireError(PalliroValueError):
    """A questionnaire failed FHIR or Palliro validation; ``problems`` lists every defect found."""

    def __init__(
        self, problems: list[Problem] | tuple[Problem, ...], *, field: str = "questionnaire"
    ) -> None:
        self.problems = tuple(problems)
        listing = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"{len(self.problems)} problem(s):\n{listing}", field=field)

    def messages_for(self, link_id: str | None) -> list[str]:
        """Messages of the problems attached to one linkId (None: questionnaire level)."""
        return [p.message for p in self.problems if p.link_id == link_id]


class AnswerError(PalliroValueError):
    """Answers failed validation; ``errors`` maps linkId to a patient-facing message."""

    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = dict(errors)
        first = next(iter(self.errors))
        detail = "; ".join(f"{k}: {v}" for k, v in self.errors.items())
        super().__init__(f"invalid answers ({detail})", field=first)


@dataclass(frozen=True)
class LocalizedText:
    """A patient-facing string in the questionnaire's base language plus its translations."""

    default: str
    translations: tuple[tuple[str, str], ...] = ()
    language: str = "en"

    def get(self, lang: str) -> str:
        """The text in ``lang``; a missing translation is an error, never a silent English fallback."""
        if lang == self.language:
            return self.default
        for code, content in self.translations:
            if code == lang:
                return content
        raise PalliroValueError(f"no {lang!r} translation of {self.default!r}", field="lang")

    def languages(self) -> tuple[str, ...]:
        return (self.language, *(code for code, _ in self.translations))


@dataclass(frozen=True)
class Option:
    """One answer option of a choice item: stored code, ordinal value used for scoring and advice."""

    code: str
    ordinal: float
    display_text: LocalizedText
    system: str | None = None

    def display(self, lang: str) -> str:
        return self.display_text.get(lang)


@dataclass(frozen=True)
class EnableWhen:
    """One FHIR enableWhen condition.

    ``answer_type`` names the answer[x] used (choice, integer, decimal, boolean, string);
    ``answer`` is the option code for choice questions, else the plain value. Both are None when
    the condition had no usable answer[x] (the loader reports that).
    """

    question: str
    operator: str
    answer_type: str | None
    answer: Any


@dataclass(frozen=True)
class AdviceBand:
    """Self-care advice for answers whose value (ordinal, or integer value) lies in ``[low, high]``."""

    low: float
    high: float
    band: str
    text: LocalizedText

    def contains(self, value: float) -> bool:
        return self.low <= value <= self.high


@dataclass(frozen=True)
class Item:
    """One questionnaire item (question, group or display text), flattened in document order.

    ``parent`` is the linkId of the enclosing group, if any. ``contact_threshold`` is read with
    ``direction``: for higher-is-worse items a value at or above it means "contact the team now",
    for higher-is-better items a value at or below it.
    """

    link_id: str
    type: str
    text_i18n: LocalizedText | None
    code: str | None = None
    code_system: str | None = None
    label: str | None = None
    options: tuple[Option, ...] = ()
    enable_when: tuple[EnableWhen, ...] = ()
    enable_behavior: str = "all"
    required: bool = False
    repeats: bool = False
    parent: str | None = None
    direction: str | None = None
    advice_bands: tuple[AdviceBand, ...] = ()
    contact_threshold: float | None = None
    red_flag: bool = False
    min_value: float | None = None
    max_value: float | None = None
    max_length: int | None = None

    @property
    def answerable(self) -> bool:
        return self.type in ANSWERABLE_TYPES

    def text(self, lang: str) -> str:
        if self.text_i18n is None:
            return ""
        return self.text_i18n.get(lang)

    @functools.cached_property
    def _options_by_code(self) -> dict[str, Option]:
        # Items are immutable and shared by every request: the index is built once per item.
        return {o.code: o for o in self.options}

    def option(self, code: str) -> Option | None:
        try:
            return self._options_by_code.get(code)
        except TypeError:  # an unhashable answer (bad input) matches no option
            return None

    def value_of(self, answer: Any) -> float | None:
        """The numeric value advice and thresholds compare: an option's ordinal or the number itself."""
        if self.type == "choice" and not self.repeats and isinstance(answer, str):
            option = self.option(answer)
            return None if option is None else option.ordinal
        if self.type in ("integer", "decimal") and _is_number(answer):
            return float(answer)
        return None

    def band_for(self, value: float) -> AdviceBand | None:
        return next((b for b in self.advice_bands if b.contains(value)), None)

    def advice(self, lang: str, value: float) -> str | None:
        """Advice text for a numeric ``value`` (see :meth:`value_of`), or None if the item has none."""
        band = self.band_for(value)
        return None if band is None else band.text.get(lang)

    def contact_now(self, value: float) -> bool:
        if self.contact_threshold is None:
            return False
        if self.direction == "higher-is-better":
            return value <= self.contact_threshold
        return value >= self.contact_threshold


@dataclass(frozen=True)
class Instrument:
    """A validated questionnaire. ``resource()`` returns a fresh copy of the FHIR JSON for storage."""

    code: str
    url: str
    version: str
    title_i18n: LocalizedText
    items: tuple[Item, ...]
    language: str = "en"
    respondents: tuple[str, ...] = ()
    derived_from: tuple[str, ...] = ()
    resource_json: str = field(default="{}", repr=False, compare=False)
    _by_id: dict[str, Item] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_id", {item.link_id: item for item in self.items})

    @property
    def canonical(self) -> str:
        return f"{self.url}|{self.version}"

    @property
    def questions(self) -> tuple[Item, ...]:
        return tuple(item for item in self.items if item.answerable)

    def title(self, lang: str) -> str:
        return self.title_i18n.get(lang)

    def item(self, link_id: str) -> Item:
        try:
            return self._by_id[link_id]
        except KeyError:
            raise PalliroValueError(f"{self.code} has no item {link_id!r}", field="link_id") from None

    def has_item(self, link_id: str) -> bool:
        return link_id in self._by_id

    def resource(self) -> dict[str, Any]:
        return json.loads(self.resource_json)


@dataclass(frozen=True)
class Advice:
    """Advice shown to the respondent for one answered item.

    ``red_flag`` is true only when the item is a red-flag item *and* the answer reached its contact
    threshold, i.e. the answer is an emergency, not merely that the item could be one.
    """

    link_id: str
    band: str
    text: str
    contact_now: bool
    red_flag: bool
    value: float


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
