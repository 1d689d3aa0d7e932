"""Booking a session without a time again (its appointment was cancelled or missed, or it never
had one) among the course's booked appointments: its window, a preview with the later booked
sessions re-checked and re-flowed (`reflow_preview`), and the booking exactly as previewed."""

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from needlepoint import scheduling
from needlepoint.accounts.models import User
from needlepoint.audit.services import audit_record
from needlepoint.bookings.core_adapter import (
    appointment_type_core,
    appointment_type_for_course,
    location_zone,
    practitioner_resource,
)
from needlepoint.bookings.models import ENDED, LIVE, Appointment, Hold, Location
from needlepoint.bookings.services import ServiceError, StaleEdit
from needlepoint.bookings.services._common import (
    CHANGED,
    SEARCH_AGAIN,
    database_settles,
    default_location,
    local_today,
    sign,
    slot_payload,
    unsign,
)
from needlepoint.bookings.services.book import (
    insert_holds,
    location_and_type,
    new_appointment,
    planned_sessions,
    schedule_session,
    sync_reminders,
)
from needlepoint.bookings.services.move import check_movable, move_one, moves, rewindow
from needlepoint.bookings.services.preferences import preferences_for
from needlepoint.bookings.services.reflow_preview import (
    MovePreview,
    ReflowPreview,
    Row,
    booked_appointments,
    booked_slot,
    hold_order,
    session_number,
)
from needlepoint.bookings.services.search import course_request
from needlepoint.clinic.models import Course, SessionStatus, TreatmentSession
from needlepoint.clinic.services import gate, require_role
from needlepoint.words import human_date, human_when

REBOOK_SALT = "bookings.rebook"
REBOOKABLE = (SessionStatus.PLANNED, SessionStatus.BLOCKED)


@dataclass(frozen=True)
class RebookWindow:
    """Where a session without a time may be booked again: its window (`latest` None: no last
    day), the same in words, what happens to the next booked session, the location it is
    booked at and the appointment that was cancelled (None: it never had one)."""

    number: int
    earliest: dt.date
    latest: dt.date | None
    words: str
    next_words: str
    location: Location
    cancelled: Appointment | None


def session_rebook_blockers(
    course: Course, *, day: dt.date | None = None, number: int | None = None
) -> list[gate.Blocker]:
    """Return every reason a session of `course` cannot be booked again (on `day`, when known):
    the safety gate's for booking again (the course no longer approved, the latest screening
    defers, contraindicates or waits on a clearance, an area no longer treatable, no consent)."""
    return gate.course_blockers(course, gate.Step.REBOOK, day=day, session=number)


def session_rebook_window(*, course: Course, session: TreatmentSession) -> RebookWindow:
    """Return where `session` of `course` may be booked again (a read; the view audits it).
    ServiceError when the session is not one to book again."""
    course, session = _rebookable(course, session)
    return _Rebook(course, session).window()


def session_rebook_options(
    *, course: Course, session: TreatmentSession, actor: User, new_start: dt.datetime
) -> MovePreview:
    """Return what booking `session` again at `new_start` does to its course: the session at
    its new time and every later booked one (kept, or re-flowed inside its window), with a
    token to confirm it; or, in words, why it cannot be done (a past time, outside its window,
    the clinic closed, nobody free, a blocker)."""
    require_role(actor, doing="book a session")
    if new_start.utcoffset() is None:
        raise ServiceError("Give the new time with its time zone.", field="new_start")
    course, session = _rebookable(course, session)
    audit_record(actor=actor, action="view", obj=session, summary="looked at booking the session again")
    return _Rebook(course, session).preview(new_start, actor)


def _rebookable(course: Course, session: TreatmentSession) -> tuple[Course, TreatmentSession]:
    """Return fresh copies of the course and its session; ServiceError unless the session is
    this course's, has no booked appointment and is neither charted, signed nor cancelled. Its
    window follows the booked session before it, so an earlier session without a time is
    booked first."""
    course = Course.objects.select_related("patient").get(pk=course.pk)
    session = TreatmentSession.objects.get(pk=session.pk)
    if session.course_id != course.pk:
        raise ServiceError("This session belongs to another course.", field="session")
    if session.status not in REBOOKABLE:
        raise ServiceError(
            f"Session {session.number} is {session.get_status_display().lower()}: it cannot be booked again.",
            field="session",
        )
    if Appointment.objects.filter(session=session, status__in=LIVE).exists():
        raise ServiceError(
            f"Session {session.number} is already booked: reschedule it instead.", field="session"
        )
    earlier = (
        TreatmentSession.objects.filter(course=course, number__lt=session.number, status__in=REBOOKABLE)
        .exclude(appointment__status__in=LIVE)
        .order_by("number")
        .first()
    )
    if earlier is not None:  # its window would follow a session that has no time yet
        raise ServiceError(
            f"Book a time for session {earlier.number} first: each session's window "
            f"follows the session before it.",
            field="session",
        )
    return course, session


class _Rebook(ReflowPreview):
    """One session of a course booked again among the course's booked appointments, by its
    number: those before it stay, those after it (the followers) are re-checked and re-flowed
    by the core, as for a move. Its window follows the booked session before it (none: any day
    from the course's earliest)."""

    def __init__(self, course: Course, session: TreatmentSession):
        self.course, self.session, self.number = course, session, session.number
        self.booked = booked_appointments(course.pk)
        self.before = [a for a in self.booked if session_number(a) < session.number]
        self.followers = [a for a in self.booked if session_number(a) > session.number]
        self.index, self.sessions = len(self.before) + 1, len(self.booked) + 1
        self.cancelled = (
            Appointment.objects.filter(session=session, status__in=ENDED)
            .select_related("location", "appointment_type")
            .first()
        )
        like = self.booked[0] if self.booked else self.cancelled
        self.location = like.location if like else default_location(None)
        self.type_row = like.appointment_type if like else appointment_type_for_course(course)
        self.zone = location_zone(self.location)
        self.core = appointment_type_core(self.type_row)
        self.request = replace(
            course_request(course, self.core, preferences_for([course])[course.pk], local_today(self.zone)),
            sessions=self.sessions,
        )

    def window(self) -> RebookWindow:
        number, r = self.session.number, self.request
        if not self.before:
            words = (
                f"Session {number} can be booked from {human_date(r.first_day)} on, "
                "the first day the plan allows."
            )
            return RebookWindow(
                number, r.first_day, None, words, self._next_words(), self.location, self.cancelled
            )
        prev = self.before[-1]
        day = prev.starts_at.astimezone(self.zone).date()
        lo, hi = day + dt.timedelta(days=r.interval_min), day + dt.timedelta(days=r.interval_max)
        words = (
            f"Session {number} can be booked from {human_date(lo)} to {human_date(hi)}: {r.interval_min}-"
            f"{r.interval_max} days after session {session_number(prev)} on {human_date(day)}."
        )
        if hi < local_today(self.zone):
            words += (
                f" That window has passed: move session {session_number(prev)} first, or ask the "
                "practitioner to change the plan."
            )
        return RebookWindow(number, lo, hi, words, self._next_words(), self.location, self.cancelled)

    def _next_words(self) -> str:
        if not self.followers:
            return ""
        nxt, r = self.followers[0], self.request
        return (
            f"Session {session_number(nxt)} is booked for {human_when(nxt.starts_at, self.zone)}. It "
            f"stays while it is still {r.interval_min}-{r.interval_max} days after the new time and its "
            "practitioner and room are free; otherwise it, and the sessions after it, move to the "
            "earliest free time inside their windows."
        )

    def blockers(self, day: dt.date) -> list[gate.Blocker]:
        return session_rebook_blockers(self.course, day=day, number=self.session.number)

    def course_booking(self, new_start: dt.datetime) -> scheduling.CourseBooking:
        """The course as the core sees it: the booked sessions around the one to book, which
        holds nothing yet (its resources are found at `new_start`)."""
        order = hold_order(self.core)
        before = [booked_slot(a, n, order) for n, a in enumerate(self.before, 1)]
        after = [booked_slot(a, n, order) for n, a in enumerate(self.followers, self.index + 1)]
        first = self.request.first_day
        end = new_start + dt.timedelta(minutes=self.core.minutes)
        empty = scheduling.SessionSlot(
            self.index, new_start, end, (), first, first + dt.timedelta(days=self.request.first_within_days)
        )
        return scheduling.CourseBooking(self.request, (*before, empty, *after))

    def practitioner(self) -> str | None:
        """The practitioner the patient has been seeing: the cancelled appointment's, else the
        one of the booked session before it, else after it."""
        for a in (self.cancelled, *reversed(self.before), *self.followers):
            if a is not None and a.practitioner_id:
                return practitioner_resource(a.practitioner_id)
        return None

    def token(self, sessions: Sequence[scheduling.SessionSlot], rows: Sequence[Row]) -> str:
        payload = {
            "course": self.course.pk,
            "session": self.session.pk,
            "location": self.location.pk,
            "type": self.type_row.pk,
            "new": slot_payload(sessions[self.index - 1], self.session.number),
            "before": [[a.pk, a.version] for a in self.before],
            "later": [
                {**slot_payload(later, session_number(a)), "appointment": a.pk, "version": a.version}
                for later, _, a in rows
            ],
        }
        return sign(payload, REBOOK_SALT)


def session_rebook(
    *, course: Course, session: TreatmentSession, actor: User, token: str
) -> list[Appointment]:
    """Book `session` again exactly as the preview `token` showed it, all or nothing: a new
    appointment (new calendar identity) holding its resources, and every later session that
    the preview moved moved (SEQUENCE raised, reminders moved); the cancelled appointment passes
    its session link to the new one. Returns the new appointment, then the ones that moved.
    StaleEdit when the course's appointments changed since the preview; Blocked when a blocker
    appeared; BookingConflict when a slot was taken meanwhile."""
    require_role(actor, doing="book a session")
    data = unsign(token, REBOOK_SALT, "new times")
    if data.get("course") != course.pk or data.get("session") != session.pk:
        raise ServiceError(f"This preview is for another session. {SEARCH_AGAIN}", field="token")
    with database_settles():
        return _apply_rebook(course, session, actor, data)


def _apply_rebook(
    course: Course, session: TreatmentSession, actor: User, data: dict[str, Any]
) -> list[Appointment]:
    locked = Course.objects.select_for_update(of=("self",)).select_related("patient").get(pk=course.pk)
    location, type_row = location_and_type(data)
    rows = _booked_as_previewed(locked, session, data)
    zone = location_zone(location)
    number = data["new"]["number"]
    day = dt.datetime.fromisoformat(data["new"]["start"]).astimezone(zone).date()
    gate.refuse(session_rebook_blockers(locked, day=day, number=number), actor, field="")
    fresh = planned_sessions(locked, [number], actor)[number]
    if fresh.pk != session.pk:
        raise ServiceError(f"This preview is for another session. {SEARCH_AGAIN}", field="token")
    appointment = new_appointment(locked, fresh, data["new"], type_row, location, actor)
    pairs = [(rows[s["appointment"]], s) for s in data["later"]]
    moving = [(a, s) for a, s in pairs if moves(a, s)]
    for a, _ in moving:
        check_movable(a)
    Hold.objects.filter(appointment__in=[a for a, _ in moving], active=True).update(active=False)
    insert_holds([(appointment, data["new"]), *moving])
    schedule_session(appointment, actor, zone)
    moved = [a for a, _ in moving]
    for a, s in pairs:
        (move_one if a in moved else rewindow)(a, s, actor)
    sync_reminders([appointment, *moved], actor)
    return [appointment, *moved]


def _booked_as_previewed(
    course: Course, session: TreatmentSession, data: dict[str, Any]
) -> dict[int, Appointment]:
    """Return the course's booked appointments, locked, by id; StaleEdit when the session was
    booked meanwhile or any booked appointment of the course changed, appeared or was
    cancelled since the preview."""
    rows = {
        a.pk: a
        for a in Appointment.objects.select_for_update(of=("self",))
        .filter(course=course, status__in=LIVE)
        .select_related("session", "location")
    }
    if any(a.session_id == session.pk for a in rows.values()):
        raise StaleEdit(
            f"Someone else has booked session {session.number} meanwhile: look at the course's appointments.",
            field="token",
        )
    expected = {pk: version for pk, version in data["before"]}
    expected.update({s["appointment"]: s["version"] for s in data["later"]})
    if {pk: a.version for pk, a in rows.items()} != expected:
        raise StaleEdit(CHANGED, field="token")
    return rows
