import json
import os
import subprocess
import sys
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from palliro.instruments.models import Instrument, InstrumentKind


def site_wording(version="3.0-site-en", drop_item=None):
    """A site's own file for the QLQ-C30 structure: here with placeholder text, as a licensed file would bring."""
    resource = json.loads(json.dumps(Instrument.objects.get(code="eortc-qlq-c30").resource))
    resource["version"] = version
    for item in resource["item"]:
        item["text"] = f"Licensed wording of item {item['linkId']}"
    if drop_item:
        resource["item"] = [i for i in resource["item"] if i["linkId"] != drop_item]
    return resource


def write(tmp_path, data, name="q.json"):
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    return str(path)


@pytest.mark.django_db
class TestImportInstrument:
    def test_it_imports_a_licensed_wording_as_a_new_version(self, tmp_path):
        out = StringIO()
        call_command("import_instrument", write(tmp_path, site_wording()), scoring="eortc-qlq-c30", stdout=out)
        imported = Instrument.objects.get(code="eortc-qlq-c30", version="3.0-site-en")
        assert imported.kind == InstrumentKind.SITE and imported.patient_ready
        assert "Imported" in out.getvalue()

    def test_it_refuses_to_overwrite_a_shipped_version(self, tmp_path):
        with pytest.raises(CommandError) as error:
            call_command("import_instrument", write(tmp_path, site_wording(version="3.0")))
        assert error.value.returncode == 2 and "shipped with Palliro" in str(error.value)

    def test_it_lists_every_problem_of_an_invalid_questionnaire(self, tmp_path):
        resource = site_wording()
        resource["item"][0]["linkId"] = resource["item"][1]["linkId"]
        resource["item"][2]["answerOption"][0]["extension"] = []
        with pytest.raises(CommandError) as error:
            call_command("import_instrument", write(tmp_path, resource))
        message = str(error.value)
        assert "was not imported" in message and message.count("\n  - ") >= 2

    def test_it_refuses_a_file_missing_items_the_scoring_needs(self, tmp_path):
        with pytest.raises(CommandError) as error:
            call_command("import_instrument", write(tmp_path, site_wording(drop_item="29")), scoring="eortc-qlq-c30")
        assert "lacks items 29" in str(error.value)

    @pytest.mark.parametrize(
        "content, message",
        [("{not json", "not valid JSON"), (json.dumps({"resourceType": "Patient"}), "not a FHIR Questionnaire")],
    )
    def test_it_explains_files_that_are_not_questionnaires(self, tmp_path, content, message):
        with pytest.raises(CommandError) as error:
            call_command("import_instrument", write(tmp_path, content))
        assert message in str(error.value)

    def test_it_rejects_an_unknown_scoring_method(self, tmp_path):
        with pytest.raises(CommandError, match="unknown scoring method"):
            call_command("import_instrument", write(tmp_path, site_wording()), scoring="made-up")

    def test_it_rejects_a_missing_file(self):
        with pytest.raises(CommandError, match="no such file"):
            call_command("import_instrument", "/nonexistent/q.json")

    def test_the_command_line_exits_with_code_2_without_a_traceback(self, tmp_path):
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PALLIRO_", "DATABASE_URL"))}
        env.update(PALLIRO_MODE="development", PALLIRO_DATA_DIR=str(tmp_path))
        subprocess.run([sys.executable, "-m", "palliro", "migrate", "-v0"], env=env, check=True)
        result = subprocess.run([sys.executable, "-m", "palliro", "import_instrument", write(tmp_path, "{bad")],
                                env=env, capture_output=True, text=True)
        assert result.returncode == 2 and "not valid JSON" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.django_db
class TestExportInstrument:
    def test_it_prints_the_fhir_questionnaire(self):
        out = StringIO()
        call_command("export_instrument", "palliro-general", stdout=out)
        data = json.loads(out.getvalue())
        assert data["resourceType"] == "Questionnaire" and data["id"] == "palliro-general"

    def test_it_names_the_known_codes_for_an_unknown_one(self):
        with pytest.raises(CommandError) as error:
            call_command("export_instrument", "nope")
        assert error.value.returncode == 2 and "palliro-general" in str(error.value)
