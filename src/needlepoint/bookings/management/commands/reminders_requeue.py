"""`django-admin reminders_requeue`: queue again the reminders whose send task was lost, and fail
the sends a stopped worker interrupted. Safe to run at any time and as often as wanted (at every
start of `make run`; in production from cron, e.g. every 15 minutes)."""

from typing import Any

from django.core.management.base import BaseCommand

from needlepoint.bookings.tasks import reminders_requeue


class Command(BaseCommand):
    help = "Re-queue reminders whose send task was lost; fail sends interrupted mid-way."

    def handle(self, *args: Any, **options: Any) -> None:
        report = reminders_requeue()
        self.stdout.write(f"reminders re-queued: {report.requeued}; interrupted sends failed: "
                          f"{report.interrupted}")
