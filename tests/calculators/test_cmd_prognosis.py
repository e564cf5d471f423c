"""``palliro prognosis`` (clinical.md §4)."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command


def run(*args):
    out = StringIO()
    call_command("prognosis", *args, stdout=out)
    return out.getvalue()


def test_list():
    text = run("--list")
    assert "teachh" in text and "--prior-chemo-courses" in text and "rades_elderly" in text


def test_chow_nrf3():
    text = run("chow_nrf3", "--primary", "lung", "--bone-only-metastases", "no", "--kps", "50")
    assert "3 points, group III" in text and "J Clin Oncol 2008" in text and "Unverified" in text


def test_teachh_json():
    # Krishnan 2014: group A, median 19.9 months.
    data = json.loads(run("teachh", "--primary", "breast", "--ecog", "1", "--age", "55", "--prior-chemo-courses",
                          "0", "--hospitalised-3-months", "no", "--liver-metastases", "no", "--json"))
    assert data["headline"] == ["TEACHH: 0 points, group A"]
    assert data["tables"]["outcomes"][0]["value"] == 19.9


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nope"], "unknown model"),
        ([], "give a model"),
        (["chow_nrf3", "--primary", "lung", "--kps", "50"], "needs bone_only_metastases"),
        (["chow_nrf3", "--primary", "lung", "--bone-only-metastases", "maybe", "--kps", "50"], "yes or no"),
        (["chow_nrf3", "--primary", "lung", "--bone-only-metastases", "no", "--kps", "55"], "steps of 10"),
        (["chow_nrf3", "--primary", "lung", "--bone-only-metastases", "no", "--kps", "50", "--age", "60"],
         "--age not used by chow_nrf3"),
    ],
)
def test_bad_input_exits_2(args, message):
    with pytest.raises(CommandError) as info:
        run(*args)
    assert info.value.returncode == 2 and message in str(info.value)
