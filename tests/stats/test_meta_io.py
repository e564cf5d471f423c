"""CSV study tables and the plain-text result table."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from palliro.stats.errors import StatsInputError
from palliro.stats.meta import (
    StudyTableError,
    escalc,
    format_result_table,
    read_study_table,
    rma,
    rma_mh,
    rma_peto,
)

DATA = Path(__file__).resolve().parents[1] / "data"


def _bcg_csv(tmp_path: Path) -> Path:
    d = pd.read_csv(DATA / "dat_bcg.csv")
    out = d.rename(columns={"author": "study", "tpos": "ai", "tneg": "bi", "cpos": "ci", "cneg": "di",
                            "alloc": "group"})
    path = tmp_path / "bcg.csv"
    out.to_csv(path, index=False)
    return path


def test_read_2x2_table_from_path(tmp_path):
    t = read_study_table(_bcg_csv(tmp_path), "RR")
    d = pd.read_csv(DATA / "dat_bcg.csv")
    ref = escalc("RR", ai=d.tpos, bi=d.tneg, ci=d.cpos, di=d.cneg)
    np.testing.assert_allclose(t.effects.yi, ref.yi)
    assert t.effects.labels[0] == "Aronson"
    assert t.groups is not None and t.groups[0] == "random"
    assert t.columns == ("ai", "bi", "ci", "di")


def test_read_events_totals_from_file_object_and_bytes():
    text = "study,ai,n1i,ci,n2i\nA,4,123,11,139\nB,6,306,29,303\n"
    t1 = read_study_table(io.StringIO(text), "OR")
    t2 = read_study_table(text.encode("utf-8-sig"), "OR")
    np.testing.assert_allclose(t1.effects.yi, t2.effects.yi)
    assert t1.groups is None and t1.effects.k == 2


def test_read_riley_hazard_ratios():
    d = pd.read_csv(DATA / "dat_riley2003.csv")
    dfs = d[d.outcome == "DFS"]
    t = read_study_table(io.StringIO(dfs.to_csv(index=False)), "HR")
    # metadat dat.riley2003.html, DL: estimate 1.4843 [PUB].
    assert rma(t.effects, "DL").estimate == pytest.approx(1.4843, abs=5e-5)


def test_all_row_errors_are_reported_with_line_and_column():
    text = (
        "study,ai,bi,ci,di\n"
        "A,4,119,11,128\n"
        "B,x,300,29,\n"  # line 3: two problems
        "C,-1,228,11,209.5\n"  # line 4: two problems
    )
    with pytest.raises(StudyTableError) as err:
        read_study_table(io.StringIO(text), "RR")
    found = {(e.line, e.column) for e in err.value.errors}
    assert found == {(3, "ai"), (3, "di"), (4, "ai"), (4, "di")}
    assert isinstance(err.value, StatsInputError) and isinstance(err.value, ValueError)
    assert "line 3" in str(err.value) and "4 problem(s)" in str(err.value)


def test_missing_columns_listed():
    with pytest.raises(StudyTableError) as err:
        read_study_table(io.StringIO("study,ai,bi\nA,1,2\n"), "OR")
    assert "ci" in err.value.errors[0].column and err.value.errors[0].line is None


@pytest.mark.parametrize(
    ("measure", "text", "column"),
    [
        ("HR", "study,hr,hr_lb,hr_ub\nA,0.5,0.6,0.9\n", "hr"),
        ("SMD", "study,m1i,sd1i,n1i,m2i,sd2i,n2i\nA,1,0,10,2,1,1\n", "sd1i"),
        ("RR", "study,ai,n1i,ci,n2i\nA,12,10,1,10\n", "ai"),
        ("GEN", "study,yi,sei\nA,0.1,-2\n", "sei"),
    ],
)
def test_rule_violations(measure, text, column):
    with pytest.raises(StudyTableError) as err:
        read_study_table(io.StringIO(text), measure)
    assert column in {e.column for e in err.value.errors}
    assert all(e.line == 2 for e in err.value.errors)


def test_unreadable_and_empty_files(tmp_path):
    with pytest.raises(StatsInputError) as err:
        read_study_table(tmp_path / "absent.csv", "RR")
    assert err.value.field == "file"
    with pytest.raises(StatsInputError):
        read_study_table(io.StringIO(""), "RR")
    with pytest.raises(StudyTableError):
        read_study_table(io.StringIO("study,yi,vi\n"), "GEN")
    with pytest.raises(StatsInputError) as err:
        read_study_table(io.StringIO("study,yi,vi\nA,1,1\n"), "BAD")
    assert err.value.field == "measure"


def test_format_result_table_structure(tmp_path):
    t = read_study_table(_bcg_csv(tmp_path), "RR")
    text = format_result_table(rma(t.effects, "REML"))
    lines = text.splitlines()
    assert lines[0].startswith("Random-effects (REML) meta-analysis, k = 13")
    assert sum(1 for line in lines if line.startswith("Aronson")) == 1
    assert "Pooled estimate             0.49  [0.34; 0.70]" in text  # metadat dat.bcg.html: 0.49 [0.34; 0.70]
    assert "Prediction interval" in text and "[0.15; 1.55]" in text  # predict.rma.html (2 dp)
    assert "Heterogeneity: tau² = 0.3132; I² = 92.2%; Q = 152.23 (df = 12, p < 0.0001)" in text
    assert "z = -3.97" in text


def test_format_result_table_mh_peto_knha_and_additive():
    d = pd.read_csv(DATA / "dat_bcg.csv")
    kw = dict(ai=d.tpos, bi=d.tneg, ci=d.cpos, di=d.cneg)
    assert "Cochran-Mantel-Haenszel test: 135.69" in format_result_table(rma_mh("OR", **kw))
    assert format_result_table(rma_peto(**kw)).startswith("Peto meta-analysis")
    es = escalc("RR", **kw)
    assert "t(12) = -3.95" in format_result_table(rma(es, knha=True))
    md = escalc("MD", m1i=[1.0, 2.0], sd1i=[1, 1], n1i=[10, 12], m2i=[0.5, 0.0], sd2i=[1, 1], n2i=[10, 12])
    assert "Pooled estimate" in format_result_table(rma(md, "EE"))
    with pytest.raises(StatsInputError):
        format_result_table("not a result")


def test_sbrt_spine_table_reports_every_missing_count():
    # tests/data/sbrt_spine_rcts.csv: only CCTG SC.24 has (derived, unverified) 3-month CR counts
    # 40/114 vs 16/115; the other two trials have none, and the loader must say so for each cell.
    d = pd.read_csv(DATA / "sbrt_spine_rcts.csv")
    table = pd.DataFrame({"study": d.trial, "ai": d.cr_3m_sbrt, "n1i": d.n_analysed_sbrt,
                          "ci": d.cr_3m_cebrt, "n2i": d.n_analysed_cebrt})
    with pytest.raises(StudyTableError) as err:
        read_study_table(io.StringIO(table.to_csv(index=False)), "RR")
    assert {(e.line, e.column) for e in err.value.errors} == {
        (line, col) for line in (3, 4) for col in ("ai", "n1i", "ci", "n2i")
    }
    ok = read_study_table(io.StringIO(table.iloc[:1].to_csv(index=False)), "RR")
    # RR = (40/114)/(16/115) by hand (escalc formula, no zero cells).
    assert float(np.exp(ok.effects.yi[0])) == pytest.approx((40 / 114) / (16 / 115))
