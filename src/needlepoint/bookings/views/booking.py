"""Booking a whole course, and the course's list of appointments (clinic staff only: front
desk, practitioners and the medical director; patients and visitors get 404). Book this course:
the patient's preferred days, times and practitioner, a preview of every session and
alternatives, in words what stands in the way; confirming books the chosen proposal (its token)
all-or-nothing, and a slot taken meanwhile answers 409 with a fresh search. With htmx the search
swaps only the proposals; every control is also a plain form or link."""

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from needlepoint.audit.services import audit_record
from needlepoint.bookings import selectors
from needlepoint.bookings.forms import PreferencesForm
from needlepoint.bookings.models import Appointment, Location, ReminderStatus
from needlepoint.bookings.services import BookingConflict, book, search
from needlepoint.bookings.services import preferences as booking_preferences
from needlepoint.bookings.services._common import BOOKABLE
from needlepoint.clinic.access import get_course_for_user, require_staff
from needlepoint.clinic.models import Course
from needlepoint.clinic.services import ServiceError, gate
from needlepoint.web.http import HtmxHttpRequest
from needlepoint.words import human_when

TEMPLATES = "bookings/booking/"


def _zone(location: Location | None) -> str:
    return location.time_zone if location else settings.TIME_ZONE


def appointment_when(appointment: Appointment) -> str:
    """The appointment's start in words, on the wall clock of its location."""
    return human_when(appointment.starts_at, appointment.location.time_zone)


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
        f"for {course.patient}: the first on {appointment_when(first)}.",
    )
    return redirect("bookings:course_appointments", course_id=course.pk)


def _refusal(exc: ServiceError) -> str:
    if isinstance(exc, BookingConflict):
        return f"Nothing was booked: {exc.message} Here is a fresh search with the same preferences."
    return f"Nothing was booked: {exc.message}"


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
        "courses/<int:course_id>/preferences/forget/",
        course_preferences_forget,
        name="course_preferences_forget",
    ),
]
