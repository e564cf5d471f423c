"""``palliro dose``: BED/EQD2 of regimens, a comparison table, EBRT + brachytherapy, or re-irradiation."""

from __future__ import annotations

from datetime import date

from palliro.calculators import output
from palliro.calculators.management.commands._base import CalculatorCommand
from palliro.core.dose import (
    Course,
    TimeCorrection,
    combine_ebrt_brachytherapy,
    compare_regimens,
    convert_isoeffective,
    cumulative_dose,
    dose_metrics,
    overall_time_days,
    parse_regimen,
)
from palliro.core.dose.reirradiation import GUIDANCE_OPTIONS, RECOVERY_OPTIONS
from palliro.core.errors import PalliroValueError

DEFAULT_ABS = (10.0, 3.0, 2.0)


def _date(text: str, field: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise PalliroValueError(f"{text!r} is not a date (YYYY-MM-DD)", field=field) from None


class Command(CalculatorCommand):
    help = (
        'BED/EQD2 by the LQ model. Examples: palliro dose "20 Gy/5" --ab 10 --ab 3; '
        'palliro dose --compare "8 Gy x 1" "20 Gy/5" "30 Gy/10"; '
        'palliro dose --reirradiation "30 Gy/10" "20 Gy/5" --interval-months 8 --ab 2'
    )

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("regimens", nargs="+", metavar="REGIMEN", help='e.g. "20 Gy/5", "8 Gy x 1"')
        mode = parser.add_mutually_exclusive_group()
        mode.add_argument("--compare", action="store_true", help="side-by-side table of several regimens")
        mode.add_argument("--reirradiation", action="store_true", help="cumulative dose of successive courses")
        mode.add_argument("--brachy", metavar="REGIMEN", help="add an HDR brachytherapy regimen (EQD2 sum)")
        mode.add_argument("--isoeffect", type=float, metavar="D", help="isoeffective total dose at D Gy/fraction")
        parser.add_argument("--ab", type=float, action="append", metavar="GY",
                            help="alpha/beta in Gy (repeatable; default 10, 3 and 2)")
        parser.add_argument("--eqdx", type=float, metavar="X", help="also show EQDX for X-Gy fractions")
        parser.add_argument("--tk", type=float, help="kick-off time Tk in days (time correction, [U])")
        parser.add_argument("--dprolif", type=float, help="Dprolif in Gy/day (time correction, [U])")
        parser.add_argument("--days", type=float, help="actual overall time T in days (last - first fraction)")
        parser.add_argument("--first", help="first fraction date YYYY-MM-DD (instead of --days)")
        parser.add_argument("--last", help="last fraction date YYYY-MM-DD")
        parser.add_argument("--interval-months", type=float, action="append", dest="intervals", metavar="M",
                            help="re-irradiation: months between consecutive courses (repeatable)")
        parser.add_argument("--recovery", choices=RECOVERY_OPTIONS, default="none",
                            help="re-irradiation recovery discount (default none)")
        parser.add_argument("--guidance", choices=GUIDANCE_OPTIONS,
                            help="re-irradiation spinal-cord guidance to check")
        parser.add_argument("--last-sbrt", action="store_true", help="re-irradiation: the last course is SBRT")

    def _one_ab(self, abs_: list[float] | None, what: str) -> float:
        if not abs_ or len(abs_) != 1:
            raise PalliroValueError(f"{what} needs exactly one --ab", field="ab")
        return abs_[0]

    def _parse(self, texts: list[str]):
        # The core's message already quotes the offending text.
        return [parse_regimen(text) for text in texts]

    def calculate(self, **o):
        regimens = self._parse(o["regimens"])
        timed = any(o[k] is not None for k in ("tk", "dprolif", "days", "first", "last"))
        if timed and (o["compare"] or o["reirradiation"] or o["brachy"] or o["isoeffect"] is not None):
            raise PalliroValueError("time correction applies to a single regimen only", field="tk")
        if o["reirradiation"]:
            courses = [Course(r, "sbrt" if o["last_sbrt"] and i == len(regimens) - 1 else "conventional")
                       for i, r in enumerate(regimens)]
            res = cumulative_dose(courses, self._one_ab(o["ab"], "--reirradiation"),
                                  intervals_months=o["intervals"], recovery=o["recovery"], guidance=o["guidance"])
            return output.reirradiation_output(res)
        if o["intervals"] or o["guidance"] or o["last_sbrt"] or o["recovery"] != "none":
            raise PalliroValueError("--interval-months, --recovery, --guidance and --last-sbrt need --reirradiation",
                                    field="reirradiation")
        abs_ = o["ab"] or list(DEFAULT_ABS)
        if o["compare"]:
            return output.comparison_output(compare_regimens(regimens, abs_))
        if len(regimens) != 1:
            raise PalliroValueError("give one regimen, or use --compare or --reirradiation", field="regimens")
        regimen = regimens[0]
        if o["brachy"]:
            brachy = self._parse([o["brachy"]])[0]
            res = combine_ebrt_brachytherapy(regimen, brachy, self._one_ab(o["ab"], "--brachy"))
            return output.brachy_output(res, regimen.label, brachy.label)
        if o["isoeffect"] is not None:
            res = convert_isoeffective(regimen, o["isoeffect"], self._one_ab(o["ab"], "--isoeffect"))
            return output.isoeffect_output(res)
        tc, t = None, o["days"]
        if timed:
            if o["tk"] is None or o["dprolif"] is None:
                raise PalliroValueError("time correction needs both --tk and --dprolif", field="tk")
            tc = TimeCorrection(o["tk"], o["dprolif"])
            if o["first"] or o["last"]:
                if t is not None or not (o["first"] and o["last"]):
                    raise PalliroValueError("give --days, or both --first and --last", field="days")
                t = overall_time_days(_date(o["first"], "first"), _date(o["last"], "last"))
        return output.dose_output([dose_metrics(regimen, ab, time_correction=tc, overall_time_days=t)
                                   for ab in abs_], o["eqdx"])
