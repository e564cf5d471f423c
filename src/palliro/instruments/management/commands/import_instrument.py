from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from palliro.instruments.importing import ImportProblem, import_questionnaire, read_json


class Command(BaseCommand):
    help = "Validate and import a FHIR R4 Questionnaire file (e.g. a licensed official wording)."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--languages", default="en", help="comma-separated languages the file carries fully")
        parser.add_argument("--scoring", default="", help="scoring method code, e.g. eortc-qlq-c30")
        parser.add_argument("--licence", default="", help="licence note shown to staff")
        parser.add_argument("--replace", action="store_true", help="replace an unanswered site instrument")

    def handle(self, *args, file, languages, scoring, licence, replace, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"{file}: no such file", returncode=2)
        try:
            resource = read_json(path.read_bytes())
            result = import_questionnaire(
                resource, languages=tuple(x.strip() for x in languages.split(",") if x.strip()),
                scorer_code=scoring, licence=licence, replace=replace,
            )
        except ImportProblem as error:
            lines = "\n".join(f"  - {problem}" for problem in error.problems)
            raise CommandError(f"{file} was not imported:\n{lines}", returncode=2) from None
        verb = "Imported" if result.created else "Replaced"
        self.stdout.write(self.style.SUCCESS(f"{verb} {result.instrument}"))
