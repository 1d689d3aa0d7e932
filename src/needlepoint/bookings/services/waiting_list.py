"""The waiting list booked in one go: the courses waiting to be booked, dates proposed for many
of them at once (placed together by `waiting_list_placing`), then booked course by course."""

import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, QuerySet

from needlepoint import scheduling
from needlepoint.accounts.models import User
from needlepoint.audit.services import audit_record
from needlepoint.bookings.core_adapter import (
    location_zone,
)
from needlepoint.bookings.models import LIVE, Appointment, Location
from needlepoint.bookings.services import BookingConflict, ServiceError
from needlepoint.bookings.services._common import (
    BOOKABLE,
    default_location,
)
from needlepoint.bookings.services.book import course_book
from needlepoint.bookings.services.search import (
    Proposal,
    course_booking_blockers,
)
from needlepoint.bookings.services.waiting_list_placing import waiting_list_place
from needlepoint.clinic.models import Course, SessionStatus, TreatmentSession
from needlepoint.clinic.services import gate, require_role
from needlepoint.words import human_when

MAX_COURSES = 200  # the longest-waiting courses, as the "to book" list shows them
PROPOSED, BLOCKED, SKIPPED, UNPLACED = "proposed", "blocked", "skipped", "unplaced"
BOOKED, CONFLICT, REFUSED = "booked", "conflict", "refused"
PARTLY_BOOKED = (
    "Some sessions of this course are already booked, charted or cancelled: book the "
    "others one by one from the course's appointments page."
)
NOT_WAITING = "No session of this course is waiting to be booked."


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


def waiting_list_proposals(
    *,
    actor: User,
    location: Location | None = None,
    time_limit_s: float = 10.0,
    course_ids: Iterable[int] | None = None,
) -> WaitingListPlan:
    """Return dates for every course waiting to be booked (or only `course_ids`), placed
    together: per course a proposal `course_book` books, or why there is none, with the
    optimiser's and greedy's figures. Courses already partly booked (or with a session charted
    or cancelled) are left out with a reason: their remaining sessions are booked one by one
    from the course's appointments page. Reading each course is audited."""
    require_role(actor, doing="book courses")
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
        location = default_location(location)
        placement = waiting_list_place(candidates, location, time_limit_s)
        for course in candidates:
            placed = placement.found[course.pk]
            found[course.pk] = (
                WaitingCourse(course, PROPOSED, placed)
                if isinstance(placed, Proposal)
                else WaitingCourse(course, UNPLACED, reasons=placed)
            )
        optimiser, greedy = placement.optimiser, placement.greedy
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


def _not_now(course: Course, actor: User) -> WaitingCourse | None:
    """The course left out (partly booked) or blocked, with its reasons in `actor`'s words;
    None if it can be searched."""
    if getattr(course, "any_booked", False) or getattr(course, "started", False):
        return WaitingCourse(course, SKIPPED, reasons=(PARTLY_BOOKED,))
    blockers = course_booking_blockers(course)
    return WaitingCourse(course, BLOCKED, reasons=tuple(gate.words(blockers, actor))) if blockers else None


def _not_waiting(
    ids: list[int] | None, listed: list[Course], found: dict[int, WaitingCourse], actor: User
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


def waiting_list_book(*, actor: User, tokens: Mapping[int, str]) -> WaitingListOutcome:
    """Book each course of `tokens` (course id -> the proposal's token) with `course_book`, each
    in its own transaction and all or nothing, in the order given; return what happened to each.
    A conflict or blocker on one course does not undo the others."""
    require_role(actor, doing="book courses")
    if not tokens:
        raise ServiceError("Tick at least one course to book.", field="courses")
    courses = Course.objects.select_related("patient").in_bulk(list(tokens))
    return WaitingListOutcome(
        tuple(_book_one(pk, courses.get(pk), token, actor) for pk, token in tokens.items())
    )


def _book_one(course_id: int, course: Course | None, token: str, actor: User) -> CourseOutcome:
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
        f"the first on {human_when(first.starts_at, location_zone(first.location))}.",
        tuple(appointments),
    )
