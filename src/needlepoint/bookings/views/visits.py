"""The front desk's marks on a visit: the patient has arrived, or did not come (staff only;
patients and visitors get 404). Each is a plain form post that returns to the page it came
from with a message; the services decide what makes sense (see `bookings.services.visits`)."""

from collections.abc import Callable

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import URLPattern, path
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from needlepoint.bookings.access import get_appointment_for_user
from needlepoint.bookings.models import Appointment
from needlepoint.bookings.services import visits
from needlepoint.clinic.services import ServiceError


def _back(request: HttpRequest) -> HttpResponse:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect("clinic:dashboard")


def _version(request: HttpRequest) -> int | None:
    raw = request.POST.get("version", "")
    return int(raw) if raw.isdigit() else None


def _mark(
    request: HttpRequest, appointment_id: int, service: Callable[..., Appointment], done: str
) -> HttpResponse:
    appointment = get_appointment_for_user(request, appointment_id)
    try:
        service(appointment=appointment, actor=request.user, expected_version=_version(request))
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done.format(patient=appointment.patient))
    return _back(request)


@require_POST
def appointment_arrived(request: HttpRequest, appointment_id: int) -> HttpResponse:
    return _mark(request, appointment_id, visits.appointment_arrive, "{patient} has arrived.")


@require_POST
def appointment_no_show(request: HttpRequest, appointment_id: int) -> HttpResponse:
    return _mark(
        request,
        appointment_id,
        visits.appointment_no_show,
        "{patient}'s visit is recorded as not attended; the session can be booked again.",
    )


urls: list[URLPattern] = [
    path("appointments/<int:appointment_id>/arrived/", appointment_arrived, name="appointment_arrived"),
    path("appointments/<int:appointment_id>/no-show/", appointment_no_show, name="appointment_no_show"),
]
