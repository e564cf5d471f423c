"""``palliro dose``: plain text, JSON, exit code 2 on bad input (numbers from clinical.md §2.3-2.5)."""

import json
import os
import subprocess
import sys
from io import StringIO

import pytest
from django.core.management import CommandError, call_command


def run(*args):
    out = StringIO()
    call_command("dose", *args, stdout=out)
    return out.getvalue()


def test_one_regimen_default_alpha_betas():
    text = run("20 Gy/5")
    assert "BED10 = 28.00 Gy, EQD2(10) = 23.33 Gy" in text and "BED2 = 60.00 Gy" in text


def test_chosen_alpha_beta_and_time_correction():
    text = run("60 Gy/30", "--ab", "10", "--tk", "21", "--dprolif", "0.9", "--days", "39")
    assert "BED10 = 55.80 Gy, EQD2(10) = 46.50 Gy" in text and "repopulation" in text


def test_dates_give_the_overall_time():
    text = run("60 Gy/30", "--ab", "10", "--tk", "21", "--dprolif", "0.9", "--first", "2026-01-05",
               "--last", "2026-02-13")
    assert "55.80" in text


def test_compare_json():
    data = json.loads(run("--compare", "8 Gy x 1", "20 Gy/5", "30 Gy/10", "--json"))
    rows = data["tables"]["comparison"]
    assert rows[0]["BED2"] == pytest.approx(40.0) and rows[2]["EQD2(10)"] == pytest.approx(32.5)


def test_reirradiation_nieder_example():
    text = run("--reirradiation", "30 Gy/10", "20 Gy/5", "--interval-months", "8", "--ab", "2",
               "--guidance", "nieder2006_cord")
    assert "Cumulative BED2 = 135.00 Gy (EQD2 67.50 Gy)" in text and "nieder2006_cord: met" in text


def test_brachy_and_isoeffect():
    assert "Total EQD2(10) = 74.00 Gy" in run("45 Gy/25", "--brachy", "7 Gy x 3", "--ab", "10")
    assert "23.33 Gy in 2 Gy fractions" in run("20 Gy/5", "--isoeffect", "2", "--ab", "10")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["20/5"], "no dose unit"),
        (["20 Gy/5", "--ab", "-2"], "alpha_beta"),
        (["20 Gy/5", "--tk", "21"], "both --tk and --dprolif"),
        (["--reirradiation", "30 Gy/10", "20 Gy/5"], "exactly one --ab"),
        (["--reirradiation", "30 Gy/10", "20 Gy/5", "--ab", "2", "--interval-months", "8",
          "--interval-months", "9"], "need 1 interval"),
        (["20 Gy/5", "30 Gy/10"], "give one regimen"),
        (["20 Gy/5", "--interval-months", "8"], "need --reirradiation"),
        (["60 Gy/30", "--tk", "21", "--dprolif", "0.9", "--first", "2026-13-01", "--last", "2026-02-13"],
         "not a date"),
    ],
)
def test_bad_input_exits_2(args, message):
    with pytest.raises(CommandError) as info:
        run(*args)
    assert info.value.returncode == 2 and message in str(info.value)


def _cli(tmp_path, *args):
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env.update(PALLIRO_MODE="development", PALLIRO_DATA_DIR=str(tmp_path))
    return subprocess.run([sys.executable, "-m", "palliro", *args], capture_output=True, text=True, env=env,
                          timeout=60)


def test_command_line_exit_codes(tmp_path):
    ok = _cli(tmp_path, "dose", "20 Gy/5", "--ab", "10")
    assert ok.returncode == 0 and "BED10 = 28.00 Gy" in ok.stdout
    bad = _cli(tmp_path, "dose", "20 Gy/0")
    assert bad.returncode == 2 and "fractions must be >= 1" in bad.stderr
    assert "Traceback" not in bad.stderr + bad.stdout
    bad_type = _cli(tmp_path, "dose", "20 Gy/5", "--ab", "ten")
    assert bad_type.returncode == 2 and "Traceback" not in bad_type.stderr
