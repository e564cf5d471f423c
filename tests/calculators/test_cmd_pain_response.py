"""``palliro pain-response`` (ICE, clinical.md §1.2)."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command


def run(*args):
    out = StringIO()
    call_command("pain-response", *args, stdout=out)
    return out.getvalue()


def test_partial_response():
    assert "Response: PR" in run("--p0", "6", "--o0", "60", "--pt", "4", "--ot", "60")


def test_ice_option_and_json():
    args = ["--p0", "4", "--o0", "60", "--pt", "6", "--ot", "90"]
    assert "Response: IR" in run(*args)
    data = json.loads(run(*args, "--pain-and-omed-increase", "PP", "--json"))
    assert data["tables"]["pain_response"][0]["category"] == "PP"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--p0", "11", "--o0", "60", "--pt", "4", "--ot", "60"], "p0: must be between 0 and 10"),
        (["--p0", "6", "--o0", "-5", "--pt", "4", "--ot", "60"], "o0"),
        (["--p0", "6", "--o0", "60", "--pt", "4", "--ot", "60", "--omed-stable-tolerance", "0.5"],
         "omed_stable_tolerance"),
    ],
)
def test_bad_input_exits_2(args, message):
    with pytest.raises(CommandError) as info:
        run(*args)
    assert info.value.returncode == 2 and message in str(info.value)


def test_missing_argument_is_an_error():
    with pytest.raises(CommandError, match="--ot"):
        run("--p0", "6", "--o0", "60", "--pt", "4")
