"""Reminders sent once: the claim notes its attempt, time and Message-ID; two pending reminders
of one kind at one moment for one appointment are refused.

Before the constraints, pending duplicates are merged: where several preparation letters of one
appointment were due at the same moment (one per care item), the first keeps the others' items
in its list and the others are cancelled (the next sync of the appointment replaces it with the
one letter per day). A reminder left "sending" is stamped as claimed when it was last changed,
so the sweep treats it as an interrupted send."""

import uuid
from collections import defaultdict

from django.db import migrations, models


def merge_pending_duplicates(apps, schema_editor):
    Reminder = apps.get_model("bookings", "Reminder")
    groups = defaultdict(list)
    for reminder in Reminder.objects.filter(status__in=["scheduled", "sending"]).order_by("id"):
        groups[(reminder.appointment_id, reminder.kind, reminder.due_at)].append(reminder)
    for keep, *others in (g for g in groups.values() if len(g) > 1):
        lines = keep.body.split("\n")
        last = max((i for i, line in enumerate(lines) if line.startswith("- ")), default=len(lines) - 1)
        extra = [
            line
            for other in others
            for line in other.body.split("\n")
            if line.startswith("- ") and line not in lines
        ]
        keep.body = "\n".join(lines[: last + 1] + extra + lines[last + 1 :])
        keep.save(update_fields=["body"])
        Reminder.objects.filter(pk__in=[o.pk for o in others], status="scheduled").update(status="cancelled")
        Reminder.objects.filter(pk__in=[o.pk for o in others], status="sending").update(status="failed")
    for reminder in Reminder.objects.filter(status="sending"):
        reminder.attempt, reminder.claimed_at = uuid.uuid4(), reminder.updated_at
        reminder.save(update_fields=["attempt", "claimed_at"])


class Migration(migrations.Migration):
    dependencies = [
        ("bookings", "0004_appointment_statuses"),
    ]

    operations = [
        migrations.AddField(
            model_name="reminder",
            name="attempt",
            field=models.UUIDField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="reminder",
            name="claimed_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="reminder",
            name="message_id",
            field=models.CharField(blank=True, max_length=200),
        ),
        migrations.RunPython(merge_pending_duplicates, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="reminder",
            constraint=models.UniqueConstraint(
                condition=models.Q(("status__in", ("scheduled", "sending"))),
                fields=("appointment", "kind", "due_at"),
                name="reminder_once_per_moment",
            ),
        ),
        migrations.AddConstraint(
            model_name="reminder",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("status", "sending"), _negated=True),
                    models.Q(("attempt__isnull", False), ("claimed_at__isnull", False)),
                    _connector="OR",
                ),
                name="reminder_sending_is_claimed",
            ),
        ),
    ]
