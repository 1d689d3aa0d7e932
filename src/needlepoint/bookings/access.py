"""Access to appointments: the one helper every appointment-scoped view uses.

Like the helpers in `needlepoint.clinic.access`, it returns the appointment or raises 404 (never
a glimpse: another patient's appointment, an unknown one and a page the role may not open all
look the same) and writes the "view" audit event for every appointment it returns."""

from django.http import Http404, HttpRequest

from needlepoint.accounts.models import User
from needlepoint.audit.services import audit_record
from needlepoint.bookings.models import Appointment
from needlepoint.clinic.access import _get, visible_patients


def get_appointment_for_user(
    request: HttpRequest, appointment_id: int | str, *, staff_only: bool = True
) -> Appointment:
    """Return the appointment if `request.user` may see it: clinic staff see every appointment,
    a patient only their own (and only where `staff_only` is False). Audited as a view."""
    user = request.user
    if staff_only and not (isinstance(user, User) and user.is_clinic_staff):
        raise Http404("No such appointment.")
    appointment = _get(
        Appointment.objects.filter(patient__in=visible_patients(user)).select_related(
            "patient", "course", "appointment_type", "location", "practitioner", "room"
        ),
        appointment_id,
    )
    audit_record(
        actor=user,
        action="view",
        obj=appointment,
        summary=f"appointment {appointment.starts_at:%Y-%m-%d %H:%M}",
    )
    return appointment
