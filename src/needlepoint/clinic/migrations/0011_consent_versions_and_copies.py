"""Consent texts the clinic writes, and signed consents that keep a copy of what was shown.

A consent text is a draft until the medical director publishes it (`published_at` becomes
nullable; every existing text was published, so keeps its time). The database refuses UPDATE
and DELETE of a published text, on SQLite and PostgreSQL; drafts stay editable.

Each signed consent gains the copy of the text and plan shown, with the SHA-256 of both
(`needlepoint.clinic.consent_copy`). Consents signed before this migration had no copy: theirs
is rebuilt from their text version and their course's plan as they stand now, and marked
`copy_reconstructed` so that nobody takes it for what the patient saw on the day.

Signed consents are append-only (migration 0002): the triggers naming their table are set aside
while the columns are added and filled (on SQLite adding a column rebuilds the table, which
would break them; on PostgreSQL they are disabled) and put back as they were."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from needlepoint.audit.guards import Guard, install
from needlepoint.clinic.consent_copy import content_sha256, plan_shown, text_shown
from needlepoint.clinic.plan_view import PlanView
from needlepoint.clinical.vocab import area_label

GUARDS = [
    Guard(
        "consent_text_published_no_update",
        "clinic_consenttext",
        "UPDATE",
        "OLD.published_at IS NOT NULL",
        "a published consent text cannot be changed; write a new version",
    ),
    Guard(
        "consent_text_published_no_delete",
        "clinic_consenttext",
        "DELETE",
        "OLD.published_at IS NOT NULL",
        "a published consent text cannot be deleted",
    ),
]
guards_forward, guards_backward = install(GUARDS)

_SET_ASIDE: list[str] = []


def _set_triggers_aside(apps, schema_editor):  # type: ignore[no-untyped-def]
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE clinic_consent DISABLE TRIGGER USER")
            return
        cursor.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'clinic_consent'"
        )
        rows = cursor.fetchall()
        for name, _sql in rows:
            cursor.execute(f'DROP TRIGGER "{name}"')
    _SET_ASIDE[:] = [sql for _name, sql in rows]


def _put_triggers_back(apps, schema_editor):  # type: ignore[no-untyped-def]
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE clinic_consent ENABLE TRIGGER USER")
            return
        for sql in _SET_ASIDE:
            cursor.execute(sql)
    _SET_ASIDE.clear()


def reconstruct_copies(apps, schema_editor):  # type: ignore[no-untyped-def]
    Consent = apps.get_model("clinic", "Consent")
    for consent in Consent.objects.select_related("consent_text", "course").order_by("pk"):
        t, course = consent.consent_text, consent.course
        text = text_shown(treatment=t.treatment, version=t.version, title=t.title, body=t.body)
        plan = plan_shown(PlanView.of(course.plan), goal=area_label(course.goal).capitalize())
        Consent.objects.filter(pk=consent.pk).update(
            text_shown=text,
            plan_shown=plan,
            content_sha256=content_sha256(text, plan),
            copy_reconstructed=True,
        )


class Migration(migrations.Migration):
    dependencies = [
        ("clinic", "0010_urgent_flags"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(_set_triggers_aside, _put_triggers_back),
        migrations.AddField(
            model_name="consent",
            name="content_sha256",
            field=models.CharField(blank=True, max_length=64),
        ),
        migrations.AddField(
            model_name="consent",
            name="copy_reconstructed",
            field=models.BooleanField(default=False),
        ),
        migrations.AddField(
            model_name="consent",
            name="plan_shown",
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.AddField(
            model_name="consent",
            name="text_shown",
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.AddField(
            model_name="consenttext",
            name="published_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="consenttext",
            name="revision",
            field=models.PositiveIntegerField(default=1),
        ),
        migrations.AddField(
            model_name="consenttext",
            name="written_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AlterField(
            model_name="consenttext",
            name="published_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.RunPython(reconstruct_copies, migrations.RunPython.noop),
        migrations.RunPython(_put_triggers_back, _set_triggers_aside),
        migrations.RunPython(guards_forward, guards_backward),
    ]
