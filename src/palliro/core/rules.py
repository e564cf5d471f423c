"""Alert rules as data, evaluated against one patient's answers (pure: no Django).

A rule is a small JSON object (the shipped file is ``palliro/triage/data/rules.json``; admins edit copies in
the database)::

    {"code": "pain-worst-high", "kind": "threshold", "severity": "attention",
     "instruments": ["palliro-general", "palliro-general-proxy"],
     "parameters": {"conditions": [{"item": "pain-worst", "op": ">=", "value": 7}]},
     "reason": "Worst pain 7 or more out of 10.", "advice": "Call the team ..."}

Kinds and their parameters (every parameter is validated by :func:`parse_rule`, which names the field):

``threshold``
    ``conditions`` (list of ``{item, op, value}`` on the current answers), ``match`` ``"any"`` (default)
    or ``"all"``, optional ``max_days_since_treatment`` (fire only within that many days after the last
    radiotherapy fraction or procedure; e.g. fever after treatment).
``baseline_change``
    ``item`` and ``increase``: current value minus the patient's own baseline is at least ``increase``. The
    baseline is the pre-treatment time point (clinical reference §1.2): the first answer to the same item of
    the same instrument in the follow-up of the course the response belongs to, never an answer from an
    earlier course; a relative's answers are compared with the first answer a relative gave in that
    follow-up (in the shipped protocols that is week 2, after treatment, so for relatives it is their own
    first report rather than a pre-treatment value). The caller gathers it (``triage.services``); no
    baseline (no earlier answer in that follow-up, or no course or enrolment to place the response in): no
    finding.
``restarted``
    ``now`` (conditions that must all hold in the current answers) and ``before`` (conditions of which any
    held in the patient's previous response to the same instrument): e.g. bleeding again after it had
    stopped. No previous response: no finding (a first report is covered by a threshold rule).
``pain_flare``
    Pain flare from the daily diary by :func:`palliro.core.pain.detect_flare` (Chow 2005; Hird 2009;
    clinical reference §1.4). Parameters: ``pain_increase`` (2), ``omed_increase_fraction`` (0.25),
    ``consecutive_days`` (1), ``follow_up_days`` (10) and ``alert_without_return`` (true). With
    ``alert_without_return`` true (the default) the rule fires when the latest diary day meets the flare
    criteria inside the window: the return to baseline that *confirms* a flare, and tells it from
    progression, lies in the future at that moment, so an alert cannot wait for it. That is a choice, not
    the published definition, so each such finding carries the [U] mark :data:`UNVERIFIED_FLARE_ALERT`.
    With ``alert_without_return`` false the rule fires only on a confirmed flare, on the diary day that
    shows the return to baseline (afterwards, so for information rather than action). Findings also carry
    the [U] marks of :func:`detect_flare` (a baseline OMED of 0) and of the diary (``DiaryContext.unverified``).
``non_response``
    ``missed`` (2): that many consecutive questionnaires expired unanswered. Evaluated by the periodic
    non-response check, not on submission.
``advice_contact_now``
    The safety net behind the principle "whenever a respondent is told to call now, the team has an alert":
    fires for every answered item whose advice band (the questionnaire's own contact threshold) told the
    respondent to contact the team now (``RuleContext.contact_now``, gathered by the caller from the
    questionnaire) and that no other finding of the same response already covers. Another finding covers an
    item when it rests on that item (:attr:`Finding.items`) with at least the severity this rule would give
    it. Severity: the rule's own (``attention`` in the shipped file) or, when the answer is a red flag
    (the respondent was also shown the emergency number), ``red_flag_severity`` (default ``urgent``). One
    finding per response, listing the items and answers as the respondent saw them (display text), most
    severe item deciding the finding's severity. Optional parameter ``red_flag_severity``. Evaluated after
    every other rule of the response.
``free_text``
    Fires when the response has a free-text answer (``RuleContext.texts``: items of type text or string)
    worth a look, so that a comment such as "since yesterday I can hardly move my legs" reaches the team
    without anyone opening the response. Parameters: ``items`` (linkIds; default every free-text item of the
    instrument), ``min_length`` (2: letters and digits a text needs, so "-", "." or "x" never fire),
    ``ignore`` (answers that say there is nothing to add, compared without case, surrounding spaces or
    final punctuation; default :data:`NOTHING_TO_ADD` in the four languages, so "No" or "Rien." do not
    fire; ``[]`` to see every text) and ``max_chars`` (300: the detail quotes each text up to that many
    characters; the full text is on the response page). One finding per response listing every such text.

Staff read a finding's ``detail`` at a glance: when the caller gives ``RuleContext.labels`` (see
:func:`item_labels`: each item's English wording and answer labels, from the instrument) a condition reads
``New or worse weakness ... in arms or legs: "Yes" (limb-weakness = 1; rule: = 1)`` or ``Worst pain at
treated site: 8 of 10 (rule: 7 or more)``; without labels (tests, other callers) it stays the rule's own
syntax, ``limb-weakness == 1 (answered 1)``.

Severity is ``urgent``, ``attention`` or ``info``. Alerts support, never replace, clinical judgement.
"""

from __future__ import annotations

import json
import operator
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from palliro.core.errors import PalliroValueError, require_bool, require_int, require_number, require_positive
from palliro.core.pain import DiaryEntry, FlareParameters, detect_flare

__all__ = [
    "KINDS",
    "NOTHING_TO_ADD",
    "AdviceHit",
    "Condition",
    "DiaryContext",
    "Finding",
    "ItemLabel",
    "Rule",
    "RuleContext",
    "Severity",
    "evaluate",
    "item_labels",
    "load_rules",
    "parse_rule",
    "parse_rules",
]


class Severity(StrEnum):
    URGENT = "urgent"
    ATTENTION = "attention"
    INFO = "info"

    @property
    def rank(self) -> int:
        """0 for the most urgent: sorts worklists."""
        return {"urgent": 0, "attention": 1, "info": 2}[self.value]


_OPS = {">=": operator.ge, ">": operator.gt, "<=": operator.le, "<": operator.lt, "==": operator.eq,
        "!=": operator.ne}

UNVERIFIED_FLARE_ALERT = (
    "alert_without_return (rule parameter, default true): the alert fires on a diary day that meets the flare "
    "criteria, before the return to baseline that confirms a flare and tells it from progression could be "
    "seen [U]"
)


# How a rule's comparison reads in words: "rule: 7 or more".
_OP_WORDS = {">=": "{} or more", ">": "more than {}", "<=": "{} or less", "<": "less than {}", "==": "= {}",
             "!=": "not {}"}

#: Free-text answers that say there is nothing to add (en, nl, fr, es): the ``free_text`` rule's default
#: ``ignore``. Compared after :func:`_plain` (lower case, spaces collapsed, final punctuation dropped).
NOTHING_TO_ADD = (
    "no", "none", "nothing", "nothing else", "no thanks", "no thank you", "n/a", "na", "ok", "fine", "all good",
    "nee", "neen", "niets", "nee dank u", "nee dank je", "geen", "nvt", "n.v.t", "goed", "prima",
    "non", "rien", "non merci", "rien à signaler", "ras", "ça va", "bien",
    "nada", "ninguno", "nada más", "no gracias", "todo bien",
)


@dataclass(frozen=True)
class ItemLabel:
    """How staff read an item: ``text`` its English wording, ``answers`` each answer value in words (e.g.
    ``"Yes"`` in quotes, or ``8 of 10`` on a numbered scale). ``numbered``: the answer in words already
    shows the value (a numbered scale or a number), so the linkId and value need not be repeated."""

    text: str
    answers: Mapping[float, str] = field(default_factory=dict)
    numbered: bool = False

    def answer(self, value: float) -> str:
        return self.answers.get(value) or f"{value:g}"


@dataclass(frozen=True)
class Condition:
    """``answers[item] <op> value`` on the numeric (ordinal) value of an answer."""

    item: str
    op: str
    value: float

    def holds(self, values: Mapping[str, float]) -> bool:
        current = values.get(self.item)
        return current is not None and _OPS[self.op](current, self.value)

    def describe(self, values: Mapping[str, float] | None = None,
                 labels: Mapping[str, ItemLabel] | None = None) -> str:
        """The condition and the answer: in words with ``labels`` for the item, else in the rule's syntax."""
        label = (labels or {}).get(self.item)
        if label is not None and values is not None and self.item in values:
            now = values[self.item]
            rule = _OP_WORDS[self.op].format(f"{self.value:g}")
            where = f"rule: {rule}" if label.numbered else f"{self.item} = {now:g}; rule: {rule}"
            return f"{label.text}: {label.answer(now)} ({where})"
        text = f"{self.item} {self.op} {self.value:g}"
        if values is not None and self.item in values:
            text += f" (answered {values[self.item]:g})"
        return text


def _scale_words(option, display: str) -> str | None:
    """The words of an option on a numbered scale ("" for a bare number, "No pain" for "0 – No pain"), or None
    if the option is not the number it stands for."""
    try:
        if float(option.code) != option.ordinal:
            return None
    except ValueError:
        return None
    words = display.strip()
    if words == option.code:
        return ""
    for dash in ("–", "-", ":"):
        head, sep, tail = words.partition(dash)
        if sep and head.strip() == option.code:
            return tail.strip()
    return words


def item_labels(instrument: Any, lang: str = "en") -> dict[str, ItemLabel]:
    """Staff wording of each answerable item of a questionnaire (:class:`palliro.core.questionnaire.Instrument`).

    The item's text is its coding's display (a short English label written for staff) or else its question;
    an answer option reads as its label in quotes, or as ``8 of 10`` on a scale whose options are the
    numbers themselves (with the option's words, if any: ``10 of 10 ("The worst pain you can imagine")``).
    """
    out = {}
    for item in instrument.questions:
        text = (item.label or item.text(lang) or item.link_id).strip()
        options = item.options
        words = [_scale_words(o, o.display(lang)) for o in options]
        if options and all(w is not None for w in words):
            top = max(o.ordinal for o in options)
            answers = {o.ordinal: f"{o.ordinal:g} of {top:g}" + (f' ("{w}")' if w else "")
                       for o, w in zip(options, words, strict=True)}
            out[item.link_id] = ItemLabel(text, answers, numbered=True)
        elif options:
            out[item.link_id] = ItemLabel(text, {o.ordinal: f'"{o.display(lang)}"' for o in options})
        else:
            out[item.link_id] = ItemLabel(text, numbered=item.type in ("integer", "decimal"))
    return out


@dataclass(frozen=True)
class Rule:
    """One validated alert rule; build it with :func:`parse_rule`."""

    code: str
    kind: str
    severity: Severity
    reason: str
    advice: str
    instruments: tuple[str, ...] = ()
    parameters: Mapping[str, Any] = field(default_factory=dict)
    active: bool = True

    def applies_to(self, instrument: str) -> bool:
        return not self.instruments or instrument in self.instruments


@dataclass(frozen=True)
class DiaryContext:
    """The daily pain diary around a radiotherapy course, days counted from the first fraction (day 0).

    ``entries`` hold worst pain and daily OMED per day (OMED None when unknown); ``baseline_pain`` and
    ``baseline_omed`` are the values before treatment; ``today`` is the day of the current diary entry;
    ``unverified`` lists the [U] choices the caller made in gathering the diary (e.g. no analgesic record
    counted as 0 mg/day), which a finding from it carries.
    """

    baseline_pain: float
    baseline_omed: float
    entries: tuple[DiaryEntry, ...]
    first_rt_day: int
    last_rt_day: int
    today: int
    unverified: tuple[str, ...] = ()


@dataclass(frozen=True)
class AdviceHit:
    """An answered item whose advice band told the respondent to contact the team now.

    ``item`` is the linkId, ``value`` the answer's numeric value, ``red_flag`` whether the respondent was also
    shown the emergency number, ``label`` the question and answer as shown (e.g. "Fever ...: Very much").
    """

    item: str
    value: float
    red_flag: bool = False
    label: str = ""


@dataclass(frozen=True)
class RuleContext:
    """Everything a rule may look at, gathered by the caller (the triage app) from the database.

    Attributes:
        instrument: code of the instrument just answered ("" for a non-response check).
        respondent: ``patient``, ``proxy`` or ``staff``.
        values: numeric value of each answered item of the current response, keyed by linkId.
        baseline: the first earlier value of each item of the same instrument in the current course's
            follow-up (a relative's first, for a relative's answers); see ``baseline_change``.
        previous: the values of the patient's previous response to the same instrument.
        diary: the diary series, when the current response is a diary entry during a course.
        consecutive_missed: questionnaires missed in a row (None when not checked).
        days_since_treatment: days since the last fraction or procedure (None when none is recorded).
        contact_now: the answered items whose advice told the respondent to contact the team now (see
            ``advice_contact_now``); gathered only when such a rule applies.
        texts: the free-text answers of the current response, keyed by linkId, in the questionnaire's
            order (see ``free_text``); gathered only when such a rule applies.
        labels: staff wording of the instrument's items (:func:`item_labels`); empty: details in rule syntax.
    """

    instrument: str = ""
    respondent: str = "patient"
    values: Mapping[str, float] = field(default_factory=dict)
    baseline: Mapping[str, float] = field(default_factory=dict)
    previous: Mapping[str, float] = field(default_factory=dict)
    diary: DiaryContext | None = None
    consecutive_missed: int | None = None
    days_since_treatment: int | None = None
    contact_now: tuple[AdviceHit, ...] = ()
    texts: Mapping[str, str] = field(default_factory=dict)
    labels: Mapping[str, ItemLabel] = field(default_factory=dict)


@dataclass(frozen=True)
class Finding:
    """A rule that fired: what staff see (reason, detail) and the rule's advice (staff guidance: the patient is
    shown the questionnaire's own advice, never this text). ``items`` are the answered items it rests on."""

    rule_code: str
    kind: str
    severity: Severity
    reason: str
    advice: str
    detail: str
    unverified: tuple[str, ...] = ()
    items: tuple[str, ...] = ()


# --- parsing and validation (the one place rules are checked) -------------------------------------


def _require_str(value: object, name: str, *, allow_empty: bool = False) -> str:
    if not isinstance(value, str) or (not allow_empty and not value.strip()):
        raise PalliroValueError(f"must be a non-empty text, got {value!r}", field=name)
    return value.strip()


def _conditions(raw: object, name: str) -> tuple[Condition, ...]:
    if not isinstance(raw, list) or not raw:
        raise PalliroValueError("must be a non-empty list of {item, op, value}", field=name)
    out = []
    for i, entry in enumerate(raw):
        where = f"{name}[{i}]"
        if not isinstance(entry, Mapping):
            raise PalliroValueError("must be an object with item, op and value", field=where)
        unknown = set(entry) - {"item", "op", "value"}
        if unknown:
            raise PalliroValueError(f"unknown key(s) {', '.join(sorted(unknown))}", field=where)
        item = _require_str(entry.get("item"), f"{where}.item")
        op = entry.get("op")
        if op not in _OPS:
            raise PalliroValueError(f"must be one of {' '.join(_OPS)}; got {op!r}", field=f"{where}.op")
        out.append(Condition(item, op, require_number(entry.get("value"), f"{where}.value")))
    return tuple(out)


def _check_keys(params: Mapping, allowed: set[str], required: set[str]) -> None:
    unknown = set(params) - allowed
    if unknown:
        raise PalliroValueError(
            f"unknown parameter(s) {', '.join(sorted(unknown))}; allowed: {', '.join(sorted(allowed))}",
            field="parameters",
        )
    missing = required - set(params)
    if missing:
        raise PalliroValueError(f"missing parameter(s) {', '.join(sorted(missing))}", field="parameters")


def _threshold(params: Mapping) -> dict:
    _check_keys(params, {"conditions", "match", "max_days_since_treatment"}, {"conditions"})
    match = params.get("match", "any")
    if match not in ("any", "all"):
        raise PalliroValueError(f"must be 'any' or 'all', got {match!r}", field="parameters.match")
    out = {"conditions": _conditions(params["conditions"], "parameters.conditions"), "match": match}
    if params.get("max_days_since_treatment") is not None:
        out["max_days_since_treatment"] = require_int(
            params["max_days_since_treatment"], "parameters.max_days_since_treatment", 0, 365
        )
    return out


def _baseline_change(params: Mapping) -> dict:
    _check_keys(params, {"item", "increase"}, {"item", "increase"})
    return {
        "item": _require_str(params["item"], "parameters.item"),
        "increase": require_positive(params["increase"], "parameters.increase"),
    }


def _restarted(params: Mapping) -> dict:
    _check_keys(params, {"now", "before"}, {"now", "before"})
    return {"now": _conditions(params["now"], "parameters.now"),
            "before": _conditions(params["before"], "parameters.before")}


def _pain_flare(params: Mapping) -> dict:
    shared = {"pain_increase", "omed_increase_fraction", "consecutive_days", "follow_up_days"}
    _check_keys(params, shared | {"alert_without_return"}, set())
    without_return = require_bool(params.get("alert_without_return", True), "parameters.alert_without_return")
    try:
        flare = FlareParameters(**{k: params[k] for k in shared if k in params},
                                require_return_to_baseline=not without_return)
    except PalliroValueError as exc:
        raise PalliroValueError(str(exc).split(": ", 1)[-1], field=f"parameters.{exc.field}") from None
    return {"flare": flare, "alert_without_return": without_return}


def _non_response(params: Mapping) -> dict:
    _check_keys(params, {"missed"}, {"missed"})
    return {"missed": require_int(params["missed"], "parameters.missed", 1, 20)}


def _advice_contact_now(params: Mapping) -> dict:
    _check_keys(params, {"red_flag_severity"}, set())
    red = params.get("red_flag_severity", "urgent")
    if red not in tuple(Severity):
        raise PalliroValueError(f"must be urgent, attention or info; got {red!r}",
                                field="parameters.red_flag_severity")
    return {"red_flag_severity": Severity(red)}


def _free_text(params: Mapping) -> dict:
    _check_keys(params, {"items", "min_length", "ignore", "max_chars"}, set())
    out: dict[str, Any] = {
        "min_length": require_int(params.get("min_length", 2), "parameters.min_length", 1, 200),
        "max_chars": require_int(params.get("max_chars", 300), "parameters.max_chars", 20, 2000),
    }
    items = params.get("items")
    if items is not None:
        if not isinstance(items, list) or not items:
            raise PalliroValueError("must be a non-empty list of item linkIds (leave it out for every free-text "
                                    "item)", field="parameters.items")
        out["items"] = tuple(_require_str(item, f"parameters.items[{i}]") for i, item in enumerate(items))
    ignore = params.get("ignore", list(NOTHING_TO_ADD))
    if not isinstance(ignore, list) or not all(isinstance(i, str) for i in ignore):
        raise PalliroValueError("must be a list of texts", field="parameters.ignore")
    out["ignore"] = frozenset(_plain(i) for i in ignore)
    return out


KINDS = {
    "threshold": _threshold,
    "baseline_change": _baseline_change,
    "restarted": _restarted,
    "pain_flare": _pain_flare,
    "non_response": _non_response,
    "advice_contact_now": _advice_contact_now,
    "free_text": _free_text,
}


def parse_rule(raw: Mapping[str, Any]) -> Rule:
    """Validate one rule given as data and return it; raises :class:`PalliroValueError` naming the field."""
    if not isinstance(raw, Mapping):
        raise PalliroValueError("a rule must be an object", field="rule")
    allowed = {"code", "kind", "severity", "reason", "advice", "instruments", "parameters", "active"}
    unknown = set(raw) - allowed
    if unknown:
        raise PalliroValueError(f"unknown key(s) {', '.join(sorted(unknown))}", field="rule")
    code = _require_str(raw.get("code"), "code")
    kind = raw.get("kind")
    if kind not in KINDS:
        raise PalliroValueError(f"must be one of {', '.join(KINDS)}; got {kind!r}", field="kind")
    severity = raw.get("severity")
    if severity not in tuple(Severity):
        raise PalliroValueError(f"must be urgent, attention or info; got {severity!r}", field="severity")
    instruments = raw.get("instruments", [])
    if not isinstance(instruments, list | tuple) or not all(isinstance(i, str) and i for i in instruments):
        raise PalliroValueError("must be a list of instrument codes", field="instruments")
    parameters = raw.get("parameters", {})
    if not isinstance(parameters, Mapping):
        raise PalliroValueError("must be an object", field="parameters")
    active = raw.get("active", True)
    if not isinstance(active, bool):
        raise PalliroValueError(f"must be true or false, got {active!r}", field="active")
    return Rule(
        code=code,
        kind=kind,
        severity=Severity(severity),
        reason=_require_str(raw.get("reason"), "reason"),
        advice=_require_str(raw.get("advice"), "advice"),
        instruments=tuple(instruments),
        parameters=KINDS[kind](parameters),
        active=active,
    )


def parse_rules(raw: Sequence[Mapping[str, Any]]) -> tuple[Rule, ...]:
    """Validate a list of rules; codes must be unique. Errors name the rule's position."""
    if not isinstance(raw, list | tuple):
        raise PalliroValueError("must be a list of rules", field="rules")
    rules, seen = [], set()
    for i, entry in enumerate(raw):
        try:
            rule = parse_rule(entry)
        except PalliroValueError as exc:
            raise PalliroValueError(str(exc), field=f"rules[{i}]") from None
        if rule.code in seen:
            raise PalliroValueError(f"duplicate rule code {rule.code!r}", field=f"rules[{i}].code")
        seen.add(rule.code)
        rules.append(rule)
    return tuple(rules)


def load_rules(path: str | Path) -> tuple[Rule, ...]:
    """Read and validate a rule file (a JSON list, or an object with a ``rules`` list)."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    return parse_rules(data["rules"] if isinstance(data, Mapping) else data)


# --- evaluation ------------------------------------------------------------------------------------


def _fire(rule: Rule, detail: str, unverified: tuple[str, ...] = (), items=(), severity=None) -> Finding:
    return Finding(rule.code, rule.kind, severity or rule.severity, rule.reason, rule.advice, detail, unverified,
                   tuple(dict.fromkeys(items)))


def _eval_threshold(rule: Rule, ctx: RuleContext) -> Finding | None:
    p = rule.parameters
    limit = p.get("max_days_since_treatment")
    if limit is not None and (ctx.days_since_treatment is None or not 0 <= ctx.days_since_treatment <= limit):
        return None
    held = [c for c in p["conditions"] if c.holds(ctx.values)]
    fired = bool(held) if p["match"] == "any" else len(held) == len(p["conditions"])
    if not fired:
        return None
    detail = "; ".join(c.describe(ctx.values, ctx.labels) for c in held)
    if limit is not None:
        detail += f"; {ctx.days_since_treatment} days after treatment"
    return _fire(rule, detail, items=[c.item for c in held])


def _eval_baseline_change(rule: Rule, ctx: RuleContext) -> Finding | None:
    item, increase = rule.parameters["item"], rule.parameters["increase"]
    now, base = ctx.values.get(item), ctx.baseline.get(item)
    if now is None or base is None or now - base < increase - 1e-9:
        return None
    label = ctx.labels.get(item)
    if label is None:
        return _fire(rule, f"{item} {now:g}, baseline {base:g} (+{now - base:g})", items=[item])
    where = f"+{now - base:g}; rule: +{increase:g} or more"
    if not label.numbered:
        where = f"{item} {now:g}, baseline {base:g}: {where}"
    return _fire(rule, f"{label.text}: {label.answer(now)}, baseline {label.answer(base)} ({where})", items=[item])


def _eval_restarted(rule: Rule, ctx: RuleContext) -> Finding | None:
    p = rule.parameters
    if not ctx.previous or not all(c.holds(ctx.values) for c in p["now"]):
        return None
    quiet = [c for c in p["before"] if c.holds(ctx.previous)]
    if not quiet:
        return None
    return _fire(rule, "now " + "; ".join(c.describe(ctx.values, ctx.labels) for c in p["now"])
                 + "; previously " + "; ".join(c.describe(ctx.previous, ctx.labels) for c in quiet),
                 items=[c.item for c in (*p["now"], *p["before"])])


def _eval_pain_flare(rule: Rule, ctx: RuleContext) -> Finding | None:
    diary = ctx.diary
    if diary is None:
        return None
    result = detect_flare(
        diary.baseline_pain, diary.baseline_omed, diary.entries,
        first_rt_day=diary.first_rt_day, last_rt_day=diary.last_rt_day, params=rule.parameters["flare"],
    )
    unverified = (*result.unverified, *diary.unverified)
    if rule.parameters["alert_without_return"]:
        if result.first_day is None or diary.today not in result.criteria_days:
            return None
        since = f"criteria met since day {result.first_day}"
        unverified = (UNVERIFIED_FLARE_ALERT, *unverified)
    else:
        if not result.flare or result.return_day != diary.today:
            return None
        since = (f"flare confirmed: criteria met from day {result.first_day} to day {result.last_day}, "
                 f"back to baseline on day {result.return_day}")
    today = next(e for e in diary.entries if e.day == diary.today)
    omed = "unknown" if today.omed is None else f"{today.omed:g} mg/day"
    detail = (f"day {diary.today} after the first fraction: worst pain {today.worst_pain:g} "
              f"(baseline {diary.baseline_pain:g}), oral morphine equivalent {omed} "
              f"(baseline {diary.baseline_omed:g}); {since}")
    return _fire(rule, detail, tuple(dict.fromkeys(unverified)))


def _eval_non_response(rule: Rule, ctx: RuleContext) -> Finding | None:
    if ctx.consecutive_missed is None or ctx.consecutive_missed < rule.parameters["missed"]:
        return None
    return _fire(rule, f"{ctx.consecutive_missed} questionnaires in a row not answered")


def _advice_severity(rule: Rule, hit: AdviceHit) -> Severity:
    return rule.parameters["red_flag_severity"] if hit.red_flag else rule.severity


def _eval_advice_contact_now(rule: Rule, ctx: RuleContext, others: Sequence[Finding] = ()) -> Finding | None:
    def covered(hit: AdviceHit) -> bool:
        wanted = _advice_severity(rule, hit).rank
        return any(hit.item in f.items and f.severity.rank <= wanted for f in others)

    open_hits = [h for h in ctx.contact_now if not covered(h)]
    if not open_hits:
        return None
    severity = min((_advice_severity(rule, h) for h in open_hits), key=lambda s: s.rank)
    parts = [(h.label or f"{h.item} (answered {h.value:g})") + (" [red flag: emergency number shown]"
                                                                  if h.red_flag else "") for h in open_hits]
    detail = "Told to call the care team now for: " + "; ".join(parts)
    return _fire(rule, detail, items=[h.item for h in open_hits], severity=severity)


def _plain(text: str) -> str:
    return " ".join(text.lower().split()).rstrip(".!?,;:").strip()


def _eval_free_text(rule: Rule, ctx: RuleContext) -> Finding | None:
    p = rule.parameters
    wanted = p.get("items") or tuple(ctx.texts)
    quoted, items = [], []
    for item in wanted:
        text = " ".join((ctx.texts.get(item) or "").split())
        if sum(ch.isalnum() for ch in text) < p["min_length"] or _plain(text) in p["ignore"]:
            continue
        if len(text) > p["max_chars"]:
            text = text[: p["max_chars"]].rstrip() + "… (full text on the response page)"
        label = ctx.labels.get(item)
        quoted.append(f'{label.text if label else item}: "{text}"')
        items.append(item)
    if not quoted:
        return None
    return _fire(rule, "; ".join(quoted), items=items)


_EVALUATORS = {
    "threshold": _eval_threshold,
    "baseline_change": _eval_baseline_change,
    "restarted": _eval_restarted,
    "pain_flare": _eval_pain_flare,
    "non_response": _eval_non_response,
    "advice_contact_now": _eval_advice_contact_now,
    "free_text": _eval_free_text,
}


def evaluate(rules: Sequence[Rule], context: RuleContext) -> list[Finding]:
    """Every active rule that applies to the context's instrument and fires, most severe first.

    Non-response rules apply only to a non-response check (``consecutive_missed`` given, no instrument);
    answer rules only to a response. ``advice_contact_now`` rules run last, over the other findings.
    """
    if not isinstance(context, RuleContext):
        raise PalliroValueError("must be a RuleContext", field="context")
    findings, last = [], []
    for rule in rules:
        if not isinstance(rule, Rule):
            raise PalliroValueError("must be Rule objects (use parse_rule)", field="rules")
        if not rule.active:
            continue
        if rule.kind == "non_response":
            if context.instrument:
                continue
        elif not context.instrument or not rule.applies_to(context.instrument):
            continue
        if rule.kind == "advice_contact_now":
            last.append(rule)
            continue
        finding = _EVALUATORS[rule.kind](rule, context)
        if finding is not None:
            findings.append(finding)
    others = tuple(findings)
    for rule in last:
        finding = _eval_advice_contact_now(rule, context, others)
        if finding is not None:
            findings.append(finding)
    findings.sort(key=lambda f: f.severity.rank)
    return findings
