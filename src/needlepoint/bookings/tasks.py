"""Background work for reminders: the send, run by the django-tasks-db worker (`db_worker`), and
the sweeper that re-queues a send whose task was lost.

Sending at most once: the task first claims the reminder with one conditional UPDATE (scheduled,
due at exactly the time the task was queued for, appointment still booked, due time reached →
sending). The claim commits before the email goes out, so a retry, a second task for the same
reminder, or a task queued before a move finds no row to claim and does nothing. The price: a
worker killed between the claim and the end of the send leaves the reminder "sending"; the
sweeper marks it failed after STALE_SENDING, with a delivery saying the email may or may not have
gone, rather than risk a second copy (healthchecks' sendalerts takes the same side)."""

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.tasks import TaskResultStatus, task
from django.tasks.exceptions import TaskResultDoesNotExist
from django.utils import timezone
from django_tasks_db.backend import DatabaseBackend
from django_tasks_db.models import DBTaskResult

from needlepoint.audit.services import audit_record
from needlepoint.bookings.models import LIVE, Delivery, Reminder, ReminderStatus
from needlepoint.clinic.models import Flag
from needlepoint.clinic.services.aftercare import flag_raise

MAILER = "default"
"""The MAILERS alias reminders go out through."""

STALE_SENDING = dt.timedelta(minutes=15)
"""Clinic's choice: a send still "sending" after this long was interrupted (a send takes seconds)."""

MAX_LATENESS = dt.timedelta(hours=6)
"""Clinic's choice: a reminder the worker reaches more than 6 hours after its due time (it was
down) is not sent but failed, so "your session tomorrow" never arrives after the session."""


@task()
def send_reminder(reminder_id: int, due: str) -> str:
    """Send one reminder if it is still due at `due` (ISO 8601) and nobody sent it yet. Returns
    what happened: "sent", "failed" or "skipped" (moved, cancelled, already claimed, or early)."""
    due_at = dt.datetime.fromisoformat(due)
    now = timezone.now()
    claimed = Reminder.objects.filter(
        pk=reminder_id, status=ReminderStatus.SCHEDULED, due_at=due_at, due_at__lte=now,
        appointment__status__in=LIVE,
    ).update(status=ReminderStatus.SENDING, updated_at=now)
    if claimed == 0:
        return "skipped"
    reminder = Reminder.objects.select_related("appointment__patient").get(pk=reminder_id)
    recipient = reminder.appointment.patient.email.strip()
    if now - due_at > MAX_LATENESS:
        local = timezone.localtime(due_at, timezone.get_default_timezone())
        return _record(reminder, recipient, ok=False, detail=(
            f"Not sent: it was due at {local:%Y-%m-%d %H:%M} and the worker reached it too late."))
    if not recipient:
        return _record(reminder, "", ok=False, detail="The patient has no email address on record.")
    try:
        EmailMessage(reminder.subject, reminder.body, settings.DEFAULT_FROM_EMAIL, [recipient]).send(
            using=MAILER)
    except Exception as exc:  # any failure of the mail backend is recorded, never retried blindly
        return _record(reminder, recipient, ok=False, detail=f"{type(exc).__name__}: {exc}"[:2000])
    return _record(reminder, recipient, ok=True, detail="")


@transaction.atomic
def _record(reminder: Reminder, recipient: str, *, ok: bool, detail: str) -> str:
    """Write the delivery and the reminder's outcome together; returns "sent" or "failed"."""
    delivery = Delivery(reminder=reminder, recipient=recipient, ok=ok, detail=detail)
    delivery.full_clean(exclude=None if recipient else ["recipient"])  # blank: no address on record
    delivery.save()
    status = ReminderStatus.SENT if ok else ReminderStatus.FAILED
    Reminder.objects.filter(pk=reminder.pk, status=ReminderStatus.SENDING).update(
        status=status, sent_at=timezone.now() if ok else None, updated_at=timezone.now())
    audit_record(actor=None, action="create", obj=delivery, patient_id=reminder.appointment.patient_id,
                 summary=f"{reminder.get_kind_display()} reminder ({reminder.code}) "
                 + ("emailed" if ok else f"not delivered: {detail}"))
    if not ok:
        _flag_undelivered(reminder, detail)
    return str(status)


def _flag_undelivered(reminder: Reminder, detail: str) -> None:
    """Raise a flag on the staff dashboard: the patient did not get this message (preparation,
    aftercare or a check-in invitation), so someone has to tell them another way."""
    when = timezone.localtime(reminder.appointment.starts_at, timezone.get_default_timezone())
    head = f"{reminder.get_kind_display()} email about the visit of {when:%d %b %Y %H:%M} was not delivered: "
    tail = ". Contact the patient."
    room = Flag._meta.get_field("reason").max_length - len(head) - len(tail)
    why = detail.strip().rstrip(".")
    why = why if len(why) <= room else why[: room - 1].rstrip() + "…"
    flag_raise(patient_id=reminder.appointment.patient_id, reason=head + why + tail,
               summary="flag raised: a reminder was not delivered")


# ---- the sweeper -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RequeueReport:
    requeued: int  # scheduled reminders whose task was missing, finished or never queued
    interrupted: int  # "sending" for longer than STALE_SENDING, now failed


def reminders_requeue(*, now: dt.datetime | None = None) -> RequeueReport:
    """Queue again every scheduled reminder whose send task is lost (never queued, gone, or
    finished without sending), and fail the sends interrupted mid-way. Idempotent: a reminder
    with a live task is left alone, and a duplicate task could not send twice anyway."""
    from needlepoint.bookings.reminders import enqueue

    now = now or timezone.now()
    scheduled = list(Reminder.objects.filter(status=ReminderStatus.SCHEDULED).only("pk", "due_at", "task_id"))
    alive = _alive_tasks([r.task_id for r in scheduled if r.task_id])
    requeued = 0
    for reminder in scheduled:
        if reminder.task_id not in alive:
            enqueue(reminder_id=reminder.pk, due_at=reminder.due_at)
            requeued += 1
    interrupted = 0
    stale = Reminder.objects.filter(status=ReminderStatus.SENDING, updated_at__lt=now - STALE_SENDING)
    for reminder in stale.select_related("appointment__patient"):
        interrupted += _fail_interrupted(reminder)
    return RequeueReport(requeued, interrupted)


def _alive_tasks(task_ids: list[str]) -> set[str]:
    """Return the ids among `task_ids` of tasks still queued or running (each will claim its
    reminder itself). One query on the database backend; one look-up per task on others."""
    backend = send_reminder.get_backend()
    if isinstance(backend, DatabaseBackend):
        live = DBTaskResult.objects.filter(id__in=task_ids, status__in=[
            TaskResultStatus.READY, TaskResultStatus.RUNNING]).values_list("id", flat=True)
        return {str(i) for i in live}
    alive = set()
    for task_id in task_ids:
        try:
            result: Any = backend.get_result(task_id)
        except (TaskResultDoesNotExist, NotImplementedError):
            continue
        if not result.is_finished:
            alive.add(task_id)
    return alive


@transaction.atomic
def _fail_interrupted(reminder: Reminder) -> int:
    changed = Reminder.objects.filter(pk=reminder.pk, status=ReminderStatus.SENDING).update(
        status=ReminderStatus.FAILED, updated_at=timezone.now())
    if changed:
        detail = ("The send was interrupted (the worker stopped); the email may or may not have gone "
                  "out, so it is not sent again. Check with the patient.")
        delivery = Delivery.objects.create(reminder=reminder, recipient=reminder.appointment.patient.email,
                                           ok=False, detail=detail)
        audit_record(actor=None, action="create", obj=delivery, patient_id=reminder.appointment.patient_id,
                     summary=f"{reminder.get_kind_display()} reminder ({reminder.code}): send interrupted")
        _flag_undelivered(reminder, "the send was interrupted; it may or may not have gone out.")
    return changed
