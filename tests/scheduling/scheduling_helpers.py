"""Builders for small clinics and requests, and an independent checker of booked courses.

`violations(course, calendar)` re-derives every rule from the plain data (it shares no code
with the search beyond the data types) and returns what a course breaks, in words; an empty
list means the course keeps every rule.
"""

import datetime as dt
import itertools
from collections.abc import Iterable, Sequence
from zoneinfo import ZoneInfo

from needlepoint.scheduling.booking import CourseBooking, Hold
from needlepoint.scheduling.model import (
    AppointmentType,
    Calendar,
    Closure,
    CourseRequest,
    Device,
    Interval,
    Practitioner,
    Room,
    WeeklyHours,
    treatment_session,
)

LONDON = ZoneInfo("Europe/London")
MN = frozenset({"microneedling"})
PRP = frozenset({"microneedling", "prp_draw"})


def at(day: dt.date | str, clock: str, zone: ZoneInfo = LONDON) -> dt.datetime:
    """Return the aware datetime of local `clock` ("09:30") on `day` in `zone`."""
    date = dt.date.fromisoformat(day) if isinstance(day, str) else day
    h, m = map(int, clock.split(":"))
    return dt.datetime.combine(date, dt.time(h, m), tzinfo=zone)


def busy(day: dt.date | str, start: str, end: str) -> Interval:
    return Interval(at(day, start), at(day, end))


def clinic(
    *,
    hours: str = "mon-fri 09:00-18:00; sat 09:00-13:00",
    practitioners: Sequence[Practitioner] | None = None,
    rooms: Sequence[Room] | None = None,
    devices: Sequence[Device] | None = None,
    closures: Sequence[Closure] = (),
    zone: ZoneInfo = LONDON,
    slot: int = 15,
) -> Calendar:
    """Return a small clinic: by default Anna (microneedling, PRP, Mon-Fri 09-18), Ben
    (microneedling, Mon-Sat 09-18), one treatment room, one consultation room, one numbing
    chair, one pen and one centrifuge."""
    if practitioners is None:
        practitioners = (
            Practitioner("anna", "Anna", PRP, WeeklyHours.parse("mon-fri 09:00-18:00")),
            Practitioner("ben", "Ben", MN, WeeklyHours.parse("mon-sat 09:00-18:00")),
        )
    if rooms is None:
        rooms = (Room("t1", "treatment"), Room("c1", "consult"), Room("n1", "numbing"))
    if devices is None:
        devices = (Device("pen-1", "pen"), Device("centrifuge-1", "centrifuge"))
    return Calendar(
        zone,
        WeeklyHours.parse(hours),
        tuple(practitioners),
        tuple(rooms),
        tuple(devices),
        tuple(closures),
        slot,
    )


def course_request(
    earliest: dt.date | str = "2026-06-01",
    *,
    sessions: int = 3,
    lo: int = 28,
    hi: int = 42,
    appointment: AppointmentType | None = None,
    **more: object,
) -> CourseRequest:
    date = dt.date.fromisoformat(earliest) if isinstance(earliest, str) else earliest
    return CourseRequest(appointment or treatment_session(), sessions, lo, hi, date, **more)  # type: ignore[arg-type]


def _utc(t: dt.datetime) -> dt.datetime:
    """Compare instants in UTC: aware datetimes sharing a zone compare by wall clock."""
    return t.astimezone(dt.UTC)


def local_day(t: dt.datetime, zone: ZoneInfo) -> dt.date:
    return t.astimezone(zone).date()


def _minutes(t: dt.datetime, zone: ZoneInfo) -> int:
    local = t.astimezone(zone)
    return local.hour * 60 + local.minute


def _inside(spans: Iterable[tuple[int, int]], start: int, end: int) -> bool:
    """Return whether every minute of [start, end) lies in one of `spans` (spans that touch
    join up: "mornings and afternoons" take a visit from 11:30 to 13:00)."""
    covered: set[int] = set()
    for a, b in spans:
        covered.update(range(a, b))
    return all(m in covered for m in range(start, end))


def violations(
    course: CourseBooking,
    calendar: Calendar,
    others: Sequence[CourseBooking] = (),
    *,
    windows: bool = True,
    first_window: bool = True,
    preferences: bool = True,
) -> list[str]:
    """Return every rule `course` breaks on `calendar` (and against `others`, booked beside it).

    `windows=False` skips the gaps between sessions (batch courses may place a session late);
    `first_window=False` only asks session 1 to be on or after the first day (a moved session
    1); `preferences=False` skips the patient's days and times (a time the front desk chose)."""
    out: list[str] = []
    if windows:
        out += _window_violations(course, calendar.zone, first_window)
    for s in course.sessions:
        out += _visit_violations(course, s.number, s.holds, calendar, preferences)
    out += _double_bookings([h for c in (course, *others) for s in c.sessions for h in s.holds], calendar)
    return out


def _window_violations(course: CourseBooking, zone: ZoneInfo, first_window: bool) -> list[str]:
    r, out = course.request, []
    days = [local_day(s.start, zone) for s in course.sessions]
    within = r.first_within_days if first_window else 100_000
    if days and not r.first_day <= days[0] <= r.first_day + dt.timedelta(days=within):
        out.append(f"session 1 on {days[0]} is outside {r.first_day} + {r.first_within_days} days")
    for n, (a, b) in enumerate(itertools.pairwise(days), 2):
        if not r.interval_min <= (b - a).days <= r.interval_max:
            out.append(f"session {n} is {(b - a).days} days after session {n - 1}")
    return out


def _visit_violations(
    course: CourseBooking, number: int, holds: Sequence[Hold], calendar: Calendar, preferences: bool
) -> list[str]:
    r, zone, out = course.request, calendar.zone, []
    session = course.sessions[number - 1]
    day = local_day(session.start, zone)
    start, end = _minutes(session.start, zone), _minutes(session.end, zone) or 1440
    if calendar.closure_on(day):
        out.append(f"session {number} on closure day {day}")
    if preferences and day.weekday() not in r.weekdays:
        out.append(f"session {number} on a weekday the patient did not choose")
    if preferences and r.times and not _inside(((t.start, t.end) for t in r.times), start, end):
        out.append(f"session {number} outside the patient's times")
    if local_day(session.end - dt.timedelta(minutes=1), zone) != day:
        out.append(f"session {number} runs past midnight")
    if not _inside(((s.start, s.end) for s in calendar.hours.on(day.weekday())), start, end):
        out.append(f"session {number} outside opening hours")
    if _utc(session.end) - _utc(session.start) != dt.timedelta(minutes=r.appointment.minutes):
        out.append(f"session {number} lasts {_utc(session.end) - _utc(session.start)}")
    out += _step_violations(r.appointment, number, session.start, holds, calendar)
    return out


def _step_violations(
    appointment: AppointmentType, number: int, begin: dt.datetime, holds: Sequence[Hold], calendar: Calendar
) -> list[str]:
    out, zone = [], calendar.zone
    wanted = sum((s.skills is not None) + (s.room is not None) + len(s.devices) for s in appointment.steps)
    if len(holds) != wanted:
        out.append(f"session {number} holds {len(holds)} resources, not {wanted}")
    steps = {s.name: s for s in appointment.steps}
    for h in holds:
        step = steps[h.step]
        if (_utc(h.start) - _utc(begin), _utc(h.end) - _utc(h.start)) != (
            dt.timedelta(minutes=step.offset),
            dt.timedelta(minutes=step.minutes),
        ):
            out.append(f"session {number} {h.step} held at the wrong time")
        out += _resource_violations(number, step.skills, step.room, step.devices, h, calendar, zone)
    return out


def _resource_violations(
    number: int,
    skills: frozenset[str] | None,
    room: str | None,
    devices: tuple[str, ...],
    h: Hold,
    calendar: Calendar,
    zone: ZoneInfo,
) -> list[str]:
    out = []
    if h.role == "practitioner":
        p = calendar.practitioner(h.resource)
        if skills is None or not skills <= p.skills:
            out.append(f"session {number}: {p.name} lacks {skills}")
        spans = ((s.start, s.end) for s in p.hours.on(local_day(h.start, zone).weekday()))
        if not _inside(spans, _minutes(h.start, zone), _minutes(h.end, zone) or 1440):
            out.append(f"session {number}: {p.name} not working then")
    elif h.role == "room":
        kind = next(r.kind for r in calendar.rooms if r.id == h.resource)
        if kind != room:
            out.append(f"session {number}: room {h.resource} is a {kind} room")
    else:
        kind = next(d.kind for d in calendar.devices if d.id == h.resource)
        if kind not in devices:
            out.append(f"session {number}: device {h.resource} is a {kind}")
    return out


def _double_bookings(holds: list[Hold], calendar: Calendar) -> list[str]:
    out = []
    busy = {r.id: r.busy for r in calendar.resources}
    for i, h in enumerate(holds):
        for iv in busy[h.resource]:
            if _utc(h.start) < _utc(iv.end) and _utc(iv.start) < _utc(h.end):
                out.append(f"{h.resource} double-booked at {h.start.isoformat()} with an existing booking")
        for g in holds[i + 1 :]:
            if g.resource == h.resource and _utc(h.start) < _utc(g.end) and _utc(g.start) < _utc(h.end):
                out.append(f"{h.resource} double-booked at {h.start.isoformat()} within the batch")
    return out
