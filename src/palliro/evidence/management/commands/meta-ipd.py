"""``palliro meta-ipd FILE.csv [--two-stage] [--model cox|logistic]``: IPD meta-analysis."""

import importlib

from django.core.management.base import BaseCommand, CommandError

from palliro.evidence.ipd_upload import analyse_ipd, format_ipd, read_ipd
from palliro.stats.errors import StatsInputError
from palliro.stats.meta import METHODS, StudyTableError, format_result_table
from palliro.stats.plots_meta import figure_to_bytes, forest_plot

meta = importlib.import_module("palliro.evidence.management.commands.meta")


class Command(BaseCommand):
    requires_system_checks: list = []  # a pure calculation: no database, no settings checks
    help = "IPD meta-analysis (columns trial, arm, time, event): one-stage and, with --two-stage, two-stage."

    def add_arguments(self, parser):
        parser.add_argument("file", help="CSV with one row per patient")
        parser.add_argument("--model", default="cox", choices=["cox", "logistic"])
        parser.add_argument("--two-stage", action="store_true", help="also print the two-stage result table")
        parser.add_argument("--method", default="REML", choices=METHODS, help="pooling method of the two-stage model")
        parser.add_argument("--knha", action="store_true")
        parser.add_argument("--covariates", default="", help="comma-separated covariate columns")
        parser.add_argument("--plot", metavar="forest.svg|png", help="forest plot of the two-stage analysis")

    def handle(self, *args, **opts):
        fmt = meta.plot_format(opts["plot"])
        covariates = [c.strip() for c in opts["covariates"].split(",") if c.strip()]
        data = meta.read_source(opts["file"])
        try:
            frame = read_ipd(data, model=opts["model"], covariates=covariates)
            result = analyse_ipd(frame, model=opts["model"], covariates=covariates, method=opts["method"],
                                 knha=opts["knha"])
        except StudyTableError as exc:
            raise CommandError(meta.row_error_message(exc, opts["file"]), returncode=2) from exc
        except StatsInputError as exc:
            raise CommandError(f"{opts['file']}: {exc}", returncode=2) from exc
        self.stdout.write(format_ipd(result), ending="")
        if opts["two_stage"]:
            self.stdout.write("\nTwo-stage, per trial:\n" + format_result_table(result.two_stage.meta), ending="")
        if fmt is not None:
            try:
                with open(opts["plot"], "wb") as fh:
                    fh.write(figure_to_bytes(forest_plot(result.two_stage.meta), fmt))
            except OSError as exc:
                raise CommandError(f"cannot write {opts['plot']}: {exc.strerror or exc}", returncode=2) from exc
            self.stderr.write(f"Forest plot written to {opts['plot']}")
