import os
import subprocess
import sys
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from .conftest import IPD_MALFORMED, ipd_csv


def run(*args):
    out, err = StringIO(), StringIO()
    call_command("meta-ipd", *args, stdout=out, stderr=err)
    return out.getvalue()


class TestMetaIPDCommand:
    def test_it_prints_one_and_two_stage_results(self, tmp_path):
        path = tmp_path / "ipd.csv"
        path.write_bytes(ipd_csv())
        out = run(str(path), "--two-stage", "--plot", str(tmp_path / "f.svg"))
        assert "150 patients, 3 trials" in out and "One-stage (Cox stratified by trial)" in out
        assert "Two-stage, per trial" in out and "T3" in out
        assert (tmp_path / "f.svg").exists()

    def test_it_runs_the_logistic_model(self, tmp_path):
        path = tmp_path / "ipd.csv"
        path.write_bytes(ipd_csv())
        assert "logistic, trial as fixed effect" in run(str(path), "--model", "logistic")

    def test_it_lists_row_errors(self, tmp_path):
        path = tmp_path / "bad.csv"
        path.write_bytes(IPD_MALFORMED)
        with pytest.raises(CommandError) as exc:
            run(str(path))
        assert exc.value.returncode == 2
        assert "line 3, column 'arm'" in str(exc.value) and "line 5, column 'trial'" in str(exc.value)

    def test_it_exits_2_without_traceback(self, tmp_path):
        path = tmp_path / "bad.csv"
        path.write_bytes(IPD_MALFORMED)
        env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
        env |= {"PALLIRO_MODE": "development", "PALLIRO_DATA_DIR": str(tmp_path)}
        proc = subprocess.run([sys.executable, "-m", "palliro", "meta-ipd", str(path), "--two-stage"],
                              capture_output=True, text=True, env=env, timeout=120)
        assert proc.returncode == 2 and "Traceback" not in proc.stderr and "must be 0 or 1" in proc.stderr
