"""Laying a calendar's entries into table rows (no database): rows of the slot length over the
opening hours, stretched to an entry outside them; overlapping entries share one cell; closed
days with nothing on them are left out of a week."""

import datetime as dt

from booking_helpers import LONDON

from needlepoint.bookings.grid import Column, build_grid
from needlepoint.bookings.models import Hold, Location

WEDNESDAY = dt.date(2026, 12, 9)


def _location() -> Location:
    return Location(time_zone="Europe/London", opening_hours="mon-fri 09:00-11:00", slot_minutes=30)


def _hold(resource: str, start: str, end: str, day: dt.date = WEDNESDAY) -> Hold:
    at = [dt.datetime.combine(day, dt.time.fromisoformat(t), LONDON) for t in (start, end)]
    return Hold(resource=resource, starts_at=at[0], ends_at=at[1])


def test_it_lays_rows_over_the_opening_hours_and_merges_overlapping_entries():
    column = Column("Paula", WEDNESDAY, ("practitioner:1",))
    holds = [_hold("practitioner:1", "09:30", "10:30"), _hold("practitioner:1", "10:00", "10:30")]
    grid = build_grid(_location(), [column], holds)
    assert [time for time, _ in grid.rows] == ["09:00", "09:30", "10:00", "10:30"]
    cells = [cells[0] for _, cells in grid.rows]
    assert [(c.rowspan, len(c.entries), c.covered) for c in cells] == [
        (1, 0, False),
        (2, 2, False),
        (1, 0, True),
        (1, 0, False),
    ]
    assert grid.count == 2


def test_it_stretches_the_rows_to_an_entry_outside_the_hours_and_skips_other_resources():
    column = Column("Paula", WEDNESDAY, ("practitioner:1",))
    holds = [_hold("practitioner:1", "11:00", "12:00"), _hold("room:1", "09:00", "10:00")]
    grid = build_grid(_location(), [column], holds)
    assert ([time for time, _ in grid.rows][-1], grid.count) == ("11:30", 1)


def test_a_week_leaves_out_closed_days_with_nothing_on_them():
    monday = WEDNESDAY - dt.timedelta(days=2)
    days = [monday + dt.timedelta(days=k) for k in range(7)]
    columns = [Column(str(d), d, ("practitioner:1",)) for d in days]
    saturday = [_hold("practitioner:1", "09:00", "09:30", day=days[5])]
    grid = build_grid(_location(), columns, saturday, drop_closed_days=True)
    assert [c.day.weekday() for c in grid.columns] == [0, 1, 2, 3, 4, 5]


def test_a_closed_empty_day_has_no_rows():
    column = Column("Paula", WEDNESDAY, ("practitioner:1",), closed="training")
    assert build_grid(_location(), [column], []).rows == []
