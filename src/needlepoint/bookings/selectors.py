"""Reads of the booking pages: the courses waiting to be booked, a course's appointments, the
choices the forms offer, feed addresses and the calendar grid. Each reads a fixed number of
rows whatever the number of appointments (the tests pin the query counts); none writes."""

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.db.models import Exists, F, OuterRef, Q, QuerySet

from needlepoint import words
from needlepoint.accounts.models import CLINICAL_ROLES, User
from needlepoint.bookings.core_adapter import practitioner_resource, room_resource
from needlepoint.bookings.grid import Column, Grid, Resource, build_grid
from needlepoint.bookings.models import (
    CANCELLED,
    LIVE,
    Appointment,
    AppointmentStatus,
    Closure,
    CoursePreferences,
    FeedToken,
    Hold,
    Location,
    PractitionerProfile,
    Reminder,
)
from needlepoint.bookings.services import preferences as booking_preferences
from needlepoint.bookings.services import rebook
from needlepoint.bookings.services._common import BOOKABLE
from needlepoint.clinic.models import Consent, Course, Room, SessionStatus, TreatmentSession

"""Courses whose sessions may be booked."""
SHOWN = (*LIVE, AppointmentStatus.NO_SHOW)
"""Visits the calendar shows by default: booked, arrived, attended and missed (with their status)."""


# ---------------------------------------------------------------------------------------------
# Choices and lists
# ---------------------------------------------------------------------------------------------


def locations() -> list[Location]:
    """Every location, by name."""
    return list(Location.objects.order_by("name"))


def active_practitioners() -> list[PractitionerProfile]:
    """The practitioners who take bookings, with their user and location, by name."""
    return list(
        PractitionerProfile.objects.filter(active=True)
        .select_related("user", "location")
        .order_by("user__last_name", "user__first_name")
    )


def clinical_staff() -> QuerySet[User]:
    """The active medical director and practitioners, by name (whose feeds the director manages)."""
    return User.objects.filter(role__in=CLINICAL_ROLES, is_active=True).order_by(
        "last_name", "first_name", "username"
    )


def live_feed_tokens(tokens: QuerySet[FeedToken]) -> list[FeedToken]:
    """The feed addresses among `tokens` that are not revoked, newest first, with who made them."""
    return list(
        tokens.filter(revoked_at__isnull=True).select_related("created_by").order_by("-created_at", "-id")
    )


# ---------------------------------------------------------------------------------------------
# Courses waiting to be booked, and a course's appointments
# ---------------------------------------------------------------------------------------------


def courses_to_book(*, limit: int = 200) -> list[Course]:
    """Approved or active courses with a planned session that has no live appointment, oldest
    approval first; each annotated with `consented` and `any_booked`. One query."""
    unbooked = TreatmentSession.objects.filter(course=OuterRef("pk"), status=SessionStatus.PLANNED).exclude(
        Exists(Appointment.objects.filter(session=OuterRef("pk"), status__in=LIVE))
    )
    return list(
        Course.objects.filter(status__in=BOOKABLE)
        .filter(Exists(unbooked))
        .annotate(
            consented=Exists(Consent.objects.filter(course=OuterRef("pk"))),
            any_booked=Exists(Appointment.objects.filter(course=OuterRef("pk"), status__in=LIVE)),
        )
        .select_related("patient")
        .order_by("approved_at", "id")[:limit]
    )


@dataclass(frozen=True)
class CourseAppointments:
    """A course's visits: every appointment (cancelled ones too), the live ones, each session
    that could be booked again with its cancelled appointment (None: never booked), the kept
    preferences in words (and whether any are kept) and the reminders sent or due."""

    appointments: list[Appointment]
    booked: list[Appointment]
    missing: list[tuple[TreatmentSession, Appointment | None]]
    preferences: str
    kept_preferences: bool
    reminders: list[Reminder]


def course_appointments(course: Course) -> CourseAppointments:
    """Everything the course's appointments page shows. Four queries."""
    appointments = list(
        Appointment.objects.filter(course=course)
        .select_related("session", "practitioner", "room", "appointment_type", "location")
        .order_by("starts_at", "id")
    )
    cancelled = {a.session_id: a for a in appointments if not a.is_live and a.session_id}
    missing = [
        (s, cancelled.get(s.pk))
        for s in course.sessions.filter(status__in=rebook.REBOOKABLE)
        .exclude(Q(appointment__status__in=LIVE))
        .order_by("number")
    ]
    kept = CoursePreferences.objects.filter(course=course).select_related("practitioner").first()
    preferences = (
        ""
        if kept is None
        else booking_preferences.describe_preferences(
            booking_preferences.kept_preferences(kept),
            kept.practitioner.get_full_name() if kept.practitioner else "",
        )
    )
    # The subject only: the text is the plan's care instructions, in the patient's own mailbox.
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
    return CourseAppointments(
        appointments=appointments,
        booked=[a for a in appointments if a.is_live],
        missing=missing,
        preferences=preferences,
        kept_preferences=kept is not None,
        reminders=reminders,
    )


def course_booked_count(course: Course) -> int:
    """How many of the course's appointments are live (booked, arrived or attended)."""
    return Appointment.objects.filter(course=course, status__in=LIVE).count()


# ---------------------------------------------------------------------------------------------
# The calendar
# ---------------------------------------------------------------------------------------------


def _columns(week: bool, day: dt.date, resources: list[Resource], who: str) -> list[Column]:
    if not week:
        return [Column(r.label, day, (r.key,)) for r in resources]
    monday = day - dt.timedelta(days=day.weekday())
    keys = (who,) if who else ()
    days = [monday + dt.timedelta(days=k) for k in range(7)]
    return [Column(words.human_day(d), d, keys) for d in days]


def calendar_resources(location: Location, by: str) -> list[Resource]:
    """The location's rooms (`by` "room") or active practitioners, as calendar columns. One query."""
    if by == "room":
        return [
            Resource(room_resource(r.pk), r.name)
            for r in Room.objects.filter(location=location).order_by("kind", "name")
        ]
    profiles = (
        PractitionerProfile.objects.filter(location=location, active=True)
        .select_related("user")
        .order_by("user__last_name", "user__first_name", "user__username")
    )
    return [
        Resource(practitioner_resource(p.user_id), p.user.get_full_name() or p.user.get_username())
        for p in profiles
    ]


def _holds(
    location: Location, keys: list[str], first: dt.date, last: dt.date, *, cancelled: bool
) -> list[Hold]:
    """Holds of the location's appointments on `keys` between the two days (local) included.

    Booked visits show their active holds; cancelled ones (when asked) the holds they had, as
    long as those lie inside the visit (not holds left behind by an earlier move)."""
    zone = ZoneInfo(location.time_zone)
    since = dt.datetime.combine(first, dt.time(), zone)
    until = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), zone)
    shown = Q(active=True, appointment__status__in=SHOWN)
    if cancelled:
        shown |= Q(
            appointment__status__in=CANCELLED,
            starts_at__gte=F("appointment__starts_at"),
            ends_at__lte=F("appointment__ends_at"),
        )
    return list(
        Hold.objects.filter(
            shown, resource__in=keys, starts_at__lt=until, ends_at__gt=since, appointment__location=location
        )
        .select_related("appointment__patient", "appointment__appointment_type", "appointment__session")
        .order_by("starts_at", "id")
    )


def _closures(location: Location, first: dt.date, last: dt.date) -> dict[dt.date, str]:
    out: dict[dt.date, str] = {}
    for c in Closure.objects.filter(location=location, first__lte=last, last__gte=first):
        day = max(c.first, first)
        while day <= min(c.last, last):
            out[day] = c.reason or "closed"
            day += dt.timedelta(days=1)
    return out


def calendar_grid(
    *,
    location: Location,
    day: dt.date,
    resources: list[Resource],
    who: str = "",
    week: bool = False,
    cancelled: bool = False,
) -> Grid:
    """The calendar of `location`: on `day`, a column per resource; for the `week` (Monday
    first) of `day`, a column per day for the resource `who` (its key; an unknown key: the
    first resource). Two queries (closures and holds).

    The rows cover the opening hours (stretched to any entry outside them) in steps of the
    location's slot length, on its wall clock. A column holds what the appointments hold of its
    resource, so a PRP session shows the blood draw and the treatment in the practitioner's
    column, the numbing chair and the treatment room in the rooms' columns. Cancelled visits
    (late or not) only when `cancelled`."""
    chosen = next((r for r in resources if r.key == who), resources[0] if resources else None)
    columns = _columns(week, day, resources, chosen.key if chosen else "")
    first, last = (columns[0].day, columns[-1].day) if columns else (day, day)
    closed = _closures(location, first, last)
    for c in columns:
        c.closed = closed.get(c.day, "")
    keys = sorted({k for c in columns for k in c.keys})
    grid = build_grid(
        location, columns, _holds(location, keys, first, last, cancelled=cancelled), drop_closed_days=week
    )
    grid.first, grid.last = first, last
    grid.who, grid.who_label = (chosen.key, chosen.label) if chosen else ("", "")
    return grid
