"""Booking a course as one unit, moving a session (and re-flowing the later ones), cancelling,
and booking a cancelled session again.

The search proposes; the front desk confirms exactly what it was shown: a proposal carries a
signed token of every session's time and resources, and confirming writes those holds in one
transaction. The database settles races: two active holds of one resource never overlap
(PostgreSQL exclusion constraint, SQLite trigger inside a serialised write), so the loser of a
race gets `BookingConflict` and nothing of its course is saved.

Decisions stated once here:
- A deferral with a date does not stop the search: the course simply starts on or after that
  date; it blocks only a confirmation whose first session is before it.
- A cancelled appointment keeps its link to its session (its calendar event keeps its title)
  until the session is booked again, when the link passes to the new appointment.
- Moving keeps the patient's course rules (windows, clinic hours, resources), not the
  preferred days and times given at booking, which are not stored.
- A session booked again goes among the course's booked appointments by its number: its
  window follows the booked session before it (none: any day from the course's earliest), and
  the booked sessions after it are re-checked as after a move. Windows run between booked
  sessions, as for a move: another session without a time in between is not waited for.
- A course is booked, a session moved or booked again only when the safety gate
  (`needlepoint.clinical.gate`, fed by `clinic.services.gate`) lets it on that day; its reasons
  are said in the words of the person asking (the front desk never reads a finding).
"""

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, OperationalError, transaction
from django.db.models import Model
from django.utils import timezone

from needlepoint import scheduling
from needlepoint.audit.services import audit_record
from needlepoint.bookings.core_adapter import (
    appointment_type_core,
    appointment_type_for_course,
    calendar_for,
    day_start,
    location_zone,
    practitioner_resource,
    resource_pk,
)
from needlepoint.bookings.models import (
    ENDED,
    LIVE,
    Appointment,
    AppointmentStatus,
    AppointmentType,
    CoursePreferences,
    Hold,
    Location,
)
from needlepoint.clinic.models import (
    Course,
    CourseStatus,
    Decision,
    Inquiry,
    InquiryStatus,
    SessionStatus,
    TreatmentSession,
)
from needlepoint.clinic.services import Blocked as Blocked  # raised by gate.refuse; callers catch it here
from needlepoint.clinic.services import ServiceError, StaleEdit, bump_version, gate
from needlepoint.clinic.services.screening import latest_screening

PROPOSAL_SALT = "bookings.proposal"
MOVE_SALT = "bookings.move"
TOKEN_MAX_AGE = 30 * 60  # seconds: long enough to talk it through, short enough to stay true
BOOKABLE = (CourseStatus.APPROVED, CourseStatus.ACTIVE)
FIXED = (SessionStatus.SIGNED, SessionStatus.IN_PROGRESS)  # a chart exists: the time is history
CONFLICT = "Someone else has just booked one of these times. Search again to see what is free now."
SEARCH_AGAIN = "Search again to see what is free now."
CHANGED = (
    "The course's sessions have changed since this preview was made. Look at the new times and choose again."
)


class BookingConflict(ServiceError):
    """Someone else took one of the slots between the search and the confirmation."""

    http_status = 409


@dataclass(frozen=True)
class Preferences:
    """The patient's preferred weekdays (0 is Monday), times of day and practitioner."""

    weekdays: frozenset[int] = frozenset(range(7))
    times: tuple[scheduling.Span, ...] = ()
    practitioner_id: int | None = None


def preferences_payload(preferences: Preferences) -> dict[str, Any]:
    """The preferences as plain data (for a signed proposal)."""
    return {
        "weekdays": sorted(preferences.weekdays),
        "times": [[t.start, t.end, t.label] for t in preferences.times],
        "practitioner": preferences.practitioner_id,
    }


def preferences_from(data: dict[str, Any]) -> Preferences:
    """The preferences stored (or signed) as plain data; none given means any day, any time."""
    return Preferences(
        weekdays=frozenset(data.get("weekdays") or range(7)),
        times=tuple(scheduling.Span(int(a), int(b), str(label)) for a, b, label in data.get("times") or ()),
        practitioner_id=data.get("practitioner"),
    )


def kept_preferences(row: CoursePreferences) -> Preferences:
    """The preferences a course's stored row holds."""
    return preferences_from(
        {"weekdays": row.weekdays, "times": row.times, "practitioner": row.practitioner_id}
    )


def preferences_for(courses: Iterable[Course]) -> dict[int, Preferences]:
    """The booking preferences stored for each of `courses` (no preference where none is)."""
    ids = [c.pk for c in courses]
    stored = {p.course_id: p for p in CoursePreferences.objects.filter(course_id__in=ids)}
    return {pk: kept_preferences(stored[pk]) if pk in stored else Preferences() for pk in ids}


def _keep_preferences(course: Course, data: dict[str, Any] | None) -> None:
    """Store the preferences a course was booked with (signed in its proposal)."""
    if data is None:
        return
    kept = preferences_from(data)
    practitioner = kept.practitioner_id
    if practitioner is not None and not get_user_model().objects.filter(pk=practitioner).exists():
        practitioner = None
    CoursePreferences.objects.update_or_create(
        course=course,
        defaults={
            "weekdays": sorted(kept.weekdays) if kept.weekdays != frozenset(range(7)) else [],
            "times": [[t.start, t.end, t.label] for t in kept.times],
            "practitioner_id": practitioner,
        },
    )


def describe_preferences(preferences: Preferences, practitioner_name: str = "") -> str:
    """The preferences in words, e.g. "Mondays, afternoons, with Paula Petrov"; "" for none."""
    days = ("Mondays", "Tuesdays", "Wednesdays", "Thursdays", "Fridays", "Saturdays", "Sundays")
    parts = []
    if preferences.weekdays != frozenset(range(7)):
        parts.append(" and ".join(days[d] for d in sorted(preferences.weekdays)))
    if preferences.times:
        parts.append(
            " or ".join(
                t.label or f"{t.start // 60:02d}:{t.start % 60:02d}-{t.end // 60:02d}:{t.end % 60:02d}"
                for t in preferences.times
            )
        )
    if preferences.practitioner_id is not None:
        parts.append(f"with {practitioner_name}" if practitioner_name else "with the chosen practitioner")
    return ", ".join(parts)


@transaction.atomic
def course_preferences_forget(*, course: Course, actor: Any) -> bool:
    """Forget the preferences kept from the course's booking (the patient's days or times have
    changed): later moves re-flow sessions onto any day and time. Returns whether any were kept."""
    _require_staff(actor, "change a course's booking preferences")
    deleted, _ = CoursePreferences.objects.filter(course=course).delete()
    if deleted:
        audit_record(
            actor=actor,
            action="change",
            obj=course,
            summary="forgot the booking preferences kept from the course's booking",
        )
    return bool(deleted)


@dataclass(frozen=True)
class ProposedSession:
    """One session as proposed (or as it would be after a move), times aware in the clinic's zone."""

    number: int
    starts_at: dt.datetime
    ends_at: dt.datetime
    practitioner_id: int | None
    practitioner_name: str
    room_id: int | None
    room_name: str
    window_earliest: dt.date
    window_latest: dt.date
    inside_window: bool
    moves: bool = False
    new: bool = False  # a session booked again: it had no time before


@dataclass(frozen=True)
class Proposal:
    sessions: tuple[ProposedSession, ...]
    token: str


@dataclass(frozen=True)
class CourseOptions:
    best: Proposal | None
    alternatives: tuple[Proposal, ...]
    why_not: tuple[str, ...]
    blockers: tuple[str, ...]


@dataclass(frozen=True)
class MovePreview:
    ok: bool
    sessions: tuple[ProposedSession, ...]
    why_not: tuple[str, ...]
    token: str


# ---- helpers ------------------------------------------------------------------------------------


def _require_staff(actor: Any, doing: str) -> None:
    if not getattr(actor, "is_clinic_staff", False):
        raise ServiceError(f"Only the clinic's staff can {doing}.")


def _clean(obj: Model) -> None:
    """Run `full_clean()`, turning Django's ValidationError into ServiceError."""
    try:
        obj.full_clean()
    except ValidationError as exc:
        name, messages = next(iter(exc.message_dict.items()))
        raise ServiceError(" ".join(messages), field="" if name == NON_FIELD_ERRORS else name) from None


def _day(d: dt.date) -> str:
    return f"{d.day} {d:%B %Y}"


def _when(t: dt.datetime, zone: Any) -> str:
    local = t.astimezone(zone)
    return f"{local:%a} {_day(local.date())} at {local:%H:%M}"


def _iso(t: dt.datetime) -> str:
    return t.astimezone(dt.UTC).isoformat()


def _is_conflict(exc: Exception) -> bool:
    """True for an error the database raises when two bookings collide: a constraint (overlap,
    one appointment per session), or PostgreSQL giving up on a deadlock or serialisation."""
    if isinstance(exc, IntegrityError):
        return True
    return getattr(exc.__cause__, "sqlstate", None) in ("40P01", "40001")


def _local_today(zone: Any) -> dt.date:
    return timezone.now().astimezone(zone).date()


def _default_location(location: Location | None) -> Location:
    if location is not None:
        return location
    found = list(Location.objects.order_by("id")[:2])
    if len(found) != 1:
        raise ServiceError(
            "Choose the clinic location to book at."
            if found
            else "The clinic has no location yet: add one under clinic resources.",
            field="location",
        )
    return found[0]


# ---- blockers -----------------------------------------------------------------------------------


def course_booking_blockers(course: Course, *, first_day: dt.date | None = None) -> list[gate.Blocker]:
    """Return every reason the course cannot be booked now (none: it can): the safety gate's
    for booking, and a course already booked. `first_day`, when known, is the date of the first
    session: a deferral with a date blocks only a course starting before it. Say them with
    `gate.words(found, actor)`."""
    found = gate.course_blockers(course, gate.Step.BOOK, day=first_day)
    if course.status in BOOKABLE and Appointment.objects.filter(course=course, status__in=LIVE).exists():
        words = "This course is already booked: move or cancel its sessions instead of booking it again."
        found.insert(
            0, gate.Blocker(gate.Code.ALREADY_BOOKED, words, words, "Your course is already booked.")
        )
    return found


# ---- search -------------------------------------------------------------------------------------


def _earliest(course: Course, today: dt.date) -> dt.date:
    """The first day the course may start: after the screening's date (and any later
    deferral), the plan's first window and today."""
    plan = course.plan or {}
    days = [
        today,
        *_iso_dates(
            (plan.get("screening") or {}).get("earliest_date"),
            (plan.get("schedule") or [{}])[0].get("earliest"),
        ),
    ]
    latest = latest_screening(course.patient)
    if latest is not None and latest.earliest_date is not None and latest.decision == Decision.DEFER:
        days.append(latest.earliest_date)
    return max(days)


def _iso_dates(*texts: str | None) -> list[dt.date]:
    return [dt.date.fromisoformat(t) for t in texts if t]


def preparation_lead_days(plan: dict[str, Any]) -> int:
    """The days of preparation the plan asks before a session (its earliest care item, e.g.
    "avoid the sun for the 2 weeks before each session"): 0 when it asks none."""
    offsets = [int(c.get("offset_days", 0)) for c in plan.get("care", []) if isinstance(c, dict)]
    return max([0, *(-o for o in offsets)])


def course_request(
    course: Course,
    appointment: scheduling.AppointmentType,
    preferences: Preferences,
    today: dt.date,
    *,
    prepare: bool = False,
) -> scheduling.CourseRequest:
    """Return the core's request for the course's plan and the patient's preferences. With
    `prepare`, the first session leaves the patient the plan's preparation time from `today`
    (a new booking: the preparation reminders can then all be sent in time); a move or a new
    time for one session of a course already under way does not."""
    plan = course.plan or {}
    window = plan["sessions"]["interval_days"]
    earliest = _earliest(course, today)
    planned_latest = _iso_dates((plan.get("schedule") or [{}])[0].get("latest"))
    first_within = (
        (planned_latest[0] - earliest).days
        if planned_latest and planned_latest[0] >= earliest
        else int(window["max"]) - int(window["min"])
    )
    who = f"practitioner:{preferences.practitioner_id}" if preferences.practitioner_id else None
    try:
        return scheduling.CourseRequest(
            appointment,
            int(plan["sessions"]["count"]),
            int(window["min"]),
            int(window["max"]),
            earliest,
            lead_days=preparation_lead_days(plan) if prepare else 0,
            requested_on=today,
            first_within_days=first_within,
            weekdays=frozenset(preferences.weekdays),
            times=tuple(preferences.times),
            practitioner=who,
            patient=str(course.patient_id),
        )
    except scheduling.SchedulingError as exc:
        raise ServiceError(exc.message, field=exc.field) from None


def _request_days(request: scheduling.CourseRequest) -> tuple[dt.date, dt.date]:
    """The local days [start, end) a search for `request` can touch."""
    span = request.first_within_days + (request.sessions - 1) * request.interval_max + 1
    return request.first_day, request.first_day + dt.timedelta(days=span)


def _past_is_busy(calendar: scheduling.Calendar, now: dt.datetime) -> scheduling.Calendar:
    """Return `calendar` with today's past minutes busy for everyone: nothing is booked in the past."""
    midnight = day_start(calendar.zone, now.astimezone(calendar.zone).date())
    if now <= midnight:
        return calendar
    past = (scheduling.Interval(midnight, now),)
    return calendar.with_busy({r.id: past for r in calendar.resources})


def course_options(
    *,
    course: Course,
    actor: Any,
    preferences: Preferences,
    location: Location | None = None,
    today: dt.date | None = None,
    alternatives: int = 3,
) -> CourseOptions:
    """Return the earliest whole course for `course` and up to `alternatives` others, or why
    none fits; or only the blockers when the course cannot be booked. Reading the course is
    audited."""
    _require_staff(actor, "book a course")
    audit_record(actor=actor, action="view", obj=course, summary="looked for booking options")
    blockers = course_booking_blockers(course)
    if blockers:
        return CourseOptions(None, (), (), tuple(gate.words(blockers, actor)))
    location = _default_location(location)
    type_row = appointment_type_for_course(course)
    zone = location_zone(location)
    request = course_request(
        course, appointment_type_core(type_row), preferences, today or _local_today(zone), prepare=True
    )
    start, end = _request_days(request)
    calendar = _past_is_busy(calendar_for(location=location, start=start, end=end), timezone.now())
    try:
        found = scheduling.search(request, calendar, alternatives=alternatives)
    except scheduling.SchedulingError as exc:
        raise ServiceError(_practitioner_message(exc), field=exc.field) from None
    if found.course is None:
        return CourseOptions(None, (), found.why_not, ())
    sign = _Signer(course, location, type_row, calendar, preferences)
    return CourseOptions(
        sign.proposal(found.course), tuple(sign.proposal(c) for c in found.alternatives), (), ()
    )


def _practitioner_message(exc: scheduling.SchedulingError) -> str:
    if exc.field == "practitioner":
        return "The practitioner chosen does not treat at this location: choose another or anyone."
    return exc.message


class _Signer:
    """Turns the core's courses into proposals with names and a signed token."""

    def __init__(
        self,
        course: Course,
        location: Location,
        type_row: AppointmentType,
        calendar: scheduling.Calendar,
        preferences: Preferences | None = None,
    ):
        self.course, self.location, self.type_row = course, location, type_row
        self.names = {r.id: getattr(r, "name", "") for r in calendar.resources}
        self.preferences = preferences

    def proposal(self, booking: scheduling.CourseBooking) -> Proposal:
        sessions = tuple(proposed_session(s, s.number, self.names) for s in booking.sessions)
        payload = {
            "course": self.course.pk,
            "version": self.course.version,
            "location": self.location.pk,
            "type": self.type_row.pk,
            "sessions": [slot_payload(s, s.number) for s in booking.sessions],
        }
        if self.preferences is not None:  # kept with the course when it is booked
            payload["preferences"] = preferences_payload(self.preferences)
        return Proposal(sessions, signing.dumps(payload, salt=PROPOSAL_SALT, compress=True))


def proposed_session(
    slot: scheduling.SessionSlot, number: int, names: dict[str, str], moves: bool = False, new: bool = False
) -> ProposedSession:
    return ProposedSession(
        number=number,
        starts_at=slot.start,
        ends_at=slot.end,
        practitioner_id=resource_pk(slot.practitioner),
        practitioner_name=names.get(slot.practitioner or "", ""),
        room_id=resource_pk(slot.room),
        room_name=names.get(slot.room or "", ""),
        window_earliest=slot.earliest,
        window_latest=slot.latest,
        inside_window=slot.inside_window,
        moves=moves,
        new=new,
    )


def slot_payload(slot: scheduling.SessionSlot, number: int) -> dict[str, Any]:
    return {
        "number": number,
        "start": _iso(slot.start),
        "end": _iso(slot.end),
        "window": [slot.earliest.isoformat(), slot.latest.isoformat()],
        "holds": [[h.resource, h.role, h.kind, h.step, _iso(h.start), _iso(h.end)] for h in slot.holds],
    }


def _unsign(token: str, salt: str, what: str) -> dict[str, Any]:
    try:
        data: dict[str, Any] = signing.loads(token, salt=salt, max_age=TOKEN_MAX_AGE)
    except signing.SignatureExpired:
        raise ServiceError(
            f"These {what} are more than 30 minutes old. {SEARCH_AGAIN}", field="token"
        ) from None
    except signing.BadSignature:
        raise ServiceError(
            f"These {what} could not be read (the page may be damaged). {SEARCH_AGAIN}", field="token"
        ) from None
    return data


# ---- booking ------------------------------------------------------------------------------------


def course_book(*, course: Course, actor: Any, token: str) -> list[Appointment]:
    """Book every session of `course` exactly as the proposal `token` showed them, all or
    nothing, and return the appointments. Refused: an old, damaged or foreign token or a course
    changed since (ServiceError), a blocker (Blocked), a slot taken meanwhile (BookingConflict)."""
    _require_staff(actor, "book a course")
    proposal = _unsign(token, PROPOSAL_SALT, "proposed dates")
    if proposal.get("course") != course.pk:
        raise ServiceError(f"These dates were proposed for another course. {SEARCH_AGAIN}", field="token")
    try:
        with transaction.atomic():
            return _book(course, actor, proposal)
    except (IntegrityError, OperationalError) as exc:
        if not _is_conflict(exc):
            raise
        raise BookingConflict(CONFLICT, field="token") from None


def _book(course: Course, actor: Any, proposal: dict[str, Any]) -> list[Appointment]:
    locked = Course.objects.select_for_update(of=("self",)).select_related("patient").get(pk=course.pk)
    if locked.version != proposal["version"]:
        raise ServiceError(
            f"The course has changed since these dates were proposed. {SEARCH_AGAIN}", field="token"
        )
    location, type_row = _location_and_type(proposal)
    zone = location_zone(location)
    first = dt.datetime.fromisoformat(proposal["sessions"][0]["start"]).astimezone(zone).date()
    gate.refuse(course_booking_blockers(locked, first_day=first), actor, field="")
    sessions = _planned_sessions(locked, [s["number"] for s in proposal["sessions"]], actor)
    appointments = [
        _appointment(locked, sessions[s["number"]], s, type_row, location, actor)
        for s in proposal["sessions"]
    ]
    _insert_holds(list(zip(appointments, proposal["sessions"], strict=True)))
    for appointment in appointments:
        _schedule_session(appointment, actor, zone)
    _keep_preferences(locked, proposal.get("preferences"))
    _sync_reminders(appointments, actor)
    return appointments


def _location_and_type(data: dict[str, Any]) -> tuple[Location, AppointmentType]:
    """Return the location and appointment type a token names; refused when either is gone."""
    location = Location.objects.filter(pk=data["location"]).first()
    type_row = AppointmentType.objects.filter(pk=data["type"]).first()
    if location is None or type_row is None:
        raise ServiceError(
            f"The clinic's location or session type has changed. {SEARCH_AGAIN}", field="token"
        )
    return location, type_row


def _planned_sessions(course: Course, numbers: Sequence[int], actor: Any) -> dict[int, TreatmentSession]:
    """Return the course's sessions `numbers`, each still open to booking, freed from any
    cancelled appointment that held it before."""
    found = {
        s.number: s
        for s in TreatmentSession.objects.select_for_update().filter(course=course, number__in=numbers)
    }
    for number in numbers:
        session = found.get(number)
        if session is None or session.status in (*FIXED, SessionStatus.CANCELLED):
            raise ServiceError(
                f"Session {number} of this course is not open to booking any more. {SEARCH_AGAIN}",
                field="token",
            )
    for old in Appointment.objects.filter(session__in=found.values(), status__in=ENDED):
        Appointment.objects.filter(pk=old.pk).update(session=None)
        audit_record(
            actor=actor,
            action="change",
            obj=old,
            summary=f"{old.get_status_display().lower()} appointment released its session for a new booking",
        )
    return found


def _appointment(
    course: Course,
    session: TreatmentSession,
    data: dict[str, Any],
    type_row: AppointmentType,
    location: Location,
    actor: Any,
) -> Appointment:
    holds = data["holds"]
    appointment = Appointment(
        patient=course.patient,
        course=course,
        session=session,
        appointment_type=type_row,
        location=location,
        starts_at=dt.datetime.fromisoformat(data["start"]),
        ends_at=dt.datetime.fromisoformat(data["end"]),
        practitioner_id=_main(holds, "practitioner"),
        room_id=_main(holds, "room"),
        window_earliest=dt.date.fromisoformat(data["window"][0]),
        window_latest=dt.date.fromisoformat(data["window"][1]),
        created_by=actor,
    )
    _clean(appointment)
    appointment.save()
    audit_record(
        actor=actor,
        action="create",
        obj=appointment,
        summary=f"booked session {session.number} of course {course.pk} for "
        f"{_when(appointment.starts_at, location_zone(location))}",
    )
    return appointment


def _main(holds: Sequence[Sequence[str]], role: str) -> int | None:
    """The treating practitioner, or the room of the treatment (the last hold of that role that
    is not a numbing chair), as SessionSlot defines them."""
    found = [h[0] for h in holds if h[1] == role and h[2] != "numbing"]
    return resource_pk(found[-1]) if found else None


def _insert_holds(pairs: Iterable[tuple[Appointment, dict[str, Any]]]) -> None:
    """Insert the holds of each (appointment, session data), all together in (resource, start)
    order so that two bookings racing for the same resources wait on each other in one order."""
    rows = [
        Hold(
            appointment=a,
            resource=h[0],
            role=h[1],
            kind=h[2],
            step=h[3],
            starts_at=dt.datetime.fromisoformat(h[4]),
            ends_at=dt.datetime.fromisoformat(h[5]),
        )
        for a, data in pairs
        for h in data["holds"]
    ]
    rows.sort(key=lambda h: (h.resource, h.starts_at))
    for row in rows:
        _clean(row)
    Hold.objects.bulk_create(rows)


def _schedule_session(appointment: Appointment, actor: Any, zone: Any) -> None:
    """Give the session its appointment's practitioner (its time is the appointment's own);
    conditional: a session being charted or signed keeps its record."""
    updated = (
        TreatmentSession.objects.filter(pk=appointment.session_id)
        .exclude(status__in=FIXED)
        .update(practitioner_id=appointment.practitioner_id)
    )
    if updated != 1:
        raise ServiceError(
            "This session is being charted or has been signed: its time cannot change.", field="session"
        )
    audit_record(
        actor=actor,
        action="change",
        obj=appointment.session,
        summary=f"scheduled for {_when(appointment.starts_at, zone)}",
    )


def _sync_reminders(appointments: Iterable[Appointment], actor: Any) -> None:
    from needlepoint.bookings.reminders import reminders_sync

    for appointment in appointments:
        reminders_sync(appointment=appointment, actor=actor)


# ---- moving -------------------------------------------------------------------------------------


def _check_movable(appointment: Appointment) -> None:
    if appointment.status in ENDED:
        raise ServiceError(
            f"This appointment is {appointment.get_status_display().lower()}: book the "
            "session again instead.",
            field="appointment",
        )
    if appointment.status != AppointmentStatus.BOOKED:
        raise ServiceError(
            f"The patient has {appointment.get_status_display().lower()}: this visit cannot move.",
            field="appointment",
        )
    if appointment.course_id is None or appointment.session_id is None:
        raise ServiceError("Only a session of a booked course can be moved here.", field="appointment")
    if appointment.session is not None and appointment.session.status in FIXED:
        raise ServiceError(
            "This session is being charted or has been signed: it cannot move.", field="appointment"
        )


def _booked(course_id: int) -> list[Appointment]:
    return list(
        Appointment.objects.filter(course_id=course_id, status__in=LIVE)
        .select_related("session", "location", "appointment_type")
        .prefetch_related("holds")
        .order_by("starts_at", "id")
    )


def _hold_order(core: scheduling.AppointmentType) -> list[tuple[str, str, str]]:
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


def session_move_options(*, appointment: Appointment, actor: Any, new_start: dt.datetime) -> MovePreview:
    """Return what moving `appointment` to `new_start` does to its course: the moved session and
    every later one (kept, or re-flowed inside its window), with a token to confirm it; or why
    it cannot be done."""
    _require_staff(actor, "move a session")
    appointment = Appointment.objects.select_related("session").get(pk=appointment.pk)
    _check_movable(appointment)
    if new_start.utcoffset() is None:
        raise ServiceError("Give the new time with its time zone.", field="new_start")
    audit_record(actor=actor, action="view", obj=appointment, summary="looked at moving the session")
    course = Course.objects.get(pk=appointment.course_id)
    return _Move(course, appointment.pk, _booked(course.pk)).preview(new_start, actor)


def _number(appointment: Appointment) -> int:
    session = appointment.session
    return session.number if session is not None else 0


class _Move:
    """One move of one session of a booked course, worked out with the core's re-flow.
    `booked` are the course's booked appointments in time order; `later` from the moved one on."""

    def __init__(self, course: Course, appointment_id: int, booked: list[Appointment]):
        self.course, self.booked = course, booked
        self.index = next(i for i, a in enumerate(booked) if a.pk == appointment_id) + 1
        self.later = booked[self.index - 1 :]
        self.location = self.later[0].location
        self.zone = location_zone(self.location)
        self.core = appointment_type_core(self.later[0].appointment_type)
        order = _hold_order(self.core)
        self.slots = tuple(booked_slot(a, n, order) for n, a in enumerate(booked, 1))

    def preview(self, new_start: dt.datetime, actor: Any) -> MovePreview:
        if new_start <= timezone.now():
            return _refused(("Choose a time from now on: the new time has already passed.",))
        blockers = _move_blockers(self.course, new_start, self.zone, _number(self.later[0]))
        if blockers:
            return _refused(gate.words(blockers, actor))
        calendar = self._calendar(new_start)
        kept = preferences_for([self.course])[self.course.pk]
        request = replace(
            course_request(self.course, self.core, kept, _local_today(self.zone)), sessions=len(self.booked)
        )
        course = scheduling.CourseBooking(request, self.slots)
        result = scheduling.reflow(course, self.index, new_start, calendar)
        if result.course is None:
            return _refused(result.why_not)
        rows = list(
            zip(
                result.course.sessions[self.index - 1 :],
                self.slots[self.index - 1 :],
                self.later,
                strict=True,
            )
        )
        fixed = tuple(
            f"Session {_number(a)} is being charted or has been signed: it cannot move."
            for new, old, a in rows
            if _changed(old, new) and _fixed(a)
        )
        if fixed:
            return _refused(fixed)
        names = {r.id: getattr(r, "name", "") for r in calendar.resources}
        sessions = tuple(proposed_session(new, _number(a), names, _changed(old, new)) for new, old, a in rows)
        return MovePreview(True, sessions, (), self._token([(new, a) for new, _, a in rows]))

    def _calendar(self, new_start: dt.datetime) -> scheduling.Calendar:
        days = [t.astimezone(self.zone).date() for t in (*(s.start for s in self.slots), new_start)]
        longest = int(self.course.plan["sessions"]["interval_days"]["max"])
        end = max(days) + dt.timedelta(days=longest * len(self.slots) + 29)
        calendar = calendar_for(
            location=self.location,
            start=min([*days, _local_today(self.zone)]),
            end=end,
            ignore=[a.pk for a in self.booked],
        )
        return _past_is_busy(calendar, timezone.now())

    def _token(self, rows: Sequence[tuple[scheduling.SessionSlot, Appointment]]) -> str:
        payload = {
            "course": self.course.pk,
            "appointment": self.later[0].pk,
            "sessions": [
                {**slot_payload(new, _number(a)), "appointment": a.pk, "version": a.version}
                for new, a in rows
            ],
        }
        return signing.dumps(payload, salt=MOVE_SALT, compress=True)


def _move_blockers(course: Course, new_start: dt.datetime, zone: Any, number: int) -> list[gate.Blocker]:
    """The safety gate's reasons against moving session `number` of `course` to `new_start`."""
    return gate.course_blockers(
        course, gate.Step.MOVE, day=new_start.astimezone(zone).date(), session=number or None
    )


def _fixed(appointment: Appointment) -> bool:
    """True when the visit is history or under way: the patient has arrived or attended, or its
    session is being charted or signed."""
    return appointment.status != AppointmentStatus.BOOKED or (
        appointment.session is not None and appointment.session.status in FIXED
    )


def _refused(why: Sequence[str]) -> MovePreview:
    return MovePreview(False, (), tuple(why), "")


def _changed(old: scheduling.SessionSlot, new: scheduling.SessionSlot) -> bool:
    """True when the session's time or any of its resources changes."""

    def key(s: scheduling.SessionSlot) -> set[tuple[str, str, dt.datetime, dt.datetime]]:
        return {(h.resource, h.step, h.start.astimezone(dt.UTC), h.end.astimezone(dt.UTC)) for h in s.holds}

    return old.start != new.start or old.end != new.end or key(old) != key(new)


def session_move(
    *, appointment: Appointment, actor: Any, token: str, expected_version: int
) -> list[Appointment]:
    """Apply the move previewed as `token`: every session that moves gets its new time and
    resources (old holds released, new ones held, SEQUENCE raised), all in one transaction.
    Returns the appointments that moved. StaleEdit when the appointment (or a later one)
    changed since the preview; BookingConflict when a slot was taken meanwhile."""
    _require_staff(actor, "move a session")
    data = _unsign(token, MOVE_SALT, "new times")
    if data.get("appointment") != appointment.pk:
        raise ServiceError(f"This preview is for another session. {SEARCH_AGAIN}", field="token")
    try:
        with transaction.atomic():
            return _apply_move(appointment, actor, data, expected_version)
    except (IntegrityError, OperationalError) as exc:
        if not _is_conflict(exc):
            raise
        raise BookingConflict(CONFLICT, field="token") from None


def _apply_move(
    appointment: Appointment, actor: Any, data: dict[str, Any], expected_version: int
) -> list[Appointment]:
    ids = [s["appointment"] for s in data["sessions"]]
    rows = {
        a.pk: a
        for a in Appointment.objects.select_for_update(of=("self",))
        .filter(pk__in=ids)
        .select_related("session", "location")
    }
    if rows.get(appointment.pk) is None or rows[appointment.pk].version != expected_version:
        raise StaleEdit(
            "Someone else changed this appointment after you opened it. Reload the page to "
            "see their changes, then move it again.",
            field="version",
        )
    pairs = _unchanged_since_preview(rows, data["sessions"])
    moved_one = rows[appointment.pk]
    course = Course.objects.select_related("patient").get(pk=moved_one.course_id)
    first = data["sessions"][0]
    gate.refuse(
        _move_blockers(
            course,
            dt.datetime.fromisoformat(first["start"]),
            location_zone(moved_one.location),
            first["number"],
        ),
        actor,
        field="",
    )
    moving = [(a, s) for a, s in pairs if _moves(a, s)]
    for a, _ in moving:
        _check_movable(a)
    Hold.objects.filter(appointment__in=[a for a, _ in moving], active=True).update(active=False)
    _insert_holds(moving)
    moved = {a.pk for a, _ in moving}
    for a, s in pairs:
        if a.pk in moved:
            _move_one(a, s, actor)
        else:
            _rewindow(a, s, actor)
    _sync_reminders([a for a, _ in moving], actor)
    return [a for a, _ in moving]


def _unchanged_since_preview(
    rows: dict[int, Appointment],
    sessions: list[dict[str, Any]],
) -> list[tuple[Appointment, dict[str, Any]]]:
    """Return (appointment, its new data) for each session of the preview; StaleEdit when one of
    them was changed or cancelled since."""
    pairs = []
    for data in sessions:
        row = rows.get(data["appointment"])
        if row is None or row.version != data["version"] or row.is_cancelled:
            raise StaleEdit(CHANGED, field="token")
        pairs.append((row, data))
    return pairs


def _moves(appointment: Appointment, data: dict[str, Any]) -> bool:
    current = {
        (h.resource, h.step, _iso(h.starts_at), _iso(h.ends_at))
        for h in appointment.holds.filter(active=True)
    }
    wanted = {(h[0], h[3], h[4], h[5]) for h in data["holds"]}
    return (
        _iso(appointment.starts_at) != data["start"]
        or _iso(appointment.ends_at) != data["end"]
        or current != wanted
    )


def _move_one(appointment: Appointment, data: dict[str, Any], actor: Any) -> None:
    zone = location_zone(appointment.location)
    before = _when(appointment.starts_at, zone)
    changes = {
        "starts_at": dt.datetime.fromisoformat(data["start"]),
        "ends_at": dt.datetime.fromisoformat(data["end"]),
        "practitioner_id": _main(data["holds"], "practitioner"),
        "room_id": _main(data["holds"], "room"),
        "window_earliest": dt.date.fromisoformat(data["window"][0]),
        "window_latest": dt.date.fromisoformat(data["window"][1]),
        "sequence": appointment.sequence + 1,
    }
    bump_version(appointment, expected=appointment.version, **changes)
    audit_record(
        actor=actor,
        action="change",
        obj=appointment,
        summary=f"moved session {data['number']} from {before} to {_when(appointment.starts_at, zone)}",
    )
    _schedule_session(appointment, actor, zone)


def _rewindow(appointment: Appointment, data: dict[str, Any], actor: Any) -> None:
    """Record a kept session's new window (it follows the session before it)."""
    window = (dt.date.fromisoformat(data["window"][0]), dt.date.fromisoformat(data["window"][1]))
    if window == (appointment.window_earliest, appointment.window_latest):
        return
    Appointment.objects.filter(pk=appointment.pk).update(window_earliest=window[0], window_latest=window[1])
    appointment.window_earliest, appointment.window_latest = window
    audit_record(
        actor=actor,
        action="change",
        obj=appointment,
        summary=f"session {data['number']} kept; its window is now {_day(window[0])} to {_day(window[1])}",
    )


# ---- cancelling ---------------------------------------------------------------------------------


@transaction.atomic
def appointment_cancel(
    *, appointment: Appointment, actor: Any, reason: str, expected_version: int
) -> Appointment:
    """Cancel `appointment`: its resources are freed, its calendar event is cancelled (SEQUENCE
    raised), its unsent reminders are cancelled and its session is unscheduled. Inside the
    clinic's notice period (`late_cancel_notice()` before the start, or later) it is recorded as
    a late cancellation. Refused for a signed session, a visit already cancelled, attended or
    missed, or a stale version."""
    _require_staff(actor, "cancel an appointment")
    reason = " ".join((reason or "").split())
    if not reason:
        raise ServiceError("Say why the appointment is cancelled.", field="reason")
    if len(reason) > 200:
        raise ServiceError("Keep the reason under 200 characters.", field="reason")
    locked = (
        Appointment.objects.select_for_update(of=("self",))
        .select_related("session", "location")
        .get(pk=appointment.pk)
    )
    if locked.is_cancelled:
        raise ServiceError("This appointment is already cancelled.", field="appointment")
    if locked.status in (AppointmentStatus.ATTENDED, AppointmentStatus.NO_SHOW):
        raise ServiceError(
            f"This visit is recorded as {locked.get_status_display().lower()}: it cannot be cancelled.",
            field="appointment",
        )
    if locked.session is not None and locked.session.status == SessionStatus.SIGNED:
        raise ServiceError(
            "This session has been charted and signed: it cannot be cancelled.", field="appointment"
        )
    now = timezone.now()
    late = now > locked.starts_at - late_cancel_notice()
    status = AppointmentStatus.LATE_CANCELLATION if late else AppointmentStatus.CANCELLED
    bump_version(
        locked,
        expected=expected_version,
        status=status,
        arrived_at=None,
        cancelled_at=now,
        cancel_reason=reason,
        sequence=locked.sequence + 1,
    )
    Hold.objects.filter(appointment=locked, active=True).update(active=False)
    if (
        TreatmentSession.objects.filter(pk=locked.session_id)
        .exclude(status__in=FIXED)
        .update(practitioner=None)
    ):
        audit_record(
            actor=actor,
            action="change",
            obj=locked.session,
            summary="unscheduled: its appointment was cancelled",
        )
    audit_record(
        actor=actor,
        action="change",
        obj=locked,
        summary=f"cancelled{' late' if late else ''} the appointment of "
        f"{_when(locked.starts_at, location_zone(locked.location))}: {reason}",
    )
    _release_inquiry(locked, actor)
    _sync_reminders([locked], actor)
    return locked


def _release_inquiry(appointment: Appointment, actor: Any) -> None:
    """A cancelled consultation booked from an inquiry puts the inquiry back in the front
    desk's queue, as "contacted": "consultation booked" stays true only with a visit behind it."""
    if appointment.inquiry_id is None:
        return
    if Inquiry.objects.filter(pk=appointment.inquiry_id, status=InquiryStatus.BOOKED).update(
        status=InquiryStatus.CONTACTED
    ):
        audit_record(
            actor=actor,
            action="change",
            object_type="clinic.inquiry",
            object_id=str(appointment.inquiry_id),
            patient_id=appointment.patient_id,
            summary="status contacted: its consultation was cancelled",
        )


def late_cancel_notice() -> dt.timedelta:
    """The clinic's notice period: a visit cancelled less than this before it starts is a late
    cancellation (NEEDLEPOINT_LATE_CANCEL_HOURS, 24 by default; a clinic's choice, e.g. for a
    cancellation fee)."""
    return dt.timedelta(hours=int(getattr(settings, "NEEDLEPOINT_LATE_CANCEL_HOURS", 24)))


# ---- rebooking a cancelled session --------------------------------------------------------------


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
    *, course: Course, session: TreatmentSession, actor: Any, new_start: dt.datetime
) -> MovePreview:
    """Return what booking `session` again at `new_start` does to its course: the session at
    its new time and every later booked one (kept, or re-flowed inside its window), with a
    token to confirm it; or, in words, why it cannot be done (a past time, outside its window,
    the clinic closed, nobody free, a blocker)."""
    _require_staff(actor, "book a session")
    if new_start.utcoffset() is None:
        raise ServiceError("Give the new time with its time zone.", field="new_start")
    course, session = _rebookable(course, session)
    audit_record(actor=actor, action="view", obj=session, summary="looked at booking the session again")
    return _Rebook(course, session).preview(new_start, actor)


def _rebookable(course: Course, session: TreatmentSession) -> tuple[Course, TreatmentSession]:
    """Return fresh copies of the course and its session; ServiceError unless the session is
    this course's, has no booked appointment and is neither charted, signed nor cancelled."""
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


class _Rebook:
    """One session of a course booked again among the course's booked appointments: those
    before it stay, those after it are re-checked and re-flowed by the core, as for a move."""

    def __init__(self, course: Course, session: TreatmentSession):
        self.course, self.session = course, session
        self.booked = _booked(course.pk)
        self.before = [a for a in self.booked if _number(a) < session.number]
        self.after = [a for a in self.booked if _number(a) > session.number]
        self.index = len(self.before) + 1
        self.cancelled = (
            Appointment.objects.filter(session=session, status__in=ENDED)
            .select_related("location", "appointment_type")
            .first()
        )
        like = self.booked[0] if self.booked else self.cancelled
        self.location = like.location if like else _default_location(None)
        self.type_row = like.appointment_type if like else appointment_type_for_course(course)
        self.zone = location_zone(self.location)
        self.core = appointment_type_core(self.type_row)
        self.request = replace(
            course_request(course, self.core, preferences_for([course])[course.pk], _local_today(self.zone)),
            sessions=len(self.booked) + 1,
        )

    def window(self) -> RebookWindow:
        number, r = self.session.number, self.request
        if not self.before:
            words = (
                f"Session {number} can be booked from {_day(r.first_day)} on, the first day the plan allows."
            )
            return RebookWindow(
                number, r.first_day, None, words, self._next_words(), self.location, self.cancelled
            )
        prev = self.before[-1]
        day = prev.starts_at.astimezone(self.zone).date()
        lo, hi = day + dt.timedelta(days=r.interval_min), day + dt.timedelta(days=r.interval_max)
        words = (
            f"Session {number} can be booked from {_day(lo)} to {_day(hi)}: {r.interval_min}-"
            f"{r.interval_max} days after session {_number(prev)} on {_day(day)}."
        )
        if hi < _local_today(self.zone):
            words += (
                f" That window has passed: move session {_number(prev)} first, or ask the "
                "practitioner to change the plan."
            )
        return RebookWindow(number, lo, hi, words, self._next_words(), self.location, self.cancelled)

    def _next_words(self) -> str:
        if not self.after:
            return ""
        nxt, r = self.after[0], self.request
        return (
            f"Session {_number(nxt)} is booked for {_when(nxt.starts_at, self.zone)}. It stays while it "
            f"is still {r.interval_min}-{r.interval_max} days after the new time and its practitioner "
            "and room are free; otherwise it, and the sessions after it, move to the earliest free "
            "time inside their windows."
        )

    def preview(self, new_start: dt.datetime, actor: Any) -> MovePreview:
        if new_start <= timezone.now():
            return _refused(("Choose a time from now on: the new time has already passed.",))
        day = new_start.astimezone(self.zone).date()
        blockers = session_rebook_blockers(self.course, day=day, number=self.session.number)
        if blockers:
            return _refused(gate.words(blockers, actor))
        calendar = self._calendar(new_start)
        slots = self._slots(new_start)
        result = scheduling.reflow(
            scheduling.CourseBooking(self.request, slots),
            self.index,
            new_start,
            calendar,
            practitioner=self._practitioner(),
        )
        if result.course is None:
            return _refused(result.why_not)
        new = result.course.sessions[self.index - 1]
        rows = list(zip(result.course.sessions[self.index :], slots[self.index :], self.after, strict=True))
        fixed = tuple(
            f"Session {_number(a)} is being charted or has been signed: it cannot move."
            for later, old, a in rows
            if _changed(old, later) and _fixed(a)
        )
        if fixed:
            return _refused(fixed)
        names = {r.id: getattr(r, "name", "") for r in calendar.resources}
        sessions = (
            proposed_session(new, self.session.number, names, new=True),
            *(proposed_session(later, _number(a), names, _changed(old, later)) for later, old, a in rows),
        )
        return MovePreview(True, sessions, (), self._token(new, rows))

    def _slots(self, new_start: dt.datetime) -> tuple[scheduling.SessionSlot, ...]:
        """The course as the core sees it: the booked sessions around the one to book, which
        holds nothing yet (its resources are found at `new_start`)."""
        order = _hold_order(self.core)
        before = [booked_slot(a, n, order) for n, a in enumerate(self.before, 1)]
        after = [booked_slot(a, n, order) for n, a in enumerate(self.after, self.index + 1)]
        first = self.request.first_day
        end = new_start + dt.timedelta(minutes=self.core.minutes)
        empty = scheduling.SessionSlot(
            self.index, new_start, end, (), first, first + dt.timedelta(days=self.request.first_within_days)
        )
        return (*before, empty, *after)

    def _practitioner(self) -> str | None:
        """The practitioner the patient has been seeing: the cancelled appointment's, else the
        one of the booked session before it, else after it."""
        for a in (self.cancelled, *reversed(self.before), *self.after):
            if a is not None and a.practitioner_id:
                return practitioner_resource(a.practitioner_id)
        return None

    def _calendar(self, new_start: dt.datetime) -> scheduling.Calendar:
        days = [t.astimezone(self.zone).date() for t in (*(a.starts_at for a in self.booked), new_start)]
        end = max(days) + dt.timedelta(days=self.request.interval_max * (len(self.booked) + 1) + 29)
        calendar = calendar_for(
            location=self.location,
            start=min([*days, _local_today(self.zone)]),
            end=end,
            ignore=[a.pk for a in self.booked],
        )
        return _past_is_busy(calendar, timezone.now())

    def _token(
        self,
        new: scheduling.SessionSlot,
        rows: Sequence[tuple[scheduling.SessionSlot, scheduling.SessionSlot, Appointment]],
    ) -> str:
        payload = {
            "course": self.course.pk,
            "session": self.session.pk,
            "location": self.location.pk,
            "type": self.type_row.pk,
            "new": slot_payload(new, self.session.number),
            "before": [[a.pk, a.version] for a in self.before],
            "later": [
                {**slot_payload(later, _number(a)), "appointment": a.pk, "version": a.version}
                for later, _, a in rows
            ],
        }
        return signing.dumps(payload, salt=REBOOK_SALT, compress=True)


def session_rebook(*, course: Course, session: TreatmentSession, actor: Any, token: str) -> list[Appointment]:
    """Book `session` again exactly as the preview `token` showed it, all or nothing: a new
    appointment (new calendar identity) holding its resources, and every later session that
    the preview moved moved (SEQUENCE raised, reminders moved). Returns the new appointment,
    then the ones that moved. StaleEdit when the course's appointments changed since the
    preview; Blocked when a blocker appeared; BookingConflict when a slot was taken meanwhile."""
    _require_staff(actor, "book a session")
    data = _unsign(token, REBOOK_SALT, "new times")
    if data.get("course") != course.pk or data.get("session") != session.pk:
        raise ServiceError(f"This preview is for another session. {SEARCH_AGAIN}", field="token")
    try:
        with transaction.atomic():
            return _apply_rebook(course, session, actor, data)
    except (IntegrityError, OperationalError) as exc:
        if not _is_conflict(exc):
            raise
        raise BookingConflict(CONFLICT, field="token") from None


def _apply_rebook(
    course: Course, session: TreatmentSession, actor: Any, data: dict[str, Any]
) -> list[Appointment]:
    locked = Course.objects.select_for_update(of=("self",)).select_related("patient").get(pk=course.pk)
    location, type_row = _location_and_type(data)
    rows = _booked_as_previewed(locked, session, data)
    zone = location_zone(location)
    number = data["new"]["number"]
    day = dt.datetime.fromisoformat(data["new"]["start"]).astimezone(zone).date()
    gate.refuse(session_rebook_blockers(locked, day=day, number=number), actor, field="")
    fresh = _planned_sessions(locked, [number], actor)[number]
    if fresh.pk != session.pk:
        raise ServiceError(f"This preview is for another session. {SEARCH_AGAIN}", field="token")
    appointment = _appointment(locked, fresh, data["new"], type_row, location, actor)
    pairs = [(rows[s["appointment"]], s) for s in data["later"]]
    moving = [(a, s) for a, s in pairs if _moves(a, s)]
    for a, _ in moving:
        _check_movable(a)
    Hold.objects.filter(appointment__in=[a for a, _ in moving], active=True).update(active=False)
    _insert_holds([(appointment, data["new"]), *moving])
    _schedule_session(appointment, actor, zone)
    moved = [a for a, _ in moving]
    for a, s in pairs:
        (_move_one if a in moved else _rewindow)(a, s, actor)
    _sync_reminders([appointment, *moved], actor)
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
