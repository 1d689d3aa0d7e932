"""Free time as bits: one bit per minute of a local day, per resource.

A day's free minutes of a resource are an int whose bit m is set when minute m (after local
midnight) is inside the clinic's hours, the resource's own hours and none of its busy
intervals. Checking a visit is then a few AND and shift operations, and the busy intervals are
read only for the days a search touches (`BusyIndex` sorts them by day once per calendar).

Daylight saving: days run on the wall clock. On a changeover day the minutes that do not exist
(spring forward) or happen twice (fall back) are never free, so a visit can neither start nor
run through them, and 9:00 stays 9:00 local on both sides of the change.
"""

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    from needlepoint.scheduling.model import Calendar, Interval, Span

DAY_MINUTES = 1440
Busy = list[tuple[int, int, "Interval"]]


def bits(start: int, end: int) -> int:
    """Return the mask of minutes [start, end)."""
    return ((1 << (end - start)) - 1) << start if end > start else 0


def spans_bits(spans: Iterable["Span"]) -> int:
    """Return the mask of the minutes inside any of `spans`."""
    out = 0
    for s in spans:
        out |= bits(s.start, s.end)
    return out


def run_starts(mask: int, length: int) -> int:
    """Return the mask of minutes m such that all of [m, m + length) are set in `mask`.

    Doubling: after each step bit m says "the next `have` minutes are set", so a 60-minute
    run costs six AND/shift pairs rather than sixty."""
    out, have = mask, 1
    while have < length and out:
        step = min(have, length - have)
        out &= out >> step
        have += step
    return out


def lowest_bits(mask: int) -> Iterator[int]:
    """Yield the positions of the set bits of `mask`, lowest first."""
    while mask:
        low = mask & -mask
        yield low.bit_length() - 1
        mask ^= low


def grid_bits(slot_minutes: int) -> int:
    """Return the mask of the minutes a visit may start at: every `slot_minutes` from midnight."""
    out = 0
    for m in range(0, DAY_MINUTES, slot_minutes):
        out |= 1 << m
    return out


def aware(zone: ZoneInfo, day: int, minute: int) -> dt.datetime:
    """Return the aware datetime of local `minute` (0-1440) on day ordinal `day`."""
    days, minute = divmod(minute, DAY_MINUTES)
    date = dt.date.fromordinal(day + days)
    return dt.datetime.combine(date, dt.time(minute // 60, minute % 60), tzinfo=zone)


def irregular_bits(zone: ZoneInfo, day: int) -> int:
    """Return the mask of wall-clock minutes of `day` that do not exist or happen twice.

    Zero on every day but a changeover day, which is recognised by a different UTC offset at
    the next midnight and then checked minute by minute."""
    if aware(zone, day, 0).utcoffset() == aware(zone, day + 1, 0).utcoffset():
        return 0
    out = 0
    for m in range(DAY_MINUTES):
        t = aware(zone, day, m)
        back = t.astimezone(dt.UTC).astimezone(zone)
        if (
            back.replace(tzinfo=None) != t.replace(tzinfo=None)
            or t.utcoffset() != t.replace(fold=1).utcoffset()
        ):
            out |= 1 << m
    return out


def _local(zone: ZoneInfo, t: dt.datetime, up: bool) -> tuple[int, int]:
    """Return (day ordinal, wall minute) of instant `t`, rounding seconds down or `up`."""
    loc = t.astimezone(zone)
    minute = loc.hour * 60 + loc.minute + (1 if up and (loc.second or loc.microsecond) else 0)
    return loc.toordinal(), minute


class BusyIndex:
    """Busy intervals sorted by local day: day ordinal -> resource id -> [(start, end, interval)],
    minutes on the wall clock, rounded outwards to whole minutes."""

    def __init__(self, zone: ZoneInfo, busy: Mapping[str, Sequence["Interval"]]):
        self._days: dict[int, dict[str, Busy]] = defaultdict(lambda: defaultdict(list))
        for rid, intervals in busy.items():
            for iv in intervals:
                self._add(zone, rid, iv)

    def _add(self, zone: ZoneInfo, rid: str, iv: "Interval") -> None:
        d0, m0 = _local(zone, iv.start, up=False)
        d1, m1 = _local(zone, iv.end, up=True)
        if d0 == d1 and m1 <= m0:  # only inside a fall-back hour, whose minutes are never free
            m0, m1 = m1, m0 + 1
        for day in range(d0, d1 + 1):
            start = m0 if day == d0 else 0
            end = m1 if day == d1 else DAY_MINUTES
            if end > start:
                self._days[day][rid].append((start, end, iv))

    def on(self, day: int) -> Mapping[str, Busy]:
        """Return the busy intervals of `day` by resource (empty for a free day)."""
        return self._days.get(day, {})


class DayIndex:
    """Free minutes per resource per day for one calendar, worked out on first use.

    `ignore` names busy intervals to treat as free (a course's own holds, when it is re-flowed).
    `occupy` marks minutes taken, for callers that book several courses in turn."""

    def __init__(self, calendar: "Calendar", *, ignore: frozenset[tuple[str, "Interval"]] = frozenset()):
        self.calendar = calendar
        self.zone = calendar.zone
        self.ignore = ignore
        self._week = tuple(spans_bits(calendar.hours.on(d)) for d in range(7))
        self._hours = {
            p.id: tuple(spans_bits(p.hours.on(d)) for d in range(7)) for p in calendar.practitioners
        }
        self._ids = tuple(r.id for r in calendar.resources)
        self._open: dict[int, int] = {}
        self._working: dict[int, dict[str, int]] = {}
        self._free: dict[int, dict[str, int]] = {}

    def open(self, day: int) -> int:
        """Return the minutes the clinic is open on `day`: none on a closure, the weekday's hours
        less any minutes a daylight-saving change skips or repeats."""
        found = self._open.get(day)
        if found is None:
            date = dt.date.fromordinal(day)
            closed = self.calendar.closure_on(date) is not None
            found = 0 if closed else self._week[date.weekday()] & ~irregular_bits(self.zone, day)
            self._open[day] = found
        return found

    def working(self, day: int) -> Mapping[str, int]:
        """Return each resource's minutes on duty on `day`, busy or not: the clinic's open
        minutes, and for a practitioner only those inside their own hours too."""
        found = self._working.get(day)
        if found is None:
            open_, weekday = self.open(day), dt.date.fromordinal(day).weekday()
            found = {
                rid: open_ & self._hours[rid][weekday] if rid in self._hours else open_ for rid in self._ids
            }
            self._working[day] = found
        return found

    def free(self, day: int) -> Mapping[str, int]:
        """Return each resource's free minutes on `day`: on duty and not busy."""
        return self._free_on(day)

    def _free_on(self, day: int) -> dict[str, int]:
        found = self._free.get(day)
        if found is None:
            found = dict(self.working(day))
            for rid, busy in self.calendar.busy_index.on(day).items():
                for start, end, iv in busy:
                    if (rid, iv) not in self.ignore:
                        found[rid] &= ~bits(start, end)
            self._free[day] = found
        return found

    def occupy(self, day: int, rid: str, start: int, end: int) -> None:
        """Mark minutes [start, end) of `day` as taken for resource `rid`."""
        self._free_on(day)[rid] &= ~bits(start, end)

    def release(self, day: int, rid: str, start: int, end: int) -> None:
        """Give back minutes [start, end) of `day` that `occupy` took for resource `rid`."""
        self._free_on(day)[rid] |= bits(start, end) & self.working(day)[rid]
