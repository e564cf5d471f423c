"""GET forms of the calculator pages.  Each form validates its own fields, then ``result()`` runs the core
calculation and turns a :class:`PalliroValueError` into an error on the field it names."""

from __future__ import annotations

import re

from django import forms

from palliro.calculators import inputs, output
from palliro.calculators.output import CalcOutput
from palliro.core import analgesics, cvi, pain
from palliro.core.dose import (
    Course,
    Regimen,
    TimeCorrection,
    combine_ebrt_brachytherapy,
    compare_regimens,
    convert_isoeffective,
    cumulative_dose,
    dose_metrics,
    overall_time_days,
    parse_regimen,
)
from palliro.core.errors import PalliroValueError

REGIMEN_HELP = 'For example "20 Gy/5", "8 Gy x 1", "30 Gy in 10 fractions", "4 Gy x 5 weekly", "3.7 Gy bid x 4".'
AB_CHOICES = [
    ("10", "10 Gy (tumour, early-reacting tissue)"),
    ("3", "3 Gy (late-reacting tissue)"),
    ("2", "2 Gy (spinal cord, brain)"),
]
SCHEDULE_CHOICES = [("daily", "Daily"), ("weekly", "Weekly"), ("bid", "Twice daily")]


class CalculatorForm(forms.Form):
    """Base: ``calculate()`` builds the output; ``error_fields`` maps core field names to form fields."""

    error_fields: dict[str, str] = {}

    def calculate(self) -> CalcOutput:  # pragma: no cover - abstract
        raise NotImplementedError

    def field_for(self, core_field: str) -> str | None:
        base = re.split(r"[\[.]", core_field, maxsplit=1)[0]
        name = self.error_fields.get(core_field) or self.error_fields.get(base) or base
        return name if name in self.fields else None

    def result(self) -> CalcOutput | None:
        if not self.is_valid():
            return None
        try:
            return self.calculate()
        except PalliroValueError as error:
            field = self.field_for(error.field)
            # Beside a form field the core's own name for it ("records[0].dose: ...") only gets in the way.
            message = str(error).removeprefix(f"{error.field}: ") if field else str(error)
            self.add_error(field, message)
            return None


def _regimen(text: str, field: str) -> Regimen:
    try:
        return parse_regimen(text)
    except PalliroValueError as error:
        raise PalliroValueError(str(error).split(": ", 1)[-1], field=field) from None


def _lines_to_regimens(text: str, field: str) -> list[Regimen]:
    lines = inputs.split_lines(text)
    if not lines:
        raise PalliroValueError("give at least one regimen, one per line", field=field)
    out = []
    for n, line in enumerate(lines, start=1):
        try:
            out.append(parse_regimen(line))
        except PalliroValueError as error:
            raise PalliroValueError(f"line {n}: {str(error).split(': ', 1)[-1]}", field=field) from None
    return out


# ------------------------------------------------------------------------------------ BED


class BedForm(CalculatorForm):
    regimen = forms.CharField(label="Regimen", required=False, max_length=80, help_text=REGIMEN_HELP)
    total_dose = forms.FloatField(label="or total dose (Gy)", required=False, min_value=0.01)
    fractions = forms.IntegerField(label="and number of fractions", required=False, min_value=1, max_value=100)
    schedule = forms.ChoiceField(
        label="Schedule (with total dose and fractions)", choices=SCHEDULE_CHOICES, required=False, initial="daily"
    )
    alpha_betas = forms.MultipleChoiceField(
        label="α/β values", choices=AB_CHOICES, required=False, widget=forms.CheckboxSelectMultiple,
        initial=["10", "3", "2"],
    )
    custom_ab = forms.FloatField(label="Other α/β (Gy)", required=False, min_value=0.01, max_value=100)
    eqdx = forms.FloatField(
        label="X for EQDX (Gy per fraction)", required=False, min_value=0.01, max_value=50,
        help_text="Optional: also show the equivalent dose in X-Gy fractions (Bentzen 2012).",
    )
    tk_days = forms.FloatField(
        label="Tk, kick-off time (days)", required=False, min_value=0, max_value=365,
        help_text="Time correction is optional and unverified [U]: set Tk and Dprolif yourself "
        "(head & neck SCC: Tk 21-28 d, Dprolif 0.6-0.9 Gy/day).",
    )
    dprolif = forms.FloatField(label="Dprolif (Gy/day)", required=False, min_value=0, max_value=10)
    overall_days = forms.FloatField(
        label="Actual overall time T (days)", required=False, min_value=0, max_value=3650,
        help_text="T = last fraction date − first fraction date. Leave empty to use the nominal time.",
    )
    first_fraction = forms.DateField(label="or first fraction date", required=False,
                                     widget=forms.DateInput(attrs={"type": "date"}))
    last_fraction = forms.DateField(label="and last fraction date", required=False,
                                    widget=forms.DateInput(attrs={"type": "date"}))

    error_fields = {"alpha_beta": "custom_ab", "dose_per_fraction": "regimen", "x": "eqdx",
                    "dprolif_gy_per_day": "dprolif", "overall_time_days": "overall_days"}

    def clean(self):
        data = super().clean()
        text = (data.get("regimen") or "").strip()
        total, n = data.get("total_dose"), data.get("fractions")
        if text and (total is not None or n is not None):
            self.add_error("regimen", "Give either the regimen text or the total dose and fractions, not both.")
        elif not text and (total is None or n is None) and "total_dose" not in self.errors:
            self.add_error("regimen", "Give a regimen, or the total dose and the number of fractions.")
        if not data.get("alpha_betas") and data.get("custom_ab") is None and "custom_ab" not in self.errors:
            self.add_error("custom_ab", "Choose at least one α/β value above, or give one here.")
        tk, dp = data.get("tk_days"), data.get("dprolif")
        if (tk is None) != (dp is None):
            self.add_error("tk_days" if tk is None else "dprolif", "Time correction needs both Tk and Dprolif.")
        first, last = data.get("first_fraction"), data.get("last_fraction")
        if (first is None) != (last is None):
            self.add_error("last_fraction" if last is None else "first_fraction", "Give both fraction dates.")
        if data.get("overall_days") is not None and first is not None:
            self.add_error("overall_days", "Give the overall time or the dates, not both.")
        if (data.get("overall_days") is not None or first is not None) and tk is None and dp is None:
            self.add_error("tk_days", "An overall time is only used with a time correction: give Tk and Dprolif.")
        return data

    def calculate(self) -> CalcOutput:
        d = self.cleaned_data
        if d["regimen"]:
            reg = _regimen(d["regimen"], "regimen")
        else:
            reg = Regimen.from_total(d["total_dose"], d["fractions"], d["schedule"] or "daily")
        abs_ = [float(v) for v in d["alpha_betas"]]
        if d["custom_ab"] is not None:
            abs_.append(d["custom_ab"])
        tc = None
        t = d["overall_days"]
        if d["tk_days"] is not None:
            tc = TimeCorrection(d["tk_days"], d["dprolif"])
            if d["first_fraction"] is not None:
                t = overall_time_days(d["first_fraction"], d["last_fraction"])
        results = [dose_metrics(reg, ab, time_correction=tc, overall_time_days=t) for ab in abs_]
        return output.dose_output(results, d["eqdx"])


class CompareForm(CalculatorForm):
    regimens = forms.CharField(
        label="Regimens, one per line", widget=forms.Textarea(attrs={"rows": 6}), max_length=4000,
        help_text=REGIMEN_HELP,
    )
    custom_ab = forms.FloatField(label="Extra α/β (Gy)", required=False, min_value=0.01, max_value=100,
                                 help_text="Optional; the table always shows α/β 10, 3 and 2.")
    error_fields = {"alpha_beta": "custom_ab", "alpha_betas": "custom_ab"}

    def calculate(self) -> CalcOutput:
        regimens = _lines_to_regimens(self.cleaned_data["regimens"], "regimens")
        abs_ = [10.0, 3.0, 2.0]
        if self.cleaned_data["custom_ab"] is not None:
            abs_.append(self.cleaned_data["custom_ab"])
        return output.comparison_output(compare_regimens(regimens, abs_))


class IsoeffectForm(CalculatorForm):
    regimen = forms.CharField(label="Regimen", max_length=80, help_text=REGIMEN_HELP)
    new_dose_per_fraction = forms.FloatField(label="New dose per fraction (Gy)", min_value=0.01, max_value=50)
    alpha_beta = forms.FloatField(label="α/β (Gy)", min_value=0.01, max_value=100, initial=10)

    def calculate(self) -> CalcOutput:
        d = self.cleaned_data
        reg = _regimen(d["regimen"], "regimen")
        return output.isoeffect_output(convert_isoeffective(reg, d["new_dose_per_fraction"], d["alpha_beta"]))


class BrachyForm(CalculatorForm):
    ebrt = forms.CharField(label="EBRT regimen", max_length=80, help_text=REGIMEN_HELP)
    brachy_regimen = forms.CharField(label="Brachytherapy regimen", required=False, max_length=80,
                                     help_text='For example "7 Gy x 3".')
    brachy_doses = forms.CharField(
        label="or dose per HDR fraction (Gy), comma-separated", required=False, max_length=400,
        help_text="For organs at risk: D2cc of each fraction, e.g. 4.1, 3.8, 4.4.",
    )
    alpha_beta = forms.FloatField(label="α/β (Gy)", min_value=0.01, max_value=100, initial=10,
                                  help_text="10 for tumour/CTV, 3 for organs at risk (convention [U]).")
    error_fields = {"doses_per_fraction": "brachy_doses", "brachy": "brachy_regimen"}

    def clean(self):
        data = super().clean()
        if bool(data.get("brachy_regimen")) == bool(data.get("brachy_doses")):
            self.add_error("brachy_regimen", "Give either the brachytherapy regimen or the doses per fraction.")
        return data

    def calculate(self) -> CalcOutput:
        d = self.cleaned_data
        ebrt = _regimen(d["ebrt"], "ebrt")
        if d["brachy_regimen"]:
            brachy: Regimen | list[float] = _regimen(d["brachy_regimen"], "brachy_regimen")
            label = brachy.label
        else:
            brachy = inputs.parse_number_list(d["brachy_doses"], "brachy_doses")
            label = " + ".join(f"{x:g}" for x in brachy) + " Gy"
        return output.brachy_output(combine_ebrt_brachytherapy(ebrt, brachy, d["alpha_beta"]), ebrt.label, label)


class ReirradiationForm(CalculatorForm):
    courses = forms.CharField(
        label="Courses to the organ, in time order, one per line", widget=forms.Textarea(attrs={"rows": 4}),
        max_length=2000, help_text='The organ\'s dose, e.g. cord Dmax "30 Gy/10" then "20 Gy/5".',
    )
    last_is_sbrt = forms.BooleanField(label="The last course is SBRT", required=False)
    intervals = forms.CharField(
        label="Interval(s) between courses (months)", required=False, max_length=200,
        help_text="One number per gap, end of one course to start of the next, e.g. 8.",
    )
    alpha_beta = forms.FloatField(label="α/β (Gy)", min_value=0.01, max_value=100, initial=2,
                                  help_text="Spinal cord: 2 Gy for cervical/thoracic cord (Nieder 2006).")
    recovery = forms.ChoiceField(
        label="Recovery discount", initial="none",
        choices=[("none", "None (plain sum)"),
                 ("simple_25pct_6m_50pct_12m", "25 % after 6 months, 50 % after 12 months (simple method)")],
    )
    guidance = forms.ChoiceField(
        label="Spinal-cord guidance", required=False, initial="nieder2006_cord",
        choices=[("", "None"), ("nieder2006_cord", "Nieder 2006: conventional re-irradiation"),
                 ("sahgal2012_cord_sbrt", "Sahgal 2012: SBRT after conventional RT")],
    )
    error_fields = {"intervals_months": "intervals", "courses": "courses", "regimen": "courses"}

    def calculate(self) -> CalcOutput:
        d = self.cleaned_data
        regs = _lines_to_regimens(d["courses"], "courses")
        courses = [Course(r, "sbrt" if d["last_is_sbrt"] and i == len(regs) - 1 else "conventional")
                   for i, r in enumerate(regs)]
        gaps = inputs.parse_number_list(d["intervals"], "intervals") if d["intervals"].strip() else None
        res = cumulative_dose(courses, d["alpha_beta"], intervals_months=gaps, recovery=d["recovery"],
                              guidance=d["guidance"] or None)
        return output.reirradiation_output(res)


# ------------------------------------------------------------------------------------ OMED

OMED_ROWS = 6
DRUGS = sorted({drug for table in analgesics.TABLES.values() for drug, _ in table.factors})


class OmedForm(CalculatorForm):
    table = forms.ChoiceField(label="Conversion table", choices=[(t, t) for t in analgesics.TABLES],
                              initial="CDC2022")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for i in range(1, OMED_ROWS + 1):
            self.fields[f"drug_{i}"] = forms.ChoiceField(
                label=f"Drug {i}", required=False, choices=[("", "—")] + [(d, d.capitalize()) for d in DRUGS])
            self.fields[f"dose_{i}"] = forms.FloatField(label=f"Dose {i}", required=False, min_value=0)
            self.fields[f"unit_{i}"] = forms.ChoiceField(
                label=f"Unit {i}", required=False, choices=[(u, u) for u in analgesics.UNITS])
            self.fields[f"route_{i}"] = forms.ChoiceField(
                label=f"Route {i}", required=False, choices=[(r, r) for r in analgesics.ROUTES])
            self.fields[f"frequency_{i}"] = forms.CharField(
                label=f"Frequency {i}", required=False, max_length=30,
                help_text="bid, tid, q4h, a number per day; empty for a patch in mcg/h.")
        self.rows_used: list[int] = []

    def row_fields(self):
        for i in range(1, OMED_ROWS + 1):
            yield i, [self[f"{name}_{i}"] for name in ("drug", "dose", "unit", "route", "frequency")]

    def clean(self):
        data = super().clean()
        self.rows_used = [i for i in range(1, OMED_ROWS + 1) if data.get(f"drug_{i}")]
        for i in range(1, OMED_ROWS + 1):
            if not data.get(f"drug_{i}") and data.get(f"dose_{i}") is not None:
                self.add_error(f"drug_{i}", "Choose the drug for this dose.")
        for i in self.rows_used:
            if data.get(f"dose_{i}") is None and f"dose_{i}" not in self.errors:
                self.add_error(f"dose_{i}", "Give the dose.")
        if not self.rows_used and not self.errors:
            self.add_error("drug_1", "Give at least one analgesic.")
        return data

    def field_for(self, core_field: str) -> str | None:
        match = re.match(r"records\[(\d+)\]\.(\w+)", core_field)
        if match and int(match[1]) < len(self.rows_used):
            return f"{match[2]}_{self.rows_used[int(match[1])]}"
        return super().field_for(core_field)

    def calculate(self) -> CalcOutput:
        d = self.cleaned_data
        records = []
        for i in self.rows_used:
            freq_text = d[f"frequency_{i}"].strip()
            freq: float | str | None = None
            if freq_text:
                try:
                    freq = float(freq_text.replace(",", "."))
                except ValueError:
                    freq = freq_text
            records.append(analgesics.AnalgesicRecord(d[f"drug_{i}"], d[f"dose_{i}"], d[f"unit_{i}"],
                                                      d[f"route_{i}"], freq))
        return output.omed_output(analgesics.daily_omed(records, d["table"]))


# ------------------------------------------------------------------------------------ pain

_ICE = pain.ICEParameters()


class PainResponseForm(CalculatorForm):
    p0 = forms.FloatField(label="Baseline worst pain (0-10)", min_value=0, max_value=10)
    o0 = forms.FloatField(label="Baseline OMED (mg/day)", min_value=0, max_value=analgesics.MAX_PLAUSIBLE_OMED)
    pt = forms.FloatField(label="Follow-up worst pain (0-10)", min_value=0, max_value=10)
    ot = forms.FloatField(label="Follow-up OMED (mg/day)", min_value=0, max_value=analgesics.MAX_PLAUSIBLE_OMED)
    omed_stable_tolerance = forms.FloatField(
        label="(a) OMED counts as stable within this fraction of baseline", required=False, min_value=0,
        max_value=0.2499, initial=_ICE.omed_stable_tolerance,
        help_text="Default 0 (literal reading: unchanged). [U]")
    analgesic_increase = forms.ChoiceField(
        label="(b) Analgesic increase that blocks CR/PR", required=False, initial=_ICE.analgesic_increase,
        choices=[("any", "any increase (literal, default)"), ("ge25pct", "an increase of 25 % or more")])
    pain_and_omed_increase = forms.ChoiceField(
        label="(c) Pain +2 together with OMED +25 %", required=False, initial=_ICE.pain_and_omed_increase,
        choices=[("IR", "indeterminate (literal, default)"), ("PP", "pain progression")])
    zero_baseline_omed = forms.ChoiceField(
        label="(d) Baseline OMED 0, follow-up OMED above 0", required=False, initial=_ICE.zero_baseline_omed,
        choices=[("infinite", "infinite increase (default)"), ("not_evaluable", "not evaluable")])
    pain_decrease_with_omed_increase = forms.ChoiceField(
        label="(e) Pain decreased with OMED +25 %", required=False,
        initial=_ICE.pain_decrease_with_omed_increase,
        choices=[("IR", "indeterminate (literal, default)"), ("PP", "pain progression")])

    def calculate(self) -> CalcOutput:
        d = self.cleaned_data
        params = pain.ICEParameters(
            omed_stable_tolerance=d["omed_stable_tolerance"] if d["omed_stable_tolerance"] is not None
            else _ICE.omed_stable_tolerance,
            analgesic_increase=d["analgesic_increase"] or _ICE.analgesic_increase,
            pain_and_omed_increase=d["pain_and_omed_increase"] or _ICE.pain_and_omed_increase,
            zero_baseline_omed=d["zero_baseline_omed"] or _ICE.zero_baseline_omed,
            pain_decrease_with_omed_increase=d["pain_decrease_with_omed_increase"]
            or _ICE.pain_decrease_with_omed_increase,
        )
        res = pain.classify_response(d["p0"], d["o0"], d["pt"], d["ot"], params)
        return output.pain_response_output(res, d["p0"], d["o0"], d["pt"], d["ot"])


_FLARE = pain.FlareParameters()


class FlareForm(CalculatorForm):
    baseline_pain = forms.FloatField(label="Baseline worst pain (0-10)", min_value=0, max_value=10)
    baseline_omed = forms.FloatField(label="Baseline OMED (mg/day)", min_value=0,
                                     max_value=analgesics.MAX_PLAUSIBLE_OMED)
    first_rt_day = forms.IntegerField(label="First RT day (diary day number)", initial=1)
    last_rt_day = forms.IntegerField(label="Last RT day (diary day number)")
    diary = forms.CharField(
        label="Daily diary: day, worst pain, OMED (one line per day)", widget=forms.Textarea(attrs={"rows": 10}),
        max_length=10000, help_text='E.g. "3, 7, 60". Leave a value empty or write "-" if not recorded.')
    pain_increase = forms.FloatField(label="Pain increase (points)", required=False, min_value=0.5,
                                     max_value=10, initial=_FLARE.pain_increase)
    omed_increase_fraction = forms.FloatField(label="OMED increase (fraction)", required=False, min_value=0.01,
                                              max_value=10, initial=_FLARE.omed_increase_fraction,
                                              help_text="0.25 (Chow 2005, Hird 2009); 0.50 in Loblaw 2007.")
    consecutive_days = forms.IntegerField(label="Consecutive days required", required=False, min_value=1,
                                          max_value=30, initial=_FLARE.consecutive_days,
                                          help_text="1 (Chow/Hird); 2 in Loblaw 2007 and Tanaka 2016.")
    follow_up_days = forms.IntegerField(label="Days after the last RT day", required=False, min_value=0,
                                        max_value=365, initial=_FLARE.follow_up_days)
    require_return = forms.ChoiceField(
        label="A flare must return to baseline", required=False, initial="yes",
        choices=[("yes", "Yes (default)"), ("no", "No")])
    error_fields = {"params": "pain_increase"}

    def calculate(self) -> CalcOutput:
        d = self.cleaned_data

        def pick(name, default):
            return default if d[name] in (None, "") else d[name]

        params = pain.FlareParameters(
            pain_increase=pick("pain_increase", _FLARE.pain_increase),
            omed_increase_fraction=pick("omed_increase_fraction", _FLARE.omed_increase_fraction),
            consecutive_days=pick("consecutive_days", _FLARE.consecutive_days),
            follow_up_days=pick("follow_up_days", _FLARE.follow_up_days),
            require_return_to_baseline=pick("require_return", "yes") == "yes",
        )
        diary = inputs.parse_diary(d["diary"], "diary")
        res = pain.detect_flare(d["baseline_pain"], d["baseline_omed"], diary, first_rt_day=d["first_rt_day"],
                                last_rt_day=d["last_rt_day"], params=params)
        return output.flare_output(res)


# ------------------------------------------------------------------------------ prognosis


def prognosis_form_class(model: inputs.Model) -> type[CalculatorForm]:
    """A form with one field per model input (yes/no selects for booleans: no silent 'no')."""
    fields: dict[str, forms.Field] = {}
    for name in model.inputs + model.options:
        spec = inputs.INPUTS[name]
        required = name not in model.options
        if spec.kind == "bool":
            field: forms.Field = forms.ChoiceField(choices=[("", "—"), *inputs._YES_NO])
        elif spec.kind == "choice":
            blank = [("", "—")] if required else []
            field = forms.ChoiceField(choices=blank + list(spec.choices),
                                      initial=inputs.OPTION_DEFAULTS.get(name))
        elif spec.kind == "int":
            field = forms.IntegerField(min_value=spec.low, max_value=spec.high)
        else:
            field = forms.FloatField(min_value=spec.low, max_value=spec.high)
        field.label, field.required, field.help_text = spec.label, required, spec.help
        fields[name] = field

    def calculate(self) -> CalcOutput:
        res = inputs.run_model(model.key, self.cleaned_data)
        return output.prognosis_output(res, model.title)

    return type(f"{model.key}Form", (CalculatorForm,), {**fields, "calculate": calculate})


# ------------------------------------------------------------------------------------ CVI

MAX_UPLOAD_BYTES = 1_000_000


class CviForm(CalculatorForm):
    ratings = forms.CharField(
        label="Ratings (paste)", required=False, widget=forms.Textarea(attrs={"rows": 8}), max_length=200_000,
        help_text="One row per expert, one column per item, ratings 1-4; comma, semicolon, tab or spaces. "
        "An optional header row holds item names and an optional first column expert names.")
    upload = forms.FileField(label="or upload a CSV file", required=False)
    rows_are = forms.ChoiceField(label="Rows are", initial="experts",
                                 choices=[("experts", "experts (columns are items)"),
                                          ("items", "items (columns are experts)")])
    icvi_rule = forms.ChoiceField(label="I-CVI cut-off", initial="polit2007",
                                  choices=[("polit2007", "0.78 (Polit 2007, default)"),
                                           ("lynn1986", "1.00 with 5 or fewer experts (Lynn 1986)")])
    error_fields = {"text": "ratings", "ratings": "ratings", "item_names": "ratings", "expert_names": "ratings"}

    def clean(self):
        data = super().clean()
        upload = data.get("upload")
        text = data.get("ratings") or ""
        if upload is not None and text.strip():
            self.add_error("ratings", "Paste the ratings or upload a file, not both.")
        elif upload is not None:
            if upload.size > MAX_UPLOAD_BYTES:
                self.add_error("upload", "The file is larger than 1 MB.")
            else:
                try:
                    data["ratings"] = upload.read().decode("utf-8-sig")
                except UnicodeDecodeError:
                    self.add_error("upload", "The file is not UTF-8 text (save it as CSV UTF-8).")
        elif not text.strip() and "ratings" not in self.errors:
            self.add_error("ratings", "Paste the ratings or upload a CSV file.")
        return data

    def calculate(self) -> CalcOutput:
        d = self.cleaned_data
        matrix = cvi.parse_rating_matrix(d["ratings"], rows_are=d["rows_are"])
        return output.cvi_output(cvi.content_validity(matrix, icvi_rule=d["icvi_rule"]))
