"""The QoL means pooled in the database per (code, report group, time point), and the whole report computed
with threads (palliro.research.report_run), equal the per-patient-cell path and the one-after-the-other report.
"""

from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pytest

from palliro.accounts.access import StaffContext
from palliro.clinic.models import RTCourse
from palliro.followup.models import Observation
from palliro.research import endpoints
from palliro.research.analyses import ReportOptions, build_report
from palliro.research.cohort import cohort_courses, cohort_frame
from palliro.research.endpoints import load_endpoint_data, load_qol_pooled, pool_cells, qol_sums
from palliro.research.report_run import cohort_report
from tests.research.test_endpoint_sql import _instrument, _store, answers  # noqa: F401 (fixture)

TOL = 1e-9
KEY = ["code", "group", "time_point"]


def _groups(ids):
    labels = np.array(["bone", "lung", "missing"], dtype=object)
    return pd.Series(labels[np.asarray(ids) % 3], index=pd.Index(ids, name="patient_id")).astype("category")


def _per_cell(ids, groups, codes):
    cells = qol_sums(load_endpoint_data(ids, qol_codes=codes), None)
    if codes:
        cells = pd.concat([cells, qol_sums(load_endpoint_data(ids, qol_codes=codes), codes)]).drop_duplicates(
            ["patient_id", "code", "time_point"])
    cells = cells.assign(group=cells["patient_id"].map(groups).astype(object))
    return pool_cells(cells, KEY).sort_values(KEY, ignore_index=True)


@pytest.mark.django_db
@pytest.mark.parametrize("codes", [(), ("other/thing",)])
def test_qol_pooled_in_the_database_equals_the_per_cell_path(answers, codes):  # noqa: F811
    ids = sorted(set(RTCourse.objects.values_list("patient_id", flat=True)))
    # A constant scale (SD exactly 0), a step label literally "unscheduled", answers far from zero.
    first = Observation.objects.filter(patient_id=ids[0]).first()
    general = _instrument("palliro-general-extra")
    for i, pid in enumerate(ids):
        at = datetime(2025, 3, 10, 9, i, tzinfo=UTC)
        patient = RTCourse.objects.filter(patient_id=pid).first().patient
        _store(patient, general, "patient", at, {"palliro-general/constant": 100 / 3,
                                                 "palliro-general/large": 1e6 + (i % 4) / 3})
    from palliro.followup.models import Invitation
    Invitation.objects.filter(pk=Invitation.objects.order_by("pk").values("pk")[:1]).update(step_label="unscheduled")
    assert first is not None
    groups = _groups(ids)
    got = load_qol_pooled(groups, codes).sort_values(KEY, ignore_index=True)
    want = _per_cell(ids, groups, codes)
    assert got[KEY + ["n"]].equals(want[KEY + ["n"]])
    assert set(got["code"]) >= {"palliro-general/constant", "palliro-general/large", *codes}
    assert np.allclose(got["mean"], want["mean"], rtol=TOL, atol=0)
    assert np.allclose(got["m2"], want["m2"], rtol=TOL, atol=TOL)
    assert (got.loc[got["code"] == "palliro-general/constant", "m2"] == 0).all()
    # Only the mapped patients count.
    assert load_qol_pooled(groups.iloc[:0], codes).empty
    fewer = load_qol_pooled(groups.iloc[:5], codes)
    assert fewer["n"].sum() < got["n"].sum()


def _same_report(a, b):
    assert [s.key for s in a.sections] == [s.key for s in b.sections]
    for x, y in zip(a.sections, b.sections, strict=True):
        assert (x.error, x.notes, [t.key for t in x.tables]) == (y.error, y.notes, [t.key for t in y.tables])
        for t, u in zip(x.tables, y.tables, strict=True):
            assert t.title == u.title
            pd.testing.assert_frame_equal(t.frame, u.frame, check_exact=True)


def _check_cohort_report(site_a, make_cohort, parallel):
    cohort = make_cohort(site_a)
    staff = StaffContext(frozenset({site_a.id}), frozenset(), frozenset({"clinician"}))
    for options in (ReportOptions(group_by="indication", covariates=("age",)),
                    ReportOptions(group_by="", qol_codes=("other/thing", "palliro-general/mood")),
                    ReportOptions(group_by="sex", endpoints=False)):
        built = cohort_frame(cohort, staff)
        data = load_endpoint_data(cohort_courses(cohort, staff).values("patient_id"), qol_codes=options.qol_codes)
        want = build_report(built.frame, options, data, cohort.unit)
        got_built, got = cohort_report(cohort, staff, options, parallel=parallel, store=False)
        pd.testing.assert_frame_equal(got_built.frame, built.frame)
        _same_report(got, want)
        assert got.table("qol") is not None or not options.endpoints


@pytest.mark.django_db(transaction=True)
def test_the_report_computed_with_threads_equals_the_report_computed_step_by_step(
        answers, site_a, make_cohort, monkeypatch):  # noqa: F811
    import threading

    import palliro.research.report_run as run

    threads = []
    closing = run._closing
    monkeypatch.setattr(run, "_closing", lambda *a, **kw: threads.append(threading.current_thread()) or closing(*a, **kw))
    _check_cohort_report(site_a, make_cohort, parallel=None)  # outside a transaction: threads
    assert threads and threading.main_thread() not in threads


@pytest.mark.django_db
def test_the_report_inside_a_transaction_runs_on_one_thread_and_equals_the_step_by_step_report(
        answers, site_a, make_cohort, monkeypatch):  # noqa: F811
    import palliro.research.report_run as run

    monkeypatch.setattr(run, "ThreadPoolExecutor", None)  # would fail if used
    _check_cohort_report(site_a, make_cohort, parallel=None)


@pytest.mark.django_db
def test_qol_sums_refuse_to_guess_when_the_cells_were_not_loaded(answers):  # noqa: F811
    ids = sorted(set(RTCourse.objects.values_list("patient_id", flat=True)))
    with pytest.raises(ValueError, match="not loaded"):
        qol_sums(load_endpoint_data(ids, qol=False))
    assert endpoints.POOLED_COLUMNS == list(load_qol_pooled(_groups(ids)).columns)
