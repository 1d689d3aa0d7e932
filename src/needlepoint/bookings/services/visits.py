"""A visit as the clinic runs it: the front desk marks the patient arrived or not come
(no-show), and signing the session's chart marks its appointment attended.

    booked ──▶ arrived ──▶ attended
      │  └──────────────────▲  (signed without the arrival marked)
      ├──▶ no-show (only once its start has passed)
      └──▶ cancelled / cancelled late (`cancel.appointment_cancel`)

Every change is audited and guarded by a conditional update, so two people marking the same
visit at once cannot both succeed."""

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone

from needlepoint.accounts.models import User
from needlepoint.audit.services import audit_record
from needlepoint.bookings.core_adapter import location_zone
from needlepoint.bookings.models import Appointment, AppointmentStatus
from needlepoint.bookings.services import ServiceError, StaleEdit
from needlepoint.bookings.services._common import FIXED, local_today
from needlepoint.bookings.services.reminders import reminders_sync
from needlepoint.clinic.models import TreatmentSession
from needlepoint.clinic.services import require_role
from needlepoint.words import human_day

STATE_WORDS = {
    "booked": "booked",
    "arrived": "already marked arrived",
    "attended": "already attended",
    "no_show": "recorded as not attended",
    "cancelled": "cancelled",
    "late_cancellation": "cancelled",
}


def _state(appointment: Appointment) -> str:
    return STATE_WORDS.get(appointment.status, appointment.status)


def _local_day(appointment: Appointment) -> dt.date:
    return appointment.starts_at.astimezone(location_zone(appointment.location)).date()


def _locked(appointment: Appointment, expected_version: int | None) -> Appointment:
    row = (
        Appointment.objects.select_for_update(of=("self",))
        .select_related("location", "session")
        .get(pk=appointment.pk)
    )
    if expected_version is not None and row.version != expected_version:
        raise StaleEdit(
            "Someone else changed this visit after you opened it. Reload the page to see its status now.",
            field="version",
        )
    return row


def _move_to(row: Appointment, *, actor: User, summary: str, **changes: Any) -> Appointment:
    """Apply `changes` if the row still has the status and version it was read with."""
    updated = Appointment.objects.filter(pk=row.pk, status=row.status, version=row.version).update(
        version=row.version + 1, updated_at=timezone.now(), **changes
    )
    if updated != 1:
        raise StaleEdit(
            "Someone else changed this visit meanwhile. Reload the page to see its status now.",
            field="version",
        )
    row.refresh_from_db()
    audit_record(actor=actor, action="change", obj=row, summary=summary)
    return row


def _sync(row: Appointment, actor: User) -> None:
    if row.session_id is not None:
        reminders_sync(appointment=row, actor=actor)


@transaction.atomic
def appointment_arrive(
    *, appointment: Appointment, actor: User, expected_version: int | None = None
) -> Appointment:
    """Record that the patient has arrived for `appointment` (front desk or clinical staff).
    Refused unless the visit is booked and is today in the location's zone: not for a future
    day, nor for a day gone by (then it is attended, through the chart, or a no-show)."""
    require_role(actor, doing="mark a patient arrived")
    row = _locked(appointment, expected_version)
    if row.status != AppointmentStatus.BOOKED:
        raise ServiceError(
            f"This visit is {_state(row)}: the patient cannot be marked arrived.", field="status"
        )
    day, today = _local_day(row), local_today(location_zone(row.location))
    if day != today:
        when = "is on" if day > today else "was on"
        raise ServiceError(
            f"This visit {when} {human_day(day)}: a patient is marked arrived only on the day of the visit.",
            field="status",
        )
    local = timezone.now().astimezone(location_zone(row.location))
    return _move_to(
        row,
        actor=actor,
        summary=f"patient arrived at {local:%H:%M}",
        status=AppointmentStatus.ARRIVED,
        arrived_at=timezone.now(),
    )


@transaction.atomic
def appointment_no_show(
    *, appointment: Appointment, actor: User, expected_version: int | None = None
) -> Appointment:
    """Record that the patient did not come to `appointment`. Refused before the visit's
    start, once the patient has arrived, or for a session already being charted. Its holds
    stay active (the time was set aside and lost); the session (if any) is free to be booked
    again; unsent reminders are cancelled."""
    require_role(actor, doing="mark a visit as missed")
    row = _locked(appointment, expected_version)
    if row.status != AppointmentStatus.BOOKED:
        raise ServiceError(
            f"This visit is {_state(row)}: it cannot be marked as not attended.", field="status"
        )
    if timezone.now() < row.starts_at:
        local = row.starts_at.astimezone(location_zone(row.location))
        raise ServiceError(
            f"This visit starts at {local:%H:%M} on {human_day(local.date())}: it can be "
            "marked as not attended only once that time has passed.",
            field="status",
        )
    if row.session is not None and row.session.status in FIXED:
        raise ServiceError(
            "This session is being charted or has been signed: the patient came.", field="status"
        )
    row = _move_to(
        row,
        actor=actor,
        summary="patient did not attend",
        status=AppointmentStatus.NO_SHOW,
        no_show_at=timezone.now(),
    )
    if row.session_id is not None:
        TreatmentSession.objects.filter(pk=row.session_id).exclude(status__in=FIXED).update(practitioner=None)
    _sync(row, actor)
    return row


@transaction.atomic
def appointment_attended(*, session: TreatmentSession, actor: User) -> Appointment | None:
    """Mark the appointment of `session` attended (called when its chart is signed, by clinical
    staff) and bring its reminders in line: unsent preparation messages ("session tomorrow")
    are cancelled, the aftercare timeline runs from the day of the visit. Returns the
    appointment; None when the session has no booked visit (a chart from before the calendar).
    Refused for a visit on a later day than today: it has not happened yet."""
    require_role(actor, doing="record a visit as attended", clinical=True)
    row = (
        Appointment.objects.select_for_update(of=("self",))
        .select_related("location", "session")
        .filter(session_id=session.pk, status__in=(AppointmentStatus.BOOKED, AppointmentStatus.ARRIVED))
        .first()
    )
    if row is None:
        return Appointment.objects.filter(session_id=session.pk, status=AppointmentStatus.ATTENDED).first()
    day, today = _local_day(row), local_today(location_zone(row.location))
    if day > today:
        raise ServiceError(
            f"This session is booked for {human_day(day)}: it cannot be recorded as "
            "attended before it has happened.",
            field="status",
        )
    row = _move_to(
        row,
        actor=actor,
        summary=f"attended: session {session.number} signed",
        status=AppointmentStatus.ATTENDED,
        attended_at=timezone.now(),
    )
    _sync(row, actor)
    return row
