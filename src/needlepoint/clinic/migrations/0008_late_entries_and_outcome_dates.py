"""Charts written after the day of their visit say so (who and when), and every outcome carries
the day it belongs to: the day of its visit (the session's appointment), or the day it was
recorded for scores after the course. Existing outcomes are dated from their session's
appointment, else the day the session was signed, else the day they were recorded.

On SQLite, taking a foreign key off a table (undoing this migration) rebuilds the table, which a
trigger that names it would break: the triggers naming the sessions table are set aside around
the change and put back as they were."""

import datetime as dt
import zoneinfo

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def _day(at: dt.datetime, zone: zoneinfo.ZoneInfo) -> dt.date:
    return at.astimezone(zone).date()


def date_outcomes(apps, schema_editor):  # type: ignore[no-untyped-def]
    Outcome = apps.get_model("clinic", "Outcome")
    Appointment = apps.get_model("bookings", "Appointment")
    zone = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    starts = dict(
        Appointment.objects.filter(session__isnull=False)
        .exclude(status="cancelled")
        .values_list("session_id", "starts_at")
    )
    for outcome in Outcome.objects.select_related("session").iterator():
        session = outcome.session
        at = outcome.recorded_at
        if outcome.kind == "visit" and session is not None:
            at = starts.get(session.pk) or session.signed_at or at
        Outcome.objects.filter(pk=outcome.pk).update(taken_on=_day(at, zone))


_SET_ASIDE: list[str] = []


def _set_triggers_aside(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor != "sqlite":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND sql LIKE ?",
            ["%clinic_treatmentsession%"],
        )
        rows = cursor.fetchall()
        for name, _sql in rows:
            cursor.execute(f'DROP TRIGGER "{name}"')
    _SET_ASIDE[:] = [sql for _name, sql in rows]


def _put_triggers_back(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor != "sqlite":
        return
    with schema_editor.connection.cursor() as cursor:
        for sql in _SET_ASIDE:
            cursor.execute(sql)
    _SET_ASIDE.clear()


class Migration(migrations.Migration):
    dependencies = [
        ("bookings", "0001_initial"),
        ("clinic", "0007_session_time_on_appointment"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(_set_triggers_aside, _put_triggers_back),
        migrations.AddField(
            model_name="treatmentsession",
            name="entered_late_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="treatmentsession",
            name="entered_late_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="outcome",
            name="taken_on",
            field=models.DateField(null=True),
        ),
        migrations.RunPython(date_outcomes, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="outcome",
            name="taken_on",
            field=models.DateField(),
        ),
        migrations.AlterModelOptions(
            name="outcome",
            options={"ordering": ["taken_on", "recorded_at"]},
        ),
        migrations.RunPython(_put_triggers_back, _set_triggers_aside),
    ]
