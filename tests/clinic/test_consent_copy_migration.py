"""Migration 0011 on rows written before it: an existing consent text stays published (and the
database then refuses to change it), and an existing signed consent gets a copy rebuilt from its
text version and its course's plan, marked as reconstructed, whose SHA-256 matches; the signed
consent stays append-only afterwards."""

import datetime as dt

import pytest
from django.db import DatabaseError, connection, transaction
from migration_helpers import back_to_the_latest, historical_course, migrate  # noqa: F401 (fixture)

from clock import FROZEN_NOW
from needlepoint.clinic.consent_copy import content_sha256

BEFORE = [("clinic", "0010_urgent_flags")]
AFTER = [("clinic", "0011_consent_versions_and_copies")]
SIGNED_AT = FROZEN_NOW - dt.timedelta(days=7)
PLAN = {
    "sessions": {"count": 4, "interval_days": {"min": 28, "max": 28}},
    "areas": [{"area": "cheeks", "depth_mm": {"min": 1.0, "max": 2.0}}],
    "adjuncts": [],
}


@pytest.mark.django_db(transaction=True)
def test_it_rebuilds_a_copy_for_consents_signed_before_copies_were_kept():
    apps = migrate(BEFORE)
    _paula, patient, course = historical_course(apps, at=SIGNED_AT)
    apps.get_model("clinic", "Course").objects.filter(pk=course.pk).update(plan=PLAN)
    text = apps.get_model("clinic", "ConsentText").objects.create(
        version="1", title="Consent", body="Old words."
    )
    consent = apps.get_model("clinic", "Consent").objects.create(
        patient=patient,
        course=course,
        consent_text=text,
        typed_name="Anna Old",
        signature_png="x",
        channel="portal",
    )

    apps = migrate(AFTER)
    row = apps.get_model("clinic", "Consent").objects.get(pk=consent.pk)
    assert (row.copy_reconstructed, row.text_shown["body"], row.plan_shown["lines"][1]) == (
        True,
        "Old words.",
        "4 sessions, 4 weeks apart.",
    )
    assert row.content_sha256 == content_sha256(row.text_shown, row.plan_shown)
    assert apps.get_model("clinic", "ConsentText").objects.get(pk=text.pk).published_at is not None
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE clinic_consent SET typed_name = 'Someone Else' WHERE id = %s", [consent.pk])
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE clinic_consenttext SET body = 'tampered' WHERE id = %s", [text.pk])
