import pytest

from palliro.core.scoring import SCORERS
from palliro.instruments.models import Instrument, InstrumentKind
from palliro.instruments.sync import sync_shipped_instruments


@pytest.mark.django_db
class TestShippedInstruments:
    def test_migrate_loads_the_item_bank_and_standard_structures(self):
        codes = set(Instrument.objects.values_list("code", flat=True))
        assert {"palliro-general", "palliro-general-proxy", "palliro-pain-diary", "palliro-death-rattle"} <= codes
        assert {"eortc-qlq-c30", "eortc-qlq-bm22", "eortc-qlq-c15-pal", "bpi-sf", "esas-r", "cbi"} <= codes

    def test_every_stored_instrument_validates(self):
        for instrument in Instrument.objects.all():
            assert instrument.questionnaire().code == instrument.code

    def test_standard_instruments_carry_no_patient_wording(self):
        for instrument in Instrument.objects.filter(kind=InstrumentKind.STANDARD):
            assert not instrument.patient_ready
            definition = SCORERS[instrument.scorer_code].definition
            labels = {item.label for item in definition.items}
            assert {item["text"] for item in instrument.resource["item"]} == labels

    def test_sync_is_idempotent(self):
        before = Instrument.objects.count()
        sync_shipped_instruments()
        assert Instrument.objects.count() == before

    def test_the_bank_is_available_in_four_languages(self):
        general = Instrument.objects.get(code="palliro-general")
        assert general.languages == ["en", "nl", "fr", "es"]
        q = general.questionnaire()
        assert q.item("pain-worst").text("nl") != q.item("pain-worst").text("en")
