"""The waiting list booked in one go: dates proposed for many courses at once by the batch
optimiser, then booked course by course.

Proposing mirrors `course_options` for many courses: the same blockers, the same request per
course (no preferences: the clinic does not store any), one calendar covering every course's
days, and a proposal per course signed exactly as `course_options` signs one, so that
`course_book` books it. The optimiser (`needlepoint.scheduling.optimiser.optimise`) places
the most sessions inside their windows and then the earliest; greedy first-fit runs on the same
calendar in the same call, so the page can show what the optimiser gained.

Decisions stated once here:
- Only a whole course with every session inside its window is proposed, as for one course.
  The optimiser may leave a course short or with a session outside its window (it counts
  sessions, not courses); such a course is searched again alone, around every course proposed
  so far, and gets its own proposal or the search's reasons why none fits.
- Courses already partly booked (or with a session charted or cancelled) are left out with a
  reason: their remaining sessions are booked one by one from the course's appointments page.
- Booking is per course, each all or nothing in its own transaction: one course's conflict or
  blocker does not undo the others.
"""

import time
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypeGuard

from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from needlepoint import scheduling
from needlepoint.audit.services import audit_record
from needlepoint.bookings.core_adapter import (
    appointment_type_core,
    appointment_type_for_course,
    calendar_for,
    course_has_prp,
    location_zone,
)
from needlepoint.bookings.models import LIVE, Appointment, AppointmentType, Location
from needlepoint.bookings.services import (
    BOOKABLE,
    BookingConflict,
    Proposal,
    _default_location,
    _local_today,
    _past_is_busy,
    _request_days,
    _require_staff,
    _Signer,
    course_book,
    course_booking_blockers,
    course_request,
    preferences_for,
)
from needlepoint.clinic.models import Course, SessionStatus, TreatmentSession
from needlepoint.clinic.services import ServiceError, gate

MAX_COURSES = 200  # the longest-waiting courses, as the "to book" list shows them
WORKERS = 2
PROPOSED, BLOCKED, SKIPPED, UNPLACED = "proposed", "blocked", "skipped", "unplaced"
BOOKED, CONFLICT, REFUSED = "booked", "conflict", "refused"
PARTLY_BOOKED = (
    "Some sessions of this course are already booked, charted or cancelled: book the "
    "others one by one from the course's appointments page."
)
NOT_WAITING = "No session of this course is waiting to be booked."
NO_ROOM = "No whole course with every session inside its window fits alongside the other waiting courses."
_Results = tuple[scheduling.BatchResult | None, scheduling.BatchResult | None]  # optimiser, greedy


@dataclass(frozen=True)
class WaitingCourse:
    """One course of the waiting list: its proposal (state "proposed"), or in plain words why it
    has none (state "blocked", "skipped" or "unplaced")."""

    course: Course
    state: str
    proposal: Proposal | None = None
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True)
class WaitingListPlan:
    """Every course looked at, in waiting order, with the batch figures: `optimiser` and `greedy`
    are the two batch results on the same calendar (None when no course could be searched)."""

    location: Location | None
    courses: tuple[WaitingCourse, ...]
    optimiser: scheduling.BatchResult | None
    greedy: scheduling.BatchResult | None
    seconds: float

    def _in(self, *states: str) -> list[WaitingCourse]:
        return [c for c in self.courses if c.state in states]

    @property
    def proposed(self) -> list[WaitingCourse]:
        return self._in(PROPOSED)

    @property
    def blocked(self) -> list[WaitingCourse]:
        """Courses that cannot be booked now, and partly booked courses left to their own page."""
        return self._in(BLOCKED, SKIPPED)

    @property
    def unplaced(self) -> list[WaitingCourse]:
        return self._in(UNPLACED)

    @property
    def sessions_proposed(self) -> int:
        return sum(len(c.proposal.sessions) for c in self.proposed if c.proposal)


@dataclass(frozen=True)
class CourseOutcome:
    """What happened to one course asked for: "booked", "conflict" (a slot was taken
    meanwhile) or "refused" (a blocker, a changed course, a missing or old proposal)."""

    course_id: int
    course: Course | None
    status: str
    message: str
    appointments: tuple[Appointment, ...] = ()


@dataclass(frozen=True)
class WaitingListOutcome:
    results: tuple[CourseOutcome, ...]

    @property
    def booked(self) -> list[CourseOutcome]:
        return [r for r in self.results if r.status == BOOKED]

    @property
    def every_race_lost(self) -> bool:
        """True when every course asked for lost its slots to someone else (HTTP 409)."""
        return bool(self.results) and all(r.status == CONFLICT for r in self.results)


# ---- the waiting courses ------------------------------------------------------------------------


def waiting_courses(course_ids: Iterable[int] | None = None) -> QuerySet[Course]:
    """Approved or active courses with a planned session not booked yet (the "to book" list),
    longest waiting first, each marked `any_booked` when one of its sessions is booked and
    `started` when one is charted or cancelled."""
    unbooked = TreatmentSession.objects.filter(course=OuterRef("pk"), status=SessionStatus.PLANNED).exclude(
        Exists(Appointment.objects.filter(session=OuterRef("pk"), status__in=LIVE))
    )
    booked = Appointment.objects.filter(course=OuterRef("pk"), status__in=LIVE)
    started = TreatmentSession.objects.filter(
        course=OuterRef("pk"),
        status__in=(SessionStatus.IN_PROGRESS, SessionStatus.SIGNED, SessionStatus.CANCELLED),
    )
    courses = Course.objects.filter(status__in=BOOKABLE).filter(Exists(unbooked))
    if course_ids is not None:
        courses = courses.filter(pk__in=list(course_ids))
    return (
        courses.annotate(any_booked=Exists(booked), started=Exists(started))
        .select_related("patient")
        .order_by("approved_at", "id")
    )


def waiting_list_count() -> int:
    """How many courses are waiting to be booked (at most `MAX_COURSES` are proposed at once)."""
    return waiting_courses().count()


# ---- proposing ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Wanted:
    """A bookable course with its appointment type and the core's request for it."""

    course: Course
    type_row: AppointmentType
    request: scheduling.CourseRequest


def waiting_list_proposals(
    *,
    actor: Any,
    location: Location | None = None,
    time_limit_s: float = 10.0,
    course_ids: Iterable[int] | None = None,
) -> WaitingListPlan:
    """Return dates for every course waiting to be booked (or only `course_ids`), placed
    together: per course a proposal `course_book` books, or why there is none, with the
    optimiser's and greedy's figures. Reading each course is audited."""
    _require_staff(actor, "book courses")
    t0 = time.perf_counter()
    ids = None if course_ids is None else sorted(set(course_ids))
    if ids is not None and len(ids) > MAX_COURSES:
        raise ServiceError(f"Propose dates for at most {MAX_COURSES} courses at once.", field="courses")
    courses = list(waiting_courses(ids)[:MAX_COURSES])
    found: dict[int, WaitingCourse] = {}
    for course in courses:
        audit_record(
            actor=actor, action="view", obj=course, summary="looked for booking options on the waiting list"
        )
        if not_now := _not_now(course, actor):
            found[course.pk] = not_now
    courses += _not_waiting(ids, courses, found, actor)
    candidates = [c for c in courses if c.pk not in found]
    optimiser = greedy = None
    if candidates:
        location = _default_location(location)
        optimiser, greedy = _place(candidates, location, time_limit_s, found)
    audit_record(
        actor=actor,
        action="view",
        object_type="bookings.waiting_list",
        summary=f"proposed dates for the waiting list: {len(courses)} courses looked at, "
        f"{sum(c.state == PROPOSED for c in found.values())} proposed",
    )
    return WaitingListPlan(
        location, tuple(found[c.pk] for c in courses), optimiser, greedy, time.perf_counter() - t0
    )


def _not_now(course: Course, actor: Any) -> WaitingCourse | None:
    """The course left out (partly booked) or blocked, with its reasons in `actor`'s words;
    None if it can be searched."""
    if getattr(course, "any_booked", False) or getattr(course, "started", False):
        return WaitingCourse(course, SKIPPED, reasons=(PARTLY_BOOKED,))
    blockers = course_booking_blockers(course)
    return WaitingCourse(course, BLOCKED, reasons=tuple(gate.words(blockers, actor))) if blockers else None


def _not_waiting(
    ids: list[int] | None, listed: list[Course], found: dict[int, WaitingCourse], actor: Any
) -> list[Course]:
    """The courses asked for by id that are not waiting to be booked, each with why (unknown ids
    are ignored: there is nothing to say about them)."""
    missing = set(ids or ()) - {c.pk for c in listed}
    if not missing:
        return []
    out = list(Course.objects.filter(pk__in=missing).select_related("patient").order_by("approved_at", "id"))
    for course in out:
        audit_record(
            actor=actor, action="view", obj=course, summary="looked for booking options on the waiting list"
        )
        found[course.pk] = WaitingCourse(
            course,
            BLOCKED,
            reasons=tuple(gate.words(course_booking_blockers(course), actor)) or (NOT_WAITING,),
        )
    return out


def _place(
    candidates: list[Course], location: Location, time_limit_s: float, found: dict[int, WaitingCourse]
) -> _Results:
    """Place the candidates together on one calendar; record each one's proposal or reason in
    `found` and return the optimiser's and greedy's results."""
    wanted = _requests(candidates, location, found)
    if not wanted:
        return None, None
    requests = [w.request for w in wanted]
    days = [_request_days(r) for r in requests]
    calendar = _past_is_busy(
        calendar_for(location=location, start=min(d[0] for d in days), end=max(d[1] for d in days)),
        timezone.now(),
    )
    optimiser, greedy = _batch(requests, calendar, time_limit_s)
    placed = _whole_courses(wanted, optimiser.courses, calendar)
    for n, w in enumerate(wanted):
        booking = placed.get(n)
        if isinstance(booking, scheduling.CourseBooking):
            proposal = _Signer(w.course, location, w.type_row, calendar).proposal(booking)
            found[w.course.pk] = WaitingCourse(w.course, PROPOSED, proposal)
        else:
            found[w.course.pk] = WaitingCourse(w.course, UNPLACED, reasons=(NO_ROOM, *(booking or ())))
    return optimiser, greedy


def _requests(candidates: list[Course], location: Location, found: dict[int, WaitingCourse]) -> list[_Wanted]:
    """The core's request for each candidate; a course whose plan or type cannot be searched
    goes into `found` with the reason."""
    today = _local_today(location_zone(location))
    types: dict[bool, tuple[AppointmentType, scheduling.AppointmentType]] = {}
    out = []
    preferences = preferences_for(candidates)  # kept from an earlier booking, if any
    for course in candidates:
        try:
            prp = course_has_prp(course.plan or {})
            if prp not in types:
                row = appointment_type_for_course(course)
                types[prp] = (row, appointment_type_core(row))
            row, core = types[prp]
            request = course_request(course, core, preferences[course.pk], today, prepare=True)
            out.append(_Wanted(course, row, request))
        except ServiceError as exc:
            found[course.pk] = WaitingCourse(course, UNPLACED, reasons=(exc.message,))
    return out


def _batch(
    requests: list[scheduling.CourseRequest], calendar: scheduling.Calendar, time_limit_s: float
) -> tuple[scheduling.BatchResult, scheduling.BatchResult]:
    """Return the optimiser's and greedy's placements of `requests` on `calendar`."""
    from needlepoint.scheduling.optimiser import optimise  # loads OR-Tools only when asked

    try:
        return (
            optimise(requests, calendar, time_limit_s=time_limit_s, workers=WORKERS),
            scheduling.greedy(requests, calendar),
        )
    except scheduling.SchedulingError as exc:
        raise ServiceError(exc.message, field=exc.field) from None


def _whole(
    booking: scheduling.CourseBooking | None, request: scheduling.CourseRequest
) -> TypeGuard[scheduling.CourseBooking]:
    """True for a course with every session placed, each inside its window."""
    return (
        booking is not None
        and len(booking.sessions) == request.sessions
        and all(s.inside_window for s in booking.sessions)
    )


def _whole_courses(
    wanted: list[_Wanted], placed: Iterable[scheduling.CourseBooking | None], calendar: scheduling.Calendar
) -> dict[int, scheduling.CourseBooking | tuple[str, ...]]:
    """Return, by position in `wanted`, each whole course the batch placed inside its windows;
    every other course is searched again alone, in waiting order, around the courses kept so far:
    its whole course, or the search's reasons why none fits."""
    out: dict[int, scheduling.CourseBooking | tuple[str, ...]] = {
        n: b for n, (w, b) in enumerate(zip(wanted, placed, strict=True)) if _whole(b, w.request)
    }
    busy: dict[str, list[scheduling.Interval]] = defaultdict(list)
    _add_busy(busy, (b for b in out.values() if isinstance(b, scheduling.CourseBooking)))
    around = calendar.with_busy(busy)
    for n, w in enumerate(wanted):
        if n in out:
            continue
        found = scheduling.search(w.request, around, alternatives=0)
        if found.course is not None and _whole(found.course, w.request):
            out[n] = found.course
            _add_busy(busy, [found.course])
            around = calendar.with_busy(busy)
        else:
            out[n] = found.why_not
    return out


def _add_busy(
    busy: dict[str, list[scheduling.Interval]], courses: Iterable[scheduling.CourseBooking]
) -> None:
    for course in courses:
        for resource, intervals in course.busy().items():
            busy[resource].extend(intervals)


# ---- booking ------------------------------------------------------------------------------------


def waiting_list_book(*, actor: Any, tokens: Mapping[int, str]) -> WaitingListOutcome:
    """Book each course of `tokens` (course id -> the proposal's token) with `course_book`, each
    in its own transaction and all or nothing, in the order given; return what happened to each.
    A conflict or blocker on one course leaves the others booked."""
    _require_staff(actor, "book courses")
    if not tokens:
        raise ServiceError("Tick at least one course to book.", field="courses")
    courses = Course.objects.select_related("patient").in_bulk(list(tokens))
    return WaitingListOutcome(
        tuple(_book_one(pk, courses.get(pk), token, actor) for pk, token in tokens.items())
    )


def _book_one(course_id: int, course: Course | None, token: str, actor: Any) -> CourseOutcome:
    if course is None:
        return CourseOutcome(course_id, None, REFUSED, "This course no longer exists.")
    if not token:
        return CourseOutcome(
            course_id,
            course,
            REFUSED,
            "The proposed dates for this course are missing from the form: propose dates again.",
        )
    try:
        appointments = course_book(course=course, actor=actor, token=token)
    except BookingConflict as exc:
        return CourseOutcome(course_id, course, CONFLICT, exc.message)
    except ServiceError as exc:
        return CourseOutcome(course_id, course, REFUSED, exc.message)
    first = min(appointments, key=lambda a: a.starts_at)
    return CourseOutcome(
        course_id,
        course,
        BOOKED,
        f"Booked {len(appointments)} session{'s' if len(appointments) != 1 else ''}: "
        f"the first on {_when(first)}.",
        tuple(appointments),
    )


def _when(appointment: Appointment) -> str:
    local = appointment.starts_at.astimezone(location_zone(appointment.location))
    return f"{local:%A} {local.day} {local:%B %Y} at {local:%H:%M}"
