"""`django-admin reminders_requeue`: the worker's sweep, run once by hand: queue again the
reminders whose send task was lost, settle the sends a stopped worker interrupted, escalate
urgent flags nobody acknowledged. Safe to run at any time and as often as wanted; the worker
(`clinic_worker`) runs it itself every minute."""

from typing import Any

from django.core.management.base import BaseCommand

from needlepoint.bookings.tasks import sweep


class Command(BaseCommand):
    help = "Run the sweep once: re-queue lost reminders, settle interrupted sends, escalate flags."

    def handle(self, *args: Any, **options: Any) -> None:
        report = sweep()
        self.stdout.write(
            f"reminders re-queued: {report.requeued}; interrupted sends settled: "
            f"{report.interrupted}; abandoned tasks: {report.abandoned_tasks}; "
            f"alerts re-queued: {report.alerts_requeued}; alerts settled: "
            f"{report.alerts_settled}; flags escalated: {report.escalated}"
        )
