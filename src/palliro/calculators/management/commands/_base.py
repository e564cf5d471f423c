"""Shared behaviour of the calculator commands: plain-text or JSON output, exit code 2 on bad input."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from palliro.calculators.output import CalcOutput, output_json, output_text
from palliro.core.errors import PalliroValueError


class CalculatorCommand(BaseCommand):
    # Pure calculations: no database, so no system checks and no migration warnings.
    requires_system_checks: list = []
    requires_migrations_checks = False

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="print the result as JSON")

    def calculate(self, **options) -> CalcOutput:  # pragma: no cover - abstract
        raise NotImplementedError

    def handle(self, *args, **options):
        try:
            out = self.calculate(**options)
        except PalliroValueError as error:
            raise CommandError(str(error), returncode=2) from None
        self.stdout.write(output_json(out) if options["json"] else output_text(out))


def read_text_file(path: str, field: str) -> str:
    file = Path(path)
    if not file.is_file():
        raise PalliroValueError(f"no such file: {path}", field=field)
    try:
        return file.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise PalliroValueError(f"{path} is not UTF-8 text", field=field) from None
    except OSError as error:
        raise PalliroValueError(f"cannot read {path}: {error.strerror}", field=field) from None
