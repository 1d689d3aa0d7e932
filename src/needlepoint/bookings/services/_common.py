"""What the booking services share: the words of a refusal, signed tokens, the database settling
a race (`database_settles`), the default location, a location's today and the calendar's names."""

import datetime as dt
import zoneinfo
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.core import signing
from django.db import IntegrityError, OperationalError, transaction
from django.utils import timezone

from needlepoint import scheduling
from needlepoint.bookings.core_adapter import day_start
from needlepoint.bookings.models import Location
from needlepoint.bookings.services import BookingConflict, ServiceError
from needlepoint.clinic.models import APPROVED_COURSE_STATUSES, SessionStatus

TOKEN_MAX_AGE = 30 * 60  # seconds: long enough to talk it through, short enough to stay true
BOOKABLE = APPROVED_COURSE_STATUSES  # a course can be booked once approved, and while it runs
FIXED = (SessionStatus.SIGNED, SessionStatus.IN_PROGRESS)  # a chart exists: the time is history
CONFLICT = "Someone else has just booked one of these times. Search again to see what is free now."
SEARCH_AGAIN = "Search again to see what is free now."
CHANGED = (
    "The course's sessions have changed since this preview was made. Look at the new times and choose again."
)


def iso(t: dt.datetime) -> str:
    """`t` in UTC as ISO 8601, the form a token carries."""
    return t.astimezone(dt.UTC).isoformat()


def slot_payload(slot: scheduling.SessionSlot, number: int) -> dict[str, Any]:
    """One session as a token carries it: its number, times, window and holds."""
    return {
        "number": number,
        "start": iso(slot.start),
        "end": iso(slot.end),
        "window": [slot.earliest.isoformat(), slot.latest.isoformat()],
        "holds": [[h.resource, h.role, h.kind, h.step, iso(h.start), iso(h.end)] for h in slot.holds],
    }


def sign(payload: dict[str, Any], salt: str) -> str:
    """The token of `payload`: what the front desk was shown, signed so that confirming books
    exactly that."""
    return signing.dumps(payload, salt=salt, compress=True)


def unsign(token: str, salt: str, what: str) -> dict[str, Any]:
    """The payload of `token`; ServiceError, saying `what` it held, when it is older than
    TOKEN_MAX_AGE, damaged or signed for something else."""
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


def is_conflict(exc: Exception) -> bool:
    """True for an error the database raises when two bookings collide: a constraint (overlap,
    one appointment per session), or PostgreSQL giving up on a deadlock or serialisation."""
    if isinstance(exc, IntegrityError):
        return True
    return getattr(exc.__cause__, "sqlstate", None) in ("40P01", "40001")


@contextmanager
def database_settles() -> Iterator[None]:
    """Run the block in one transaction and let the database settle a race: two active holds of
    one resource never overlap (PostgreSQL exclusion constraint, SQLite trigger inside a
    serialised write), so the loser gets BookingConflict (409) and nothing of the block is saved.
    Any other database error passes through."""
    try:
        with transaction.atomic():
            yield
    except (IntegrityError, OperationalError) as exc:
        if not is_conflict(exc):
            raise
        raise BookingConflict(CONFLICT, field="token") from None


def default_location(location: Location | None) -> Location:
    """`location`, or the clinic's only one; ServiceError when it has none or several."""
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


def local_today(zone: zoneinfo.ZoneInfo) -> dt.date:
    """Today on the wall calendar of `zone` (a location's: each books in its own)."""
    return timezone.now().astimezone(zone).date()


def past_is_busy(calendar: scheduling.Calendar, now: dt.datetime) -> scheduling.Calendar:
    """Return `calendar` with today's past minutes busy for everyone: nothing is booked in the past."""
    midnight = day_start(calendar.zone, now.astimezone(calendar.zone).date())
    if now <= midnight:
        return calendar
    past = (scheduling.Interval(midnight, now),)
    return calendar.with_busy({r.id: past for r in calendar.resources})


def resource_names(calendar: scheduling.Calendar) -> dict[str, str]:
    """The name of each of the calendar's resources by id ("" for one without a name)."""
    return {r.id: getattr(r, "name", "") for r in calendar.resources}


def practitioner_message(exc: scheduling.SchedulingError) -> str:
    """The core's refusal in the front desk's words."""
    if exc.field == "practitioner":
        return "The practitioner chosen does not treat at this location: choose another or anyone."
    return exc.message
