"""Background work for reminders: the send, run by the worker (`django-admin clinic_worker`, the
django-tasks-db worker with the sweep beside it), and the sweep that finds what a stopped
worker left behind.

Sending once (what email allows is stated in `needlepoint.mailing`): the task first claims the
reminder with one conditional UPDATE (scheduled, due at exactly the time the task was queued
for, appointment still booked, due time reached → sending, with a new attempt id, the claim's
time and the email's Message-ID). The claim commits before the email goes out, so a retry, a
second task for the same reminder, or a task queued before a move finds no row to claim and does
nothing. The outcome is recorded for that attempt only.

A worker killed with kill -9 stops wherever it is. Each place, and what the sweep does:
- task taken from the queue, reminder not yet claimed: the task stays "running" for ever; the
  reminder is still scheduled, its task counts as lost once it has run longer than
  STALE_SENDING, and the reminder is queued again;
- claimed, not handed to the mail backend; or handed over, outcome not recorded: the claim is
  older than STALE_SENDING; the backend is asked whether it holds the Message-ID: yes → the send
  is recorded, not repeated; no → the reminder is queued again (same Message-ID); cannot tell
  (SMTP) → failed with a flag for staff ("may or may not have gone out"), never a second copy;
- recorded, task not marked finished: nothing is left to do for the reminder; the task row is
  marked failed ("the worker stopped") so the queue does not show it running for ever.

The sweep runs in the worker every SWEEP_EVERY (and once when it starts); with STALE_SENDING at
10 minutes, an interrupted send is retried or flagged within 11 minutes of its claim."""

import datetime as dt
import logging
import uuid
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.tasks import TaskResultStatus, task
from django.tasks.exceptions import TaskResultDoesNotExist
from django.utils import timezone
from django_tasks_db.backend import DatabaseBackend
from django_tasks_db.models import DBTaskResult

from needlepoint.audit.services import audit_record
from needlepoint.bookings.models import LIVE, Delivery, Reminder, ReminderStatus
from needlepoint.clinic.models import Flag
from needlepoint.clinic.services.aftercare import flag_raise
from needlepoint.mailing import message_id, send_email, was_delivered
from needlepoint.words import human_when

logger = logging.getLogger(__name__)

STALE_SENDING = dt.timedelta(minutes=10)
"""Clinic's choice: a send (or a send task) still going after this long was interrupted: a send
takes seconds, and the mail server's timeout (30 s in production) is far shorter."""

SWEEP_EVERY = dt.timedelta(minutes=1)
"""How often the worker sweeps (`clinic_worker --sweep-every`)."""

MAX_LATENESS = dt.timedelta(hours=6)
"""Clinic's choice: a reminder the worker reaches more than 6 hours after its due time (it was
down) is not sent but failed, so "your session tomorrow" never arrives after the session."""

SEND_TASKS = ("needlepoint.bookings.tasks.send_reminder", "needlepoint.clinic.alerts.send_staff_alert")


@task()
def send_reminder(reminder_id: int, due: str) -> str:
    """Send one reminder if it is still due at `due` (ISO 8601) and nobody sent it yet. Returns
    what happened: "sent", "failed" or "skipped" (moved, cancelled, already claimed, or early)."""
    due_at = dt.datetime.fromisoformat(due)
    now, attempt = timezone.now(), uuid.uuid4()
    known = Reminder.objects.filter(pk=reminder_id).values_list("message_id", flat=True).first()
    claimed = Reminder.objects.filter(
        pk=reminder_id,
        status=ReminderStatus.SCHEDULED,
        due_at=due_at,
        due_at__lte=now,
        appointment__status__in=LIVE,
    ).update(
        status=ReminderStatus.SENDING,
        attempt=attempt,
        claimed_at=now,
        updated_at=now,
        message_id=known or message_id("reminder", uuid.uuid4().hex),
    )
    if claimed == 0:
        return "skipped"
    reminder = Reminder.objects.select_related("appointment__patient").get(pk=reminder_id)
    recipient = reminder.appointment.patient.email.strip()
    if now - due_at > MAX_LATENESS:
        local = timezone.localtime(due_at, timezone.get_default_timezone())
        return _record(
            reminder,
            recipient,
            ok=False,
            detail=(f"Not sent: it was due at {local:%Y-%m-%d %H:%M} and the worker reached it too late."),
        )
    if not recipient:
        return _record(reminder, "", ok=False, detail="The patient has no email address on record.")
    try:
        send_email(
            subject=reminder.subject, body=reminder.body, to=[recipient], message_id=reminder.message_id
        )
    except Exception as exc:  # any failure of the mail backend is recorded, never retried blindly
        return _record(reminder, recipient, ok=False, detail=f"{type(exc).__name__}: {exc}"[:2000])
    return _record(reminder, recipient, ok=True, detail="")


@transaction.atomic
def _record(reminder: Reminder, recipient: str, *, ok: bool, detail: str) -> str:
    """Write the delivery and the outcome of the reminder's current attempt together; returns
    "sent" or "failed"."""
    delivery = Delivery(reminder=reminder, recipient=recipient, ok=ok, detail=detail)
    delivery.full_clean(exclude=None if recipient else ["recipient"])  # blank: no address on record
    delivery.save()
    status = ReminderStatus.SENT if ok else ReminderStatus.FAILED
    Reminder.objects.filter(pk=reminder.pk, attempt=reminder.attempt).update(
        status=status, sent_at=timezone.now() if ok else None, updated_at=timezone.now()
    )
    audit_record(
        actor=None,
        action="create",
        obj=delivery,
        patient_id=reminder.appointment.patient_id,
        summary=f"{reminder.get_kind_display()} reminder ({reminder.code}) "
        + ("emailed" if ok else f"not delivered: {detail}"),
    )
    if not ok:
        _flag_undelivered(reminder, detail)
    return str(status)


def _flag_undelivered(reminder: Reminder, detail: str) -> None:
    """Raise a flag on the staff dashboard: the patient did not get this message (preparation,
    aftercare or a check-in invitation), so someone has to tell them another way."""
    when = human_when(reminder.appointment.starts_at, timezone.get_default_timezone())
    head = f"{reminder.get_kind_display()} email about the visit of {when} was not delivered: "
    tail = ". Contact the patient."
    room = (Flag._meta.get_field("reason").max_length or 0) - len(head) - len(tail)
    why = detail.strip().rstrip(".")
    why = why if len(why) <= room else why[: room - 1].rstrip() + "…"
    flag_raise(
        patient_id=reminder.appointment.patient_id,
        reason=head + why + tail,
        summary="flag raised: a reminder was not delivered",
    )


# ---- the sweep ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SweepReport:
    requeued: int  # scheduled reminders whose send task was lost (never queued, gone, or dead)
    interrupted: int  # sends a stopped worker interrupted, settled (recorded, queued again or failed)
    abandoned_tasks: int  # send tasks left "running" by a stopped worker, now marked failed
    alerts_requeued: int = 0
    alerts_settled: int = 0
    escalated: int = 0


RequeueReport = SweepReport  # the name `reminders_requeue` has always returned


def sweep(*, now: dt.datetime | None = None, stale: dt.timedelta = STALE_SENDING) -> SweepReport:
    """Everything a stopped worker can leave behind, settled; and the urgent flags due for
    escalation, escalated. Idempotent: run it as often as wanted, from as many workers as
    wanted (each change is a conditional update). Returns what it did."""
    from needlepoint.clinic.alerts import alerts_sweep, flags_escalate

    now = now or timezone.now()
    scheduled = list(Reminder.objects.filter(status=ReminderStatus.SCHEDULED).only("pk", "due_at", "task_id"))
    alive = _alive_tasks([r.task_id for r in scheduled if r.task_id], now=now, stale=stale)
    requeued = 0
    for reminder in scheduled:
        if reminder.task_id not in alive:
            from needlepoint.bookings.services.reminders import enqueue

            enqueue(reminder_id=reminder.pk, due_at=reminder.due_at)
            requeued += 1
    interrupted = 0
    stuck = Reminder.objects.filter(status=ReminderStatus.SENDING, claimed_at__lt=now - stale)
    for reminder in stuck.select_related("appointment__patient"):
        interrupted += _settle_interrupted(reminder)
    alerts = alerts_sweep(now=now, stale=stale, alive=lambda ids: _alive_tasks(ids, now=now, stale=stale))
    return SweepReport(
        requeued,
        interrupted,
        _abandon_dead_tasks(now=now, stale=stale),
        alerts.requeued,
        alerts.settled,
        flags_escalate(now=now),
    )


def reminders_requeue(*, now: dt.datetime | None = None) -> SweepReport:
    """The sweep, under the name the management command has always used."""
    return sweep(now=now)


def _alive_tasks(task_ids: list[str], *, now: dt.datetime, stale: dt.timedelta) -> set[str]:
    """Return the ids among `task_ids` of tasks still queued, or running for less than `stale`
    (each will claim its message itself). A task running longer belongs to a stopped worker.
    One query on the database backend; one look-up per task on others."""
    backend = send_reminder.get_backend()
    if isinstance(backend, DatabaseBackend):
        live = (
            DBTaskResult.objects.filter(id__in=task_ids)
            .filter(
                Q(status=TaskResultStatus.READY)
                | Q(status=TaskResultStatus.RUNNING, started_at__gte=now - stale)
            )
            .values_list("id", flat=True)
        )
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


def _abandon_dead_tasks(*, now: dt.datetime, stale: dt.timedelta) -> int:
    """Mark failed the send tasks "running" for longer than `stale`: their worker stopped (the
    sweep has settled their message). Only this project's send tasks are touched."""
    if not isinstance(send_reminder.get_backend(), DatabaseBackend):
        return 0
    return DBTaskResult.objects.filter(
        status=TaskResultStatus.RUNNING,
        started_at__lt=now - stale,
        task_path__in=SEND_TASKS,
    ).update(
        status=TaskResultStatus.FAILED,
        finished_at=now,
        exception_class_path="needlepoint.bookings.tasks.WorkerStopped",
        traceback="The worker running this task stopped before it finished; the sweep settled its message.",
    )


def _settle_interrupted(reminder: Reminder) -> int:
    """Settle one send a stopped worker interrupted: recorded if the mail backend holds it,
    queued again if it surely does not, failed with a flag if it cannot tell. Returns 1 if this
    sweep settled it (0 if another did first)."""
    delivered = was_delivered(reminder.message_id)
    if delivered:
        if not _this_attempt(reminder).exists():
            return 0
        _record(
            reminder,
            reminder.appointment.patient.email,
            ok=True,
            detail=("Found in the outbox after the worker stopped: it went out once and is not sent again."),
        )
        return 1
    if delivered is False:
        return _send_again(reminder)
    return _fail_interrupted(reminder)


def _this_attempt(reminder: Reminder) -> QuerySet[Reminder]:
    """The reminder, if it is still in the interrupted attempt the sweep found."""
    return Reminder.objects.filter(pk=reminder.pk, attempt=reminder.attempt, status=ReminderStatus.SENDING)


@transaction.atomic
def _send_again(reminder: Reminder) -> int:
    changed = _this_attempt(reminder).update(
        status=ReminderStatus.SCHEDULED, attempt=None, claimed_at=None, updated_at=timezone.now()
    )
    if changed:
        from needlepoint.bookings.services.reminders import enqueue

        audit_record(
            actor=None,
            action="change",
            obj=reminder,
            patient_id=reminder.appointment.patient_id,
            summary=f"{reminder.get_kind_display()} reminder ({reminder.code}): send interrupted "
            "before it went out; queued again",
        )
        reminder_id, due_at = reminder.pk, reminder.due_at
        transaction.on_commit(lambda: enqueue(reminder_id=reminder_id, due_at=due_at))
    return changed


@transaction.atomic
def _fail_interrupted(reminder: Reminder) -> int:
    changed = _this_attempt(reminder).update(status=ReminderStatus.FAILED, updated_at=timezone.now())
    if changed:
        detail = (
            "The send was interrupted (the worker stopped); the email may or may not have gone "
            "out, so it is not sent again. Check with the patient."
        )
        delivery = Delivery.objects.create(
            reminder=reminder, recipient=reminder.appointment.patient.email, ok=False, detail=detail
        )
        audit_record(
            actor=None,
            action="create",
            obj=delivery,
            patient_id=reminder.appointment.patient_id,
            summary=f"{reminder.get_kind_display()} reminder ({reminder.code}): send interrupted",
        )
        _flag_undelivered(reminder, "the send was interrupted; it may or may not have gone out.")
    return changed
