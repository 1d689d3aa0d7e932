"""Booking a whole course, and the course's appointments afterwards (clinic staff only: front
desk, practitioners and the medical director; patients and visitors get 404).

- Book this course: the patient's preferred days, times and practitioner; a preview of every
  session (date and time, its window, inside it or not, practitioner and room), alternatives to
  pick from, and in words what stands in the way or why nothing fits; confirming books the
  chosen proposal (its token) all-or-nothing. A slot taken meanwhile answers 409 with a fresh
  search.
- The course's appointments; reschedule one (a new date and time inside its window, a preview of
  what else moves, confirm); cancel one with a reason.
- Book a new time for a session whose appointment was cancelled: its window in words, a date
  and time, a preview of the later sessions (kept or moved), confirm; 409 when someone got there
  first.

Searching and previewing are reads (GET); every change is a POST to a service in
`needlepoint.bookings.services`. With htmx the search swaps only the proposals; every control
is also a plain form or link."""

from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from needlepoint.audit.services import audit_record
from needlepoint.bookings import selectors
from needlepoint.bookings.access import get_appointment_for_user
from needlepoint.bookings.forms import CancelForm, MoveForm, NewTimeForm, PreferencesForm
from needlepoint.bookings.models import Appointment, AppointmentStatus, Location, ReminderStatus
from needlepoint.bookings.services import BookingConflict, book, cancel, move, rebook, reflow_preview, search
from needlepoint.bookings.services import preferences as booking_preferences
from needlepoint.bookings.services._common import BOOKABLE
from needlepoint.clinic.access import get_course_for_user, get_session_for_user, require_staff
from needlepoint.clinic.models import Course, TreatmentSession
from needlepoint.clinic.services import ServiceError, gate
from needlepoint.web.http import HtmxHttpRequest
from needlepoint.words import human_when

TEMPLATES = "bookings/booking/"


def _zone(location: Location | None) -> str:
    return location.time_zone if location else settings.TIME_ZONE


def _when(appointment: Appointment) -> str:
    """The appointment's start in words, on the wall clock of its location."""
    return human_when(appointment.starts_at, appointment.location.time_zone)


# ---------------------------------------------------------------------------------------------
# Book this course
# ---------------------------------------------------------------------------------------------


def _bookable_course(request: HtmxHttpRequest, course_id: int) -> Course:
    """Return the course for any clinic staff member (404 for everyone else); audited."""
    require_staff(request)
    return get_course_for_user(request, course_id, clinical=False)


def _preferences_form(data: QueryDict) -> PreferencesForm:
    return PreferencesForm(
        data, practitioners=selectors.active_practitioners(), locations=selectors.locations()
    )


def _search(
    request: HtmxHttpRequest, course: Course, form: PreferencesForm
) -> tuple[search.CourseOptions | None, str]:
    """Run the course search for the form's preferences: (options, "") or (None, why not)."""
    if not form.is_valid():
        return None, ""
    try:
        return search.course_options(
            course=course, actor=request.user, preferences=form.preferences(), location=form.chosen_location()
        ), ""
    except ServiceError as exc:
        return None, exc.message


def _book_page(
    request: HtmxHttpRequest,
    course: Course,
    form: PreferencesForm,
    *,
    status: int = 200,
    error: str = "",
    partial: bool = False,
) -> HttpResponse:
    blockers = gate.words(search.course_booking_blockers(course), request.user)
    options, refused = (None, "") if blockers else _search(request, course, form)
    error = error or refused
    proposals = []
    if options is not None:
        proposals = ([("Earliest course", options.best)] if options.best else []) + [
            (f"Alternative {n}", p) for n, p in enumerate(options.alternatives, 1)
        ]
        blockers = list(options.blockers)
    booked = selectors.course_booked_count(course)
    context = {
        "course": course,
        "patient": course.patient,
        "form": form,
        "blockers": blockers,
        "options": options,
        "proposals": proposals,
        "error": error,
        "booked": booked,
        "zone": settings.TIME_ZONE,
        "query": form.as_query(),
        "sessions_count": course.sessions.count(),
        "preparation_days": search.preparation_lead_days(course.plan or {}),
    }
    template = TEMPLATES + "book.html"
    if partial:
        template += "#proposals"
    return render(request, template, context, status=status)


@require_http_methods(["GET", "HEAD", "POST"])
def course_book(request: HtmxHttpRequest, course_id: int) -> HttpResponse:
    """GET: preferences and the proposals for them. POST: book the proposal whose token is sent."""
    course = _bookable_course(request, course_id)
    if request.method != "POST":
        form = _preferences_form(request.GET)
        if request.htmx:
            return _book_page(request, course, form, partial=True)  # (htmx does not swap a 400)
        return _book_page(request, course, form, status=200 if form.is_valid() else 400)
    form = _preferences_form(request.POST)
    token = request.POST.get("token", "")
    try:
        if not token:
            raise ServiceError("Pick one of the proposals to book (the form had none).", field="token")
        appointments = book.course_book(course=course, actor=request.user, token=token)
    except ServiceError as exc:
        course.refresh_from_db()
        return _book_page(request, course, form, status=exc.http_status, error=_refusal(exc))
    first = min(appointments, key=lambda a: a.starts_at)
    messages.success(
        request,
        f"Booked {len(appointments)} session{'s' if len(appointments) != 1 else ''} "
        f"for {course.patient}: the first on {_when(first)}.",
    )
    return redirect("bookings:course_appointments", course_id=course.pk)


def _refusal(exc: ServiceError) -> str:
    if isinstance(exc, BookingConflict):
        return f"Nothing was booked: {exc.message} Here is a fresh search with the same preferences."
    return f"Nothing was booked: {exc.message}"


# ---------------------------------------------------------------------------------------------
# Courses waiting to be booked, and a course's appointments
# ---------------------------------------------------------------------------------------------


@require_safe
def to_book(request: HtmxHttpRequest) -> HttpResponse:
    """Approved courses with sessions not yet booked, oldest approval first (staff)."""
    require_staff(request)
    courses = selectors.courses_to_book()
    audit_record(
        actor=request.user,
        action="view",
        object_type="bookings.to_book",
        summary=f"courses waiting to be booked: {len(courses)}",
    )
    return render(request, TEMPLATES + "to_book.html", {"courses": courses})


@require_safe
def course_appointments(request: HtmxHttpRequest, course_id: int) -> HttpResponse:
    """Every appointment of the course, cancelled ones included, with what can be done next:
    each session without a booked appointment offers a new time (once the course has been
    booked; before that, the whole course is booked at once)."""
    course = _bookable_course(request, course_id)
    found = selectors.course_appointments(course)
    return render(
        request,
        TEMPLATES + "appointments.html",
        {
            "course": course,
            "patient": course.patient,
            "appointments": found.appointments,
            "booked": found.booked,
            "preferences": found.preferences,
            "kept_preferences": found.kept_preferences,
            "reminders": found.reminders,
            "reminders_failed": sum(r.status == ReminderStatus.FAILED for r in found.reminders),
            "unbooked": len(found.missing),
            "missing": found.missing,
            "bookable": course.status in BOOKABLE,
            "now": timezone.now(),
            "zone": _zone(found.appointments[0].location if found.appointments else None),
        },
    )


# ---------------------------------------------------------------------------------------------
# Reschedule one session
# ---------------------------------------------------------------------------------------------


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
    changed = "; ".join(f"session {a.session.number if a.session else ''} now {_when(a)}" for a in moved)
    messages.success(request, f"Moved: {changed}." if moved else "Nothing needed to move.")
    return _back(appointment)


# ---------------------------------------------------------------------------------------------
# Cancel one appointment
# ---------------------------------------------------------------------------------------------


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
    when = _when(appointment)
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


# ---------------------------------------------------------------------------------------------
# Book a new time for a session whose appointment was cancelled
# ---------------------------------------------------------------------------------------------


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
    text = f"Booked session {session.number} for {_when(new)}."
    if moved:
        text += (
            " To stay inside their windows, "
            + "; ".join(f"session {a.session.number if a.session else ''} moved to {_when(a)}" for a in moved)
            + "."
        )
    messages.success(request, text)
    return redirect("bookings:course_appointments", course_id=session.course_id)


@require_POST
def course_preferences_forget(request: HtmxHttpRequest, course_id: int) -> HttpResponse:
    """Forget the patient's booking preferences kept with the course (staff)."""
    course = _bookable_course(request, course_id)
    if booking_preferences.course_preferences_forget(course=course, actor=request.user):
        messages.success(
            request,
            "The patient's preferred days and times are forgotten: moves now re-flow "
            "later sessions onto any day and time the clinic is open.",
        )
    return redirect("bookings:course_appointments", course_id=course.pk)


urls: list[URLPattern] = [
    path("courses/waiting/", to_book, name="to_book"),
    path("courses/<int:course_id>/book/", course_book, name="course_book"),
    path("courses/<int:course_id>/appointments/", course_appointments, name="course_appointments"),
    path(
        "appointments/<int:appointment_id>/reschedule/", appointment_reschedule, name="appointment_reschedule"
    ),
    path("appointments/<int:appointment_id>/cancel/", appointment_cancel, name="appointment_cancel"),
    path("sessions/<int:session_id>/rebook/", session_rebook, name="session_rebook"),
    path(
        "courses/<int:course_id>/preferences/forget/",
        course_preferences_forget,
        name="course_preferences_forget",
    ),
]
