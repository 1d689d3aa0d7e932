"""The data steps of the clinic's migrations, run with the migration executor on rows written
in the schema before them: 0010 (urgent flags) marks a flag raised by a check-in with a warning
sign as urgent (not one without, nor a flag raised by staff) and counts a resolved flag as
acknowledged by whoever resolved it, when they resolved it; 0008 (outcome dates) dates an
existing visit outcome by the day, in the clinic's zone, its session was signed, and an outcome
without a signed session by the day it was recorded.

Time is frozen at Monday 23 November 2026, 09:00 in London (tests/clock.py); the old rows are
dated the week before."""

import datetime as dt
from typing import Any

import pytest
from migration_helpers import back_to_the_latest, historical_course, migrate  # noqa: F401 (fixture)

from clock import FROZEN_NOW

BEFORE_DATES = [("clinic", "0007_session_time_on_appointment")]
AFTER_DATES = [("clinic", "0008_late_entries_and_outcome_dates")]
BEFORE_FLAGS = [("clinic", "0009_patient_duplicates")]
AFTER_FLAGS = [("clinic", "0010_urgent_flags")]
SIGNED_AT = FROZEN_NOW - dt.timedelta(days=7)
RESOLVED_AT = FROZEN_NOW - dt.timedelta(days=5)


def session_with_check_ins(apps: Any, *, signed_at: dt.datetime = SIGNED_AT) -> dict[str, Any]:
    """A session signed at `signed_at` with a day-1 check-in naming a warning sign and a day-3 one without."""
    paula, patient, course = historical_course(apps, at=SIGNED_AT)
    Session = apps.get_model("clinic", "TreatmentSession")
    session = Session.objects.create(course=course, patient=patient, number=1, practitioner=paula)
    Session.objects.filter(pk=session.pk).update(status="signed", signed_at=signed_at, signed_by=paula)
    CheckIn = apps.get_model("clinic", "CheckIn")
    scores = {"redness": 7, "swelling": 6, "pain": 5}
    warned = CheckIn.objects.create(
        session=session, patient=patient, day=1, warning_signs=["fever"], expected=False, **scores
    )
    worse = CheckIn.objects.create(session=session, patient=patient, day=3, expected=False, **scores)
    return {"paula": paula, "patient": patient, "warned": warned, "worse": worse}


@pytest.mark.django_db(transaction=True)
def test_it_marks_warning_sign_flags_urgent_and_resolved_flags_acknowledged():
    apps = migrate(BEFORE_FLAGS)
    old = session_with_check_ins(apps)
    Flag = apps.get_model("clinic", "Flag")
    patient, paula = old["patient"], old["paula"]
    warned = Flag.objects.create(patient_id=patient.pk, check_in_id=old["warned"].pk, reason="fever")
    worse = Flag.objects.create(
        patient_id=patient.pk,
        check_in_id=old["worse"].pk,
        reason="getting worse",
        resolved_at=RESOLVED_AT,
        resolved_by_id=paula.pk,
        resolution="Called; settling.",
    )
    by_staff = Flag.objects.create(patient_id=patient.pk, reason="Rash seen at the desk")

    Flag = migrate(AFTER_FLAGS).get_model("clinic", "Flag")
    rows = {
        f.pk: (f.urgent, f.acknowledged_at, f.acknowledged_by_id)
        for f in Flag.objects.filter(pk__in=[warned.pk, worse.pk, by_staff.pk])
    }
    assert rows == {
        warned.pk: (True, None, None),
        worse.pk: (False, RESOLVED_AT, paula.pk),
        by_staff.pk: (False, None, None),
    }


@pytest.mark.django_db(transaction=True)
def test_it_dates_existing_outcomes_by_their_signed_session_or_the_day_recorded():
    apps = migrate(BEFORE_DATES)
    # 23:30 UTC on 9 June is 00:30 on 10 June in London (summer time): the clinic's day counts
    old = session_with_check_ins(apps, signed_at=dt.datetime(2026, 6, 9, 23, 30, tzinfo=dt.UTC))
    Session = apps.get_model("clinic", "TreatmentSession")
    signed = Session.objects.get(patient_id=old["patient"].pk)
    open_session = Session.objects.create(
        course_id=signed.course_id, patient_id=signed.patient_id, number=2, practitioner=old["paula"]
    )
    Outcome = apps.get_model("clinic", "Outcome")
    common = {"patient_id": signed.patient_id, "course_id": signed.course_id, "recorded_by": old["paula"]}
    at_visit = Outcome.objects.create(session=signed, kind="visit", gais=2, **common)
    unsigned = Outcome.objects.create(session=open_session, kind="visit", gais=3, **common)
    after = Outcome.objects.create(kind="course", gais=1, **common)
    recorded = dt.datetime(2026, 11, 16, 18, 0, tzinfo=dt.UTC)
    Outcome.objects.filter(pk__in=[unsigned.pk, after.pk]).update(recorded_at=recorded)

    Outcome = migrate(AFTER_DATES).get_model("clinic", "Outcome")
    days = dict(Outcome.objects.values_list("pk", "taken_on"))
    assert days == {
        at_visit.pk: dt.date(2026, 6, 10),
        unsigned.pk: dt.date(2026, 11, 16),
        after.pk: dt.date(2026, 11, 16),
    }
