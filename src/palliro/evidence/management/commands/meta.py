"""``palliro meta FILE.csv --measure RR --method REML [--knha] [--level 95] [--plot forest.svg]``."""

import json
import math
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from palliro.evidence.analysis import analyse, summary, text_report
from palliro.evidence.tables import read_upload
from palliro.stats.errors import StatsInputError
from palliro.stats.meta import MEASURES, METHODS, StudyTableError, format_result_table
from palliro.stats.plots_meta import figure_to_bytes, forest_plot

PLOT_FORMATS = {".svg": "svg", ".png": "png"}


def read_source(path: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise CommandError(f"cannot read {path}: {exc.strerror or exc}", returncode=2) from exc


def row_error_message(exc: StudyTableError, path: str) -> str:
    lines = [f"{path}: {len(exc.errors)} problem(s), nothing analysed:"]
    lines += [f"  {e}" for e in exc.errors]
    return "\n".join(lines)


def plot_format(path: str | None) -> str | None:
    if path is None:
        return None
    fmt = PLOT_FORMATS.get(Path(path).suffix.lower())
    if fmt is None:
        raise CommandError(f"--plot must end in .svg or .png, not {path!r}", returncode=2)
    return fmt


def _jsonable(value):
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


class Command(BaseCommand):
    requires_system_checks: list = []  # a pure calculation: no database, no settings checks
    help = "Meta-analysis of a study table (CSV): prints the result table and writes the forest plot."

    def add_arguments(self, parser):
        parser.add_argument("file", help="CSV study table, one row per study (columns as in metafor)")
        parser.add_argument("--measure", required=True, choices=[m for m in MEASURES if m != "GEN"])
        parser.add_argument("--method", default="REML", choices=[*METHODS, "MH", "PETO"],
                            help="REML (default), DL, ML, PM, EB, HE, SJ, HS, FE/EE, MH or PETO")
        parser.add_argument("--knha", action="store_true", help="Knapp-Hartung adjustment (t tests and CIs)")
        parser.add_argument("--level", type=float, default=95.0, help="confidence level in percent (default 95)")
        parser.add_argument("--plot", metavar="forest.svg|png", help="write the forest plot to this file")
        parser.add_argument("--subgroup", metavar="COLUMN", help="column holding subgroups")
        parser.add_argument("--json", action="store_true", help="print the summary as JSON instead of text")

    def handle(self, *args, **opts):
        fmt = plot_format(opts["plot"])
        method, measure = opts["method"], opts["measure"]
        if method == "PETO" and measure != "OR":
            raise CommandError("--method PETO needs --measure OR", returncode=2)
        if method == "MH" and measure not in ("RR", "OR", "RD"):
            raise CommandError("--method MH needs --measure RR, OR or RD", returncode=2)
        if opts["knha"] and method in ("MH", "PETO"):
            raise CommandError("--knha applies to inverse-variance models only", returncode=2)
        if not 0 < opts["level"] < 100:
            raise CommandError("--level must be between 0 and 100 (e.g. 95)", returncode=2)
        data = read_source(opts["file"])
        try:
            table = read_upload(data, measure, subgroup_column=opts["subgroup"])
            result = analyse(table.studies, measure, method, knha=opts["knha"], level=opts["level"])
        except StudyTableError as exc:
            raise CommandError(row_error_message(exc, opts["file"]), returncode=2) from exc
        except StatsInputError as exc:
            raise CommandError(f"{opts['file']}: {exc}", returncode=2) from exc
        if opts["json"]:
            out = {k: _jsonable(v) for k, v in summary(result.result).items()}
            if result.subgroups is not None:
                sub = result.subgroups
                out["subgroups"] = {g: {k: _jsonable(v) for k, v in summary(r).items()}
                                    for g, r in zip(sub.groups, sub.results, strict=True)}
                out["subgroup_test"] = {"Q": sub.Q_between, "df": sub.df, "p": sub.p}
            out["notes"] = list(result.notes)
            self.stdout.write(json.dumps(out, indent=2))
        else:
            self.stdout.write(format_result_table(result.result, digits=2), ending="")
            extra = text_report(result)
            if extra:
                self.stdout.write("\n" + extra, ending="")
        if fmt is not None:
            try:
                Path(opts["plot"]).write_bytes(figure_to_bytes(forest_plot(result.result), fmt))
            except OSError as exc:
                raise CommandError(f"cannot write {opts['plot']}: {exc.strerror or exc}", returncode=2) from exc
            self.stderr.write(f"Forest plot written to {opts['plot']}")
