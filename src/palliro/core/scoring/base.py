"""Data model and shared scoring engine for the standard instruments.

An instrument is described as data (:class:`InstrumentDefinition`: its items with their answer
ranges and its scales with their items, formula and missing-data rule). One engine,
:meth:`Scorer.score`, validates a response against that data and computes every scale, so the
rules for validation, reversal, the minimum number of answered items and the linear rescaling
live in one place. Instrument modules only contribute definitions and, where an instrument has
a score derived from other scales (the QLQ-C30 summary score), that derivation.

Formulas (EORTC QLQ-C30 Scoring Manual, 3rd ed., Fayers et al. 2001, generalised to an item
range ``lo..hi``, with ``RS`` the mean of the answered items):

* :attr:`Method.PERCENT_ASCENDING`  ``S = (RS - lo) / (hi - lo) * 100`` (EORTC symptom scales and
  global health status).
* :attr:`Method.PERCENT_DESCENDING` ``S = (1 - (RS - lo) / (hi - lo)) * 100`` (EORTC functional
  scales; the Copenhagen Burnout Inventory's 100/75/50/25/0 points are the same formula).
* :attr:`Method.MEAN` and :attr:`Method.SUM` of the answered items, unscaled.

Reversed items are keyed as ``lo + hi - answer`` before the formula is applied.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from numbers import Integral

from palliro.core.errors import PalliroValueError

type AnswerKey = int | str
type Answers = Mapping[AnswerKey, int | None]


class ScaleKind(StrEnum):
    """What a scale measures; decides how it is grouped in reports."""

    FUNCTIONAL = "functional"
    SYMPTOM = "symptom"
    GLOBAL = "global"
    SUMMARY = "summary"
    TOTAL = "total"
    SUBSCORE = "subscore"
    SEVERITY = "severity"
    INTERFERENCE = "interference"
    BURNOUT = "burnout"
    INTENSITY = "intensity"


class Method(StrEnum):
    """How a scale's value is computed from its keyed item answers (see the module docstring)."""

    PERCENT_ASCENDING = "percent-ascending"
    PERCENT_DESCENDING = "percent-descending"
    MEAN = "mean"
    SUM = "sum"
    DERIVED = "derived"
    """Computed by the instrument's scorer from other scales (``ScaleDefinition.components``)."""


@dataclass(frozen=True, slots=True)
class ItemDefinition:
    """One questionnaire item: its key (the questionnaire's item number or linkId) and answer range.

    ``label`` is a short neutral description, never the copyrighted question text.
    ``answer_labels``, when given, names the answer codes ``minimum..maximum`` in order.
    """

    key: str
    label: str
    minimum: int
    maximum: int
    answer_labels: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.maximum <= self.minimum:
            raise PalliroValueError(
                f"item range {self.minimum}-{self.maximum} is empty or reversed", field=self.key
            )
        if self.answer_labels and len(self.answer_labels) != self.maximum - self.minimum + 1:
            raise PalliroValueError(
                f"{len(self.answer_labels)} answer labels for range {self.minimum}-{self.maximum}",
                field=self.key,
            )


@dataclass(frozen=True, slots=True)
class ScaleDefinition:
    """One scale: which items, which formula, which missing-data rule, and its value range.

    For :attr:`Method.DERIVED` scales ``items`` is empty and ``components`` names the scales it
    is computed from; ``min_answered`` then counts non-missing component scales.
    ``higher_is_better`` states the direction of the *scale value* (True for functional and global
    scales, False for symptoms and burnout). ``verified`` is False when any part of the rule
    (item map, direction, missing-data rule) is not confirmed by a primary source; the reason is
    given in ``unverified_reason`` and copied onto every score.
    """

    code: str
    label: str
    kind: ScaleKind
    items: tuple[str, ...]
    method: Method
    min_answered: int
    missing_rule: str
    score_min: float
    score_max: float
    higher_is_better: bool
    reversed_items: frozenset[str] = frozenset()
    components: tuple[str, ...] = ()
    verified: bool = True
    unverified_reason: str | None = None

    def __post_init__(self) -> None:
        members = self.components if self.method is Method.DERIVED else self.items
        if not members:
            raise PalliroValueError("a scale needs at least one item or component", field=self.code)
        if self.method is Method.DERIVED and self.items:
            raise PalliroValueError("a derived scale takes components, not items", field=self.code)
        if not 1 <= self.min_answered <= len(members):
            raise PalliroValueError(
                f"min_answered={self.min_answered} must be between 1 and {len(members)}", field=self.code
            )
        if not self.reversed_items <= set(self.items):
            extra = sorted(self.reversed_items - set(self.items))
            raise PalliroValueError(f"reversed items {extra} are not items of this scale", field=self.code)
        if self.verified == (self.unverified_reason is not None):
            raise PalliroValueError(
                "unverified_reason must be given exactly when verified is False", field=self.code
            )


def half_rule(n_items: int) -> int:
    """Minimum answered items under the EORTC half rule: at least half of the scale's items."""
    return math.ceil(n_items / 2)


@dataclass(frozen=True, slots=True)
class InstrumentDefinition:
    """Instrument metadata used for scoring and for building FHIR Questionnaires and Observations."""

    code: str
    name: str
    version: str
    source: str
    items: tuple[ItemDefinition, ...]
    scales: tuple[ScaleDefinition, ...]
    _items_by_key: dict[str, ItemDefinition] = field(init=False, repr=False, compare=False)
    _scales_by_code: dict[str, ScaleDefinition] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        items = {item.key: item for item in self.items}
        if len(items) != len(self.items):
            raise PalliroValueError("duplicate item keys", field=self.code)
        scales: dict[str, ScaleDefinition] = {}
        for scale in self.scales:
            if scale.code in scales:
                raise PalliroValueError(f"duplicate scale code {scale.code!r}", field=self.code)
            unknown = [key for key in scale.items if key not in items]
            if unknown:
                raise PalliroValueError(f"scale {scale.code} uses unknown items {unknown}", field=self.code)
            missing = [c for c in scale.components if c not in scales]
            if missing:
                # Components must come first so a single pass in definition order can score them.
                raise PalliroValueError(
                    f"scale {scale.code} needs components {missing} defined before it", field=self.code
                )
            if scale.method in (Method.PERCENT_ASCENDING, Method.PERCENT_DESCENDING):
                ranges = {(items[k].minimum, items[k].maximum) for k in scale.items}
                if len(ranges) != 1:
                    raise PalliroValueError(
                        f"scale {scale.code} mixes item ranges {sorted(ranges)}", field=self.code
                    )
            scales[scale.code] = scale
        object.__setattr__(self, "_items_by_key", items)
        object.__setattr__(self, "_scales_by_code", scales)

    def item(self, key: str) -> ItemDefinition:
        """The item with this key; :class:`PalliroValueError` if there is none."""
        try:
            return self._items_by_key[key]
        except KeyError:
            raise PalliroValueError(f"{self.code} has no item {key!r}", field=str(key)) from None

    def scale(self, code: str) -> ScaleDefinition:
        """The scale with this code; :class:`PalliroValueError` if there is none."""
        try:
            return self._scales_by_code[code]
        except KeyError:
            raise PalliroValueError(f"{self.code} has no scale {code!r}", field="scale") from None

    @property
    def verified(self) -> bool:
        """True only if every scale's rule is verified."""
        return all(scale.verified for scale in self.scales)


@dataclass(frozen=True, slots=True)
class ScaleScore:
    """The score of one scale for one response.

    ``value`` is None when the scale could not be scored, and ``missing_reason`` then says why.
    ``raw_score`` is the mean (or sum, for :attr:`Method.SUM`) of the keyed answers before
    rescaling (the EORTC "RS"); None for missing and derived scales. ``n_answered``/``n_items``
    count items, or component scales for derived scales.
    """

    code: str
    label: str
    kind: ScaleKind
    value: float | None
    raw_score: float | None
    n_answered: int
    n_items: int
    missing_reason: str | None
    verified: bool
    unverified_reason: str | None = None


@dataclass(frozen=True, slots=True)
class InstrumentScore:
    """All scale scores of one response, in the instrument's scale order.

    ``answers`` holds the validated answers under their canonical item keys (definition order,
    None for missing); ``parameters`` records the scorer's parameter choices so a stored score
    can be reproduced.
    """

    instrument: str
    version: str
    scales: tuple[ScaleScore, ...]
    answers: tuple[tuple[str, int | None], ...]
    parameters: tuple[tuple[str, str], ...] = ()

    def __getitem__(self, code: str) -> ScaleScore:
        for scale in self.scales:
            if scale.code == code:
                return scale
        raise PalliroValueError(f"{self.instrument} has no scale {code!r}", field="scale")

    def value(self, code: str) -> float | None:
        """The value of scale ``code`` (None if missing)."""
        return self[code].value

    @property
    def verified(self) -> bool:
        """True only if every scale was scored by a verified rule."""
        return all(scale.verified for scale in self.scales)


def validate_answers(definition: InstrumentDefinition, answers: Answers) -> dict[str, int | None]:
    """Check a response against the instrument and return answers under canonical item keys.

    Keys may be ints or strings and are matched case-insensitively (``9a`` and ``9A`` are the
    same BPI item). An item absent from ``answers`` is missing, exactly like an explicit None.
    Raises :class:`PalliroValueError` naming the item for an unknown or duplicated item, an
    answer that is not an integer, or an answer outside the item's range.
    """
    if not isinstance(answers, Mapping):
        raise PalliroValueError(
            f"answers must be a mapping of item key to answer, got {type(answers).__name__}",
            field="answers",
        )
    canonical = {item.key.casefold(): item for item in definition.items}
    clean: dict[str, int | None] = {item.key: None for item in definition.items}
    seen: set[str] = set()
    for raw_key, answer in answers.items():
        if isinstance(raw_key, bool) or not isinstance(raw_key, Integral | str):
            raise PalliroValueError(
                f"item keys must be int or str, got {type(raw_key).__name__}", field=str(raw_key)
            )
        key = raw_key.strip() if isinstance(raw_key, str) else str(int(raw_key))
        item = canonical.get(key.casefold())
        if item is None:
            known = ", ".join(i.key for i in definition.items)
            raise PalliroValueError(f"{definition.code} has no item {key!r} (items: {known})", field=key)
        if item.key in seen:
            raise PalliroValueError(f"{definition.code} item {item.key} is given twice", field=item.key)
        seen.add(item.key)
        clean[item.key] = _check_answer(definition.code, item, answer)
    return clean


def _check_answer(code: str, item: ItemDefinition, answer: object) -> int | None:
    if answer is None:
        return None
    if isinstance(answer, bool) or not isinstance(answer, Integral):
        raise PalliroValueError(
            f"{code} item {item.key}: answer must be an integer code or None, "
            f"got {answer!r} ({type(answer).__name__})",
            field=item.key,
        )
    value = int(answer)
    if not item.minimum <= value <= item.maximum:
        raise PalliroValueError(
            f"{code} item {item.key}: answer {value} is outside {item.minimum}-{item.maximum}",
            field=item.key,
        )
    return value


def score_scale(
    definition: InstrumentDefinition, scale: ScaleDefinition, answers: Mapping[str, int | None]
) -> ScaleScore:
    """Score one item-based scale from validated answers (see the module docstring for formulas)."""
    if scale.method is Method.DERIVED:
        raise PalliroValueError("derived scales are scored by their instrument's scorer", field=scale.code)
    keyed: list[int] = []
    for key in scale.items:
        answer = answers[key]
        if answer is None:
            continue
        if key in scale.reversed_items:
            item = definition.item(key)
            answer = item.minimum + item.maximum - answer
        keyed.append(answer)
    n_items = len(scale.items)
    if len(keyed) < scale.min_answered:
        return missing_score(
            scale,
            n_answered=len(keyed),
            n_items=n_items,
            reason=(
                f"{len(keyed)} of {n_items} items answered; at least {scale.min_answered} "
                f"required ({scale.missing_rule})"
            ),
        )
    total = math.fsum(keyed)
    if scale.method is Method.SUM:
        raw = total
        value = total
    else:
        raw = total / len(keyed)
        value = _rescale(definition, scale, raw)
    return ScaleScore(
        code=scale.code,
        label=scale.label,
        kind=scale.kind,
        value=value,
        raw_score=raw,
        n_answered=len(keyed),
        n_items=n_items,
        missing_reason=None,
        verified=scale.verified,
        unverified_reason=scale.unverified_reason,
    )


def _rescale(definition: InstrumentDefinition, scale: ScaleDefinition, raw: float) -> float:
    if scale.method is Method.MEAN:
        return raw
    first = definition.item(scale.items[0])
    fraction = (raw - first.minimum) / (first.maximum - first.minimum)
    if scale.method is Method.PERCENT_ASCENDING:
        return fraction * 100.0
    return (1.0 - fraction) * 100.0


def missing_score(scale: ScaleDefinition, *, n_answered: int, n_items: int, reason: str) -> ScaleScore:
    """A :class:`ScaleScore` with no value, carrying the reason."""
    return ScaleScore(
        code=scale.code,
        label=scale.label,
        kind=scale.kind,
        value=None,
        raw_score=None,
        n_answered=n_answered,
        n_items=n_items,
        missing_reason=reason,
        verified=scale.verified,
        unverified_reason=scale.unverified_reason,
    )


class Scorer:
    """Scores responses to one instrument.

    ``definition`` describes the instrument; ``score(answers)`` returns an
    :class:`InstrumentScore`. Subclasses set instrument parameters in ``__init__`` (recorded in
    ``parameters``) and implement :meth:`score_derived` if the instrument has derived scales.
    """

    def __init__(self, definition: InstrumentDefinition, parameters: Iterable[tuple[str, str]] = ()) -> None:
        self._definition = definition
        self._parameters = tuple(parameters)

    @property
    def definition(self) -> InstrumentDefinition:
        return self._definition

    @property
    def parameters(self) -> tuple[tuple[str, str], ...]:
        """The scorer's parameter choices as (name, value) text pairs."""
        return self._parameters

    def score(self, answers: Answers) -> InstrumentScore:
        """Validate ``answers`` (item key -> answer code or None) and score every scale."""
        clean = validate_answers(self._definition, answers)
        scored: dict[str, ScaleScore] = {}
        for scale in self._definition.scales:
            if scale.method is Method.DERIVED:
                scored[scale.code] = self.score_derived(scale, scored)
            else:
                scored[scale.code] = score_scale(self._definition, scale, clean)
        return InstrumentScore(
            instrument=self._definition.code,
            version=self._definition.version,
            scales=tuple(scored.values()),
            answers=tuple(clean.items()),
            parameters=self._parameters,
        )

    def score_derived(self, scale: ScaleDefinition, scored: Mapping[str, ScaleScore]) -> ScaleScore:
        """Compute a derived scale from already scored scales; instruments with one override this."""
        raise NotImplementedError(f"{self._definition.code} does not define derived scale {scale.code}")

    def __repr__(self) -> str:
        params = ", ".join(f"{name}={value}" for name, value in self._parameters)
        return f"{type(self).__name__}({params})"


def observations(score: InstrumentScore, *, include_items: bool = False) -> list[tuple[str, float]]:
    """Flatten a score into ``(code, value)`` rows for the Observation table.

    Scale codes are namespaced by instrument (``"eortc-qlq-c30/PF2"``); missing scales are left
    out (their reason stays on the :class:`ScaleScore`). With ``include_items=True`` the answered
    items follow as ``"<instrument>/item/<key>"`` with the answer code as value.
    """
    rows = [(f"{score.instrument}/{s.code}", float(s.value)) for s in score.scales if s.value is not None]
    if include_items:
        rows.extend(
            (f"{score.instrument}/item/{key}", float(answer))
            for key, answer in score.answers
            if answer is not None
        )
    return rows
