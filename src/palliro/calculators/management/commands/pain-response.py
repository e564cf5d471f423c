"""``palliro pain-response``: International Consensus (ICE) pain response at one follow-up."""

from __future__ import annotations

from palliro.calculators import output
from palliro.calculators.management.commands._base import CalculatorCommand
from palliro.core import pain

_DEFAULT = pain.ICEParameters()


class Command(CalculatorCommand):
    help = "ICE pain response. Example: palliro pain-response --p0 6 --o0 60 --pt 4 --ot 60"

    def add_arguments(self, parser):
        super().add_arguments(parser)
        for name, what in (("p0", "baseline worst pain 0-10"), ("o0", "baseline OMED mg/day"),
                           ("pt", "follow-up worst pain 0-10"), ("ot", "follow-up OMED mg/day")):
            parser.add_argument(f"--{name}", type=float, required=True, help=what)
        parser.add_argument("--omed-stable-tolerance", type=float, default=_DEFAULT.omed_stable_tolerance,
                            help="(a) OMED stable within this fraction of baseline (default 0, literal) [U]")
        parser.add_argument("--analgesic-increase", choices=("any", "ge25pct"), default=_DEFAULT.analgesic_increase,
                            help="(b) increase that blocks CR/PR (default any, literal) [U]")
        parser.add_argument("--pain-and-omed-increase", choices=("IR", "PP"),
                            default=_DEFAULT.pain_and_omed_increase, help="(c) pain +2 with OMED +25%% (default IR)")
        parser.add_argument("--zero-baseline-omed", choices=("infinite", "not_evaluable"),
                            default=_DEFAULT.zero_baseline_omed, help="(d) baseline OMED 0 (default infinite)")
        parser.add_argument("--pain-decrease-with-omed-increase", choices=("IR", "PP"),
                            default=_DEFAULT.pain_decrease_with_omed_increase,
                            help="(e) pain down with OMED +25%% (default IR)")

    def calculate(self, **o):
        params = pain.ICEParameters(
            omed_stable_tolerance=o["omed_stable_tolerance"],
            analgesic_increase=o["analgesic_increase"],
            pain_and_omed_increase=o["pain_and_omed_increase"],
            zero_baseline_omed=o["zero_baseline_omed"],
            pain_decrease_with_omed_increase=o["pain_decrease_with_omed_increase"],
        )
        res = pain.classify_response(o["p0"], o["o0"], o["pt"], o["ot"], params)
        return output.pain_response_output(res, o["p0"], o["o0"], o["pt"], o["ot"])
