"""``palliro cvi FILE.csv``: content validity (I-CVI, S-CVI/Ave, S-CVI/UA, modified kappa)."""

from __future__ import annotations

import sys

from palliro.calculators import output
from palliro.calculators.management.commands._base import CalculatorCommand, read_text_file
from palliro.core import cvi


class Command(CalculatorCommand):
    help = "Content validity index from an experts x items rating matrix (CSV; '-' reads standard input)."

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("file", help="CSV or text file of ratings 1-4, one row per expert")
        parser.add_argument("--rows-are", choices=("experts", "items"), default="experts",
                            help="what the rows are (default experts)")
        parser.add_argument("--icvi-rule", choices=("polit2007", "lynn1986"), default="polit2007",
                            help="I-CVI cut-off rule (default polit2007: 0.78)")

    def calculate(self, **o):
        text = sys.stdin.read() if o["file"] == "-" else read_text_file(o["file"], "file")
        matrix = cvi.parse_rating_matrix(text, rows_are=o["rows_are"])
        return output.cvi_output(cvi.content_validity(matrix, icvi_rule=o["icvi_rule"]))
