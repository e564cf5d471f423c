"""``palliro omed`` (clinical.md §1.5 worked examples, CDC 2022 factors)."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command


def run(*args):
    out = StringIO()
    call_command("omed", *args, stdout=out)
    return out.getvalue()


def test_worked_examples():
    text = run("oxycodone 20 mg oral bid", "fentanyl 25 mcg/h transdermal", "hydromorphone 4 mg oral q4h")
    assert "240.0 mg/day (CDC2022 table)" in text and "CDCMMEClinicalConversionFactors" in text


def test_bnf_table_json():
    data = json.loads(run("morphine 5 mg sc q4h", "--table", "BNF", "--json"))
    assert data["tables"]["omed"][-1]["OMED (mg/day)"] == pytest.approx(60.0) and data["unverified"]


def test_csv_file(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text("drug,dose,unit,route,frequency\noxycodone,20,mg,oral,bid\nfentanyl,25,mcg/h,transdermal,\n")
    assert "120.0 mg/day" in run("--file", str(path))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["oxycodone 20 oral bid"], "cannot read"),
        (["oxycodone 20 mg oral sometimes"], "cannot read frequency"),
        (["heroin 20 mg oral bid"], "no CDC2022 conversion factor for heroin"),
        (["fentanyl 25 mcg/h transdermal bid"], "leave frequency empty"),
        ([], "give analgesic lines or --file"),
        (["--file", "/nonexistent/a.csv"], "no such file"),
    ],
)
def test_bad_input_exits_2(args, message):
    with pytest.raises(CommandError) as info:
        run(*args)
    assert info.value.returncode == 2 and message in str(info.value)


def test_bad_csv_names_the_line(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text("drug,dose,unit,route\noxycodone,twenty,mg,oral\n")
    with pytest.raises(CommandError) as info:
        run("--file", str(path))
    assert info.value.returncode == 2 and "line 2" in str(info.value)
