"""The migration that drops `TreatmentSession.scheduled_for`: a session that had a time but no
appointment gets one (attended if signed), or, where the clinic has nothing to book it as, its
time is kept in the audit trail; the signed-chart guards survive the change of table."""

import datetime as dt
from typing import Any

import pytest
from migration_helpers import back_to_the_latest, historical_course, migrate  # noqa: F401 (fixture)

BEFORE = [("clinic", "0006_dashboard_partial_indexes"), ("bookings", "0003_course_preferences")]
AFTER = [("clinic", "0007_session_time_on_appointment")]
AT = dt.datetime(2026, 11, 2, 10, 0, tzinfo=dt.UTC)


def old_rows(apps: Any, *, with_booking_resources: bool) -> dict[str, Any]:
    paula, patient, course = historical_course(apps, at=AT)
    Session = apps.get_model("clinic", "TreatmentSession")
    signed = Session.objects.create(
        course=course, patient=patient, number=1, scheduled_for=AT, practitioner=paula
    )
    Session.objects.filter(pk=signed.pk).update(
        status="signed", signed_at=AT + dt.timedelta(hours=1), signed_by=paula
    )
    later = Session.objects.create(
        course=course, patient=patient, number=2, practitioner=paula, scheduled_for=AT + dt.timedelta(days=30)
    )
    if with_booking_resources:
        apps.get_model("bookings", "Location").objects.create(
            name="Main", opening_hours="mon-fri 09:00-17:00"
        )
        apps.get_model("bookings", "AppointmentType").objects.create(
            code="mn", name="Microneedling session", kind="treatment", numbing_minutes=30, minutes=60
        )
    return {"signed": signed.pk, "later": later.pk, "patient": patient.pk}


@pytest.mark.django_db(transaction=True)
def test_it_books_sessions_that_had_a_time_and_keeps_the_chart_guards():
    rows = old_rows(migrate(BEFORE), with_booking_resources=True)
    apps = migrate(AFTER)
    Appointment = apps.get_model("bookings", "Appointment")
    signed = Appointment.objects.get(session_id=rows["signed"])
    later = Appointment.objects.get(session_id=rows["later"])
    assert (signed.status, signed.starts_at) == ("attended", AT)
    assert signed.attended_at == AT + dt.timedelta(hours=1)
    assert (later.status, later.starts_at) == ("booked", AT + dt.timedelta(days=30))
    assert later.ends_at - later.starts_at == dt.timedelta(minutes=90)
    holds = apps.get_model("bookings", "Hold").objects.filter(appointment=later, role="practitioner")
    assert holds.count() == 1
    Session = apps.get_model("clinic", "TreatmentSession")
    with pytest.raises(Exception, match="signed chart"):
        Session.objects.filter(pk=rows["signed"]).update(notes="changed")


@pytest.mark.django_db(transaction=True)
def test_it_keeps_the_time_in_the_audit_trail_when_nothing_can_be_booked():
    rows = old_rows(migrate(BEFORE), with_booking_resources=False)
    apps = migrate(AFTER)
    assert not apps.get_model("bookings", "Appointment").objects.exists()
    notes = apps.get_model("audit", "AuditEvent").objects.filter(patient_id=rows["patient"])
    assert {n.summary[:64] for n in notes} == {
        "time before the calendar: session 1 was set for 2026-11-02 10:00",
        "time before the calendar: session 2 was set for 2026-12-02 10:00",
    }
