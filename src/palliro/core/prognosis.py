"""Survival prediction scores for selecting patients for palliative radiotherapy.

Implemented exactly as ``/work/shared/reference/clinical.md`` §4 gives them.  Every result is a
:class:`PrognosticResult` with points, group, the published outcome for that group, a citation and
``unverified`` listing the parts tagged [U] or [S] in the reference.

Models (``MODELS`` keys):

- ``teachh`` / ``teachh_partial``: Krishnan MS et al., *Cancer* 2014;120:134-141 (PMC4447100) [V].
- ``chow_nrf3``: Chow E et al., *J Clin Oncol* 2008;26:5863-5869 number of risk factors [V abstract].
- ``chow_sps3``: the 3-variable partial-score version [S, verify against JCO 2008].
- ``chow2002_nrf6``: Chow E et al., *IJROBP* 2002;53:1291-1302, six-variable model [S].
- ``mizumoto``: Mizumoto M et al., *Cancer* 2008;113:2816-2822 [V abstract].
- ``rades_mscc``: Rades D, Dunst J, Schild SE, *Cancer* 2008;112:157-161 [point table U].
- ``rades_bsc``: best-supportive-care score, reportedly Rades et al., *Cancer* 2013 [S].
- ``angelo2014_30day``: Angelo K, Norum J, ..., Nieder C, 2014, 30-day mortality criteria [V abstract].
- :func:`rades_ambulatory_group` and :func:`rades_elderly_group` map a total that the caller has
  computed to the published group (their per-factor points are not in the reference).

Unverified [U]/[S] parameters and parts (also reported per result):

- TEACHH chemotherapy threshold: abstract "≥2 vs 0-1 courses" vs Table 2 "0-2 vs >2";
  parameter ``chemo_rule`` ("gt2" = Table 2, default; "ge2" = abstract).
- Chow 2002 KPS cut-off: "<60" in the summary vs "<=60" in JCO 2008; parameter ``kps_rule``.
- Chow JCO 2008 per-set medians, the SPS3 weights and grouping, Chow 2002 medians: secondary [S].
- Mizumoto: which tumours are "unfavourable" and the hypercalcaemia cut-off [U]; both are boolean
  inputs the caller decides.
- Rades MSCC 2008 per-factor points and the 36-40 / 41-45 survival figures [U].
- Angelo 2014: the decision-tree structure and the haemoglobin cut-off are not given; the journal [U].
- Nieder 2023 30-day score: point assignment not checked, so it is not implemented.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal

from palliro.core.errors import (
    PalliroValueError,
    require_bool,
    require_choice,
    require_int,
    require_non_negative,
    require_range,
)

__all__ = [
    "MODELS",
    "PRIMARY_SITES",
    "ModelSpec",
    "PrognosticResult",
    "PublishedOutcome",
    "angelo2014_30day",
    "chow2002_nrf6",
    "chow_nrf3",
    "chow_sps3",
    "evaluate",
    "missing_inputs",
    "mizumoto",
    "rades_ambulatory_group",
    "rades_bsc",
    "rades_elderly_group",
    "rades_mscc",
    "teachh",
    "teachh_partial",
]

#: Primary-tumour vocabulary shared by all models.
PRIMARY_SITES: tuple[str, ...] = ("breast", "prostate", "lung", "myeloma_lymphoma", "bladder", "other")

CIT_TEACHH = "Krishnan MS et al. Cancer 2014;120:134-141 (PMC4447100), Table 2"
CIT_CHOW2008 = "Chow E, Abdolell M, Panzarella T et al. J Clin Oncol 2008;26:5863-5869"
CIT_CHOW2002 = "Chow E, Fung K, Panzarella T et al. Int J Radiat Oncol Biol Phys 2002;53:1291-1302"
CIT_MIZUMOTO = "Mizumoto M et al. Cancer 2008;113:2816-2822"
CIT_RADES2008 = "Rades D, Dunst J, Schild SE. Cancer 2008;112:157-161"
CIT_RADES2010 = "Rades D et al. 2010 validation (439 patients)"
CIT_RADES_AMB = "Rades D et al. Int J Radiat Oncol Biol Phys 2008;72:905"
CIT_RADES_ELDERLY = "Rades D et al., elderly MSCC survival score (8 factors, 25-57 points)"
CIT_RADES_BSC = "Rades D et al., best-supportive-care score (reportedly Cancer 2013; secondary source)"
CIT_ANGELO = "Angelo K, Norum J, ..., Nieder C, 2014 (reported as Anticancer Res 2014;34:877-885)"


@dataclass(frozen=True)
class PublishedOutcome:
    """A published outcome figure for a score group.

    Attributes:
        measure: e.g. ``"median survival"``, ``"6-month survival"``, ``"post-RT ambulatory rate"``.
        value: point value, or None when only a range was published.
        unit: ``"weeks"``, ``"months"``, ``"days"`` or ``"%"``.
        low, high: interval bounds; ``interval`` says whether it is a 95 % CI or a range of cohorts.
        cohort: which data set the figure comes from.
        tag: evidence tag of the figure in the reference (V, S or U).
    """

    measure: str
    value: float | None
    unit: str
    low: float | None = None
    high: float | None = None
    interval: str | None = None
    cohort: str = ""
    tag: str = "V"


@dataclass(frozen=True)
class PrognosticResult:
    """Points, group and published outcomes of one prognostic model for one patient."""

    model: str
    points: float
    max_points: float
    group: str | None
    components: tuple[tuple[str, float], ...]
    outcomes: tuple[PublishedOutcome, ...]
    citation: str
    unverified: tuple[str, ...]
    notes: tuple[str, ...] = ()

    @property
    def verified(self) -> bool:
        return not self.unverified


# ------------------------------------------------------------------ shared input validation


def _primary(value: object) -> str:
    return require_choice(value, "primary", PRIMARY_SITES)


def _kps(value: object) -> int:
    kps = require_int(value, "kps", 0, 100)
    if kps % 10:
        raise PalliroValueError(f"KPS is scored in steps of 10, got {value!r}", field="kps")
    return kps


def _ecog(value: object, low: int = 0) -> int:
    return require_int(value, "ecog", low, 4)


def _age(value: object) -> float:
    return require_range(value, "age", 0, 120)


def _esas(value: object, name: str) -> int:
    return require_int(value, name, 0, 10)


def _result(
    model: str,
    components: list[tuple[str, float]],
    max_points: float,
    group: str | None,
    outcomes: tuple[PublishedOutcome, ...],
    citation: str,
    unverified: list[str] | tuple[str, ...],
    notes: tuple[str, ...] = (),
) -> PrognosticResult:
    return PrognosticResult(
        model=model,
        points=sum(p for _, p in components),
        max_points=max_points,
        group=group,
        components=tuple(components),
        outcomes=outcomes,
        citation=citation,
        unverified=tuple(unverified),
        notes=notes,
    )


# ------------------------------------------------------------------------------ TEACHH (§4.3)

_TEACHH_OUTCOMES = {
    "A": (PublishedOutcome("median survival", 19.9, "months", 13.9, 31.1, "95% CI", "Krishnan 2014"),),
    "B": (PublishedOutcome("median survival", 5.0, "months", 4.3, 5.6, "95% CI", "Krishnan 2014"),),
    "C": (PublishedOutcome("median survival", 1.7, "months", 1.2, 2.1, "95% CI", "Krishnan 2014"),),
}


def _chemo_flag(courses: object, chemo_rule: str) -> tuple[bool, str]:
    n = require_int(courses, "prior_chemo_courses", 0, 100)
    rule = require_choice(chemo_rule, "chemo_rule", ("gt2", "ge2"))
    note = (
        "teachh_chemo_threshold: source inconsistent (abstract >=2 vs Table 2 >2 courses); "
        f"used {'>2 (Table 2)' if rule == 'gt2' else '>=2 (abstract)'} [U]"
    )
    return (n > 2 if rule == "gt2" else n >= 2), note


def teachh(
    primary: str,
    ecog: int,
    age: float,
    prior_chemo_courses: int,
    hospitalised_3_months: bool,
    liver_metastases: bool,
    *,
    chemo_rule: Literal["gt2", "ge2"] = "gt2",
) -> PrognosticResult:
    """TEACHH score (Krishnan 2014, Table 2): one point per factor, groups A 0-1, B 2-4, C 5-6.

    Factors: lung or other primary (not breast/prostate); ECOG 2-4; age > 60; prior palliative
    chemotherapy (``chemo_rule``); >= 1 hospitalisation within 3 months before RT; liver metastases.
    """
    site = _primary(primary)
    chemo, chemo_note = _chemo_flag(prior_chemo_courses, chemo_rule)
    components = [
        ("type of cancer (not breast/prostate)", float(site not in ("breast", "prostate"))),
        ("ECOG 2-4", float(_ecog(ecog) >= 2)),
        ("age > 60", float(_age(age) > 60)),
        ("prior palliative chemotherapy", float(chemo)),
        ("hospitalised within 3 months", float(require_bool(hospitalised_3_months, "hospitalised_3_months"))),
        ("hepatic metastases", float(require_bool(liver_metastases, "liver_metastases"))),
    ]
    points = sum(p for _, p in components)
    group = "A" if points <= 1 else "B" if points <= 4 else "C"
    return _result("teachh", components, 6, group, _TEACHH_OUTCOMES[group], CIT_TEACHH, [chemo_note])


def teachh_partial(
    primary: str,
    ecog: int,
    age: float,
    prior_chemo_courses: int,
    hospitalised_3_months: bool,
    liver_metastases: bool,
    *,
    chemo_rule: Literal["gt2", "ge2"] = "gt2",
) -> PrognosticResult:
    """TEACHH partial-score version (Krishnan 2014, Table 2); no groups are published, so ``group`` is None.

    Lung 5, other non-breast/prostate 2; ECOG 2 -> 4, ECOG 3-4 -> 6; liver metastases 4;
    > 2 chemotherapy courses 3; age > 60 2; hospitalisation 2.
    """
    site = _primary(primary)
    ps = _ecog(ecog)
    chemo, chemo_note = _chemo_flag(prior_chemo_courses, chemo_rule)
    components = [
        ("type of cancer", 5.0 if site == "lung" else 0.0 if site in ("breast", "prostate") else 2.0),
        ("ECOG", 6.0 if ps >= 3 else 4.0 if ps == 2 else 0.0),
        ("age > 60", 2.0 if _age(age) > 60 else 0.0),
        ("prior palliative chemotherapy", 3.0 if chemo else 0.0),
        (
            "hospitalised within 3 months",
            2.0 if require_bool(hospitalised_3_months, "hospitalised_3_months") else 0.0,
        ),
        ("hepatic metastases", 4.0 if require_bool(liver_metastases, "liver_metastases") else 0.0),
    ]
    return _result(
        "teachh_partial",
        components,
        22,
        None,
        (),
        CIT_TEACHH,
        [chemo_note],
        notes=("No group cut-offs or survival figures for the partial score are given in the reference.",),
    )


# --------------------------------------------------------------------------- Chow (§4.1, §4.2)

_CHOW_NRF3_OUTCOMES = {
    "I": (
        PublishedOutcome(
            "median survival", None, "weeks", 55, 64, "range over data sets", "JCO 2008 sets", "S"
        ),
        PublishedOutcome("median survival", 114, "weeks", cohort="Angelo 2014 (Norway, PMID 25006508)"),
        PublishedOutcome("median survival", 35.1, "months", cohort="Radiat Oncol 2024, bone metastases"),
        PublishedOutcome(
            "median survival", 22.1, "months", cohort="Radiat Oncol 2024, other painful tumours"
        ),
    ),
    "II": (
        PublishedOutcome(
            "median survival", None, "weeks", 19, 28, "range over data sets", "JCO 2008 sets", "S"
        ),
        PublishedOutcome("median survival", 29, "weeks", cohort="Angelo 2014 (Norway, PMID 25006508)"),
        PublishedOutcome("median survival", 10.1, "months", cohort="Radiat Oncol 2024, bone metastases"),
        PublishedOutcome("median survival", 9.5, "months", cohort="Radiat Oncol 2024, other painful tumours"),
    ),
    "III": (
        PublishedOutcome(
            "median survival", None, "weeks", 9, 10, "range over data sets", "JCO 2008 sets", "S"
        ),
        PublishedOutcome("median survival", 13, "weeks", cohort="Angelo 2014 (Norway, PMID 25006508)"),
        PublishedOutcome("median survival", 3.3, "months", cohort="Radiat Oncol 2024, bone metastases"),
        PublishedOutcome("median survival", 4.6, "months", cohort="Radiat Oncol 2024, other painful tumours"),
    ),
}


def chow_nrf3(primary: str, bone_only_metastases: bool, kps: int) -> PrognosticResult:
    """Chow 3-variable number-of-risk-factors model (JCO 2008): groups I 0-1, II 2, III 3 risk factors.

    Risk factors: non-breast primary; metastases other than bone only; KPS <= 60.
    """
    components = [
        ("non-breast primary", float(_primary(primary) != "breast")),
        (
            "metastases other than bone only",
            float(not require_bool(bone_only_metastases, "bone_only_metastases")),
        ),
        ("KPS <= 60", float(_kps(kps) <= 60)),
    ]
    n = sum(p for _, p in components)
    group = "I" if n <= 1 else "II" if n == 2 else "III"
    return _result(
        "chow_nrf3",
        components,
        3,
        group,
        _CHOW_NRF3_OUTCOMES[group],
        CIT_CHOW2008,
        ["chow2008_medians: per-set JCO 2008 medians from a secondary summary [S]"],
        notes=("RTOG 9714 reanalysis separated only 2 groups (WJON 2011;2:181).",),
    )


_CHOW_SPS3_OUTCOMES = {
    "0-4": (
        PublishedOutcome("median survival", None, "weeks", 53, 64, "range over data sets", "JCO 2008", "S"),
    ),
    "5": (
        PublishedOutcome("median survival", None, "weeks", 21, 29, "range over data sets", "JCO 2008", "S"),
    ),
    "6-8": (
        PublishedOutcome("median survival", None, "weeks", 10, 11, "range over data sets", "JCO 2008", "S"),
    ),
}


def chow_sps3(primary: str, bone_only_metastases: bool, kps: int) -> PrognosticResult:
    """Chow 3-variable survival prediction score (partial-score version; secondary source [S]).

    Primary breast 0, prostate 2, lung or other 3; KPS <= 60 -> 3; metastases other than bone only
    -> 2.  Groups 0-4, 5, 6-8.
    """
    site = _primary(primary)
    components = [
        ("primary", 0.0 if site == "breast" else 2.0 if site == "prostate" else 3.0),
        ("KPS <= 60", 3.0 if _kps(kps) <= 60 else 0.0),
        (
            "metastases other than bone only",
            0.0 if require_bool(bone_only_metastases, "bone_only_metastases") else 2.0,
        ),
    ]
    total = sum(p for _, p in components)
    group = "0-4" if total <= 4 else "5" if total == 5 else "6-8"
    return _result(
        "chow_sps3",
        components,
        8,
        group,
        _CHOW_SPS3_OUTCOMES[group],
        CIT_CHOW2008,
        ["chow_sps3: weights and grouping from a secondary source; verify against JCO 2008 Table [S]"],
    )


_CHOW2002_OUTCOMES = {
    "<=3": (PublishedOutcome("median survival", 62, "weeks", 41, 70, "95% CI", "Chow 2002", "S"),),
    "4": (PublishedOutcome("median survival", 24, "weeks", 18, 29, "95% CI", "Chow 2002", "S"),),
    "5-6": (PublishedOutcome("median survival", 11, "weeks", 9, 14, "95% CI", "Chow 2002", "S"),),
}


def chow2002_nrf6(
    primary: str,
    bone_only_metastases: bool,
    kps: int,
    esas_fatigue: int,
    esas_appetite: int,
    esas_dyspnoea: int,
    *,
    kps_rule: Literal["lt60", "le60"] = "lt60",
) -> PrognosticResult:
    """Chow 2002 six-variable number-of-risk-factors model (secondary summary [S]).

    Risk factors: non-breast primary; metastases other than bone only; KPS < 60 (``kps_rule``);
    ESAS fatigue 4-10; ESAS appetite 8-10; ESAS shortness of breath >= 1.  Groups <=3, 4, 5-6.
    """
    rule = require_choice(kps_rule, "kps_rule", ("lt60", "le60"))
    k = _kps(kps)
    components = [
        ("non-breast primary", float(_primary(primary) != "breast")),
        (
            "metastases other than bone only",
            float(not require_bool(bone_only_metastases, "bone_only_metastases")),
        ),
        ("KPS < 60" if rule == "lt60" else "KPS <= 60", float(k < 60 if rule == "lt60" else k <= 60)),
        ("fatigue moderate-severe (4-10)", float(_esas(esas_fatigue, "esas_fatigue") >= 4)),
        ("appetite severe (8-10)", float(_esas(esas_appetite, "esas_appetite") >= 8)),
        ("shortness of breath (>= 1)", float(_esas(esas_dyspnoea, "esas_dyspnoea") >= 1)),
    ]
    n = sum(p for _, p in components)
    group = "<=3" if n <= 3 else "4" if n == 4 else "5-6"
    return _result(
        "chow2002_nrf6",
        components,
        6,
        group,
        _CHOW2002_OUTCOMES[group],
        CIT_CHOW2002,
        [
            "chow2002_model: definitions and medians from a secondary summary [S]",
            f"chow2002_kps_cutoff: summary says <60, JCO 2008 uses <=60; used {'<60' if rule == 'lt60' else '<=60'}",
        ],
    )


# ---------------------------------------------------------------------------- Mizumoto (§4.5)

_MIZUMOTO_OUTCOMES = {
    "A": (
        PublishedOutcome("median survival", 27.1, "months", cohort="Mizumoto 2008 (24% of patients)"),
        PublishedOutcome("6-month survival", 89, "%", cohort="Mizumoto 2008"),
        PublishedOutcome("12-month survival", 77, "%", cohort="Mizumoto 2008"),
        PublishedOutcome("24-month survival", 54, "%", cohort="Mizumoto 2008"),
    ),
    "B": (
        PublishedOutcome("median survival", 5.4, "months", cohort="Mizumoto 2008 (57% of patients)"),
        PublishedOutcome("6-month survival", 46, "%", cohort="Mizumoto 2008"),
        PublishedOutcome("12-month survival", 22, "%", cohort="Mizumoto 2008"),
        PublishedOutcome("24-month survival", 9, "%", cohort="Mizumoto 2008"),
    ),
    "C": (
        PublishedOutcome("median survival", 1.8, "months", cohort="Mizumoto 2008 (19% of patients)"),
        PublishedOutcome("6-month survival", 7, "%", cohort="Mizumoto 2008"),
        PublishedOutcome("12-month survival", 4, "%", cohort="Mizumoto 2008"),
        PublishedOutcome("24-month survival", 0, "%", cohort="Mizumoto 2008"),
    ),
}


def mizumoto(
    unfavourable_tumour: bool,
    ecog: int,
    hypercalcaemia: bool,
    visceral_metastases: bool,
    previous_chemotherapy: bool,
    multiple_bone_metastases: bool,
    age: float,
) -> PrognosticResult:
    """Mizumoto score for spinal metastases (Cancer 2008): groups A 0-4, B 5-9, C 10-14.

    Points: unfavourable tumour 3; PS >= 3 3; hypercalcaemia 2; visceral metastases 2; previous
    chemotherapy 2; multiple bone metastases 1; age >= 71 1.  Which tumours are unfavourable and
    the calcium cut-off are not verified [U]: the caller decides both booleans.
    """
    components = [
        (
            "unfavourable tumour type",
            3.0 if require_bool(unfavourable_tumour, "unfavourable_tumour") else 0.0,
        ),
        ("performance status >= 3", 3.0 if _ecog(ecog) >= 3 else 0.0),
        ("hypercalcaemia", 2.0 if require_bool(hypercalcaemia, "hypercalcaemia") else 0.0),
        ("visceral metastases", 2.0 if require_bool(visceral_metastases, "visceral_metastases") else 0.0),
        (
            "previous chemotherapy",
            2.0 if require_bool(previous_chemotherapy, "previous_chemotherapy") else 0.0,
        ),
        (
            "multiple bone metastases",
            1.0 if require_bool(multiple_bone_metastases, "multiple_bone_metastases") else 0.0,
        ),
        ("age >= 71", 1.0 if _age(age) >= 71 else 0.0),
    ]
    total = sum(p for _, p in components)
    group = "A" if total <= 4 else "B" if total <= 9 else "C"
    return _result(
        "mizumoto",
        components,
        14,
        group,
        _MIZUMOTO_OUTCOMES[group],
        CIT_MIZUMOTO,
        [
            "mizumoto_tumour_types: which tumour types are 'unfavourable' is not verified [U]",
            "mizumoto_calcium: hypercalcaemia cut-off not verified [U]",
        ],
        notes=("A revised Mizumoto score exists (IJROBP 2011); this is the 2008 version.",),
    )


# ------------------------------------------------------------------------------- Rades (§4.4)


def _rades_group(total: float, bounds: tuple[tuple[float, float, str], ...]) -> str:
    for low, high, label in bounds:
        if low <= total <= high:
            return label
    raise PalliroValueError(f"total {total:g} is outside the published range", field="points")


_RADES_BOUNDS = (
    (20, 25, "20-25"),
    (26, 30, "26-30"),
    (31, 35, "31-35"),
    (36, 40, "36-40"),
    (41, 45, "41-45"),
)
_RADES_2008 = {
    "20-25": (4, "V"),
    "26-30": (11, "V"),
    "31-35": (48, "V"),
    "36-40": (87, "U"),
    "41-45": (99, "U"),
}
_RADES_2010 = {"20-25": 7, "26-30": 19, "31-35": 56, "36-40": 73, "41-45": 90}
_RADES_2010_SIMPLE = ((20, 30, "20-30", 14), (31, 35, "31-35", 56), (36, 45, "36-45", 80))


def rades_mscc(
    primary: str,
    interval_months: float,
    other_bone_metastases: bool,
    visceral_metastases: bool,
    ambulatory: bool,
    motor_deficit_days: float,
) -> PrognosticResult:
    """Rades MSCC survival score (Cancer 2008): 6 factors, 20-45 points, five groups.

    Points [U, reconstructed; verify against Rades 2008 Table 2]: breast 8, prostate 7,
    myeloma/lymphoma 9, lung 3, other 4; interval tumour diagnosis to MSCC <= 15 months 4, > 15
    months 7; other bone metastases yes 5 / no 7; visceral metastases yes 2 / no 8; ambulatory 7 /
    not 3; motor deficits developing over <= 7 days 3, 8-14 days 5, > 14 days 7.
    """
    site = _primary(primary)
    interval = require_non_negative(interval_months, "interval_months")
    days = require_non_negative(motor_deficit_days, "motor_deficit_days")
    tumour_points = {"breast": 8.0, "prostate": 7.0, "myeloma_lymphoma": 9.0, "lung": 3.0}
    components = [
        ("tumour type", tumour_points.get(site, 4.0)),
        ("interval to MSCC", 7.0 if interval > 15 else 4.0),
        (
            "other bone metastases",
            5.0 if require_bool(other_bone_metastases, "other_bone_metastases") else 7.0,
        ),
        ("visceral metastases", 2.0 if require_bool(visceral_metastases, "visceral_metastases") else 8.0),
        ("ambulatory before RT", 7.0 if require_bool(ambulatory, "ambulatory") else 3.0),
        ("time developing motor deficits", 3.0 if days <= 7 else 5.0 if days <= 14 else 7.0),
    ]
    total = sum(p for _, p in components)
    group = _rades_group(total, _RADES_BOUNDS)
    value, tag = _RADES_2008[group]
    simple = next((label, pct) for low, high, label, pct in _RADES_2010_SIMPLE if low <= total <= high)
    outcomes = (
        PublishedOutcome("6-month survival", value, "%", cohort="Rades 2008 (1852 patients)", tag=tag),
        PublishedOutcome("6-month survival", _RADES_2010[group], "%", cohort="Rades 2010 validation"),
        PublishedOutcome(
            "6-month survival", simple[1], "%", cohort=f"Rades 2010, 3-group version ({simple[0]})"
        ),
    )
    unverified = ["rades2008_points: per-factor points reconstructed from memory; verify against Table 2 [U]"]
    if tag == "U":
        unverified.append("rades2008_survival: 36-40 and 41-45 group survival not verified [U]")
    return _result("rades_mscc", components, 45, group, outcomes, CIT_RADES2008, unverified)


def rades_bsc(
    ecog: int,
    primary: str,
    other_bone_metastases: bool,
    visceral_metastases: bool,
    interval_months: float,
    ambulatory: bool,
    motor_deficit_days: float,
) -> PrognosticResult:
    """Rades best-supportive-care score for MSCC (secondary source [S]): 6-25 points, >= 19 suggests BSC.

    Predicts death within 2 months.  ECOG 2 -> 0, 3-4 -> 4 (defined for ECOG 2-4 only); breast 1,
    prostate 2, myeloma/lymphoma 1, lung 3, other 3; other bone metastases no 1 / yes 3; visceral
    metastases no 1 / yes 4; interval <= 15 months 3, > 15 months 1; ambulatory 1 / not 4; motor
    deficits <= 7 days 4, > 7 days 1.
    """
    site = _primary(primary)
    tumour_points = {"breast": 1.0, "prostate": 2.0, "myeloma_lymphoma": 1.0}
    components = [
        ("ECOG", 4.0 if _ecog(ecog, low=2) >= 3 else 0.0),
        ("tumour type", tumour_points.get(site, 3.0)),
        (
            "other bone metastases",
            3.0 if require_bool(other_bone_metastases, "other_bone_metastases") else 1.0,
        ),
        ("visceral metastases", 4.0 if require_bool(visceral_metastases, "visceral_metastases") else 1.0),
        ("interval to MSCC", 1.0 if require_non_negative(interval_months, "interval_months") > 15 else 3.0),
        ("ambulatory before RT", 1.0 if require_bool(ambulatory, "ambulatory") else 4.0),
        (
            "time developing motor deficits",
            4.0 if require_non_negative(motor_deficit_days, "motor_deficit_days") <= 7 else 1.0,
        ),
    ]
    total = sum(p for _, p in components)
    group = ">=19 (BSC suggested)" if total >= 19 else "<19"
    return _result(
        "rades_bsc",
        components,
        25,
        group,
        (),
        CIT_RADES_BSC,
        ["rades_bsc: points and threshold from a secondary source (medicalalgorithms) [S]"],
        notes=(
            "Outcome predicted: death within 2 months; no group probabilities are given in the reference.",
        ),
    )


def rades_ambulatory_group(points: int) -> PrognosticResult:
    """Group and post-RT ambulatory rate for a Rades ambulatory-status score total (IJROBP 2008;72:905).

    The score has 5 factors and 21-44 points; the per-factor points are not in the reference, so
    the caller supplies the total.  Rates: <=28: 6 %, 29-31: 44 %, 32-34: 70 %, 35-37: 86 %, >=38: 99 %.
    """
    total = require_int(points, "points", 21, 44)
    bounds = (
        (21, 28, "<=28", 6),
        (29, 31, "29-31", 44),
        (32, 34, "32-34", 70),
        (35, 37, "35-37", 86),
        (38, 44, ">=38", 99),
    )
    label, rate = next((lab, r) for lo, hi, lab, r in bounds if lo <= total <= hi)
    outcome = PublishedOutcome("post-RT ambulatory rate", rate, "%", cohort="Rades IJROBP 2008")
    return _result(
        "rades_ambulatory", [("total supplied", float(total))], 44, label, (outcome,), CIT_RADES_AMB, []
    )


def rades_elderly_group(points: int) -> PrognosticResult:
    """Group and 6-month survival for a Rades elderly-MSCC survival score total (8 factors, 25-57 points).

    Groups 25-39: 11 %, 40-48: 56 %, 49-57: 97 %.  The caller supplies the total.
    """
    total = require_int(points, "points", 25, 57)
    bounds = ((25, 39, "25-39", 11), (40, 48, "40-48", 56), (49, 57, "49-57", 97))
    label, rate = next((lab, r) for lo, hi, lab, r in bounds if lo <= total <= hi)
    outcome = PublishedOutcome("6-month survival", rate, "%", cohort="Rades elderly MSCC score")
    return _result(
        "rades_elderly", [("total supplied", float(total))], 57, label, (outcome,), CIT_RADES_ELDERLY, []
    )


# ------------------------------------------------------------------------ 30-day mortality (§4.6)


def angelo2014_30day(
    primary: str,
    ecog: int,
    low_haemoglobin: bool,
    opioid_use: bool,
    steroid_use: bool,
    progressive_disease_outside_rt: bool,
) -> PrognosticResult:
    """Angelo 2014 criteria for palliative RT in the last 30 days of life (recursive partitioning).

    The six parameters: lung or bladder cancer; ECOG 3-4; low haemoglobin (cut-off as defined
    locally [U]); opioid use; steroid use; known progressive disease outside the RT volume.  The
    published model is a decision tree whose structure is not in the reference, so this returns the
    number of criteria met and whether all six are (maximum survival with all met: 69 days).
    """
    components = [
        ("lung or bladder cancer", float(_primary(primary) in ("lung", "bladder"))),
        ("ECOG 3-4", float(_ecog(ecog) >= 3)),
        ("low haemoglobin", float(require_bool(low_haemoglobin, "low_haemoglobin"))),
        ("opioid use", float(require_bool(opioid_use, "opioid_use"))),
        ("steroid use", float(require_bool(steroid_use, "steroid_use"))),
        (
            "progressive disease outside RT volume",
            float(require_bool(progressive_disease_outside_rt, "progressive_disease_outside_rt")),
        ),
    ]
    all_met = all(p for _, p in components)
    outcomes = (
        (
            PublishedOutcome(
                "maximum survival with all criteria met", 69, "days", cohort="Angelo 2014, 579 courses"
            ),
        )
        if all_met
        else ()
    )
    return _result(
        "angelo2014_30day",
        components,
        6,
        "all criteria met" if all_met else "not all criteria met",
        outcomes,
        CIT_ANGELO,
        [
            "angelo2014_tree: decision-tree structure and haemoglobin cut-off not given in the reference [U]",
            "angelo2014_journal: journal citation not verified [U]",
        ],
        notes=(
            "The tree identified 75% of courses given in the last 30 days of life (74% in validation).",
            "TEACHH and Chow NRF both misclassify patients surviving < 3 months (Mojica-Marquez 2020).",
        ),
    )


# --------------------------------------------------------------------------------- registry


@dataclass(frozen=True)
class ModelSpec:
    """A model's function, required inputs (argument names), keyword options, and which way its points run:
    ``"risk"`` when more points mean a worse prognosis, ``"survival"`` when more points mean longer survival
    (validation turns Harrell's C around accordingly)."""

    name: str
    function: Callable[..., PrognosticResult]
    inputs: tuple[str, ...]
    options: tuple[str, ...]
    citation: str
    direction: Literal["risk", "survival"]


def _spec(
    name: str, fn: Callable[..., PrognosticResult], options: tuple[str, ...], citation: str,
    direction: Literal["risk", "survival"] = "risk",
) -> ModelSpec:
    code = fn.__code__
    inputs = code.co_varnames[: code.co_argcount]
    return ModelSpec(name, fn, tuple(inputs), options, citation, direction)


MODELS: Mapping[str, ModelSpec] = {
    spec.name: spec
    for spec in (
        _spec("teachh", teachh, ("chemo_rule",), CIT_TEACHH),
        _spec("teachh_partial", teachh_partial, ("chemo_rule",), CIT_TEACHH),
        _spec("chow_nrf3", chow_nrf3, (), CIT_CHOW2008),
        _spec("chow_sps3", chow_sps3, (), CIT_CHOW2008),
        _spec("chow2002_nrf6", chow2002_nrf6, ("kps_rule",), CIT_CHOW2002),
        _spec("mizumoto", mizumoto, (), CIT_MIZUMOTO),
        # Rades MSCC points are 6-month survival rates / 10; every other score adds points for worse prognosis
        # (the BSC score's >= 19 predicts death within 2 months).
        _spec("rades_mscc", rades_mscc, (), CIT_RADES2008, direction="survival"),
        _spec("rades_bsc", rades_bsc, (), CIT_RADES_BSC),
        _spec("angelo2014_30day", angelo2014_30day, (), CIT_ANGELO),
    )
}


def _model(model: str) -> ModelSpec:
    if model not in MODELS:
        raise PalliroValueError(f"unknown model {model!r}; choose one of {', '.join(MODELS)}", field="model")
    return MODELS[model]


def missing_inputs(model: str, available: Mapping[str, object]) -> tuple[str, ...]:
    """Names of the inputs ``model`` needs that are absent (or None) in ``available``."""
    spec = _model(model)
    return tuple(name for name in spec.inputs if available.get(name) is None)


def evaluate(model: str, available: Mapping[str, object], **options: object) -> PrognosticResult:
    """Run ``model`` on the inputs it needs from ``available`` (extra keys are ignored).

    Raises :class:`PalliroValueError` (field ``"inputs"``) listing every missing input.
    """
    spec = _model(model)
    missing = missing_inputs(model, available)
    if missing:
        raise PalliroValueError(f"{model} needs {', '.join(missing)}", field="inputs")
    unknown = set(options) - set(spec.options)
    if unknown:
        raise PalliroValueError(f"{model} has no option(s) {', '.join(sorted(unknown))}", field="options")
    return spec.function(**{name: available[name] for name in spec.inputs}, **options)
