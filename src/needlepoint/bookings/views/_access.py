"""Access to appointments: the one helper every appointment-scoped view uses.

Like the helpers in `needlepoint.clinic.access`, it returns the appointment or raises 404 —
never a glimpse: another patient's appointment, an unknown one and a page the role may not open
all look the same — and writes the "view" audit event for every appointment it returns."""

from typing import Any

from django.http import Http404, HttpRequest

from needlepoint.audit.services import audit_record
from needlepoint.bookings.models import Appointment
from needlepoint.clinic.access import visible_patients


def get_appointment_for_user(
    request: HttpRequest, appointment_id: Any, *, staff_only: bool = True
) -> Appointment:
    """Return the appointment if `request.user` may see it: clinic staff see every appointment,
    a patient only their own (and only where `staff_only` is False). Audited as a view."""
    user = request.user
    if staff_only and not getattr(user, "is_clinic_staff", False):
        raise Http404("No such appointment.")
    qs = Appointment.objects.filter(patient__in=visible_patients(user)).select_related(
        "patient", "course", "appointment_type", "location", "practitioner", "room"
    )
    try:
        appointment = qs.get(pk=int(appointment_id))
    except (ValueError, TypeError, Appointment.DoesNotExist):
        raise Http404("No such appointment.") from None
    audit_record(
        actor=user,
        action="view",
        obj=appointment,
        summary=f"appointment {appointment.starts_at:%Y-%m-%d %H:%M}",
    )
    return appointment
