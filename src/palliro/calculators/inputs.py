"""Reading calculator input written as text (web text areas and CLI arguments) into core objects.

Every reader raises :class:`PalliroValueError` naming the field, like the core does, so the web layer
attaches the message to the field and the CLI prints it with exit code 2.  No Django imports.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from palliro.core import analgesics, prognosis
from palliro.core.analgesics import AnalgesicRecord
from palliro.core.errors import PalliroValueError

# ------------------------------------------------------------------------------ numbers


def parse_number(text: object, field: str) -> float:
    """A finite number from text; a decimal comma is accepted."""
    if isinstance(text, int | float) and not isinstance(text, bool):
        return float(text)
    if not isinstance(text, str) or not text.strip():
        raise PalliroValueError("a number is required", field=field)
    try:
        value = float(text.strip().replace(",", "."))
    except ValueError:
        raise PalliroValueError(f"{text!r} is not a number", field=field) from None
    if value != value or value in (float("inf"), float("-inf")):
        raise PalliroValueError(f"{text!r} is not a finite number", field=field)
    return value


def parse_number_list(text: str, field: str) -> list[float]:
    """Numbers separated by commas, semicolons or spaces, e.g. ``"7, 7, 7"`` or ``"8 12"``."""
    parts = [p for p in re.split(r"[;,\s]+", text.strip()) if p]
    if not parts:
        raise PalliroValueError("give at least one number", field=field)
    return [parse_number(p, field) for p in parts]


def split_lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip() and not line.strip().startswith("#")]


# --------------------------------------------------------------------------------- OMED

_OMED_LINE = re.compile(
    r"^(?P<drug>[a-z][a-z -]*?)\s+(?P<dose>\d+(?:[.,]\d+)?)\s*(?P<unit>mcg/h|µg/h|ug/h|mcg|µg|ug|mg)\s+"
    r"(?P<route>\S+)(?:\s+(?P<freq>.+))?$"
)


def parse_omed_line(text: str, field: str = "records") -> AnalgesicRecord:
    """``"oxycodone 20 mg oral bid"``, ``"fentanyl 25 mcg/h transdermal"``, ``"morphine 10 mg sc q4h"``."""
    match = _OMED_LINE.match(text.strip().lower())
    if match is None:
        raise PalliroValueError(
            f"cannot read {text!r}; write DRUG DOSE UNIT ROUTE [FREQUENCY], e.g. 'oxycodone 20 mg oral bid' "
            "or 'fentanyl 25 mcg/h transdermal'",
            field=field,
        )
    unit = match["unit"].replace("µg", "mcg").replace("ug", "mcg")
    freq_text = match["freq"]
    frequency: float | str | None = None
    if freq_text:
        freq_text = freq_text.strip()
        try:
            frequency = float(freq_text)
        except ValueError:
            frequency = freq_text
    return AnalgesicRecord(
        drug=match["drug"].strip(),
        dose=parse_number(match["dose"], field),
        unit=unit,  # type: ignore[arg-type]
        route=match["route"],  # type: ignore[arg-type]
        frequency=frequency,
    )


# -------------------------------------------------------------------------------- diary


def parse_diary(text: str, field: str = "diary") -> list[tuple[int, float | None, float | None]]:
    """Lines ``day, worst pain, OMED``; an empty cell, ``-`` or ``NA`` means not recorded."""
    rows: list[tuple[int, float | None, float | None]] = []
    for n, line in enumerate(split_lines(text), start=1):
        delimiter = next((d for d in ("\t", ";", ",") if d in line), None)
        cells = [c.strip() for c in (line.split(delimiter) if delimiter else line.split())]
        if len(cells) != 3:
            raise PalliroValueError(f"line {n}: expected 'day, worst pain, OMED', got {line!r}", field=field)
        if n == 1 and not re.fullmatch(r"-?\d+", cells[0]):
            continue  # a header row
        if not re.fullmatch(r"-?\d+", cells[0]):
            raise PalliroValueError(f"line {n}: day must be a whole number, got {cells[0]!r}", field=field)

        def value(cell: str, what: str, line_no: int = n) -> float | None:
            if cell.lower() in ("", "-", "na", "n/a", "."):
                return None
            try:
                return parse_number(cell, field)
            except PalliroValueError:
                raise PalliroValueError(f"line {line_no}: {what} {cell!r} is not a number", field=field) from None

        omed = value(cells[2], "OMED")
        if omed is not None and omed > analgesics.MAX_PLAUSIBLE_OMED:
            raise PalliroValueError(f"line {n}: OMED {cells[2]} mg/day is above the "
                                    f"{analgesics.MAX_PLAUSIBLE_OMED:,.0f} taken as plausible", field=field)
        rows.append((int(cells[0]), value(cells[1], "worst pain"), omed))
    if not rows:
        raise PalliroValueError("the diary is empty", field=field)
    return rows


# ---------------------------------------------------------------------------- prognosis


@dataclass(frozen=True)
class InputSpec:
    """How to ask for one prognostic input: label, kind (choice, bool, int, number) and bounds."""

    label: str
    kind: str
    choices: tuple[tuple[str, str], ...] = ()
    low: float | None = None
    high: float | None = None
    help: str = ""


_YES_NO = (("yes", "Yes"), ("no", "No"))
PRIMARY_LABELS = (
    ("breast", "Breast"),
    ("prostate", "Prostate"),
    ("lung", "Lung"),
    ("myeloma_lymphoma", "Myeloma or lymphoma"),
    ("bladder", "Bladder"),
    ("other", "Other"),
)

INPUTS: Mapping[str, InputSpec] = {
    "primary": InputSpec("Primary tumour", "choice", PRIMARY_LABELS),
    "ecog": InputSpec("ECOG performance status", "int", low=0, high=4),
    "kps": InputSpec("Karnofsky performance status", "int", low=0, high=100, help="Multiples of 10."),
    "age": InputSpec("Age (years)", "number", low=0, high=120),
    "prior_chemo_courses": InputSpec("Prior palliative chemotherapy courses", "int", low=0, high=100),
    "hospitalised_3_months": InputSpec("Hospitalised within 3 months before RT", "bool"),
    "liver_metastases": InputSpec("Liver metastases", "bool"),
    "bone_only_metastases": InputSpec("Metastases in bone only", "bool"),
    "esas_fatigue": InputSpec("ESAS fatigue (0-10)", "int", low=0, high=10),
    "esas_appetite": InputSpec("ESAS appetite (0-10)", "int", low=0, high=10),
    "esas_dyspnoea": InputSpec("ESAS shortness of breath (0-10)", "int", low=0, high=10),
    "unfavourable_tumour": InputSpec(
        "Unfavourable tumour type", "bool", help="Which tumours count as unfavourable is not verified [U]."
    ),
    "hypercalcaemia": InputSpec("Hypercalcaemia", "bool", help="Cut-off not verified [U]; use your local one."),
    "visceral_metastases": InputSpec("Visceral metastases", "bool"),
    "previous_chemotherapy": InputSpec("Previous chemotherapy", "bool"),
    "multiple_bone_metastases": InputSpec("Multiple bone metastases", "bool"),
    "interval_months": InputSpec("Interval from tumour diagnosis to MSCC (months)", "number", low=0, high=600),
    "other_bone_metastases": InputSpec("Other bone metastases", "bool"),
    "ambulatory": InputSpec("Ambulatory before RT", "bool"),
    "motor_deficit_days": InputSpec("Days over which motor deficits developed", "number", low=0, high=3650),
    "low_haemoglobin": InputSpec("Low haemoglobin", "bool", help="Cut-off as defined locally [U]."),
    "opioid_use": InputSpec("Opioid use", "bool"),
    "steroid_use": InputSpec("Steroid use", "bool"),
    "progressive_disease_outside_rt": InputSpec("Progressive disease outside the RT volume", "bool"),
    "points": InputSpec("Score total (points)", "int", low=0, high=100),
    "chemo_rule": InputSpec(
        "Chemotherapy threshold [U]",
        "choice",
        (("gt2", "more than 2 courses (Table 2, default)"), ("ge2", "2 or more courses (abstract)")),
    ),
    "kps_rule": InputSpec(
        "KPS cut-off [U]", "choice", (("lt60", "KPS < 60 (2002 summary, default)"), ("le60", "KPS <= 60 (JCO 2008)"))
    ),
}

OPTION_DEFAULTS = {"chemo_rule": "gt2", "kps_rule": "lt60"}


@dataclass(frozen=True)
class Model:
    """A prognostic calculator offered on the web and the CLI."""

    key: str
    title: str
    function: Callable[..., prognosis.PrognosticResult]
    inputs: tuple[str, ...]
    options: tuple[str, ...]
    citation: str
    summary: str


_TITLES = {
    "teachh": ("TEACHH", "Survival for palliative RT candidates, groups A-C"),
    "teachh_partial": ("TEACHH partial score", "Weighted TEACHH points (no published groups)"),
    "chow_nrf3": ("Chow NRF3", "Number of risk factors, 3 variables (JCO 2008)"),
    "chow_sps3": ("Chow SPS3", "Survival prediction score, 3 variables"),
    "chow2002_nrf6": ("Chow 2002 (6 variables)", "Number of risk factors including ESAS items"),
    "mizumoto": ("Mizumoto", "Spinal metastases, groups A-C"),
    "rades_mscc": ("Rades MSCC survival score", "Metastatic spinal cord compression, 6-month survival"),
    "rades_bsc": ("Rades best-supportive-care score", "MSCC: death within 2 months"),
    "angelo2014_30day": ("Angelo 2014 30-day criteria", "RT in the last 30 days of life"),
}

MODELS: dict[str, Model] = {
    key: Model(key, _TITLES[key][0], spec.function, spec.inputs, spec.options, spec.citation, _TITLES[key][1])
    for key, spec in prognosis.MODELS.items()
}
MODELS["rades_ambulatory"] = Model(
    "rades_ambulatory",
    "Rades ambulatory status score",
    prognosis.rades_ambulatory_group,
    ("points",),
    (),
    prognosis.CIT_RADES_AMB,
    "Group for a total you computed (21-44 points)",
)
MODELS["rades_elderly"] = Model(
    "rades_elderly",
    "Rades elderly MSCC score",
    prognosis.rades_elderly_group,
    ("points",),
    (),
    prognosis.CIT_RADES_ELDERLY,
    "Group for a total you computed (25-57 points)",
)


def get_model(key: str) -> Model:
    try:
        return MODELS[key]
    except KeyError:
        raise PalliroValueError(f"unknown model {key!r}; choose one of {', '.join(MODELS)}", field="model") from None


def convert_input(name: str, text: object) -> object:
    """Text (or an already typed value) for prognostic input ``name`` -> the type the model expects."""
    spec = INPUTS[name]
    if spec.kind == "bool":
        if isinstance(text, bool):
            return text
        value = str(text).strip().lower()
        if value in ("yes", "y", "true", "1"):
            return True
        if value in ("no", "n", "false", "0"):
            return False
        raise PalliroValueError(f"answer yes or no, got {text!r}", field=name)
    if spec.kind == "choice":
        value = str(text).strip().lower()
        allowed = [c for c, _ in spec.choices]
        if value not in allowed:
            raise PalliroValueError(f"must be one of {', '.join(allowed)}; got {text!r}", field=name)
        return value
    number = parse_number(text, name)
    if spec.kind == "int":
        if number != int(number):
            raise PalliroValueError(f"must be a whole number, got {text!r}", field=name)
        number = int(number)
    if spec.low is not None and number < spec.low or spec.high is not None and number > spec.high:
        raise PalliroValueError(f"must be between {spec.low:g} and {spec.high:g}, got {text!r}", field=name)
    return number


def run_model(key: str, values: Mapping[str, object]) -> prognosis.PrognosticResult:
    """Convert and check every input of ``key``, list all missing ones at once, then run the model."""
    model = get_model(key)
    missing = [n for n in model.inputs if values.get(n) in (None, "")]
    if missing:
        raise PalliroValueError(f"{model.title} needs {', '.join(missing)}", field="inputs")
    args = {n: convert_input(n, values[n]) for n in model.inputs}
    options = {
        n: convert_input(n, values[n]) if values.get(n) not in (None, "") else OPTION_DEFAULTS[n]
        for n in model.options
    }
    return model.function(**args, **options)
