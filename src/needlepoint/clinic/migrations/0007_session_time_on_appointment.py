"""A session's time lives only on its appointment: `TreatmentSession.scheduled_for` is dropped.

Sessions that had a time but no booked appointment (set by hand before booking existed) get
one, so they are on the calendar and in the feeds: at the clinic's only (or first) location,
with the course's kind of visit (PRP/PRF or not), lasting that kind's numbing and treatment
time, held by the session's practitioner when that time is free. A signed session's appointment
is "attended" at its signing; others are "booked". Where the clinic has no location or no kind
of treatment visit yet, nothing can be booked: the time is kept in the audit trail, one event
per session ("time before the calendar: ..."), and the session shows as not booked.

The data step runs before the column goes; undoing the migration brings the column back and
fills it from each session's appointment."""

import datetime as dt

from django.db import migrations

LIVE = ("booked", "arrived", "attended")


def _type_for(types, course):  # type: ignore[no-untyped-def]
    adjuncts = (course.plan or {}).get("adjuncts") or []
    prp = any(a.get("code") in ("prp", "prf") and a.get("selected") for a in adjuncts)
    wanted = "treatment_prp" if prp else "treatment"
    return (
        types.filter(kind=wanted).order_by("id").first()
        or types.filter(kind__in=("treatment", "treatment_prp")).order_by("id").first()
    )


def _note(AuditEvent, session, why):  # type: ignore[no-untyped-def]
    AuditEvent.objects.create(
        actor=None,
        actor_label="migration",
        action="change",
        object_type="clinic.treatmentsession",
        object_id=str(session.pk),
        patient_id=session.patient_id,
        summary=(
            f"time before the calendar: session {session.number} was set for "
            f"{session.scheduled_for.astimezone(dt.UTC):%Y-%m-%d %H:%M} UTC; {why}"
        )[:300],
    )


def _free(Hold, resource, start, end):  # type: ignore[no-untyped-def]
    return not Hold.objects.filter(
        resource=resource, active=True, starts_at__lt=end, ends_at__gt=start
    ).exists()


def forward(apps, schema_editor):  # type: ignore[no-untyped-def]
    Session = apps.get_model("clinic", "TreatmentSession")
    Appointment = apps.get_model("bookings", "Appointment")
    AppointmentType = apps.get_model("bookings", "AppointmentType")
    Location = apps.get_model("bookings", "Location")
    Hold = apps.get_model("bookings", "Hold")
    AuditEvent = apps.get_model("audit", "AuditEvent")
    location = Location.objects.order_by("id").first()
    live = Appointment.objects.filter(status__in=LIVE).values("session_id")
    orphans = (
        Session.objects.filter(scheduled_for__isnull=False)
        .exclude(pk__in=live)
        .select_related("course")
        .order_by("pk")
    )
    for session in orphans:
        type_row = _type_for(AppointmentType.objects, session.course)
        if location is None or type_row is None:
            _note(
                AuditEvent,
                session,
                "the clinic had no location or no kind of treatment visit to "
                "book it as, so it has no appointment",
            )
            continue
        _book(Appointment, Hold, AuditEvent, session, location, type_row)


def _book(Appointment, Hold, AuditEvent, session, location, type_row):  # type: ignore[no-untyped-def]
    Appointment.objects.filter(session=session).update(session=None)  # a cancelled visit lets go
    start = session.scheduled_for
    end = start + dt.timedelta(minutes=type_row.numbing_minutes + type_row.minutes)
    signed = session.status == "signed"
    course = session.course
    by = session.practitioner_id or course.approved_by_id or course.created_by_id
    appointment = Appointment.objects.create(
        patient_id=session.patient_id,
        course_id=session.course_id,
        session=session,
        appointment_type=type_row,
        location=location,
        starts_at=start,
        ends_at=end,
        status="attended" if signed else "booked",
        attended_at=session.signed_at if signed else None,
        practitioner_id=session.practitioner_id,
        created_by_id=by,
        window_earliest=start.date(),
        window_latest=start.date(),
    )
    treatment = start + dt.timedelta(minutes=type_row.numbing_minutes)
    held = ""
    if session.practitioner_id:
        resource = f"practitioner:{session.practitioner_id}"
        if _free(Hold, resource, treatment, end):
            Hold.objects.create(
                appointment=appointment,
                resource=resource,
                role="practitioner",
                kind="practitioner",
                step="treatment",
                starts_at=treatment,
                ends_at=end,
            )
            held = " with its practitioner held"
    AuditEvent.objects.create(
        actor=None,
        actor_label="migration",
        action="create",
        object_type="bookings.appointment",
        object_id=str(appointment.pk),
        patient_id=session.patient_id,
        summary=f"appointment made from session {session.number}'s time before the calendar "
        f"({start.astimezone(dt.UTC):%Y-%m-%d %H:%M} UTC){held}",
    )


def backward(apps, schema_editor):  # type: ignore[no-untyped-def]
    Appointment = apps.get_model("bookings", "Appointment")
    Session = apps.get_model("clinic", "TreatmentSession")
    for appointment in Appointment.objects.filter(status__in=LIVE, session__isnull=False).exclude(
        session__status="signed"
    ):
        Session.objects.filter(pk=appointment.session_id).update(scheduled_for=appointment.starts_at)


class Migration(migrations.Migration):
    dependencies = [
        ("clinic", "0006_dashboard_partial_indexes"),
        ("bookings", "0004_appointment_statuses"),
        ("audit", "0002_append_only"),
    ]

    operations = [
        migrations.RunPython(forward, backward),
        migrations.RemoveIndex(model_name="treatmentsession", name="clinic_trea_schedul_893591_idx"),
        migrations.RemoveField(model_name="treatmentsession", name="scheduled_for"),
    ]
