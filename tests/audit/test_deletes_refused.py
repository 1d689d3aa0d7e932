"""The database refuses DELETE on the append-only tables, on SQLite as on PostgreSQL: an audit
event, a consent, an addendum, a signed chart and its areas and adverse events cannot be
removed even by SQL that goes around the application. What may be deleted still can be (an
unsigned chart's rows), and emptying the whole database on purpose (`django-admin flush`, which
the test runner also uses) still works, leaving the guards in place.

Personas: practitioner (charts), director (reads the trail), patient A (the record). The clock is
frozen as always (Monday 23 November 2026, 09:00 London)."""

import pytest
from django.core.management import call_command
from django.db import IntegrityError, InternalError, OperationalError, connection, transaction
from django.utils import timezone
from test_database_guards import _course

from needlepoint.audit.models import AuditEvent
from needlepoint.audit.services import audit_record
from needlepoint.clinic.models import (
    Addendum,
    AdverseEvent,
    AreaTreatment,
    Consent,
    ConsentText,
    TreatmentSession,
)

REFUSED = (IntegrityError, InternalError, OperationalError)
DELETE_GUARDS = {
    "audit_no_delete",
    "consent_no_delete",
    "signed_session_no_delete",
    "signed_area_no_delete",
    "signed_event_no_delete",
    "addendum_no_delete",
}


def _signed_chart(personas):
    """A signed chart with an area, an adverse event, an addendum; its course's consent; a view
    in the audit trail. Returns {table: row id}."""
    course = _course(personas)
    session = TreatmentSession.objects.create(course=course, patient=course.patient, number=1)
    area = AreaTreatment.objects.create(session=session, area="cheeks", depth_mm="1.00", passes=4)
    event = AdverseEvent.objects.create(
        session=session,
        kind="pinpoint bleeding",
        severity="mild",
        action="pressure",
        noted_by=personas.practitioner,
    )
    TreatmentSession.objects.filter(pk=session.pk).update(
        status="signed", signed_at=timezone.now(), signed_by=personas.practitioner
    )
    addendum = Addendum.objects.create(
        session=session, text="Checked next day.", written_by=personas.practitioner
    )
    consent = Consent.objects.create(
        patient=course.patient,
        course=course,
        consent_text=ConsentText.objects.create(version="1", title="Consent", body="..."),
        typed_name="Anna Alvarez",
        signature_png="data:image/png;base64,AA",
        channel="portal",
    )
    viewed = audit_record(actor=personas.director, action="view", obj=personas.record_a)
    return {
        "audit_auditevent": viewed.pk,
        "clinic_consent": consent.pk,
        "clinic_addendum": addendum.pk,
        "clinic_treatmentsession": session.pk,
        "clinic_areatreatment": area.pk,
        "clinic_adverseevent": event.pk,
    }


def _delete(table, pk):
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table} WHERE id = %s", [pk])


def _count(table, pk):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {table} WHERE id = %s", [pk])
        return cursor.fetchone()[0]


@pytest.mark.parametrize(
    "table",
    [
        "audit_auditevent",
        "clinic_consent",
        "clinic_addendum",
        "clinic_treatmentsession",
        "clinic_areatreatment",
        "clinic_adverseevent",
    ],
)
def test_it_refuses_a_raw_delete_of_an_append_only_row(personas, table):
    rows = _signed_chart(personas)
    with pytest.raises(REFUSED):
        _delete(table, rows[table])
    assert _count(table, rows[table]) == 1


def test_it_still_deletes_an_unsigned_charts_rows(personas):
    course = _course(personas)
    session = TreatmentSession.objects.create(course=course, patient=course.patient, number=1)
    area = AreaTreatment.objects.create(session=session, area="cheeks", depth_mm="1.00", passes=4)
    _delete("clinic_areatreatment", area.pk)
    _delete("clinic_treatmentsession", session.pk)
    assert (_count("clinic_areatreatment", area.pk), _count("clinic_treatmentsession", session.pk)) == (0, 0)


def _delete_guards():
    if connection.vendor == "sqlite":
        sql = "SELECT name FROM sqlite_master WHERE type = 'trigger'"
    else:
        sql = "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal"
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return {name for (name,) in cursor.fetchall()} & DELETE_GUARDS


@pytest.mark.django_db(transaction=True)
def test_a_flush_empties_the_database_and_leaves_the_guards_in_place(personas):
    _signed_chart(personas)
    call_command("flush", "--no-input", verbosity=0)
    assert (AuditEvent.objects.count(), Consent.objects.count(), TreatmentSession.objects.count()) == (
        0,
        0,
        0,
    )
    assert _delete_guards() == DELETE_GUARDS
    with connection.cursor() as cursor:  # a row written after the flush is guarded again
        cursor.execute(
            "INSERT INTO audit_auditevent (at, actor_label, action, object_type, object_id, summary) "
            "VALUES (%s, '', 'view', 'clinic.patient', '1', '')",
            [timezone.now()],
        )
    with pytest.raises(REFUSED):
        _delete("audit_auditevent", AuditEvent.objects.get().pk)
    assert AuditEvent.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_the_migration_gives_an_existing_database_the_delete_guards():
    """An existing database, migrated before the DELETE guards came to SQLite, lacks them; the
    migration installs them (on PostgreSQL it changes nothing: they were there already)."""
    call_command("migrate", "audit", "0002", verbosity=0)
    before = _delete_guards()
    call_command("migrate", verbosity=0)
    expected_before = set() if connection.vendor == "sqlite" else DELETE_GUARDS
    assert (before, _delete_guards()) == (expected_before, DELETE_GUARDS)
