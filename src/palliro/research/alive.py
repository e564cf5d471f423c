"""The date a living patient was last known alive: where survival analyses censor them.

Staff record ``Patient.last_known_alive`` by hand, and it lags: a patient who answered a follow-up
questionnaire *themselves* after that date was demonstrably alive on the day they answered. Censoring at the
recorded date throws that follow-up away and shrinks every fixed-horizon denominator (a patient whose
recorded date is 20 days after the first fraction is "not evaluable" for 30-day mortality, even when they
answered their 6-week questionnaire). What counts is a named choice, :data:`ALIVE_EVIDENCE`:

* ``"recorded"`` — the recorded ``last_known_alive`` only (Palliro's behaviour before this option).
* ``"recorded_or_own_answer"`` (the default, :data:`DEFAULT_ALIVE_EVIDENCE`: it uses information Palliro
  holds) — the later of the recorded date and the local calendar day (in the patient's site's time zone,
  :mod:`palliro.research.localday`) of the patient's latest answer given as respondent ``patient``.

Whose answers prove the patient alive (:data:`PROOF_OF_LIFE_RESPONDENTS`): only the patient's own.

* A relative's (proxy) answer does not: relatives answer *about* the patient, also when the patient cannot,
  and the death-rattle questionnaire is answered by relatives in the last hours of life.
* A staff interview (respondent ``staff``) does not either: it is entered by staff after a phone call that may
  have been with a relative (the interview of a relative's time point keeps its ``proxy``), or be a staff
  observation (death rattle, C6); and it is dated when it was typed in, not when the call took place. Staff
  who spoke with the patient record ``last_known_alive`` themselves, which both definitions use.

An answer here is an observation (a scored item of a completed response; they are written only together with
their response and carry its respondent and submission time). A completed response without a single scored
item therefore does not count: both the queries and the analysis store read observations, so that the two
paths give the same frame (the store copies observations, not responses).

A recorded death always ends follow-up: the date last known alive is used only for patients without a death
date, so an answer dated after a recorded death (an entry error) extends nothing.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from django.db import connection
from django.db.models import Max

from palliro.followup.models import Observation, Respondent
from palliro.research.localday import EpochSeconds, SiteClock

RECORDED = "recorded"
RECORDED_OR_OWN_ANSWER = "recorded_or_own_answer"
#: Choice → label (the report form shows these).
ALIVE_EVIDENCE: dict[str, str] = {
    RECORDED_OR_OWN_ANSWER: "The recorded date, or the day of a later questionnaire the patient answered themselves",
    RECORDED: "The recorded 'last known alive' date only",
}
#: Choice → a few words, where a sentence says which was used (e.g. an evidence study row's source).
ALIVE_EVIDENCE_SHORT: dict[str, str] = {
    RECORDED_OR_OWN_ANSWER: "recorded date or own later answer",
    RECORDED: "recorded date only",
}
DEFAULT_ALIVE_EVIDENCE = RECORDED_OR_OWN_ANSWER
#: Respondent kinds whose answers prove the patient alive on the day they were given (see the module docstring).
PROOF_OF_LIFE_RESPONDENTS: tuple[str, ...] = (Respondent.PATIENT.value,)
#: What the report's notes say about each definition.
ALIVE_NOTES: dict[str, str] = {
    RECORDED_OR_OWN_ANSWER: "Alive patients are censored at the date last known alive: the recorded date, or the "
                            "day (site time) of a later questionnaire the patient answered themselves; relatives' "
                            "answers and staff interviews do not count.",
    RECORDED: "Alive patients are censored at the recorded last-known-alive date; the patients' own later answers "
              "are not used.",
}


def check_alive_evidence(evidence: str) -> str:
    if evidence not in ALIVE_EVIDENCE:
        raise ValueError(f"unknown alive evidence {evidence!r}; one of {', '.join(ALIVE_EVIDENCE)}")
    return evidence


def latest_own_answers(ids) -> tuple[np.ndarray, np.ndarray]:
    """(patient ids, whole seconds since 1970 UTC of their latest own answer) for the given patients (a list or a
    ``.values("patient_id")`` queryset), patients without an own answer left out.

    One aggregate query. The maximum is taken of the stored instant and only then turned into seconds: one
    conversion per patient instead of per answer, and the same value (flooring keeps the order).
    """
    query = (Observation.objects.filter(patient_id__in=ids, respondent__in=PROOF_OF_LIFE_RESPONDENTS).order_by()
             .values("patient_id").annotate(s=EpochSeconds(Max("observed_at"))).values_list("patient_id", "s"))
    sql, params = query.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    if not rows:
        return np.array([], dtype=np.int64), np.array([], dtype=np.int64)
    patients, seconds = zip(*rows, strict=True)
    return np.asarray(patients, dtype=np.int64), np.asarray(seconds, dtype=np.int64)


def own_answer_days(patient_ids, site_ids, answered: np.ndarray, seconds: np.ndarray,
                    clock: SiteClock | None = None) -> np.ndarray:
    """The local day (datetime64[ns], NaT for none) of the latest own answer of each row's patient.

    ``patient_ids``/``site_ids``: the frame's rows; ``answered``/``seconds``: :func:`latest_own_answers` (any
    order, other patients allowed). The sites' zones are read only when a row's patient has answered.
    """
    patient_ids = np.asarray(patient_ids, dtype=np.int64)
    out = np.full(len(patient_ids), np.datetime64("NaT", "ns"))
    answered = np.asarray(answered, dtype=np.int64)
    if not len(patient_ids) or not len(answered):
        return out
    order = np.argsort(answered, kind="stable")
    answered, seconds = answered[order], np.asarray(seconds, dtype=np.int64)[order]
    at = np.searchsorted(answered, patient_ids)
    found = at < len(answered)
    found[found] = answered[at[found]] == patient_ids[found]
    if not found.any():
        return out
    site_ids = np.asarray(site_ids, dtype=np.int64)
    clock = clock or SiteClock(lambda: (patient_ids, site_ids))
    out[found] = clock.days(patient_ids[found], seconds[at[found]])
    return out


def last_alive_dates(recorded: pd.Series, own_days: pd.Series, evidence: str) -> pd.Series:
    """The date last known alive of each row under ``evidence``: the recorded date, or the later of it and the
    own answer's day (either may be missing)."""
    check_alive_evidence(evidence)
    if evidence == RECORDED:
        return recorded
    later = own_days.notna() & (recorded.isna() | (own_days > recorded))
    return recorded.mask(later, own_days)


__all__ = ["ALIVE_EVIDENCE", "ALIVE_EVIDENCE_SHORT", "ALIVE_NOTES", "DEFAULT_ALIVE_EVIDENCE", "PROOF_OF_LIFE_RESPONDENTS", "RECORDED",
           "RECORDED_OR_OWN_ANSWER", "check_alive_evidence", "last_alive_dates", "latest_own_answers",
           "own_answer_days"]
