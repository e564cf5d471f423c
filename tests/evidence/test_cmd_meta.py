import json
import os
import subprocess
import sys

import pytest
from django.core.management import CommandError, call_command

from .conftest import DATA, MALFORMED_ROWS, MISSING_COLUMN

BCG = str(DATA / "dat_bcg.csv")


def run(*args):
    from io import StringIO

    out, err = StringIO(), StringIO()
    call_command("meta", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


class TestMetaCommand:
    def test_it_reproduces_metafor_reml_for_dat_bcg(self, tmp_path):
        plot = tmp_path / "forest.svg"
        out, err = run(BCG, "--measure", "RR", "--method", "REML", "--plot", str(plot))
        # metafor REML on dat.bcg: RR 0.49 [0.34; 0.70] PI [0.15; 1.55], tau² 0.3132, Q 152.23
        # (statistics.md §1.2, PR and RU).
        assert "Pooled estimate             0.49  [0.34; 0.70]" in out
        assert "Prediction interval               [0.15; 1.55]" in out
        assert "tau² = 0.3132; I² = 92.2%; Q = 152.23 (df = 12" in out
        assert b'id="pooled-diamond"' in plot.read_bytes() and "Forest plot written" in err

    def test_it_prints_json_with_knapp_hartung(self):
        out, _ = run(BCG, "--measure", "RR", "--method", "REML", "--knha", "--json")
        s = json.loads(out)
        # REML + knha: estimate -0.7145323, CI [-1.108444; -0.320621], t(12) (statistics.md §1.2, JASP).
        assert s["log_estimate"] == pytest.approx(-0.7145323, abs=5e-7)
        assert (s["log_ci_lb"], s["log_ci_ub"]) == pytest.approx((-1.108444, -0.320621), abs=5e-7)
        assert s["test"] == "t" and s["df"] == 12

    def test_it_reproduces_riley_2003_hazard_ratios_by_subgroup(self, tmp_path):
        plot = tmp_path / "riley.png"
        out, _ = run(str(DATA / "dat_riley2003.csv"), "--measure", "HR", "--method", "DL", "--subgroup", "outcome",
                     "--json", "--plot", str(plot))
        s = json.loads(out)
        # metadat dat.riley2003 docs, rma(yi, sei, subset = outcome == X, method = "DL") (statistics.md §1.6):
        # DFS k 42, tau² 0.4212, estimate 1.4843 [1.2288; 1.7398]; OS k 56, tau² 0.4223, 1.6356 [1.3967; 1.8745].
        dfs, os_ = s["subgroups"]["DFS"], s["subgroups"]["OS"]
        assert dfs["k"] == 42 and dfs["tau2"] == pytest.approx(0.4212, abs=5e-5)
        assert (dfs["log_estimate"], dfs["log_ci_lb"], dfs["log_ci_ub"]) == pytest.approx((1.4843, 1.2288, 1.7398),
                                                                                           abs=5e-5)
        assert dfs["I2"] == pytest.approx(65.98, abs=5e-3) and dfs["Q"] == pytest.approx(120.5237, abs=5e-5)
        assert os_["k"] == 56 and os_["tau2"] == pytest.approx(0.4223, abs=5e-5)
        assert (os_["log_estimate"], os_["log_ci_lb"], os_["log_ci_ub"]) == pytest.approx((1.6356, 1.3967, 1.8745),
                                                                                          abs=5e-5)
        # HR scale 4.41 [3.42; 5.70] and 5.13 [4.04; 6.52] (§1.6).
        assert (round(dfs["estimate"], 2), round(os_["estimate"], 2)) == (4.41, 5.13)
        assert plot.read_bytes()[:4] == b"\x89PNG"

    def test_it_lists_every_row_error(self, tmp_path):
        bad = tmp_path / "bad.csv"
        bad.write_bytes(MALFORMED_ROWS)
        with pytest.raises(CommandError) as exc:
            run(str(bad), "--measure", "RR")
        message = str(exc.value)
        assert exc.value.returncode == 2 and "3 problem(s)" in message
        assert "line 3, column 'ai': 'four' is not a number" in message
        assert "line 4, column 'ai'" in message and "line 5, column 'ai': more events than patients" in message

    def test_it_reports_a_missing_column(self, tmp_path):
        bad = tmp_path / "bad.csv"
        bad.write_bytes(MISSING_COLUMN)
        with pytest.raises(CommandError, match="missing column") as exc:
            run(str(bad), "--measure", "RR")
        assert exc.value.returncode == 2

    @pytest.mark.parametrize("args, message", [
        (["--plot", "forest.pdf"], "must end in .svg or .png"),
        (["--method", "PETO"], "needs --measure OR"),
        (["--level", "120"], "between 0 and 100"),
        (["--subgroup", "nope"], "subgroup column not found"),
    ])
    def test_it_refuses_bad_options(self, args, message):
        with pytest.raises(CommandError, match=message) as exc:
            run(BCG, "--measure", "RR", *args)
        assert exc.value.returncode == 2

    def test_it_reports_a_missing_file(self, tmp_path):
        with pytest.raises(CommandError, match="cannot read") as exc:
            run(str(tmp_path / "none.csv"), "--measure", "RR")
        assert exc.value.returncode == 2

    def test_the_palliro_command_exits_2_without_traceback(self, tmp_path):
        bad = tmp_path / "bad.csv"
        bad.write_bytes(MALFORMED_ROWS)
        env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
        env |= {"PALLIRO_MODE": "development", "PALLIRO_DATA_DIR": str(tmp_path)}
        proc = subprocess.run([sys.executable, "-m", "palliro", "meta", str(bad), "--measure", "RR"],
                              capture_output=True, text=True, env=env, timeout=120)
        assert proc.returncode == 2 and "Traceback" not in proc.stderr
        assert "line 5, column 'ai': more events than patients" in proc.stderr
        proc = subprocess.run([sys.executable, "-m", "palliro", "meta", str(bad), "--measure", "XX"],
                              capture_output=True, text=True, env=env, timeout=120)
        assert proc.returncode == 2 and "Traceback" not in proc.stderr
