"""Dates, times and lists in the words patients and staff read, one way everywhere: "5 March
2027" (never "05 March"), "Monday 5 March 2027 at 14:30", "a, b and c". Pure: no Django, no
locale (month and day names are English whatever the machine's locale)."""

import datetime as dt
from collections.abc import Sequence
from zoneinfo import ZoneInfo

MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def human_date(day: dt.date) -> str:
    """'1 March 2027'."""
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def human_day(day: dt.date) -> str:
    """'Monday 1 March 2027'."""
    return f"{WEEKDAYS[day.weekday()]} {human_date(day)}"


def human_when(moment: dt.datetime, zone: ZoneInfo | str) -> str:
    """A moment on the wall clock of `zone`: 'Monday 1 March 2027 at 09:30'."""
    local = moment.astimezone(ZoneInfo(zone) if isinstance(zone, str) else zone)
    return f"{human_day(local.date())} at {local:%H:%M}"


def human_list(items: Sequence[str]) -> str:
    """'a', 'a and b', 'a, b and c' ('' for no items)."""
    if not items:
        return ""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]
