from django.core.management.base import BaseCommand, CommandError

from palliro.instruments.importing import export_questionnaire
from palliro.instruments.models import Instrument, latest_instrument


class Command(BaseCommand):
    help = "Print an instrument as FHIR R4 Questionnaire JSON."

    def add_arguments(self, parser):
        parser.add_argument("code")
        parser.add_argument("--instrument-version", dest="instrument_version", default=None)

    def handle(self, *args, code, instrument_version, **options):
        instrument = latest_instrument(code, instrument_version)
        if instrument is None:
            known = ", ".join(Instrument.objects.values_list("code", flat=True).distinct())
            raise CommandError(f"no instrument {code!r}{' version ' + instrument_version if instrument_version else ''}; known: {known}", returncode=2)
        self.stdout.write(export_questionnaire(instrument))
