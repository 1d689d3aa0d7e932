"""`{% visit_actions appointment %}`: the front desk's buttons for one visit ("Arrived", "Did not
attend"), offered only when they can work now; the services check again."""

from typing import Any

from django import template
from django.utils import timezone

from needlepoint.bookings.models import Appointment, AppointmentStatus

register = template.Library()


@register.inclusion_tag("bookings/visit_actions.html", takes_context=True)
def visit_actions(context: template.Context, appointment: Appointment) -> dict[str, Any]:
    request = context.get("request")
    now = timezone.now()
    booked = appointment.status == AppointmentStatus.BOOKED
    return {
        "appointment": appointment,
        "csrf_token": context.get("csrf_token"),
        "next": request.get_full_path() if request is not None else "",
        "can_arrive": booked and timezone.localdate(appointment.starts_at) == timezone.localdate(now),
        "can_miss": booked and appointment.starts_at <= now,
    }
