"""Placing many waiting courses together: the batch optimiser
(`needlepoint.scheduling.optimiser.optimise`) places the most sessions inside their windows and
then the earliest; greedy first-fit runs on the same calendar in the same call, so the page can
show what the optimiser gained. Each course placed whole gets a proposal signed exactly as
`search.course_options` signs one, so that `book.course_book` books it."""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TypeGuard

from django.utils import timezone

from needlepoint import scheduling
from needlepoint.bookings.core_adapter import (
    appointment_type_core,
    appointment_type_for_course,
    calendar_for,
    course_has_prp,
    location_zone,
)
from needlepoint.bookings.models import AppointmentType, Location
from needlepoint.bookings.services import ServiceError
from needlepoint.bookings.services._common import local_today, past_is_busy, resource_names
from needlepoint.bookings.services.preferences import preferences_for
from needlepoint.bookings.services.search import Proposal, course_request, proposal_sign, request_days
from needlepoint.clinic.models import Course

WORKERS = 2
NO_ROOM = "No whole course with every session inside its window fits alongside the other waiting courses."


@dataclass(frozen=True)
class Placement:
    """By course id, each candidate's proposal or the reasons it has none; and the two batch
    results on the same calendar (None when no course could be searched)."""

    found: dict[int, Proposal | tuple[str, ...]]
    optimiser: scheduling.BatchResult | None
    greedy: scheduling.BatchResult | None


@dataclass(frozen=True)
class _Wanted:
    """A bookable course with its appointment type and the core's request for it."""

    course: Course
    type_row: AppointmentType
    request: scheduling.CourseRequest


def waiting_list_place(candidates: list[Course], location: Location, time_limit_s: float) -> Placement:
    """Place the candidates together on one calendar: each one's proposal or reasons why it has
    none, and the optimiser's and greedy's results. Only a whole course with every session
    inside its window is proposed, as for one course: the optimiser may leave a course short or
    with a session outside its window (it counts sessions, not courses); such a course is
    searched again alone, around every course proposed so far, and gets its own proposal or the
    search's reasons why none fits."""
    found: dict[int, Proposal | tuple[str, ...]] = {}
    wanted = _requests(candidates, location, found)
    if not wanted:
        return Placement(found, None, None)
    requests = [w.request for w in wanted]
    days = [request_days(r) for r in requests]
    calendar = past_is_busy(
        calendar_for(location=location, start=min(d[0] for d in days), end=max(d[1] for d in days)),
        timezone.now(),
    )
    optimiser, greedy = _batch(requests, calendar, time_limit_s)
    placed = _whole_courses(wanted, optimiser.courses, calendar)
    names = resource_names(calendar)
    for n, w in enumerate(wanted):
        booking = placed.get(n)
        if isinstance(booking, scheduling.CourseBooking):
            proposal = proposal_sign(
                booking, course=w.course, location=location, type_row=w.type_row, names=names
            )
            found[w.course.pk] = proposal
        else:
            found[w.course.pk] = (NO_ROOM, *(booking or ()))
    return Placement(found, optimiser, greedy)


def _requests(
    candidates: list[Course], location: Location, found: dict[int, Proposal | tuple[str, ...]]
) -> list[_Wanted]:
    """The core's request for each candidate, with the preferences kept from an earlier booking
    (if any); a course whose plan or type cannot be searched goes into `found` with the reason."""
    today = local_today(location_zone(location))
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
            found[course.pk] = (exc.message,)
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
