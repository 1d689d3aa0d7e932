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

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.conf import settings
from django.contrib import messages
from django.db.models import Exists, OuterRef, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from needlepoint.audit.services import audit_record
from needlepoint.bookings.models import (
    LIVE,
    Appointment,
    AppointmentStatus,
    CoursePreferences,
    Location,
    PractitionerProfile,
    Reminder,
    ReminderStatus,
)
from needlepoint.bookings.services import BookingConflict, book, cancel, move, rebook, search
from needlepoint.bookings.services import preferences as booking_preferences
from needlepoint.bookings.views._access import get_appointment_for_user
from needlepoint.clinic.access import get_course_for_user, get_session_for_user, require_staff
from needlepoint.clinic.models import Consent, Course, CourseStatus, SessionStatus, TreatmentSession
from needlepoint.clinic.services import ServiceError, StaleEdit, gate
from needlepoint.scheduling import AFTERNOONS, EVENINGS, MORNINGS

TEMPLATES = "bookings/booking/"
BOOKABLE = (CourseStatus.APPROVED, CourseStatus.ACTIVE)
WEEKDAYS = [
    (0, "Monday"),
    (1, "Tuesday"),
    (2, "Wednesday"),
    (3, "Thursday"),
    (4, "Friday"),
    (5, "Saturday"),
    (6, "Sunday"),
]
TIMES = {"mornings": MORNINGS, "afternoons": AFTERNOONS, "evenings": EVENINGS}


def _status(exc: ServiceError) -> int:
    """409 when someone else got there first (a slot taken, a stale copy), 400 otherwise."""
    return 409 if isinstance(exc, BookingConflict | StaleEdit) else 400


def _zone(location: Location | None) -> str:
    return location.time_zone if location else settings.TIME_ZONE


def _when(t: dt.datetime, appointment: Appointment) -> str:
    """`t` in words on the wall clock of the appointment's location."""
    local = t.astimezone(ZoneInfo(appointment.location.time_zone))
    return f"{local:%A} {local.day} {local:%B %Y} at {local:%H:%M}"


# ---------------------------------------------------------------------------------------------
# Book this course
# ---------------------------------------------------------------------------------------------


class PreferencesForm(forms.Form):
    """The patient's preferences for the whole course; nothing ticked means "any"."""

    weekdays = forms.TypedMultipleChoiceField(
        label="Days the patient can come",
        choices=WEEKDAYS,
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="None ticked: any day the clinic is open.",
    )
    times = forms.MultipleChoiceField(
        label="Times of day",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        choices=[(k, f"{k.capitalize()} ({span})") for k, span in TIMES.items()],
        help_text="None ticked: any time the clinic is open.",
    )
    practitioner = forms.TypedChoiceField(label="Practitioner", required=False, coerce=int, empty_value=None)
    location = forms.TypedChoiceField(label="Location", required=False, coerce=int, empty_value=None)

    def __init__(
        self, *args: Any, practitioners: list[PractitionerProfile], locations: list[Location], **kwargs: Any
    ):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        several = len(locations) > 1
        self.fields["practitioner"].choices = [("", "Anyone with the skills")] + [
            (
                p.user_id,
                (p.user.get_full_name() or p.user.get_username())
                + (f" ({p.location.name})" if several else ""),
            )
            for p in practitioners
        ]
        self.locations = {loc.pk: loc for loc in locations}
        if several:
            self.fields["location"].choices = [(loc.pk, loc.name) for loc in locations]
            self.fields["location"].required = True
            self.fields["location"].error_messages["required"] = "Location: choose where to book."
        else:
            del self.fields["location"]

    def chosen_location(self) -> Location | None:
        """The chosen location (None: the only one there is)."""
        return self.locations.get(self.cleaned_data.get("location") or 0)

    def preferences(self) -> Any:
        data = self.cleaned_data
        weekdays = frozenset(data.get("weekdays") or range(7))
        times = tuple(TIMES[k] for k in TIMES if k in (data.get("times") or ()))
        return booking_preferences.Preferences(
            weekdays=weekdays, times=times, practitioner_id=data.get("practitioner")
        )

    def as_query(self) -> list[tuple[str, str]]:
        """The preferences as query parameters (for a fresh search after a refusal)."""
        if not self.is_bound or not self.is_valid():
            return []
        data = self.cleaned_data
        pairs = [("weekdays", str(d)) for d in data.get("weekdays") or ()]
        pairs += [("times", t) for t in data.get("times") or ()]
        pairs += [(k, str(data[k])) for k in ("practitioner", "location") if data.get(k)]
        return pairs


def _bookable_course(request: HttpRequest, course_id: int) -> Course:
    """Return the course for any clinic staff member (404 for everyone else); audited."""
    require_staff(request)
    return get_course_for_user(request, course_id, clinical=False)


def _preferences_form(data: Any) -> PreferencesForm:
    practitioners = list(
        PractitionerProfile.objects.filter(active=True)
        .select_related("user", "location")
        .order_by("user__last_name", "user__first_name")
    )
    locations = list(Location.objects.order_by("name"))
    return PreferencesForm(data, practitioners=practitioners, locations=locations)


def _search(request: HttpRequest, course: Course, form: PreferencesForm) -> tuple[Any, str]:
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
    request: HttpRequest,
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
    booked = Appointment.objects.filter(course=course, status__in=LIVE).count()
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
def course_book(request: HttpRequest, course_id: int) -> HttpResponse:
    """GET: preferences and the proposals for them. POST: book the proposal whose token is sent."""
    course = _bookable_course(request, course_id)
    if request.method != "POST":
        form = _preferences_form(request.GET)
        if request.htmx:  # type: ignore[attr-defined]
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
        return _book_page(request, course, form, status=_status(exc), error=_refusal(exc))
    first = min(appointments, key=lambda a: a.starts_at)
    messages.success(
        request,
        f"Booked {len(appointments)} session{'s' if len(appointments) != 1 else ''} "
        f"for {course.patient}: the first on {_when(first.starts_at, first)}.",
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
def to_book(request: HttpRequest) -> HttpResponse:
    """Approved courses with sessions not yet booked, oldest approval first (staff)."""
    require_staff(request)
    unbooked = TreatmentSession.objects.filter(course=OuterRef("pk"), status=SessionStatus.PLANNED).exclude(
        Exists(Appointment.objects.filter(session=OuterRef("pk"), status__in=LIVE))
    )
    courses = list(
        Course.objects.filter(status__in=BOOKABLE)
        .filter(Exists(unbooked))
        .annotate(
            consented=Exists(Consent.objects.filter(course=OuterRef("pk"))),
            any_booked=Exists(Appointment.objects.filter(course=OuterRef("pk"), status__in=LIVE)),
        )
        .select_related("patient")
        .order_by("approved_at", "id")[:200]
    )
    audit_record(
        actor=request.user,
        action="view",
        object_type="bookings.to_book",
        summary=f"courses waiting to be booked: {len(courses)}",
    )
    return render(request, TEMPLATES + "to_book.html", {"courses": courses})


@require_safe
def course_appointments(request: HttpRequest, course_id: int) -> HttpResponse:
    """Every appointment of the course, cancelled ones included, with what can be done next:
    each session without a booked appointment offers a new time (once the course has been
    booked; before that, the whole course is booked at once)."""
    course = _bookable_course(request, course_id)
    appointments = list(
        Appointment.objects.filter(course=course)
        .select_related("session", "practitioner", "room", "appointment_type", "location")
        .order_by("starts_at", "id")
    )
    booked = [a for a in appointments if a.is_live]
    cancelled = {a.session_id: a for a in appointments if not a.is_live and a.session_id}
    missing = [
        (s, cancelled.get(s.pk))
        for s in course.sessions.filter(status__in=rebook.REBOOKABLE)
        .exclude(Q(appointment__status__in=LIVE))
        .order_by("number")
    ]
    # What the patient is sent about each visit, and whether it went: the subject only (the text is
    # the plan's care instructions, in the patient's own mailbox).
    kept = CoursePreferences.objects.filter(course=course).select_related("practitioner").first()
    preferences = (
        ""
        if kept is None
        else booking_preferences.describe_preferences(
            booking_preferences.kept_preferences(kept),
            kept.practitioner.get_full_name() if kept.practitioner else "",
        )
    )
    reminders = list(
        Reminder.objects.filter(appointment__course=course)
        .select_related("appointment__session")
        .only(
            "id",
            "kind",
            "due_at",
            "status",
            "subject",
            "sent_at",
            "appointment__id",
            "appointment__session__id",
            "appointment__session__number",
        )
        .order_by("due_at", "id")
    )
    return render(
        request,
        TEMPLATES + "appointments.html",
        {
            "course": course,
            "patient": course.patient,
            "appointments": appointments,
            "booked": booked,
            "preferences": preferences,
            "kept_preferences": kept is not None,
            "reminders": reminders,
            "reminders_failed": sum(r.status == ReminderStatus.FAILED for r in reminders),
            "unbooked": len(missing),
            "missing": missing,
            "bookable": course.status in BOOKABLE,
            "now": timezone.now(),
            "zone": _zone(appointments[0].location if appointments else None),
        },
    )


# ---------------------------------------------------------------------------------------------
# Reschedule one session
# ---------------------------------------------------------------------------------------------


class NewTimeForm(forms.Form):
    """A new date and start time on the wall clock of `location`, offered inside a window."""

    date = forms.DateField(
        label="New date",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"required": "New date: pick a date.", "invalid": "New date: enter a real date."},
    )
    time = forms.TimeField(
        label="New start time",
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        error_messages={
            "required": "New start time: pick a time.",
            "invalid": "New start time: enter a time like 09:30.",
        },
    )

    def __init__(
        self,
        *args: Any,
        location: Location,
        earliest: dt.date | None = None,
        latest: dt.date | None = None,
        **kwargs: Any,
    ):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        if earliest:
            self.fields["date"].widget.attrs["min"] = earliest.isoformat()
        if latest:
            self.fields["date"].widget.attrs["max"] = latest.isoformat()
        self.fields["time"].widget.attrs["step"] = str(location.slot_minutes * 60)
        self.zone = ZoneInfo(location.time_zone)

    def new_start(self) -> dt.datetime:
        """The chosen wall-clock time in the location's zone, as an aware datetime."""
        return dt.datetime.combine(self.cleaned_data["date"], self.cleaned_data["time"], self.zone)


class MoveForm(NewTimeForm):
    """A new time for a booked appointment, offered inside its window."""

    def __init__(self, *args: Any, appointment: Appointment, **kwargs: Any):
        super().__init__(
            *args,
            location=appointment.location,
            earliest=appointment.window_earliest,
            latest=appointment.window_latest,
            **kwargs,
        )


class _Back(Exception):
    """The appointment cannot be changed: go back to where it is listed (with a message)."""

    def __init__(self, appointment: Appointment):
        self.appointment = appointment


def _changeable(request: HttpRequest, appointment_id: int) -> Appointment:
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
    request: HttpRequest,
    appointment: Appointment,
    form: MoveForm,
    *,
    preview: Any = None,
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
        "number": appointment.session.number if appointment.session_id else None,
        "zone": appointment.location.time_zone,
    }
    template = TEMPLATES + "reschedule.html"
    if request.htmx and request.method == "GET":  # type: ignore[attr-defined]
        # htmx does not swap error answers: the fragment carries the form's errors instead.
        return render(request, template + "#move", context)
    return render(request, template, context, status=status)


@require_http_methods(["GET", "HEAD", "POST"])
def appointment_reschedule(request: HttpRequest, appointment_id: int) -> HttpResponse:
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
        return _move_page(request, appointment, form, error=exc.message, status=_status(exc))
    return _move_page(request, appointment, form, preview=preview)


def _move_confirm(request: HttpRequest, appointment: Appointment) -> HttpResponse:
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
            request, appointment, form, status=_status(exc), error=f"Nothing was moved: {exc.message}"
        )
    changed = "; ".join(
        f"session {a.session.number if a.session else ''} now {_when(a.starts_at, a)}" for a in moved
    )
    messages.success(request, f"Moved: {changed}." if moved else "Nothing needed to move.")
    return _back(appointment)


# ---------------------------------------------------------------------------------------------
# Cancel one appointment
# ---------------------------------------------------------------------------------------------


class CancelForm(forms.Form):
    reason = forms.CharField(
        label="Reason for cancelling",
        max_length=200,
        error_messages={"required": "Say why the appointment is cancelled."},
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args: Any, **kwargs: Any):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


@require_http_methods(["GET", "HEAD", "POST"])
def appointment_cancel(request: HttpRequest, appointment_id: int) -> HttpResponse:
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
        return render(request, page, {**context, "form": form}, status=_status(exc))
    when = _when(appointment.starts_at, appointment)
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


def _session_for_staff(request: HttpRequest, session_id: int) -> TreatmentSession:
    """Return the session for any clinic staff member (404 for everyone else); audited."""
    require_staff(request)
    return get_session_for_user(request, session_id, clinical=False)


def _rebook_form(data: Any, window: rebook.RebookWindow | None) -> NewTimeForm | None:
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
    request: HttpRequest,
    session: TreatmentSession,
    window: rebook.RebookWindow | None,
    form: NewTimeForm | None,
    *,
    preview: Any = None,
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
    if request.htmx and request.method == "GET":  # type: ignore[attr-defined]
        return render(request, template + "#rebook", context)  # (htmx does not swap error answers)
    return render(request, template, context, status=status)


@require_http_methods(["GET", "HEAD", "POST"])
def session_rebook(request: HttpRequest, session_id: int) -> HttpResponse:
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
        return _rebook_page(request, session, window, form, error=exc.message, status=_status(exc))
    return _rebook_page(request, session, window, form, preview=preview)


def _rebook_confirm(request: HttpRequest, session: TreatmentSession) -> HttpResponse:
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
            status=_status(exc),
            error=f"Nothing was booked: {exc.message}",
        )
    new, *moved = booked
    text = f"Booked session {session.number} for {_when(new.starts_at, new)}."
    if moved:
        text += (
            " To stay inside their windows, "
            + "; ".join(
                f"session {a.session.number if a.session else ''} moved to {_when(a.starts_at, a)}"
                for a in moved
            )
            + "."
        )
    messages.success(request, text)
    return redirect("bookings:course_appointments", course_id=session.course_id)


@require_POST
def course_preferences_forget(request: HttpRequest, course_id: int) -> HttpResponse:
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
