"""The calendar as a table: its values (resources, entries, cells, columns, the grid) and the
laying of entries into rows of the location's slot length. No queries: `selectors.calendar_grid`
reads the rows and calls `build_grid`."""

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from needlepoint.bookings.models import Appointment, Hold, Location
from needlepoint.scheduling import WeeklyHours


@dataclass(frozen=True)
class Resource:
    """A practitioner or room as a calendar column: `key` names it as holds do."""

    key: str
    label: str


@dataclass
class Entry:
    """One resource held by one appointment, in the location's zone."""

    hold: Hold
    start: dt.datetime
    end: dt.datetime

    @property
    def appointment(self) -> Appointment:
        return self.hold.appointment

    @property
    def cancelled(self) -> bool:
        return self.hold.appointment.is_cancelled

    @property
    def arrival(self) -> dt.datetime | None:
        """The time the patient was asked to come (the start of numbing) when this entry starts
        later, e.g. the treatment in the practitioner's column; None otherwise."""
        start = self.hold.appointment.starts_at
        return start if start < self.hold.starts_at else None


@dataclass
class Cell:
    """A table cell: empty, `covered` by a cell above (not rendered), or entries spanning rows."""

    rowspan: int = 1
    entries: list[Entry] = field(default_factory=list)
    covered: bool = False


@dataclass
class Column:
    label: str
    day: dt.date
    keys: tuple[str, ...]
    closed: str = ""
    entries: list[Entry] = field(default_factory=list)


@dataclass
class Grid:
    """The calendar as a table: its columns, its rows ("09:30" and a cell per column), the
    number of entries shown, the first and last day covered and the practitioner or room of a
    week (`who`, its key; `who_label`, its name)."""

    columns: list[Column]
    rows: list[tuple[str, list[Cell]]]
    count: int
    first: dt.date | None = None
    last: dt.date | None = None
    who: str = ""
    who_label: str = ""


# ---------------------------------------------------------------------------------------------
# Laying entries into rows
# ---------------------------------------------------------------------------------------------


def _minute(t: dt.datetime) -> int:
    return t.hour * 60 + t.minute


def _bounds(hours: WeeklyHours, columns: list[Column], slot: int) -> tuple[int, int] | None:
    """Return the first and last minute of the grid: opening hours of the days shown, stretched
    to every entry; None when the days are closed and empty."""
    spans = [s for c in columns if not c.closed for s in hours.on(c.day.weekday())]
    starts = [s.start for s in spans] + [_minute(e.start) for c in columns for e in c.entries]
    ends = [s.end for s in spans] + [_minute(e.end) or 1440 for c in columns for e in c.entries]
    if not starts:
        return None
    return min(starts) // slot * slot, -(-max(ends) // slot) * slot


def _cells(column: Column, first: int, slot: int, n: int) -> list[Cell]:
    """Lay a column's entries into `n` rows; entries that overlap (a cancelled visit under a
    booked one) share one cell."""
    cells = [Cell() for _ in range(n)]
    spans = sorted(
        (
            (
                max(0, (_minute(e.start) - first) // slot),
                min(n, -(-((_minute(e.end) or 1440) - first) // slot)),
                e,
            )
            for e in column.entries
        ),
        key=lambda x: (x[0], x[1]),
    )
    open_cell: tuple[int, int, list[Entry]] | None = None
    groups: list[tuple[int, int, list[Entry]]] = []
    for lo, hi, entry in spans:
        hi = max(hi, lo + 1)
        if open_cell and lo < open_cell[1]:
            open_cell = (open_cell[0], max(open_cell[1], hi), [*open_cell[2], entry])
            groups[-1] = open_cell
        else:
            open_cell = (lo, hi, [entry])
            groups.append(open_cell)
    for lo, hi, entries in groups:
        cells[lo] = Cell(rowspan=hi - lo, entries=entries)
        for k in range(lo + 1, hi):
            cells[k] = Cell(covered=True)
    return cells


def build_grid(
    location: Location, columns: list[Column], holds: list[Hold], *, drop_closed_days: bool = False
) -> Grid:
    """Place `holds` into `columns` (matched by resource and local day) and return the rows.

    With `drop_closed_days` (the week), days the clinic never opens are left out unless
    something is on them."""
    zone = ZoneInfo(location.time_zone)
    hours = WeeklyHours.parse(location.opening_hours)
    where = {(key, c.day): c for c in columns for key in c.keys}
    count = 0
    for hold in holds:
        start, end = hold.starts_at.astimezone(zone), hold.ends_at.astimezone(zone)
        column = where.get((hold.resource, start.date()))
        if column is not None:
            column.entries.append(Entry(hold, start, end))
            count += 1
    if drop_closed_days:
        columns = [c for c in columns if hours.on(c.day.weekday()) or c.entries] or columns
    slot = location.slot_minutes
    bounds = _bounds(hours, columns, slot)
    if bounds is None:
        return Grid(columns, [], 0)
    first, last = bounds
    n = (last - first) // slot
    per_column = [_cells(c, first, slot, n) for c in columns]
    rows = [
        (f"{(first + k * slot) // 60:02d}:{(first + k * slot) % 60:02d}", [cs[k] for cs in per_column])
        for k in range(n)
    ]
    return Grid(columns, rows, count)
