"""Urgent flags reach a person: the flag records who acknowledged it and when, whether and to
whom it was escalated; staff alerts (the on-call and escalation emails) are sent once.

Existing flags: a flag raised by a check-in with a warning sign is urgent; a resolved flag was
acknowledged when and by whom it was resolved (resolving implies it)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def mark_existing_flags(apps, schema_editor):
    Flag = apps.get_model("clinic", "Flag")
    for flag in Flag.objects.filter(check_in__isnull=False).select_related("check_in"):
        if flag.check_in.warning_signs:
            flag.urgent = True
            flag.save(update_fields=["urgent"])
    for flag in Flag.objects.filter(resolved_at__isnull=False, acknowledged_at__isnull=True):
        flag.acknowledged_at, flag.acknowledged_by_id = flag.resolved_at, flag.resolved_by_id
        flag.save(update_fields=["acknowledged_at", "acknowledged_by"])


class Migration(migrations.Migration):
    # The data step commits on its own before the constraints are added (PostgreSQL refuses to
    # alter a table with foreign-key checks still pending in the same transaction).
    atomic = False

    dependencies = [
        ("clinic", "0009_patient_duplicates"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="StaffAlert",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("on_call", "On-call clinician emailed"),
                            ("escalation", "Escalated to the medical director"),
                        ],
                        max_length=20,
                    ),
                ),
                ("recipients", models.JSONField(blank=True, default=list)),
                ("subject", models.CharField(max_length=200)),
                ("body", models.TextField()),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("scheduled", "Waiting to be sent"),
                            ("sending", "Sending"),
                            ("sent", "Sent"),
                            ("failed", "Not delivered"),
                        ],
                        default="scheduled",
                        max_length=20,
                    ),
                ),
                ("task_id", models.CharField(blank=True, max_length=64)),
                ("attempt", models.UUIDField(blank=True, null=True)),
                ("claimed_at", models.DateTimeField(blank=True, null=True)),
                ("message_id", models.CharField(blank=True, max_length=200)),
                ("sent_at", models.DateTimeField(blank=True, null=True)),
                ("detail", models.TextField(blank=True)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("updated_at", models.DateTimeField(auto_now=True)),
            ],
            options={
                "ordering": ["created_at", "id"],
            },
        ),
        migrations.AddField(
            model_name="flag",
            name="acknowledged_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="flag",
            name="acknowledged_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="flag",
            name="escalated_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="flag",
            name="escalated_to",
            field=models.JSONField(blank=True, default=list),
        ),
        migrations.AddField(
            model_name="flag",
            name="urgent",
            field=models.BooleanField(default=False),
        ),
        migrations.RunPython(mark_existing_flags, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="flag",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("acknowledged_at__isnull", True), ("acknowledged_by__isnull", True)),
                    models.Q(("acknowledged_at__isnull", False), ("acknowledged_by__isnull", False)),
                    _connector="OR",
                ),
                name="flag_acknowledged_by_whom",
            ),
        ),
        migrations.AddConstraint(
            model_name="flag",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("resolved_at__isnull", True), ("acknowledged_at__isnull", False), _connector="OR"
                ),
                name="flag_resolved_is_acknowledged",
            ),
        ),
        migrations.AddField(
            model_name="staffalert",
            name="flag",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT, related_name="alerts", to="clinic.flag"
            ),
        ),
        migrations.AddIndex(
            model_name="staffalert",
            index=models.Index(fields=["status"], name="staff_alert_status"),
        ),
        migrations.AddConstraint(
            model_name="staffalert",
            constraint=models.UniqueConstraint(fields=("flag", "kind"), name="staff_alert_once_per_flag"),
        ),
        migrations.AddConstraint(
            model_name="staffalert",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("status", "sending"), _negated=True),
                    models.Q(("attempt__isnull", False), ("claimed_at__isnull", False)),
                    _connector="OR",
                ),
                name="staff_alert_sending_is_claimed",
            ),
        ),
    ]
