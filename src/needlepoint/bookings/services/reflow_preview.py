"""What setting one session of a booked course at a new time does to the course, shared by a
move (`move`) and a session booked again (`rebook`): the core re-checks the later booked
sessions and re-flows, inside their windows, those that no longer fit; the preview shows every
session with what changes, and a token to confirm exactly that."""

import datetime as dt
import zoneinfo
from collections.abc import Sequence
from dataclasses import dataclass

from django.utils import timezone

from needlepoint import scheduling
from needlepoint.accounts.models import User
from needlepoint.bookings.core_adapter import calendar_for
from needlepoint.bookings.models import LIVE, Appointment, AppointmentStatus, Location
from needlepoint.bookings.services._common import FIXED, local_today, past_is_busy, resource_names
from needlepoint.bookings.services.search import ProposedSession, proposed_session
from needlepoint.clinic.models import Course
from needlepoint.clinic.services import gate

CALENDAR_MARGIN_DAYS = 29
"""Days of calendar read past the latest day the re-flowed sessions' windows can reach from the
last booked one (a month: re-flowed sessions may land past their planned windows' ends)."""

PASSED = "Choose a time from now on: the new time has already passed."
FIXED_WORDS = "Session {} is being charted or has been signed: it cannot move."

Row = tuple[scheduling.SessionSlot, scheduling.SessionSlot, Appointment]
"""A booked session the re-flow looked at: its slot after the re-flow, before it, its appointment."""


@dataclass(frozen=True)
class MovePreview:
    ok: bool
    sessions: tuple[ProposedSession, ...]
    why_not: tuple[str, ...]
    token: str


def refused(why: Sequence[str]) -> MovePreview:
    return MovePreview(False, (), tuple(why), "")


def booked_appointments(course_id: int) -> list[Appointment]:
    """The course's booked (live) appointments in time order, with their holds."""
    return list(
        Appointment.objects.filter(course_id=course_id, status__in=LIVE)
        .select_related("session", "location", "appointment_type")
        .prefetch_related("holds")
        .order_by("starts_at", "id")
    )


def session_number(appointment: Appointment) -> int:
    session = appointment.session
    return session.number if session is not None else 0


def hold_order(core: scheduling.AppointmentType) -> list[tuple[str, str, str]]:
    """The (step, role, kind) of each hold in the order the core lists a visit's needs."""
    out: list[tuple[str, str, str]] = []
    for step in core.steps:
        if step.skills is not None:
            out.append((step.name, "practitioner", "practitioner"))
        if step.room is not None:
            out.append((step.name, "room", step.room))
        out.extend((step.name, "device", kind) for kind in step.devices)
    return out


def booked_slot(
    appointment: Appointment, number: int, order: list[tuple[str, str, str]]
) -> scheduling.SessionSlot:
    """Return a booked appointment as the core's session slot, its holds in the core's order."""
    holds = sorted(
        (h for h in appointment.holds.all() if h.active),
        key=lambda h: (
            order.index((h.step, h.role, h.kind)) if (h.step, h.role, h.kind) in order else len(order)
        ),
    )
    start = appointment.starts_at
    return scheduling.SessionSlot(
        number,
        start,
        appointment.ends_at,
        tuple(scheduling.Hold(h.step, h.role, h.kind, h.resource, h.starts_at, h.ends_at) for h in holds),
        appointment.window_earliest or start.date(),
        appointment.window_latest or start.date(),
    )


def is_fixed(appointment: Appointment) -> bool:
    """True when the visit is history or under way: the patient has arrived or attended, or its
    session is being charted or signed."""
    return appointment.status != AppointmentStatus.BOOKED or (
        appointment.session is not None and appointment.session.status in FIXED
    )


def changed(old: scheduling.SessionSlot, new: scheduling.SessionSlot) -> bool:
    """True when the session's time or any of its resources changes."""

    def key(s: scheduling.SessionSlot) -> set[tuple[str, str, dt.datetime, dt.datetime]]:
        return {(h.resource, h.step, h.start.astimezone(dt.UTC), h.end.astimezone(dt.UTC)) for h in s.holds}

    return old.start != new.start or old.end != new.end or key(old) != key(new)


class ReflowPreview:
    """One session of `course` set at a new time, worked out with the core's re-flow. `booked`
    are the course's booked appointments in time order; `followers` the booked ones the re-flow
    may move (the moved session and those after it, or those after a session booked again);
    `index` is the session set at the new time, from 1, among the `sessions` the core re-flows,
    and `number` its number in the course. The later sessions keep the course's rules (windows,
    clinic hours, resources) and the preferences it was booked with (`preferences_for`).
    Subclasses say which session moves: `blockers`, `course_booking`, `token`."""

    course: Course
    booked: list[Appointment]
    followers: list[Appointment]
    index: int
    sessions: int
    number: int
    location: Location
    zone: zoneinfo.ZoneInfo

    def blockers(self, day: dt.date) -> list[gate.Blocker]:
        """The safety gate's reasons against the session on `day`."""
        raise NotImplementedError

    def course_booking(self, new_start: dt.datetime) -> scheduling.CourseBooking:
        """The course as the core sees it before the change."""
        raise NotImplementedError

    def practitioner(self) -> str | None:
        """The practitioner the session at the new time prefers (None: its own)."""
        return None

    def token(self, sessions: Sequence[scheduling.SessionSlot], rows: Sequence[Row]) -> str:
        """The signed token of the preview: `sessions` as re-flowed, `rows` as in `preview`."""
        raise NotImplementedError

    def preview(self, new_start: dt.datetime, actor: User) -> MovePreview:
        """The course with its session `index` at `new_start` and the followers re-flowed, with a
        token to confirm it; or, in `actor`'s words, why it cannot be done: a past time, a
        blocker, the core's reasons, or a follower that would change but is history."""
        if new_start <= timezone.now():
            return refused((PASSED,))
        blockers = self.blockers(new_start.astimezone(self.zone).date())
        if blockers:
            return refused(gate.words(blockers, actor))
        calendar = self.calendar(new_start)
        booking = self.course_booking(new_start)
        result = scheduling.reflow(booking, self.index, new_start, calendar, practitioner=self.practitioner())
        if result.course is None:
            return refused(result.why_not)
        first = len(booking.sessions) - len(self.followers)
        rows: list[Row] = list(
            zip(result.course.sessions[first:], booking.sessions[first:], self.followers, strict=True)
        )
        fixed = tuple(
            FIXED_WORDS.format(session_number(a)) for new, old, a in rows if changed(old, new) and is_fixed(a)
        )
        if fixed:
            return refused(fixed)
        names = resource_names(calendar)
        new_ones = (  # a session booked again: it had no time before
            proposed_session(s, self.number, names, new=True)
            for s in result.course.sessions[self.index - 1 : first]
        )
        sessions = (
            *new_ones,
            *(proposed_session(new, session_number(a), names, changed(old, new)) for new, old, a in rows),
        )
        return MovePreview(True, sessions, (), self.token(result.course.sessions, rows))

    def calendar(self, new_start: dt.datetime) -> scheduling.Calendar:
        """The location's calendar from today (or the earliest booked session) to well past the
        last day the re-flowed sessions can reach, the course's own holds not in its way."""
        days = [t.astimezone(self.zone).date() for t in (*(a.starts_at for a in self.booked), new_start)]
        longest = int(self.course.plan["sessions"]["interval_days"]["max"])
        end = max(days) + dt.timedelta(days=longest * self.sessions + CALENDAR_MARGIN_DAYS)
        calendar = calendar_for(
            location=self.location,
            start=min([*days, local_today(self.zone)]),
            end=end,
            ignore=[a.pk for a in self.booked],
        )
        return past_is_busy(calendar, timezone.now())
