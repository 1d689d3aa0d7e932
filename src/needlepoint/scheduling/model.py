"""The clinic calendar and what a visit needs, as plain frozen data.

A `Calendar` is one location in one time zone: opening hours per weekday, closures, and the
resources a visit can hold — practitioners (skills, working hours), rooms by kind ("treatment",
"numbing", "consult") and device units by kind ("pen", "centrifuge") — each with the intervals
it is already busy. An `AppointmentType` is a few `Step`s at fixed offsets from the start, each
holding a practitioner with some skills, a room of some kind and device units; a treatment
session is numbing in a numbing chair followed by the treatment in a treatment room with a
pen. A `CourseRequest` is what the approved plan and the patient ask of the whole course.

Times of day are minutes after local midnight (0-1440) so that a 9:00 slot stays 9:00 on the
clinic's wall clock across a daylight-saving change; instants are aware datetimes.
"""

import datetime as dt
import itertools
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from zoneinfo import ZoneInfo

from needlepoint.scheduling.errors import SchedulingError
from needlepoint.scheduling.index import BusyIndex, DayIndex

DAY_MINUTES = 1440
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_CLOCK = re.compile(r"^(\d{1,2}):(\d{2})$")


def _minute(text: str, field: str) -> int:
    """Return the minutes after midnight of "HH:MM" (24:00 allowed, as the end of a day)."""
    m = _CLOCK.match(text.strip())
    if not m or int(m[2]) > 59 or int(m[1]) * 60 + int(m[2]) > DAY_MINUTES:
        raise SchedulingError(f"{text!r} is not a time of day (HH:MM)", field=field)
    return int(m[1]) * 60 + int(m[2])


@dataclass(frozen=True, slots=True)
class Span:
    """A stretch of local time within a day, [start, end) in minutes after midnight."""

    start: int
    end: int
    label: str = ""

    def __post_init__(self) -> None:
        if not 0 <= self.start < self.end <= DAY_MINUTES:
            raise SchedulingError(
                f"a span must run forwards within a day, not {self.start}-{self.end}", field="span"
            )

    @classmethod
    def parse(cls, text: str, label: str = "") -> "Span":
        """Return the span written "09:00-13:00"."""
        start, sep, end = text.partition("-")
        if not sep:
            raise SchedulingError(f"{text!r} is not a span (HH:MM-HH:MM)", field="span")
        return cls(_minute(start, "span"), _minute(end, "span"), label)

    def __str__(self) -> str:
        return f"{self.start // 60:02d}:{self.start % 60:02d}-{self.end // 60:02d}:{self.end % 60:02d}"


MORNINGS = Span(8 * 60, 12 * 60, "mornings")
AFTERNOONS = Span(12 * 60, 17 * 60, "afternoons")
EVENINGS = Span(17 * 60, 21 * 60, "evenings")


@dataclass(frozen=True, slots=True)
class WeeklyHours:
    """Hours for each weekday, Monday first; a day without spans is a day off."""

    days: tuple[tuple[Span, ...], ...]

    def __post_init__(self) -> None:
        if len(self.days) != 7:
            raise SchedulingError("weekly hours need seven days, Monday first", field="hours")
        for spans in self.days:
            ordered = sorted(spans, key=lambda s: s.start)
            if any(a.end > b.start for a, b in itertools.pairwise(ordered)):
                raise SchedulingError("the spans of one day overlap", field="hours")

    @classmethod
    def parse(cls, text: str) -> "WeeklyHours":
        """Return the hours written like "mon-fri 09:00-13:00 14:00-18:00; sat 09:00-13:00".

        Days are mon..sun, as ranges (mon-fri) or lists (mon,wed); unnamed days are off; a day
        named twice keeps its last entry."""
        days: list[tuple[Span, ...]] = [()] * 7
        for part in filter(None, (p.strip() for p in text.split(";"))):
            names, *spans = part.split()
            parsed = tuple(Span.parse(s) for s in spans)
            for day in _weekdays(names):
                days[day] = parsed
        return cls(tuple(days))

    def on(self, weekday: int) -> tuple[Span, ...]:
        """Return the spans of `weekday` (0 is Monday)."""
        return self.days[weekday]


def _weekdays(text: str) -> list[int]:
    """Return the weekday numbers named by "mon-fri" or "mon,wed,sat"."""
    out: list[int] = []
    for item in text.lower().split(","):
        first, _, last = item.partition("-")
        if first not in WEEKDAYS or (last and last not in WEEKDAYS):
            raise SchedulingError(f"{item!r} does not name weekdays (mon..sun)", field="hours")
        a, b = WEEKDAYS.index(first), WEEKDAYS.index(last or first)
        out.extend(range(a, b + 1) if a <= b else [*range(a, 7), *range(0, b + 1)])
    return out


@dataclass(frozen=True, slots=True)
class Closure:
    """Days the whole clinic is closed, first and last included (e.g. 24 Dec-2 Jan)."""

    first: dt.date
    last: dt.date
    reason: str = ""

    def __post_init__(self) -> None:
        if self.last < self.first:
            raise SchedulingError(f"closure {self.reason or ''} ends before it starts", field="closures")

    def __contains__(self, day: dt.date) -> bool:
        return self.first <= day <= self.last


@dataclass(frozen=True, slots=True)
class Interval:
    """An instant range [start, end) between aware datetimes."""

    start: dt.datetime
    end: dt.datetime

    def __post_init__(self) -> None:
        if self.start.utcoffset() is None or self.end.utcoffset() is None:
            raise SchedulingError("busy intervals need aware datetimes", field="busy")
        if self.end.astimezone(dt.UTC) <= self.start.astimezone(dt.UTC):  # same-zone datetimes compare
            raise SchedulingError(  # by wall clock, so compare the instants
                f"interval {self.start.isoformat()} ends before it starts", field="busy"
            )


@dataclass(frozen=True, slots=True)
class Practitioner:
    id: str
    name: str
    skills: frozenset[str]
    hours: WeeklyHours
    busy: tuple[Interval, ...] = ()


@dataclass(frozen=True, slots=True)
class Room:
    """A room or chair: kind "treatment", "numbing" (a chair in the numbing lounge) or "consult"."""

    id: str
    kind: str
    name: str = ""
    busy: tuple[Interval, ...] = ()


@dataclass(frozen=True, slots=True)
class Device:
    """One device unit, e.g. kind "pen" or "centrifuge"."""

    id: str
    kind: str
    busy: tuple[Interval, ...] = ()


def device_pool(kind: str, count: int, busy: Iterable[Interval] = ()) -> tuple[Device, ...]:
    """Return `count` units "<kind>-1".. of one kind, with `busy` dealt out among them.

    For clinics that record only "a pen was in use": each interval goes to the first unit free
    for it, in start order, which succeeds whenever no more than `count` overlap at once."""
    units: list[list[Interval]] = [[] for _ in range(count)]
    for iv in sorted(busy, key=lambda i: i.start.astimezone(dt.UTC)):
        starts = iv.start.astimezone(dt.UTC)
        free = next((u for u in units if not u or u[-1].end.astimezone(dt.UTC) <= starts), None)
        if free is None:
            raise SchedulingError(
                f"more than {count} {kind} units busy at {iv.start.isoformat()}", field="devices"
            )
        free.append(iv)
    return tuple(Device(f"{kind}-{n}", kind, tuple(u)) for n, u in enumerate(units, 1))


@dataclass(frozen=True, slots=True)
class Step:
    """A part of a visit, `offset` minutes after its start, holding for `minutes`: a practitioner
    with `skills` (None: no practitioner), a room of kind `room` and one unit of each of
    `devices`."""

    name: str
    offset: int
    minutes: int
    skills: frozenset[str] | None = None
    room: str | None = None
    devices: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.offset < 0 or self.minutes <= 0:
            raise SchedulingError(
                f"step {self.name!r} needs a non-negative offset and a duration", field="steps"
            )


@dataclass(frozen=True, slots=True)
class AppointmentType:
    code: str
    name: str
    steps: tuple[Step, ...]

    def __post_init__(self) -> None:
        if not self.steps:
            raise SchedulingError(f"appointment type {self.code!r} has no steps", field="steps")

    @property
    def minutes(self) -> int:
        """The length of the whole visit, from its first step's start to its last step's end."""
        return max(s.offset + s.minutes for s in self.steps)


def treatment_session(*, numbing: int = 30, treatment: int = 60) -> AppointmentType:
    """Return a microneedling session: numbing in a numbing chair, then the treatment with a
    microneedling-trained practitioner, a treatment room and a pen."""
    steps = [Step("numbing", 0, numbing, room="numbing")] if numbing else []
    steps.append(Step("treatment", numbing, treatment, frozenset({"microneedling"}), "treatment", ("pen",)))
    return AppointmentType("microneedling", "microneedling session", tuple(steps))


def prp_session(*, numbing: int = 30, draw: int = 10, spin: int = 15, treatment: int = 60) -> AppointmentType:
    """Return a microneedling session with PRP/PRF: during numbing a PRP-trained practitioner
    draws blood and the centrifuge spins it; then the treatment as in `treatment_session`."""
    if draw + spin > numbing:
        raise SchedulingError("the blood draw and spin must fit inside the numbing time", field="steps")
    return AppointmentType(
        "microneedling_prp",
        "microneedling session with PRP",
        (
            Step("numbing", 0, numbing, room="numbing"),
            Step("blood draw", 0, draw, frozenset({"prp_draw"})),
            Step("spin", draw, spin, devices=("centrifuge",)),
            Step("treatment", numbing, treatment, frozenset({"microneedling"}), "treatment", ("pen",)),
        ),
    )


def consultation(*, minutes: int = 30) -> AppointmentType:
    """Return a consultation: any practitioner in a consultation room."""
    return AppointmentType(
        "consultation", "consultation", (Step("consultation", 0, minutes, frozenset(), "consult"),)
    )


@dataclass(frozen=True, slots=True)
class Calendar:
    """One clinic location: its zone, hours, closures and resources with their busy intervals.

    Building a calendar checks it and sorts every busy interval by local day once; searches on
    it then only look at the days they need."""

    zone: ZoneInfo
    hours: WeeklyHours
    practitioners: tuple[Practitioner, ...]
    rooms: tuple[Room, ...]
    devices: tuple[Device, ...]
    closures: tuple[Closure, ...] = ()
    slot_minutes: int = 15
    busy_index: BusyIndex = field(init=False, repr=False, compare=False)
    day_index: DayIndex = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        ids = [r.id for r in self.resources]
        if len(ids) != len(set(ids)):
            raise SchedulingError(
                "resource ids must be unique across practitioners, rooms and devices", field="resources"
            )
        if not 0 < self.slot_minutes <= 240 or DAY_MINUTES % self.slot_minutes:
            raise SchedulingError("slot_minutes must divide a day", field="slot_minutes")
        busy = {r.id: r.busy for r in self.resources}
        object.__setattr__(self, "busy_index", BusyIndex(self.zone, busy))
        object.__setattr__(self, "day_index", DayIndex(self))  # a read-only cache; see DayIndex

    @property
    def resources(self) -> tuple[Practitioner | Room | Device, ...]:
        """Every practitioner, room and device, in that order."""
        return (*self.practitioners, *self.rooms, *self.devices)

    def closure_on(self, day: dt.date) -> Closure | None:
        """Return the closure covering `day`, if any."""
        return next((c for c in self.closures if day in c), None)

    def practitioner(self, pid: str) -> Practitioner:
        """Return the practitioner `pid`; raises SchedulingError for an unknown id."""
        found = next((p for p in self.practitioners if p.id == pid), None)
        if found is None:
            raise SchedulingError(f"no practitioner {pid!r} in this calendar", field="practitioner")
        return found

    def with_busy(self, extra: Mapping[str, Sequence[Interval]]) -> "Calendar":
        """Return this calendar with `extra` intervals added to the named resources' busy ones
        (e.g. a course just booked: `calendar.with_busy(course.busy())`)."""
        unknown = set(extra) - {r.id for r in self.resources}
        if unknown:
            raise SchedulingError(f"unknown resources {sorted(unknown)}", field="busy")
        return replace(
            self,
            practitioners=tuple(replace(p, busy=(*p.busy, *extra.get(p.id, ()))) for p in self.practitioners),
            rooms=tuple(replace(r, busy=(*r.busy, *extra.get(r.id, ()))) for r in self.rooms),
            devices=tuple(replace(d, busy=(*d.busy, *extra.get(d.id, ()))) for d in self.devices),
        )


@dataclass(frozen=True, slots=True)
class CourseRequest:
    """What the approved plan and the patient ask of a course.

    The first session is on or after `first_day`: the later of `earliest` (screening, deferral)
    and `lead_days` (preparation) after `requested_on` (default: `earliest`), and no later than
    `first_within_days` after it. Each later session falls `interval_min`..`interval_max` days
    after the one before (counted between session dates). Every visit lies wholly inside one of
    the patient's `times` (none given: any time) on one of their `weekdays` (0 is Monday).
    `practitioner`, when given, is the only one who may treat."""

    appointment: AppointmentType
    sessions: int
    interval_min: int
    interval_max: int
    earliest: dt.date
    lead_days: int = 0
    requested_on: dt.date | None = None
    first_within_days: int = 28
    weekdays: frozenset[int] = frozenset(range(7))
    times: tuple[Span, ...] = ()
    practitioner: str | None = None
    patient: str = ""

    def __post_init__(self) -> None:
        if self.sessions < 1:
            raise SchedulingError("a course needs at least one session", field="sessions")
        if not 1 <= self.interval_min <= self.interval_max:
            raise SchedulingError("the interval needs 1 <= min <= max days", field="interval")
        if self.lead_days < 0 or self.first_within_days < 0:
            raise SchedulingError("lead and first-session window cannot be negative", field="lead_days")
        if not self.weekdays or not self.weekdays <= frozenset(range(7)):
            raise SchedulingError("weekdays must be a non-empty set of 0 (Monday) .. 6", field="weekdays")

    @property
    def first_day(self) -> dt.date:
        """The first day the first session may be on."""
        prepared = (self.requested_on or self.earliest) + dt.timedelta(days=self.lead_days)
        return max(self.earliest, prepared)
