"""Calendar feeds (RFC 5545): a practitioner's appointments, or one patient's course, published at
a private address a calendar application subscribes to.

The address carries a random token; only its SHA-256 is stored, so the database alone cannot
rebuild an address, and the token is looked up by its hash (an index lookup on a digest leaks
nothing about the token). A revoked or unknown token reads as "no such feed", both the same.

Each event keeps the appointment's UID, and its SEQUENCE is the appointment's, which the booking
services raise on every move or cancellation: subscribed calendars update the event in place
instead of adding a copy, and a cancelled visit stays in the feed as a cancelled event so that
calendars remove it.

What an event says depends on who reads it. The practitioner's feed names the patient and the
session; the patient's feed speaks plain words about their own visit and never names anyone else.
"""

import datetime as dt
import hashlib
import secrets
import zoneinfo
from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.db import transaction
from django.utils import timezone
from icalendar import Calendar, Event, vDuration

from needlepoint.accounts.models import User
from needlepoint.audit.services import audit_record
from needlepoint.bookings.models import Appointment, FeedKind, FeedToken
from needlepoint.clinic.models import Course
from needlepoint.clinic.services import ServiceError

PRODID = "-//Needlepoint//Clinic calendar feed//EN"
UID_DOMAIN = "needlepoint"
WINDOW_DAYS = 60  # a feed shows the last two months and everything ahead
REFRESH = dt.timedelta(hours=1)
TOKEN_BYTES = 32
MAX_TOKEN_LENGTH = 100


def render_feed(*, name: str, appointments: Iterable[Appointment], for_patient: bool) -> bytes:
    """Return a VCALENDAR (METHOD:PUBLISH) with one VEVENT per appointment, times in UTC.

    `for_patient` picks the wording: the patient's own words ("Microneedling session 2 of 4",
    where, how to prepare) or the practitioner's (the patient's name and session number).
    Appointments should come with patient, course, session, location, room, practitioner and
    appointment type selected."""
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    cal.add("x-published-ttl", vDuration(REFRESH))
    cal.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    for appointment in appointments:
        cal.add_component(_event(appointment, for_patient=for_patient))
    ical: bytes = cal.to_ical()
    return ical


def _utc(value: dt.datetime) -> dt.datetime:
    if timezone.is_naive(value):
        raise ValueError("calendar feeds need aware datetimes")
    return value.astimezone(dt.UTC)


def _event(a: Appointment, *, for_patient: bool) -> Event:
    words = _patient_words(a) if for_patient else _practitioner_words(a)
    summary, location, description = words
    if a.is_cancelled:
        summary = f"Cancelled: {summary}"
    event = Event()
    event.add("uid", f"{a.uid}@{UID_DOMAIN}")
    event.add("dtstamp", _utc(a.updated_at or timezone.now()))
    if a.created_at:
        event.add("created", _utc(a.created_at))
    if a.updated_at:
        event.add("last-modified", _utc(a.updated_at))
    event.add("dtstart", _utc(a.starts_at))
    event.add("dtend", _utc(a.ends_at))
    event.add("sequence", a.sequence)
    event.add("status", "CANCELLED" if a.is_cancelled else "CONFIRMED")
    event.add("transp", "TRANSPARENT" if a.is_cancelled else "OPAQUE")
    event.add("class", "PRIVATE")
    event.add("summary", summary)
    event.add("location", location)
    event.add("description", description)
    return event


def _session_count(course: Course | None) -> int | None:
    if course is None:
        return None
    count = ((course.plan or {}).get("sessions") or {}).get("count")
    return int(count) if count else None


def _visit_name(a: Appointment) -> str:
    """'Microneedling session 2 of 4', or the appointment type's name for a visit outside a
    numbered session (a consultation)."""
    if a.session is None:
        return a.appointment_type.name
    count = _session_count(a.course)
    of = f" of {count}" if count else ""
    return f"Microneedling session {a.session.number}{of}"


def _place(a: Appointment) -> str:
    parts = [settings.NEEDLEPOINT_CLINIC_NAME, a.location.name]
    address = " ".join(a.location.address.split())
    if address:
        parts.append(address)
    return ", ".join(parts)


def _preparation_days(course: Course | None) -> int:
    """The longest preparation lead in the course's plan (care items before the session)."""
    care = (course.plan or {}).get("care", []) if course is not None else []
    offsets = [int(c.get("offset_days", 0)) for c in care]
    return max([-o for o in offsets if o < 0], default=0)


def _preparation_line(a: Appointment) -> str:
    days = _preparation_days(a.course) if a.session is not None else 0
    if not days:
        return "Please arrive 10 minutes early."
    local_start = timezone.localtime(a.starts_at, _zone(a)).date()
    begin = local_start - dt.timedelta(days=days)
    when = f"{begin:%A} {begin.day} {begin:%B %Y}"
    return (
        f"Preparation starts {days} days before this session (from {when}): "
        "see the steps in your patient portal."
    )


def _zone(a: Appointment) -> dt.tzinfo:
    try:
        return zoneinfo.ZoneInfo(a.location.time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return timezone.get_default_timezone()


def _patient_words(a: Appointment) -> tuple[str, str, str]:
    visit = _visit_name(a)
    with_whom = ""
    if a.practitioner is not None:
        with_whom = f" with {a.practitioner.get_full_name() or a.practitioner.get_username()}"
    lines = [f"{visit} at {settings.NEEDLEPOINT_CLINIC_NAME}{with_whom}.", _preparation_line(a)]
    if a.is_cancelled:
        lines.insert(0, "This visit was cancelled.")
    return visit, _place(a), "\n".join(lines)


def _practitioner_words(a: Appointment) -> tuple[str, str, str]:
    patient = f"{a.patient.first_name} {a.patient.last_name}".strip()
    visit = _visit_name(a)
    room = f", {a.room.name}" if a.room is not None else ""
    kind = a.appointment_type.name
    lines = [f"Patient: {patient}", f"Visit: {visit}" + ("" if visit.startswith(kind) else f" ({kind})")]
    if a.room is not None:
        lines.append(f"Room: {a.room.name}")
    if a.is_cancelled:
        lines.insert(0, "Cancelled.")
    return f"{patient}: {visit[:1].lower()}{visit[1:]}", f"{a.location.name}{room}", "\n".join(lines)


def may_manage_practitioner_feed(actor: User | AnonymousUser, practitioner: User | None) -> bool:
    """A practitioner or the medical director for their own feed; the director for anyone's."""
    if not isinstance(actor, User) or not actor.is_active or not actor.is_clinical:
        return False
    if practitioner is None or not practitioner.is_clinical:
        return False
    return actor.pk == practitioner.pk or actor.is_medical_director


def may_manage_course_feed(actor: User | AnonymousUser, course: Course | None) -> bool:
    """Clinic staff for any course (the front desk keeps the schedule); a patient for their own."""
    if not isinstance(actor, User) or not actor.is_active:
        return False
    if actor.is_clinic_staff:
        return True
    return actor.is_patient and course is not None and course.patient.user_id == actor.pk


def token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


@transaction.atomic
def feed_token_create(
    *, actor: User, practitioner: User | None = None, course: Course | None = None
) -> tuple[FeedToken, str]:
    """Make a new feed address for a practitioner or a course. Returns the token row and the raw
    token, which is never stored and cannot be shown again."""
    if (practitioner is None) == (course is None):
        raise ServiceError("Say whose calendar the feed is for: a practitioner or a course.")
    if practitioner is not None and not may_manage_practitioner_feed(actor, practitioner):
        raise ServiceError(
            "You may make a calendar feed only for your own appointments.", field="practitioner"
        )
    if course is not None and not may_manage_course_feed(actor, course):
        raise ServiceError("You may not make a calendar feed for this course.", field="course")
    raw = secrets.token_urlsafe(TOKEN_BYTES)
    token = FeedToken(
        kind=FeedKind.PRACTITIONER if practitioner is not None else FeedKind.COURSE,
        practitioner=practitioner,
        course=course,
        token_hash=token_hash(raw),
        created_by=actor,
    )
    token.full_clean()
    token.save()
    audit_record(
        actor=actor,
        action="create",
        obj=token,
        patient_id=course.patient_id if course is not None else None,
        summary=f"calendar feed address for {_owner_words(token)}",
    )
    return token, raw


@transaction.atomic
def feed_token_revoke(*, actor: User, token: FeedToken) -> FeedToken:
    """Revoke a feed address: from now on it answers like an address that never existed."""
    allowed = (
        may_manage_practitioner_feed(actor, token.practitioner)
        if token.practitioner_id
        else may_manage_course_feed(actor, token.course)
    )
    if not allowed:
        raise ServiceError("You may not revoke this calendar feed.", field="token")
    now = timezone.now()
    if FeedToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=now) != 1:
        raise ServiceError("This calendar feed address was already revoked.", field="token")
    token.revoked_at = now
    audit_record(
        actor=actor,
        action="change",
        obj=token,
        patient_id=token.course.patient_id if token.course is not None else None,
        summary=f"revoked the calendar feed address for {_owner_words(token)}",
    )
    return token


def feed_for_token(raw: str) -> FeedToken | None:
    """Return the live feed token for a raw token, or None when it is unknown, revoked, or its
    practitioner can no longer sign in."""
    if not raw or len(raw) > MAX_TOKEN_LENGTH:
        return None
    token = (
        FeedToken.objects.select_related("practitioner", "course__patient__user", "created_by")
        .filter(token_hash=token_hash(raw), revoked_at__isnull=True)
        .first()
    )
    if token is None:
        return None
    practitioner = token.practitioner
    if practitioner is not None and not (practitioner.is_active and practitioner.is_clinical):
        return None
    return token


def _owner_words(token: FeedToken) -> str:
    if (p := token.practitioner) is not None:
        return f"the appointments of {p.get_full_name() or p.get_username()}"
    return f"course {token.course_id}"


def feed_owner(token: FeedToken) -> User:
    """The person whose calendar the feed is: the practitioner, or the course's patient (their
    portal account; the person who made the address when the patient has none)."""
    if token.practitioner is not None:
        return token.practitioner
    patient = token.course.patient if token.course is not None else None
    return (patient.user if patient is not None else None) or token.created_by


def feed_appointments(token: FeedToken, *, now: dt.datetime | None = None) -> list[Appointment]:
    """The appointments a feed shows: from WINDOW_DAYS ago onward, cancelled ones included."""
    since = (now or timezone.now()) - dt.timedelta(days=WINDOW_DAYS)
    qs = Appointment.objects.filter(starts_at__gte=since).select_related(
        "patient", "course", "session", "location", "room", "practitioner", "appointment_type"
    )
    if token.practitioner_id:
        qs = qs.filter(practitioner_id=token.practitioner_id)
    else:
        qs = qs.filter(course=token.course)
    return list(qs.order_by("starts_at", "id"))


def feed_name(token: FeedToken) -> str:
    clinic = settings.NEEDLEPOINT_CLINIC_NAME
    if (p := token.practitioner) is not None:
        return f"{clinic}: {p.get_full_name() or p.get_username()}"
    return f"{clinic}: my microneedling course"


@transaction.atomic
def feed_read(*, token: FeedToken, now: dt.datetime | None = None) -> bytes:
    """Render the feed a token opens, note when it was last used, and write one audit event per
    patient whose appointments it shows (the actor is the feed's owner, see `feed_owner`)."""
    now = now or timezone.now()
    appointments = feed_appointments(token, now=now)
    for_patient = token.kind == FeedKind.COURSE
    body = render_feed(name=feed_name(token), appointments=appointments, for_patient=for_patient)
    FeedToken.objects.filter(pk=token.pk).update(last_used_at=now)
    _audit_read(token, appointments)
    return body


def _audit_read(token: FeedToken, appointments: list[Appointment]) -> None:
    owner = feed_owner(token)
    if token.course_id:
        audit_record(
            actor=owner,
            action="view",
            obj=token.course,
            summary=f"calendar feed {token.pk} read ({_count(len(appointments))})",
        )
        return
    counts: dict[int, int] = {}
    for a in appointments:
        counts[a.patient_id] = counts.get(a.patient_id, 0) + 1
    for patient_id, n in counts.items():
        audit_record(
            actor=owner,
            action="view",
            object_type="bookings.feedtoken",
            object_id=str(token.pk),
            patient_id=patient_id,
            summary=f"calendar feed {token.pk} of {_owner_words(token)} read ({_count(n)} of this patient)",
        )


def _count(n: int) -> str:
    return f"{n} appointment" if n == 1 else f"{n} appointments"
