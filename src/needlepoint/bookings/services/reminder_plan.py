"""The messages a patient gets around each booked session, worked out from the course plan
(plain data, nothing saved; `reminders.reminders_sync` makes the rows match). All in the
clinic's zone (the location's `time_zone`):

- preparation, one message per day before the session on which care items start (code
  "before-<days>"): sun avoidance and pausing retinoids both 14 days before make one letter
  listing both, due at REMINDER_HOUR on that day;
- "the day before" (kind preparation, code DAY_BEFORE): the session's date and time, the items
  that start the day before, and the plan's on-the-day items (day-0 items without a duration:
  they happen before the needling);
- next session (2 days before): the date, time and place, and how to move it;
- aftercare, AFTERCARE_DELAY after the session ends: day-0 items with a duration (they run from
  the treatment on) and the items of the following days;
- check-in invitations on days 1, 3 and 7 after the session, at REMINDER_HOUR, with the plan's
  check-in text, the items that start that day and an absolute link to the portal page.

Consultations (appointments without a course session) get no reminders here."""

import datetime as dt
import zoneinfo
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.urls import reverse

from needlepoint.bookings.models import (
    Appointment,
    AppointmentStatus,
    ReminderKind,
)
from needlepoint.clinic.services.aftercare import CHECK_IN_DAYS
from needlepoint.words import human_day

REMINDER_HOUR = dt.time(10, 0)
"""Clinic's choice: day-based reminders go out at 10:00 clinic time (awake, not at work's start)."""

AFTERCARE_DELAY = dt.timedelta(minutes=30)
"""Clinic's choice: aftercare goes out half an hour after the session ends (the patient is home
or on the way, and the practitioner has said it in person)."""

NEXT_SESSION_DAYS_BEFORE = 2
DAY_BEFORE = "day_before"
NEXT_SESSION = "appointment"


@dataclass(frozen=True, slots=True)
class Planned:
    """One reminder as the plan asks for it: what, when (aware, UTC) and the words."""

    kind: str
    code: str
    due_at: dt.datetime
    subject: str
    body: str

    @property
    def key(self) -> tuple[str, str]:
        return (self.kind, self.code)


def planned_reminders(appointment: Appointment) -> list[Planned]:
    """Return the reminders a booked course session should have, from its course plan's care
    items (plain data, nothing saved). Times are aware and in UTC. Once the visit is attended
    (its chart signed) nothing before it is asked for any more ("your session tomorrow",
    preparation), and the aftercare timeline runs from the day it took place (`_treated_by`)."""
    ctx = _Context.of(appointment)
    care = [c for c in _plan(appointment).get("care", []) if c.get("text")]
    out: list[Planned] = []
    if appointment.status != AppointmentStatus.ATTENDED:  # after the visit, nothing to get ready for
        before: dict[int, list[dict[str, Any]]] = {}
        for item in care:
            if item.get("offset_days", 0) < 0:
                before.setdefault(-int(item["offset_days"]), []).append(item)
        out += [
            _preparation(ctx, days, items) for days, items in sorted(before.items(), reverse=True) if days > 1
        ]
        out.append(_day_before(ctx, before.get(1, []), [c for c in care if _is_day_of(c)]))
        out.append(_next_session(ctx))
    out.append(_aftercare(ctx, [c for c in care if _is_aftercare(c)]))
    out += [_check_in(ctx, day, care) for day in CHECK_IN_DAYS]
    return out


def _plan(appointment: Appointment) -> dict[str, Any]:
    """The plan of the appointment's course ({} for a visit without one)."""
    course = appointment.course
    return (course.plan or {}) if course is not None else {}


def _is_day_of(item: dict[str, Any]) -> bool:
    """Day-0 items without a duration happen on the day, before the needling (the same rule as
    `clinic.selectors.aftercare_instructions`)."""
    return item.get("offset_days") == 0 and not item.get("duration_days")


def _is_aftercare(item: dict[str, Any]) -> bool:
    if item.get("code") == "check_in":
        return False
    offset = item.get("offset_days", -1)
    return offset > 0 or (offset == 0 and bool(item.get("duration_days")))


@dataclass(frozen=True, slots=True)
class _Context:
    appointment: Appointment
    zone: zoneinfo.ZoneInfo
    day: dt.date  # the session's date in the clinic's zone (day 0)
    when: str  # "Tuesday 1 December 2026 at 10:30"
    greeting: str
    place: str
    signature: str

    @classmethod
    def of(cls, appointment: Appointment) -> "_Context":
        zone = zoneinfo.ZoneInfo(appointment.location.time_zone)
        local = appointment.starts_at.astimezone(zone)
        first = appointment.patient.first_name.strip()
        address = " ".join(appointment.location.address.split())
        place = f"{appointment.location.name}, {address}" if address else appointment.location.name
        return cls(
            appointment,
            zone,
            local.date(),
            f"{human_day(local.date())} at {local:%H:%M}",
            f"Hello {first}," if first else "Hello,",
            place,
            f"{settings.NEEDLEPOINT_CLINIC_NAME}\nIf you have a question, or need to change your "
            "appointment, please contact the clinic.",
        )

    def at(self, days: int) -> dt.datetime:
        """REMINDER_HOUR in the clinic's zone, `days` from the session's date, in UTC."""
        local = dt.datetime.combine(self.day + dt.timedelta(days=days), REMINDER_HOUR, tzinfo=self.zone)
        return local.astimezone(dt.UTC)

    @property
    def session_label(self) -> str:
        session = self.appointment.session
        total = (_plan(self.appointment).get("sessions") or {}).get("count")
        if session is None:
            return "your microneedling session"
        return f"your microneedling session ({_nth(session.number, total)})"

    def letter(self, *paragraphs: str) -> str:
        return "\n\n".join([self.greeting, *[p for p in paragraphs if p], self.signature]) + "\n"


def _nth(number: int, total: int | None) -> str:
    return f"session {number} of {total}" if total else f"session {number}"


def _bullets(items: list[dict[str, Any]]) -> str:
    return "\n".join(f"- {c['text']}" for c in items)


def _preparation(ctx: _Context, days: int, items: list[dict[str, Any]]) -> Planned:
    """One letter for every care item that starts `days` before the session."""
    return Planned(
        ReminderKind.PREPARATION,
        f"before-{days}",
        ctx.at(-days),
        f"Getting ready for your session on {human_day(ctx.day)}",
        ctx.letter(
            f"{ctx.session_label.capitalize()} is on {ctx.when}, in {days} days, at {ctx.place}.",
            "To get ready:\n" + _bullets(items),
        ),
    )


def _day_before(ctx: _Context, starting: list[dict[str, Any]], items: list[dict[str, Any]]) -> Planned:
    return Planned(
        ReminderKind.PREPARATION,
        DAY_BEFORE,
        ctx.at(-1),
        f"Your session tomorrow at {ctx.when.rsplit(' at ', 1)[1]}",
        ctx.letter(
            f"{ctx.session_label.capitalize()} is tomorrow, {ctx.when}, at {ctx.place}.",
            ("From today:\n" + _bullets(starting)) if starting else "",
            ("On the day:\n" + _bullets(items)) if items else "",
        ),
    )


def _next_session(ctx: _Context) -> Planned:
    return Planned(
        ReminderKind.NEXT_SESSION,
        NEXT_SESSION,
        ctx.at(-NEXT_SESSION_DAYS_BEFORE),
        f"Reminder: your session on {ctx.when}",
        ctx.letter(f"This is a reminder of {ctx.session_label} on {ctx.when}, at {ctx.place}."),
    )


def _aftercare(ctx: _Context, items: list[dict[str, Any]]) -> Planned:
    today = [c for c in items if c.get("offset_days") == 0]
    later = [c for c in items if c.get("offset_days", 0) > 0]
    due = (_treated_by(ctx.appointment) + AFTERCARE_DELAY).astimezone(dt.UTC).replace(microsecond=0)
    return Planned(
        ReminderKind.AFTERCARE,
        "after_session",
        due,
        "Looking after your skin after today's session",
        ctx.letter(
            "Thank you for coming in today. Here is how to look after your skin, from your treatment plan.",
            ("From today:\n" + _bullets(today)) if today else "",
            ("In the days after:\n" + _bullets(later)) if later else "",
            "We will ask how your skin is on days "
            + ", ".join(map(str, CHECK_IN_DAYS[:-1]))
            + f" and {CHECK_IN_DAYS[-1]}.",
        ),
    )


def _treated_by(appointment: Appointment) -> dt.datetime:
    """When the treatment was over: the booked end, or the signing of an attended visit's chart
    when that came earlier on the visit's day."""
    done, zone = appointment.attended_at, zoneinfo.ZoneInfo(appointment.location.time_zone)
    if done is None or done >= appointment.ends_at:
        return appointment.ends_at
    same_day = done.astimezone(zone).date() == appointment.starts_at.astimezone(zone).date()
    return done if same_day else appointment.ends_at


def _check_in(ctx: _Context, day: int, care: list[dict[str, Any]]) -> Planned:
    own = [c for c in care if c.get("code") == "check_in" and c.get("offset_days") == day]
    starting = [c for c in care if c.get("code") != "check_in" and c.get("offset_days") == day]
    advice = "\n\n".join(c["text"] for c in own) or (
        f"Day {day} check-in: tell us how your skin looks and feels."
    )
    return Planned(
        ReminderKind.CHECK_IN,
        f"day-{day}",
        ctx.at(day),
        f"Day {day} check-in: how is your skin?",
        ctx.letter(
            advice,
            f"Answer a few short questions here:\n{check_in_url(ctx.appointment, day)}",
            ("From today:\n" + _bullets(starting)) if starting else "",
        ),
    )


def check_in_url(appointment: Appointment, day: int) -> str:
    """The absolute address of the portal's check-in page for this session and day."""
    path = reverse("portal:checkin_new", kwargs={"session_id": appointment.session_id, "day": day})
    return settings.NEEDLEPOINT_SITE_URL.rstrip("/") + path
