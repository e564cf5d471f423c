"""Load and validate FHIR R4 Questionnaires into :class:`~.model.Instrument` objects.

Validation happens in two stages, and every problem of a stage is reported at once:

1. Structure, with ``fhir.resources``. Version 8.3 ships R5 at the top level and R4B under
   ``fhir.resources.R4B``; there is no plain R4 package. R4B's Questionnaire and
   QuestionnaireResponse are structurally the same as R4's for everything Palliro uses
   (answerOption, enableWhen, enableBehavior, answer values), so R4B is used as the R4 validator.
2. Palliro's own rules: unique linkIds, translations of every patient-facing string, an ordinal
   value on every answer option, enableWhen that refer to existing questions with answers of the
   right type, and advice bands that cover every possible answer exactly once.

Palliro extensions (base ``https://palliro.org/fhir/StructureDefinition/``):

- ``symptom-direction`` (valueCode ``higher-is-worse`` | ``higher-is-better``) on an item.
- ``advice`` (complex, repeating) on an item: ``min`` and ``max`` (valueInteger/valueDecimal,
  inclusive, compared with the option's ordinal or the integer answer), ``band`` (valueCode
  none | mild | moderate | severe), ``text`` (valueString, base language) and one standard
  ``translation`` sub-extension per other language.
- ``contact-threshold`` (valueInteger/valueDecimal) on an item; it must start an advice band
  (end one, for higher-is-better items) so the band's text always agrees with the "contact now" flag.
- ``red-flag`` (valueBoolean) on an item: reaching the contact threshold is an emergency.
- ``respondent`` (valueCode patient | proxy | staff, repeating) on the Questionnaire.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from palliro.core.errors import PalliroValueError
from palliro.core.questionnaire.model import (
    ADVICE_BANDS,
    ANSWERABLE_TYPES,
    DIRECTIONS,
    LANGUAGES,
    STRUCTURAL_TYPES,
    AdviceBand,
    EnableWhen,
    Instrument,
    Item,
    LocalizedText,
    Option,
    Problem,
    QuestionnaireError,
)

__all__ = ["BANK_DIR", "PALLIRO_EXT", "load_bank", "load_questionnaire"]

PALLIRO_EXT = "https://palliro.org/fhir/StructureDefinition/"
TRANSLATION = "http://hl7.org/fhir/StructureDefinition/translation"
ORDINAL = "http://hl7.org/fhir/StructureDefinition/ordinalValue"
MIN_VALUE = "http://hl7.org/fhir/StructureDefinition/minValue"
MAX_VALUE = "http://hl7.org/fhir/StructureDefinition/maxValue"
ITEM_EXTENSIONS = {
    PALLIRO_EXT + name for name in ("symptom-direction", "advice", "contact-threshold", "red-flag")
}
RESPONDENTS = ("patient", "proxy", "staff")
#: The shipped item bank (package data of the ``palliro.instruments`` app).
BANK_DIR = Path(__file__).resolve().parents[2] / "instruments" / "data"

_ANSWER_KEYS = {
    "answerCoding": "choice",
    "answerInteger": "integer",
    "answerDecimal": "decimal",
    "answerBoolean": "boolean",
    "answerString": "string",
}
_ORDERED_OPERATORS = (">", "<", ">=", "<=")
# fhir.resources checks types, not code values, so Palliro checks the codes it relies on.
_STATUSES = ("draft", "active", "retired", "unknown")


def load_questionnaire(
    source: str | Path | Mapping[str, Any], *, languages: Sequence[str] = ("nl", "fr", "es")
) -> Instrument:
    """Validate a FHIR Questionnaire (a JSON file path or an already parsed dict) and model it.

    Args:
        source: path to a ``.json`` file, or the parsed resource.
        languages: translations every patient-facing string must carry besides the base
            language. Palliro's bank needs nl, fr and es; a site loading a licensed instrument
            in one language passes ``()``.

    Raises:
        QuestionnaireError: listing every problem found, each with its linkId.
    """
    resource = _read(source)
    fhir_problems = _fhir_problems(resource)
    if fhir_problems:
        # Palliro's checks assume FHIR-valid structure, so they run only once the structure is sound.
        raise QuestionnaireError(fhir_problems, field=_field_name(resource))
    checker = _Checker(tuple(languages))
    instrument = checker.build(resource)
    if checker.problems:
        raise QuestionnaireError(checker.problems, field=_field_name(resource))
    return instrument


def load_bank(directory: str | Path | None = None) -> dict[str, Instrument]:
    """Load every ``*.json`` Questionnaire in ``directory`` (default: the shipped bank), keyed by id.

    The shipped bank is parsed once per process; instruments are immutable, so sharing is safe.
    """
    path = Path(directory) if directory is not None else BANK_DIR
    return dict(_load_dir(str(path.resolve())))


@lru_cache(maxsize=4)
def _load_dir(path: str) -> tuple[tuple[str, Instrument], ...]:
    files = sorted(Path(path).glob("*.json"))
    if not files:
        raise PalliroValueError(f"no questionnaire files in {path}", field="directory")
    bank: dict[str, Instrument] = {}
    for file in files:
        instrument = load_questionnaire(file)
        if instrument.code in bank:
            raise PalliroValueError(
                f"questionnaire id {instrument.code!r} appears twice ({file})", field="id"
            )
        bank[instrument.code] = instrument
    return tuple(bank.items())


# --- reading and FHIR structure ----------------------------------------------------------------


def _read(source: str | Path | Mapping[str, Any]) -> dict[str, Any]:
    if isinstance(source, Mapping):
        return json.loads(json.dumps(source))  # private deep copy: later mutation cannot reach us
    if not isinstance(source, str | Path):
        raise PalliroValueError(f"expected a path or a dict, got {type(source).__name__}", field="source")
    path = Path(source)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise PalliroValueError(f"cannot read {path}: {exc}", field="source") from exc
    except json.JSONDecodeError as exc:
        raise QuestionnaireError(
            [Problem(None, f"{path.name} is not valid JSON: {exc}")], field=path.name
        ) from exc
    if not isinstance(data, dict):
        raise QuestionnaireError([Problem(None, f"{path.name} does not hold a JSON object")], field=path.name)
    return data


def _field_name(resource: Mapping[str, Any]) -> str:
    return str(resource.get("id") or resource.get("url") or "questionnaire")


def _fhir_problems(resource: dict[str, Any]) -> list[Problem]:
    from fhir.resources.R4B.questionnaire import Questionnaire

    if resource.get("resourceType") != "Questionnaire":
        return [Problem(None, f"resourceType must be 'Questionnaire', got {resource.get('resourceType')!r}")]
    try:
        Questionnaire.model_validate(resource)
    except ValidationError as exc:
        return [
            Problem(
                _link_id_along(resource, err["loc"]), f"FHIR: {'.'.join(map(str, err['loc']))}: {err['msg']}"
            )
            for err in exc.errors()
        ]
    return []


def _link_id_along(resource: Any, loc: Iterable[Any]) -> str | None:
    """The innermost linkId on the path of a pydantic error, so FHIR errors name their item too."""
    node, found = resource, None
    for step in loc:
        if isinstance(node, dict) and isinstance(node.get("linkId"), str):
            found = node["linkId"]
        try:
            node = node[step]
        except (KeyError, IndexError, TypeError):
            break
    return found


# --- Palliro's rules ----------------------------------------------------------------------------


def _number(ext: Mapping[str, Any]) -> float | None:
    for key in ("valueInteger", "valueDecimal"):
        value = ext.get(key)
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
    return None


def _extensions(node: Mapping[str, Any], url: str) -> list[Mapping[str, Any]]:
    return [e for e in node.get("extension", []) if e.get("url") == url]


class _Checker:
    """Builds the model while collecting problems, so one pass reports everything."""

    def __init__(self, languages: tuple[str, ...]) -> None:
        self.languages = languages
        self.problems: list[Problem] = []

    def problem(self, link_id: str | None, message: str) -> None:
        self.problems.append(Problem(link_id, message))

    # -- questionnaire level

    def build(self, resource: dict[str, Any]) -> Instrument:
        for key in ("id", "url", "version", "title", "language"):
            if not resource.get(key):
                self.problem(None, f"{key} is required")
        if resource.get("status") not in _STATUSES:
            self.problem(
                None, f"status must be one of {', '.join(_STATUSES)}, got {resource.get('status')!r}"
            )
        language = resource.get("language") or "en"
        title = self.text(None, "title", resource.get("title"), resource.get("_title"), language)
        respondents = tuple(e.get("valueCode") for e in _extensions(resource, PALLIRO_EXT + "respondent"))
        for respondent in respondents:
            if respondent not in RESPONDENTS:
                self.problem(None, f"respondent must be one of {', '.join(RESPONDENTS)}, got {respondent!r}")
        items: list[Item] = []
        self.walk(resource.get("item", []), None, language, items)
        self.check_links(items)
        return Instrument(
            code=str(resource.get("id", "")),
            url=str(resource.get("url", "")),
            version=str(resource.get("version", "")),
            title_i18n=title or LocalizedText(""),
            items=tuple(items),
            language=language,
            respondents=respondents,
            derived_from=tuple(resource.get("derivedFrom", [])),
            resource_json=json.dumps(resource, ensure_ascii=False, sort_keys=True),
        )

    def text(
        self,
        link_id: str | None,
        what: str,
        base: str | None,
        primitive_ext: Mapping[str, Any] | None,
        language: str,
    ) -> LocalizedText | None:
        """A LocalizedText from a FHIR string and its ``_string`` translation extensions."""
        if base is None:
            return None
        translations: dict[str, str] = {}
        for ext in _extensions(primitive_ext or {}, TRANSLATION):
            parts = {e.get("url"): e for e in ext.get("extension", [])}
            lang = parts.get("lang", {}).get("valueCode")
            content = parts.get("content", {}).get("valueString")
            if not lang or not content:
                self.problem(link_id, f"{what}: a translation extension lacks 'lang' or 'content'")
            elif lang in translations:
                self.problem(link_id, f"{what}: two {lang!r} translations")
            else:
                translations[lang] = content
        for lang in self.languages:
            if lang != language and lang not in translations:
                self.problem(link_id, f"{what}: missing {lang!r} translation")
        return LocalizedText(base, tuple(sorted(translations.items())), language)

    # -- items

    def walk(self, nodes: list[dict[str, Any]], parent: str | None, language: str, out: list[Item]) -> None:
        for node in nodes:
            link_id = node.get("linkId")
            if any(item.link_id == link_id for item in out):
                self.problem(link_id, "duplicate linkId")
            out.append(self.item(node, parent, language))
            self.walk(node.get("item", []), link_id, language, out)

    def item(self, node: dict[str, Any], parent: str | None, language: str) -> Item:
        link_id, kind = node["linkId"], node.get("type")
        if kind not in ANSWERABLE_TYPES + STRUCTURAL_TYPES:
            self.problem(link_id, f"item type {kind!r} is not supported")
        if node.get("item") and kind != "group":
            self.problem(link_id, "only group items may contain items")
        text = self.text(link_id, "text", node.get("text"), node.get("_text"), language)
        if text is None and kind != "group":
            self.problem(link_id, "text is required")
        code = system = label = None
        codings = node.get("code", [])
        if codings:
            code, system, label = codings[0].get("code"), codings[0].get("system"), codings[0].get("display")
        elif kind in ANSWERABLE_TYPES:
            self.problem(link_id, "an answerable item needs a code")
        for ext in node.get("extension", []):
            url = ext.get("url", "")
            if url.startswith(PALLIRO_EXT) and url not in ITEM_EXTENSIONS:
                self.problem(link_id, f"unknown Palliro extension {url}")
        options = self.options(link_id, kind, node, language)
        minimum = _first_number(node, MIN_VALUE)
        maximum = _first_number(node, MAX_VALUE)
        if minimum is not None and maximum is not None and minimum > maximum:
            self.problem(link_id, f"minValue {minimum:g} is above maxValue {maximum:g}")
        item = Item(
            link_id=link_id,
            type=kind,
            text_i18n=text,
            code=code,
            code_system=system,
            label=label,
            options=options,
            enable_when=tuple(self.enable_when(link_id, c) for c in node.get("enableWhen", [])),
            enable_behavior=node.get("enableBehavior", "all"),
            required=bool(node.get("required", False)),
            repeats=bool(node.get("repeats", False)),
            parent=parent,
            direction=self.direction(link_id, node),
            advice_bands=self.advice(link_id, node, language),
            contact_threshold=_first_number(node, PALLIRO_EXT + "contact-threshold"),
            red_flag=any(e.get("valueBoolean") is True for e in _extensions(node, PALLIRO_EXT + "red-flag")),
            min_value=minimum,
            max_value=maximum,
            max_length=node.get("maxLength"),
        )
        if len(node.get("enableWhen", [])) > 1 and "enableBehavior" not in node:
            self.problem(link_id, "enableBehavior is required when there are several enableWhen")
        if item.enable_behavior not in ("all", "any"):
            self.problem(link_id, f"enableBehavior must be 'all' or 'any', got {item.enable_behavior!r}")
        self.check_scoring(item)
        return item

    def options(self, link_id: str, kind: str, node: dict[str, Any], language: str) -> tuple[Option, ...]:
        raw = node.get("answerOption", [])
        if kind != "choice":
            if raw:
                self.problem(link_id, f"answerOption is only allowed on choice items, not {kind}")
            return ()
        if not raw:
            self.problem(link_id, "a choice item needs answerOption")
        options: list[Option] = []
        for position, entry in enumerate(raw, start=1):
            coding = entry.get("valueCoding")
            if not coding or not coding.get("code") or not coding.get("display"):
                self.problem(link_id, f"answerOption {position} needs a valueCoding with code and display")
                continue
            code = coding["code"]
            ordinal = _first_number(entry, ORDINAL)
            if ordinal is None:
                ordinal = _first_number(coding, ORDINAL)
            if ordinal is None:
                self.problem(link_id, f"answerOption {code!r} has no ordinalValue")
            if any(o.code == code for o in options):
                self.problem(link_id, f"answerOption code {code!r} appears twice")
            display = coding["display"]
            if any(ch.isalpha() for ch in display):
                localized = self.text(
                    link_id, f"answerOption {code!r} display", display, coding.get("_display"), language
                )
            else:
                # A bare number ("7") reads the same in every language, so it is its own translation.
                localized = LocalizedText(
                    display, tuple((lang, display) for lang in LANGUAGES if lang != language), language
                )
            options.append(
                Option(
                    code, ordinal if ordinal is not None else float("nan"), localized, coding.get("system")
                )
            )
        return tuple(options)

    def enable_when(self, link_id: str, condition: Mapping[str, Any]) -> EnableWhen:
        answer_keys = [k for k in _ANSWER_KEYS if k in condition]
        if len(answer_keys) != 1:
            self.problem(
                link_id,
                "enableWhen needs exactly one answer[x] of Coding, Integer, Decimal, Boolean or String",
            )
            return EnableWhen(condition.get("question", ""), condition.get("operator", ""), None, None)
        key = answer_keys[0]
        answer = condition[key]
        if key == "answerCoding":
            answer = answer.get("code")
        return EnableWhen(
            condition.get("question", ""), condition.get("operator", ""), _ANSWER_KEYS[key], answer
        )

    def direction(self, link_id: str, node: dict[str, Any]) -> str | None:
        values = [e.get("valueCode") for e in _extensions(node, PALLIRO_EXT + "symptom-direction")]
        if not values:
            return None
        if len(values) > 1 or values[0] not in DIRECTIONS:
            self.problem(link_id, f"symptom-direction must be one of {', '.join(DIRECTIONS)}, got {values}")
            return None
        return values[0]

    def advice(self, link_id: str, node: dict[str, Any], language: str) -> tuple[AdviceBand, ...]:
        bands: list[AdviceBand] = []
        for ext in _extensions(node, PALLIRO_EXT + "advice"):
            parts = ext.get("extension", [])
            low = next((_number(p) for p in parts if p.get("url") == "min"), None)
            high = next((_number(p) for p in parts if p.get("url") == "max"), None)
            band = next((p.get("valueCode") for p in parts if p.get("url") == "band"), None)
            base = next((p.get("valueString") for p in parts if p.get("url") == "text"), None)
            if low is None or high is None or base is None:
                self.problem(link_id, "an advice band needs 'min', 'max' and 'text'")
                continue
            if low > high:
                self.problem(link_id, f"advice band {low:g}–{high:g}: min is above max")
            if band not in ADVICE_BANDS:
                self.problem(
                    link_id, f"advice band {low:g}–{high:g}: band must be one of {', '.join(ADVICE_BANDS)}"
                )
            text = self.text(link_id, f"advice {low:g}–{high:g}", base, ext, language)
            bands.append(AdviceBand(low, high, band or "", text or LocalizedText(base)))
        return tuple(sorted(bands, key=lambda b: (b.low, b.high)))

    def check_scoring(self, item: Item) -> None:
        """Direction, advice bands and contact threshold must agree with the item's answer range."""
        link_id = item.link_id
        if item.direction and not item.advice_bands:
            self.problem(link_id, "an item with symptom-direction needs advice bands")
        if item.contact_threshold is not None and item.direction is None:
            self.problem(link_id, "contact-threshold needs symptom-direction to say which way is worse")
        if item.red_flag and item.contact_threshold is None:
            self.problem(link_id, "red-flag needs a contact-threshold")
        if not (item.advice_bands or item.contact_threshold is not None):
            return
        values = _possible_values(item)
        if values is None:
            self.problem(
                link_id,
                "advice and contact-threshold need a choice item with ordinals, or an integer "
                "item with minValue and maxValue (not repeating)",
            )
            return
        for a, b in zip(item.advice_bands, item.advice_bands[1:], strict=False):
            if b.low <= a.high:
                self.problem(link_id, f"advice bands {a.low:g}–{a.high:g} and {b.low:g}–{b.high:g} overlap")
        for value in values:
            if not any(band.contains(value) for band in item.advice_bands) and item.advice_bands:
                self.problem(link_id, f"advice bands leave a gap: no band for value {value:g}")
        for band in item.advice_bands:
            if not any(band.contains(v) for v in values):
                self.problem(link_id, f"advice band {band.low:g}–{band.high:g} matches no possible answer")
        threshold = item.contact_threshold
        if threshold is not None:
            if not min(values) <= threshold <= max(values):
                self.problem(link_id, f"contact-threshold {threshold:g} is outside the answer range")
            edges = [b.high if item.direction == "higher-is-better" else b.low for b in item.advice_bands]
            if item.advice_bands and threshold not in edges:
                self.problem(
                    link_id,
                    f"contact-threshold {threshold:g} must "
                    f"{'end' if item.direction == 'higher-is-better' else 'start'} an advice band",
                )

    # -- cross-item rules

    def check_links(self, items: list[Item]) -> None:
        by_id: dict[str, Item] = {}
        for item in items:
            by_id.setdefault(item.link_id, item)  # with duplicates, conditions refer to the first
        for item in items:
            for condition in item.enable_when:
                self.check_condition(item.link_id, condition, by_id)
        self.check_cycles(items)

    def check_condition(self, link_id: str, condition: EnableWhen, by_id: Mapping[str, Item]) -> None:
        target = by_id.get(condition.question)
        if condition.answer_type is None:
            return  # already reported by enable_when()
        kind, answer = condition.answer_type, condition.answer
        where = f"enableWhen on {condition.question!r}"
        if condition.question == link_id:
            self.problem(link_id, f"{where}: an item cannot depend on itself")
            return
        if target is None:
            self.problem(link_id, f"{where}: no item has that linkId")
            return
        if not target.answerable:
            self.problem(link_id, f"{where}: that item is a {target.type} and has no answer")
            return
        if condition.operator not in ("exists", "=", "!=", *_ORDERED_OPERATORS):
            self.problem(link_id, f"{where}: unknown operator {condition.operator!r}")
            return
        if condition.operator == "exists":
            if kind != "boolean":
                self.problem(link_id, f"{where}: operator 'exists' needs answerBoolean")
            return
        expected = {
            "choice": "choice",
            "integer": "integer",
            "decimal": "decimal",
            "boolean": "boolean",
            "string": "string",
            "text": "string",
        }[target.type]
        if kind != expected:
            self.problem(link_id, f"{where}: answer type {kind} does not fit a {target.type} question")
        elif kind == "choice" and target.option(answer) is None:
            self.problem(link_id, f"{where}: {answer!r} is not an answer option of {condition.question!r}")
        if condition.operator in _ORDERED_OPERATORS and kind not in ("integer", "decimal"):
            self.problem(link_id, f"{where}: operator {condition.operator!r} needs a number question")

    def check_cycles(self, items: list[Item]) -> None:
        depends = {item.link_id: [c.question for c in item.enable_when] for item in items}
        for item in items:
            if item.parent:
                depends[item.link_id].append(item.parent)
        state: dict[str, int] = {}

        def visit(node: str, trail: tuple[str, ...]) -> None:
            if state.get(node) == 2 or node not in depends:
                return
            if state.get(node) == 1:
                self.problem(node, f"enableWhen cycle: {' -> '.join((*trail, node))}")
                return
            state[node] = 1
            for nxt in depends[node]:
                visit(nxt, (*trail, node))
            state[node] = 2

        for link_id in depends:
            visit(link_id, ())


def _first_number(node: Mapping[str, Any], url: str) -> float | None:
    return next((n for e in _extensions(node, url) if (n := _number(e)) is not None), None)


def _possible_values(item: Item) -> list[float] | None:
    """Every value an answer can take, for coverage checks; None if the range is open or undefined."""
    if item.repeats:
        return None
    if item.type == "choice" and item.options:
        return sorted({o.ordinal for o in item.options if o.ordinal == o.ordinal})  # NaN = missing ordinal
    if item.type == "integer" and item.min_value is not None and item.max_value is not None:
        return [float(v) for v in range(int(item.min_value), int(item.max_value) + 1)]
    return None
