"""The bit-mask index: minutes as bits, runs of free minutes, busy times sorted by local day,
free minutes per resource and day."""

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st
from scheduling_helpers import LONDON, MN, at, busy, clinic

from needlepoint.scheduling.index import (
    BusyIndex,
    DayIndex,
    aware,
    bits,
    grid_bits,
    lowest_bits,
    run_starts,
    spans_bits,
)
from needlepoint.scheduling.model import Closure, Interval, Practitioner, Room, Span, WeeklyHours

MON = dt.date(2026, 6, 1)
DAY = MON.toordinal()


def _runs(mask: int) -> list[tuple[int, int]]:
    """Return the [start, end) runs of set bits, for readable assertions."""
    out, m = [], 0
    while m < 1440:
        if mask >> m & 1:
            end = m
            while end < 1440 and mask >> end & 1:
                end += 1
            out.append((m, end))
            m = end
        else:
            m += 1
    return out


def test_it_turns_minutes_into_bits() -> None:
    assert bits(2, 5) == 0b11100
    assert bits(5, 5) == 0 and bits(6, 5) == 0
    assert spans_bits([Span(0, 2), Span(4, 5)]) == 0b10011
    assert list(lowest_bits(0b101001)) == [0, 3, 5]
    assert list(lowest_bits(grid_bits(240))) == [0, 240, 480, 720, 960, 1200]


@settings(max_examples=300, deadline=None)
@given(st.integers(0, (1 << 200) - 1), st.integers(1, 120))
def test_it_finds_every_start_of_a_free_run(mask: int, length: int) -> None:
    naive = sum(1 << m for m in range(200) if all(mask >> k & 1 for k in range(m, m + length)))
    assert run_starts(mask, length) == naive


def test_it_makes_wall_clock_datetimes() -> None:
    assert aware(LONDON, DAY, 9 * 60 + 30) == at(MON, "09:30")
    assert aware(LONDON, DAY, 1440) == at("2026-06-02", "00:00")


def test_it_sorts_busy_times_by_local_day_rounding_outwards() -> None:
    late = Interval(
        dt.datetime(2026, 6, 1, 22, 10, 30, tzinfo=dt.UTC),  # 23:10:30 BST
        dt.datetime(2026, 6, 2, 0, 20, 1, tzinfo=dt.UTC),
    )  # 01:20:01 BST next day
    index = BusyIndex(LONDON, {"t1": (late,)})
    assert [(s, e) for s, e, _ in index.on(DAY)["t1"]] == [(23 * 60 + 10, 1440)]
    assert [(s, e) for s, e, _ in index.on(DAY + 1)["t1"]] == [(0, 81)]
    assert index.on(DAY + 2) == {}


def test_it_knows_each_resources_free_minutes() -> None:
    ben = Practitioner(
        "ben",
        "Ben",
        MN,
        WeeklyHours.parse("mon 10:00-12:00 13:00-20:00"),
        busy=(busy(MON, "14:00", "15:00"),),
    )
    cal = clinic(
        hours="mon 09:00-18:00",
        practitioners=(ben,),
        rooms=(Room("t1", "treatment", busy=(busy(MON, "09:00", "09:30"),)),),
    )
    index = DayIndex(cal)
    assert _runs(index.open(DAY)) == [(540, 1080)]
    assert _runs(index.working(DAY)["ben"]) == [(600, 720), (780, 1080)]  # his hours inside the clinic's
    assert _runs(index.free(DAY)["ben"]) == [(600, 720), (780, 840), (900, 1080)]
    assert _runs(index.free(DAY)["t1"]) == [(570, 1080)]
    assert index.open(DAY + 1) == 0  # Tuesday: closed


def test_it_treats_ignored_bookings_as_free() -> None:
    taken = busy(MON, "09:00", "09:30")
    cal = clinic(rooms=(Room("t1", "treatment", busy=(taken,)),))
    assert _runs(DayIndex(cal, ignore=frozenset({("t1", taken)})).free(DAY)["t1"]) == [(540, 1080)]


def test_it_closes_on_closure_days() -> None:
    cal = clinic(closures=(Closure(MON, MON, "training"),))
    index = DayIndex(cal)
    assert index.open(DAY) == 0
    assert index.free(DAY)["anna"] == 0 and index.free(DAY)["t1"] == 0
    assert index.open(DAY + 1) != 0


def test_it_takes_and_gives_back_minutes() -> None:
    index = DayIndex(clinic())
    index.occupy(DAY, "t1", 600, 660)
    assert _runs(index.free(DAY)["t1"]) == [(540, 600), (660, 1080)]
    index.release(DAY, "t1", 600, 660)
    assert _runs(index.free(DAY)["t1"]) == [(540, 1080)]
    index.release(DAY, "t1", 1080, 1200)  # never beyond the hours
    assert _runs(index.free(DAY)["t1"]) == [(540, 1080)]


def test_it_shares_one_index_per_calendar() -> None:
    cal = clinic()
    assert cal.day_index is cal.day_index
    assert cal.with_busy({"t1": (busy(MON, "09:00", "10:00"),)}).day_index is not cal.day_index
