"""Keeping each visit's reminder rows in line with what its plan asks for (`reminder_plan`),
after every booking, move, cancellation and visit outcome, and queueing their sends
(`needlepoint.bookings.tasks.send_reminder`, after commit). Each visit gets each message once:
the database refuses two pending (scheduled or sending) reminders of one kind due at the same
moment for one appointment (`reminder_once_per_moment`), and the sync never schedules one at a
moment a message of that kind already went out."""

import datetime as dt

from django.db import transaction
from django.utils import timezone

from needlepoint.accounts.models import User
from needlepoint.audit.services import audit_record
from needlepoint.bookings.models import (
    LIVE,
    Appointment,
    Reminder,
    ReminderStatus,
)
from needlepoint.bookings.services.reminder_plan import Planned, planned_reminders

UNSENT = (ReminderStatus.SCHEDULED, ReminderStatus.CANCELLED)
"""Statuses a sync may change. Sent, sending and failed reminders are left as they are."""


@transaction.atomic
def reminders_sync(*, appointment: Appointment, actor: User | None = None) -> list[Reminder]:
    """Make the appointment's reminders match its plan, its time and its status, and queue the
    send of each new or moved one after commit. Returns all the appointment's reminders, by due
    time (sent and cancelled ones included). Safe to call again: nothing changes the second
    time. `actor` (optional) is who caused it, for the audit trail.

    A move changes the due time and the text of every reminder not yet sent and queues a new
    task; the old task finds a different due time when it runs and does nothing. A
    cancellation or a no-show cancels every unsent reminder. Sent, sending and failed reminders
    are history: never changed. A reminder already due is neither made nor sent late (`_update`)."""
    appointment = Appointment.objects.select_related("patient", "location", "session", "course").get(
        pk=appointment.pk
    )
    now = timezone.now()
    planned = {p.key: p for p in planned_reminders(appointment)} if _active(appointment) else {}
    existing = {
        (r.kind, r.code): r for r in Reminder.objects.select_for_update().filter(appointment=appointment)
    }
    counts = {"scheduled": 0, "moved": 0, "cancelled": 0, "unchanged": 0}
    # Cancel first, then move, then create: each step frees the moments the next one takes.
    for key, reminder in existing.items():
        if key not in planned and reminder.status == ReminderStatus.SCHEDULED:
            _cancel(reminder)
            counts["cancelled"] += 1
    updates = [
        (existing[key], plan)
        for key, plan in planned.items()
        if key in existing and existing[key].status in UNSENT
    ]
    for reminder, plan in _in_collision_free_order(updates):
        counts[_update(reminder, plan, now)] += 1
    gone = {(r.kind, r.due_at) for r in existing.values() if r.status not in UNSENT}
    for key, plan in planned.items():
        if key not in existing and plan.due_at > now and (plan.kind, plan.due_at) not in gone:
            _schedule(appointment, plan)
            counts["scheduled"] += 1
    counts.pop("unchanged")
    if any(counts.values()):
        audit_record(
            actor=actor,
            action="change",
            obj=appointment,
            summary="reminders: " + ", ".join(f"{n} {what}" for what, n in counts.items() if n),
        )
    return list(Reminder.objects.filter(appointment=appointment).order_by("due_at", "id"))


def _in_collision_free_order(updates: list[tuple[Reminder, Planned]]) -> list[tuple[Reminder, Planned]]:
    """Order the moves so that no reminder lands on a moment another of its kind still holds
    (the database checks each row as it is written): moves later go latest first, moves
    earlier go earliest first. A whole session moving by two days takes day-1's check-in to
    where day-3's was, so day-3's must go first."""
    later = sorted((u for u in updates if u[1].due_at > u[0].due_at), key=lambda u: u[1].due_at, reverse=True)
    rest = sorted((u for u in updates if u[1].due_at <= u[0].due_at), key=lambda u: u[1].due_at)
    return later + rest


def _active(appointment: Appointment) -> bool:
    """True for a booked (or arrived, attended) course session: a consultation, or a visit
    cancelled or missed, has no reminders."""
    return (
        appointment.status in LIVE
        and appointment.session_id is not None
        and appointment.course_id is not None
    )


def _schedule(appointment: Appointment, plan: Planned) -> None:
    reminder = Reminder(
        appointment=appointment,
        kind=plan.kind,
        code=plan.code,
        due_at=plan.due_at,
        subject=plan.subject,
        body=plan.body,
    )
    reminder.full_clean()
    reminder.save()
    _enqueue_on_commit(reminder)


def _update(reminder: Reminder, plan: Planned, now: dt.datetime) -> str:
    """Bring one unsent reminder in line with the plan; return what happened, for the audit.
    A reminder whose due time has already passed is not sent late (the clinic's choice): it is
    cancelled. "Stop retinoids 2 weeks before" read 5 days before would ask for something that
    can no longer be done as written; the booking screen shows the plan's preparation, and
    staff talk it through when a session is booked late."""
    if plan.due_at <= now:
        if reminder.status == ReminderStatus.SCHEDULED:
            _cancel(reminder)
            return "cancelled"
        return "unchanged"
    moved = reminder.due_at != plan.due_at or reminder.status != ReminderStatus.SCHEDULED
    if not moved and (reminder.subject, reminder.body) == (plan.subject, plan.body):
        return "unchanged"
    reminder.due_at, reminder.subject, reminder.body = plan.due_at, plan.subject, plan.body
    reminder.status = ReminderStatus.SCHEDULED
    reminder.full_clean()
    reminder.save(update_fields=["due_at", "subject", "body", "status", "updated_at"])
    if moved:
        _enqueue_on_commit(reminder)
        return "moved"
    return "unchanged"


def _cancel(reminder: Reminder) -> None:
    reminder.status = ReminderStatus.CANCELLED
    reminder.save(update_fields=["status", "updated_at"])


def _enqueue_on_commit(reminder: Reminder) -> None:
    reminder_id, due_at = reminder.pk, reminder.due_at
    transaction.on_commit(lambda: enqueue(reminder_id=reminder_id, due_at=due_at))


def enqueue(*, reminder_id: int, due_at: dt.datetime) -> str:
    """Queue the send of a reminder at its due time and note the task on the reminder (when the
    reminder still has that due time). Returns the task's id. Queuing twice is harmless: the
    task claims the reminder before sending."""
    from needlepoint.bookings.tasks import send_reminder

    result = send_reminder.using(run_after=due_at).enqueue(reminder_id, due_iso(due_at))
    Reminder.objects.filter(pk=reminder_id, due_at=due_at, status=ReminderStatus.SCHEDULED).update(
        task_id=str(result.id)[:64]
    )
    return str(result.id)


def due_iso(due_at: dt.datetime) -> str:
    """The due time as the task receives it: ISO 8601 in UTC (whole seconds, see `_at`)."""
    return due_at.astimezone(dt.UTC).isoformat()
