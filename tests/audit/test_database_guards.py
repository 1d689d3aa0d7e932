"""What must never happen is refused by the database itself, not only by the application."""

import datetime as dt

import pytest
from django.db import IntegrityError, InternalError, OperationalError, transaction
from django.utils import timezone

from needlepoint.audit.models import AuditEvent
from needlepoint.audit.services import audit_record
from needlepoint.clinic.models import (
    AreaTreatment,
    Consent,
    ConsentText,
    Course,
    Intake,
    Screening,
    TreatmentSession,
)

REFUSED = (IntegrityError, InternalError, OperationalError)


def _course(personas):
    p = personas.record_a
    intake = Intake.objects.create(
        patient=p, number=1, data={"schema": "needlepoint.intake/1"}, source="consultation"
    )
    screening = Screening.objects.create(
        patient=p, intake=intake, decision="eligible", result={}, protocol_id="default", protocol_version="x"
    )
    return Course.objects.create(
        patient=p,
        screening=screening,
        goal="acne_scars",
        plan={},
        start_date=dt.date(2026, 12, 1),
        protocol_id="default",
        protocol_version="x",
        created_by=personas.practitioner,
    )


def test_it_refuses_to_update_an_audit_event_in_the_database(personas):
    event = audit_record(actor=personas.director, action="view", obj=personas.record_a)
    with pytest.raises(REFUSED), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(summary="tampered")
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        event.delete()


def test_it_refuses_to_change_a_signed_chart_in_the_database(personas):
    course = _course(personas)
    session = TreatmentSession.objects.create(course=course, patient=course.patient, number=1)
    AreaTreatment.objects.create(session=session, area="cheeks", depth_mm="1.00", passes=4)
    TreatmentSession.objects.filter(pk=session.pk).update(
        status="signed", signed_at=timezone.now(), signed_by=personas.practitioner
    )
    with pytest.raises(REFUSED), transaction.atomic():
        TreatmentSession.objects.filter(pk=session.pk).update(notes="changed later")
    with pytest.raises(REFUSED), transaction.atomic():
        AreaTreatment.objects.filter(session=session).update(depth_mm="2.50")
    with pytest.raises(REFUSED), transaction.atomic():
        AreaTreatment.objects.create(session=session, area="forehead", depth_mm="0.5", passes=2)
    assert AreaTreatment.objects.get(session=session).depth_mm == pytest.approx(1.0)


def test_it_allows_changes_to_an_unsigned_chart(personas):
    course = _course(personas)
    session = TreatmentSession.objects.create(course=course, patient=course.patient, number=1)
    TreatmentSession.objects.filter(pk=session.pk).update(notes="still charting")
    assert TreatmentSession.objects.get(pk=session.pk).notes == "still charting"


def test_it_refuses_to_change_a_signed_consent_in_the_database(personas):
    course = _course(personas)
    text = ConsentText.objects.create(version="1", title="Consent", body="...")
    consent = Consent.objects.create(
        patient=course.patient,
        course=course,
        consent_text=text,
        typed_name="Anna Alvarez",
        signature_png="data:image/png;base64,AA",
        channel="portal",
    )
    with pytest.raises(REFUSED), transaction.atomic():
        Consent.objects.filter(pk=consent.pk).update(typed_name="Someone Else")


def test_it_refuses_a_signed_status_without_a_signing_time(personas):
    course = _course(personas)
    with pytest.raises(IntegrityError), transaction.atomic():
        TreatmentSession.objects.create(course=course, patient=course.patient, number=1, status="signed")
