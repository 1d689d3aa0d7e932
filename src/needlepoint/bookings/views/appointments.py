"""One appointment of a course, changed by clinic staff: reschedule it (a new date and time
inside its window, a preview of what else moves, confirm), cancel it with a reason, or book a new
time for a session whose appointment was cancelled (its window, a preview of the later sessions,
confirm). Previews are reads (GET); every change is a POST to a service; 409 when someone got
there first."""

from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from needlepoint.bookings.access import get_appointment_for_user
from needlepoint.bookings.forms import CancelForm, MoveForm, NewTimeForm
from needlepoint.bookings.models import Appointment, AppointmentStatus
from needlepoint.bookings.services import cancel, move, rebook, reflow_preview
from needlepoint.bookings.services._common import BOOKABLE
from needlepoint.bookings.views.booking import TEMPLATES, appointment_when
from needlepoint.clinic.access import get_session_for_user, require_staff
from needlepoint.clinic.models import TreatmentSession
from needlepoint.clinic.services import ServiceError, gate
from needlepoint.web.http import HtmxHttpRequest


class _Back(Exception):
    """The appointment cannot be changed: go back to where it is listed (with a message)."""

    def __init__(self, appointment: Appointment):
        self.appointment = appointment


def _changeable(request: HtmxHttpRequest, appointment_id: int) -> Appointment:
    """Return a booked appointment the staff member may change (404 for anyone else); audited."""
    appointment = get_appointment_for_user(request, appointment_id)
    if appointment.status != AppointmentStatus.BOOKED:
        messages.error(
            request,
            f"This appointment is {appointment.get_status_display().lower()}: it can no "
            "longer be moved or cancelled.",
        )
        raise _Back(appointment)
    return appointment


def _back(appointment: Appointment) -> HttpResponse:
    if appointment.course_id:
        return redirect("bookings:course_appointments", course_id=appointment.course_id)
    day = appointment.starts_at.astimezone(ZoneInfo(appointment.location.time_zone)).date()
    return redirect(reverse("bookings:calendar") + f"?date={day.isoformat()}")


def _move_page(
    request: HtmxHttpRequest,
    appointment: Appointment,
    form: MoveForm,
    *,
    preview: reflow_preview.MovePreview | None = None,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    context = {
        "appointment": appointment,
        "patient": appointment.patient,
        "course": appointment.course,
        "form": form,
        "preview": preview,
        "error": error,
        "number": appointment.session.number if appointment.session else None,
        "zone": appointment.location.time_zone,
    }
    template = TEMPLATES + "reschedule.html"
    if request.htmx and request.method == "GET":
        # htmx does not swap error answers: the fragment carries the form's errors instead.
        return render(request, template + "#move", context)
    return render(request, template, context, status=status)


@require_http_methods(["GET", "HEAD", "POST"])
def appointment_reschedule(request: HtmxHttpRequest, appointment_id: int) -> HttpResponse:
    """GET with a date and time: preview the move and what else moves. POST: confirm it."""
    try:
        appointment = _changeable(request, appointment_id)
    except _Back as back:
        return _back(back.appointment)
    if request.method == "POST":
        return _move_confirm(request, appointment)
    asked = "date" in request.GET or "time" in request.GET
    form = MoveForm(request.GET if asked else None, appointment=appointment)
    if not asked:
        return _move_page(request, appointment, form)
    if not form.is_valid():
        return _move_page(request, appointment, form, status=400)
    try:
        preview = move.session_move_options(
            appointment=appointment, actor=request.user, new_start=form.new_start()
        )
    except ServiceError as exc:
        return _move_page(request, appointment, form, error=exc.message, status=exc.http_status)
    return _move_page(request, appointment, form, preview=preview)


def _move_confirm(request: HtmxHttpRequest, appointment: Appointment) -> HttpResponse:
    form = MoveForm(request.POST, appointment=appointment)
    try:
        version = int(request.POST.get("version", ""))
    except ValueError:
        version = -1
    try:
        if version < 1 or not request.POST.get("token"):
            raise ServiceError(
                "The form is missing the preview: pick the new date and time again.", field="token"
            )
        moved = move.session_move(
            appointment=appointment, actor=request.user, token=request.POST["token"], expected_version=version
        )
    except ServiceError as exc:
        appointment.refresh_from_db()
        return _move_page(
            request, appointment, form, status=exc.http_status, error=f"Nothing was moved: {exc.message}"
        )
    changed = "; ".join(
        f"session {a.session.number if a.session else ''} now {appointment_when(a)}" for a in moved
    )
    messages.success(request, f"Moved: {changed}." if moved else "Nothing needed to move.")
    return _back(appointment)


@require_http_methods(["GET", "HEAD", "POST"])
def appointment_cancel(request: HtmxHttpRequest, appointment_id: int) -> HttpResponse:
    """GET: ask for the reason. POST: cancel (a stale copy is refused, nothing changed)."""
    try:
        appointment = _changeable(request, appointment_id)
    except _Back as back:
        return _back(back.appointment)
    page = TEMPLATES + "cancel.html"
    context: dict[str, Any] = {
        "appointment": appointment,
        "patient": appointment.patient,
        "zone": appointment.location.time_zone,
    }
    if request.method != "POST":
        form = CancelForm(initial={"version": appointment.version})
        return render(request, page, {**context, "form": form})
    form = CancelForm(request.POST)
    if not form.is_valid():
        return render(request, page, {**context, "form": form}, status=400)
    try:
        cancel.appointment_cancel(
            appointment=appointment,
            actor=request.user,
            reason=form.cleaned_data["reason"],
            expected_version=form.cleaned_data["version"],
        )
    except ServiceError as exc:
        form.add_error("reason" if exc.field == "reason" else None, exc.message)
        return render(request, page, {**context, "form": form}, status=exc.http_status)
    when = appointment_when(appointment)
    appointment.refresh_from_db(fields=["status"])
    late = " late (inside the clinic's notice period)" if appointment.status == "late_cancellation" else ""
    session = appointment.session if appointment.session_id else None
    if (
        session
        and appointment.course
        and appointment.course.status in BOOKABLE
        and session.status in rebook.REBOOKABLE
    ):
        messages.success(
            request,
            f"Cancelled the appointment of {when}{late}. Session {session.number} "
            "has no time now: book a new time for it below when the patient is ready.",
        )
        return redirect(reverse("bookings:course_appointments", args=[appointment.course_id]) + "#rebook")
    messages.success(request, f"Cancelled the appointment of {when}{late}.")
    return _back(appointment)


def _session_for_staff(request: HtmxHttpRequest, session_id: int) -> TreatmentSession:
    """Return the session for any clinic staff member (404 for everyone else); audited."""
    require_staff(request)
    return get_session_for_user(request, session_id, clinical=False)


def _rebook_form(data: QueryDict | None, window: rebook.RebookWindow | None) -> NewTimeForm | None:
    if window is None:
        return None
    today = timezone.now().astimezone(ZoneInfo(window.location.time_zone)).date()
    return NewTimeForm(
        data, location=window.location, earliest=max(window.earliest, today), latest=window.latest
    )


def _rebook_window(session: TreatmentSession) -> rebook.RebookWindow | None:
    try:
        return rebook.session_rebook_window(course=session.course, session=session)
    except ServiceError:
        return None


def _rebook_page(
    request: HtmxHttpRequest,
    session: TreatmentSession,
    window: rebook.RebookWindow | None,
    form: NewTimeForm | None,
    *,
    preview: reflow_preview.MovePreview | None = None,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    # A preview has checked the blockers for its day already, and says them in its reasons.
    blockers = (
        gate.words(rebook.session_rebook_blockers(session.course), request.user)
        if window and preview is None
        else []
    )
    context = {
        "session": session,
        "course": session.course,
        "patient": session.patient,
        "window": window,
        "form": form,
        "preview": preview,
        "error": error,
        "blockers": blockers,
        "zone": window.location.time_zone if window else settings.TIME_ZONE,
    }
    template = TEMPLATES + "rebook.html"
    if request.htmx and request.method == "GET":
        return render(request, template + "#rebook", context)  # (htmx does not swap error answers)
    return render(request, template, context, status=status)


@require_http_methods(["GET", "HEAD", "POST"])
def session_rebook(request: HtmxHttpRequest, session_id: int) -> HttpResponse:
    """GET: the session's window; with a date and time, a preview of the new time and of the
    later sessions. POST: book the previewed time (its token)."""
    session = _session_for_staff(request, session_id)
    if request.method == "POST":
        return _rebook_confirm(request, session)
    try:
        window = rebook.session_rebook_window(course=session.course, session=session)
    except ServiceError as exc:
        messages.error(request, exc.message)
        return redirect("bookings:course_appointments", course_id=session.course_id)
    asked = "date" in request.GET or "time" in request.GET
    form = _rebook_form(request.GET if asked else None, window)
    if not asked or form is None or not form.is_valid():
        return _rebook_page(request, session, window, form, status=400 if asked else 200)
    try:
        preview = rebook.session_rebook_options(
            course=session.course, session=session, actor=request.user, new_start=form.new_start()
        )
    except ServiceError as exc:
        return _rebook_page(request, session, window, form, error=exc.message, status=exc.http_status)
    return _rebook_page(request, session, window, form, preview=preview)


def _rebook_confirm(request: HtmxHttpRequest, session: TreatmentSession) -> HttpResponse:
    token = request.POST.get("token", "")
    try:
        if not token:
            raise ServiceError(
                "The form is missing the preview: pick the new date and time again.", field="token"
            )
        booked = rebook.session_rebook(
            course=session.course, session=session, actor=request.user, token=token
        )
    except ServiceError as exc:
        window = _rebook_window(session)
        return _rebook_page(
            request,
            session,
            window,
            _rebook_form(request.POST, window),
            status=exc.http_status,
            error=f"Nothing was booked: {exc.message}",
        )
    new, *moved = booked
    text = f"Booked session {session.number} for {appointment_when(new)}."
    if moved:
        text += (
            " To stay inside their windows, "
            + "; ".join(
                f"session {a.session.number if a.session else ''} moved to {appointment_when(a)}"
                for a in moved
            )
            + "."
        )
    messages.success(request, text)
    return redirect("bookings:course_appointments", course_id=session.course_id)


urls: list[URLPattern] = [
    path(
        "appointments/<int:appointment_id>/reschedule/", appointment_reschedule, name="appointment_reschedule"
    ),
    path("appointments/<int:appointment_id>/cancel/", appointment_cancel, name="appointment_cancel"),
    path("sessions/<int:session_id>/rebook/", session_rebook, name="session_rebook"),
]
