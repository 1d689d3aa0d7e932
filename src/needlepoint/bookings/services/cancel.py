"""Cancelling a booked visit (a course's session or a consultation): its time is freed, the
patient's reminders stop, and the clinic's notice period decides whether it was cancelled late."""

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from needlepoint.accounts.models import User
from needlepoint.audit.services import audit_record
from needlepoint.bookings.core_adapter import location_zone
from needlepoint.bookings.models import Appointment, AppointmentStatus, Hold
from needlepoint.bookings.services import ServiceError
from needlepoint.bookings.services._common import FIXED
from needlepoint.bookings.services.book import sync_reminders
from needlepoint.clinic.models import Inquiry, InquiryStatus, SessionStatus, TreatmentSession
from needlepoint.clinic.services import bump_version, require_role
from needlepoint.words import human_when


def late_cancel_notice() -> dt.timedelta:
    """The clinic's notice period: a visit cancelled less than this before it starts is a late
    cancellation (NEEDLEPOINT_LATE_CANCEL_HOURS, 24 by default; a clinic's choice, e.g. for a
    cancellation fee)."""
    return dt.timedelta(hours=int(getattr(settings, "NEEDLEPOINT_LATE_CANCEL_HOURS", 24)))


@transaction.atomic
def appointment_cancel(
    *, appointment: Appointment, actor: User, reason: str, expected_version: int
) -> Appointment:
    """Cancel `appointment`: its resources are freed, its calendar event is cancelled (SEQUENCE
    raised), its unsent reminders are cancelled and its session is unscheduled. The cancelled
    appointment keeps its link to its session (its calendar event keeps its title) until the
    session is booked again. Inside the clinic's notice period (`late_cancel_notice()` before the
    start, or later) it is recorded as a late cancellation. Refused for a signed session, a visit
    already cancelled, attended or missed, or a stale version."""
    require_role(actor, doing="cancel an appointment")
    reason = " ".join((reason or "").split())
    if not reason:
        raise ServiceError("Say why the appointment is cancelled.", field="reason")
    if len(reason) > 200:
        raise ServiceError("Keep the reason under 200 characters.", field="reason")
    locked = (
        Appointment.objects.select_for_update(of=("self",))
        .select_related("session", "location")
        .get(pk=appointment.pk)
    )
    _check_cancellable(locked)
    now = timezone.now()
    late = now > locked.starts_at - late_cancel_notice()
    status = AppointmentStatus.LATE_CANCELLATION if late else AppointmentStatus.CANCELLED
    bump_version(
        locked,
        expected=expected_version,
        status=status,
        arrived_at=None,
        cancelled_at=now,
        cancel_reason=reason,
        sequence=locked.sequence + 1,
    )
    Hold.objects.filter(appointment=locked, active=True).update(active=False)
    if locked.session_id is not None and TreatmentSession.objects.filter(pk=locked.session_id).exclude(
        status__in=FIXED
    ).update(practitioner=None):
        audit_record(
            actor=actor,
            action="change",
            obj=locked.session,
            summary="unscheduled: its appointment was cancelled",
        )
    audit_record(
        actor=actor,
        action="change",
        obj=locked,
        summary=f"cancelled{' late' if late else ''} the appointment of "
        f"{human_when(locked.starts_at, location_zone(locked.location))}: {reason}",
    )
    _release_inquiry(locked, actor)
    sync_reminders([locked], actor)
    return locked


def _check_cancellable(appointment: Appointment) -> None:
    if appointment.is_cancelled:
        raise ServiceError("This appointment is already cancelled.", field="appointment")
    if appointment.status in (AppointmentStatus.ATTENDED, AppointmentStatus.NO_SHOW):
        raise ServiceError(
            f"This visit is recorded as {appointment.get_status_display().lower()}: it cannot be cancelled.",
            field="appointment",
        )
    if appointment.session is not None and appointment.session.status == SessionStatus.SIGNED:
        raise ServiceError(
            "This session has been charted and signed: it cannot be cancelled.", field="appointment"
        )


def _release_inquiry(appointment: Appointment, actor: User) -> None:
    """A cancelled consultation booked from an inquiry puts the inquiry back in the front
    desk's queue, as "contacted": "consultation booked" stays true only with a visit behind it."""
    if appointment.inquiry_id is None:
        return
    if Inquiry.objects.filter(pk=appointment.inquiry_id, status=InquiryStatus.BOOKED).update(
        status=InquiryStatus.CONTACTED
    ):
        audit_record(
            actor=actor,
            action="change",
            object_type="clinic.inquiry",
            object_id=str(appointment.inquiry_id),
            patient_id=appointment.patient_id,
            summary="status contacted: its consultation was cancelled",
        )
