"""Day and week calendars of a location, by practitioner or by room (clinic staff only; patients
and visitors get 404).

The grid covers the location's opening hours (stretched to any appointment outside them) in
rows of the location's slot length, in the location's time zone. Each column is a practitioner
or a room (day view) or a day (week view, for one practitioner or room); what fills it is the
resources the appointments hold — so a PRP session shows the blood draw and the treatment in the
practitioner's column, the numbing chair and the treatment room in the rooms' columns. Entries
show the time, the patient's name, the visit type and session number and the visit's status
(arrived, attended, did not attend): the schedule, never clinical notes, for every role. A
treatment's entries that start after the patient's arrival (the practitioner's, the treatment
room's) also show the arrival time the patient was given: numbing comes first. Cancelled visits
(late or not) are hidden unless asked for, then shown struck through. The page reads a fixed
number of rows whatever the number of appointments."""

import datetime as dt
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django import forms
from django.db.models import F, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, path, reverse
from django.utils import timezone

from needlepoint.audit.services import audit_record
from needlepoint.bookings.models import (
    CANCELLED,
    LIVE,
    AppointmentStatus,
    Closure,
    Hold,
    Location,
    PractitionerProfile,
)
from needlepoint.clinic.access import require_staff
from needlepoint.clinic.models import Room
from needlepoint.scheduling import WeeklyHours

TEMPLATE = "bookings/calendar/calendar.html"
SHOWN = (*LIVE, AppointmentStatus.NO_SHOW)
"""Visits shown by default: booked, arrived, attended and missed (with their status)."""
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


class CalendarForm(forms.Form):
    """What to show; every field optional, bad values fall back to the defaults with a message."""

    date = forms.DateField(
        label="Date",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": "Date: enter a real date (YYYY-MM-DD)."},
    )
    by = forms.ChoiceField(
        label="Show by", required=False, choices=[("practitioner", "Practitioner"), ("room", "Room")]
    )
    who = forms.CharField(label="Practitioner or room", required=False, widget=forms.Select)
    location = forms.CharField(label="Location", required=False, widget=forms.Select)
    cancelled = forms.BooleanField(label="Show cancelled visits", required=False)

    def __init__(self, *args: Any, locations: list[Location], columns: list["Resource"], **kwargs: Any):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.fields["location"].widget.choices = [(loc.pk, loc.name) for loc in locations]
        self.fields["who"].widget.choices = [(c.key, c.label) for c in columns]


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
    def appointment(self) -> Any:
        return self.hold.appointment

    @property
    def cancelled(self) -> bool:
        return bool(self.hold.appointment.is_cancelled)

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
    columns: list[Column]
    rows: list[tuple[str, list[Cell]]]
    count: int


# ---------------------------------------------------------------------------------------------
# The grid
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


# ---------------------------------------------------------------------------------------------
# Reading the calendar
# ---------------------------------------------------------------------------------------------


def _resources(location: Location, by: str) -> list[Resource]:
    if by == "room":
        return [
            Resource(f"room:{r.pk}", r.name)
            for r in Room.objects.filter(location=location).order_by("kind", "name")
        ]
    profiles = (
        PractitionerProfile.objects.filter(location=location, active=True)
        .select_related("user")
        .order_by("user__last_name", "user__first_name", "user__username")
    )
    return [
        Resource(f"practitioner:{p.user_id}", p.user.get_full_name() or p.user.get_username())
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


def _columns(week: bool, day: dt.date, resources: list[Resource], who: str) -> list[Column]:
    if not week:
        return [Column(r.label, day, (r.key,)) for r in resources]
    monday = day - dt.timedelta(days=day.weekday())
    chosen = next((r for r in resources if r.key == who), resources[0] if resources else None)
    keys = (chosen.key,) if chosen else ()
    return [
        Column(
            f"{DAY_NAMES[k][:3]} {monday + dt.timedelta(days=k):%d %b}", monday + dt.timedelta(days=k), keys
        )
        for k in range(7)
    ]


def _link(name: str, params: dict[str, Any], **changes: Any) -> str:
    query = {k: v for k, v in {**params, **changes}.items() if v not in ("", None, False)}
    return reverse(name) + "?" + urlencode(query)


def _page(request: HttpRequest, *, week: bool) -> HttpResponse:
    require_staff(request)
    locations = list(Location.objects.order_by("name"))
    name = "bookings:calendar_week" if week else "bookings:calendar"
    if not locations:
        return render(request, TEMPLATE, {"week": week, "no_location": True, "view_name": name})
    raw = request.GET
    location = next((loc for loc in locations if str(loc.pk) == raw.get("location")), locations[0])
    by = "room" if raw.get("by") == "room" else "practitioner"
    resources = _resources(location, by)
    form = CalendarForm(raw or None, locations=locations, columns=resources)
    valid = form.is_valid() if form.is_bound else True
    data = form.cleaned_data if form.is_bound and valid else {}
    zone = ZoneInfo(location.time_zone)
    day = data.get("date") or timezone.now().astimezone(zone).date()
    cancelled = bool(data.get("cancelled"))
    who = next((r.key for r in resources if r.key == data.get("who")), resources[0].key if resources else "")
    columns = _columns(week, day, resources, who)
    first, last = columns[0].day if columns else day, columns[-1].day if columns else day
    closed = _closures(location, first, last)
    for c in columns:
        c.closed = closed.get(c.day, "")
    keys = sorted({k for c in columns for k in c.keys})
    holds = _holds(location, keys, first, last, cancelled=cancelled)
    grid = build_grid(location, columns, holds, drop_closed_days=week)
    step = dt.timedelta(days=7 if week else 1)
    params = {
        "location": location.pk if len(locations) > 1 else "",
        "by": by,
        "who": who if week else "",
        "cancelled": "on" if cancelled else "",
    }
    audit_record(
        actor=request.user,
        action="view",
        object_type="bookings.calendar",
        summary=f"{'week' if week else 'day'} of {day.isoformat()} by {by} at {location.name}: "
        f"{grid.count} entries",
    )
    context = {
        "week": week,
        "view_name": name,
        "form": form,
        "location": location,
        "zone": location.time_zone,
        "day": day,
        "by": by,
        "grid": grid,
        "cancelled": cancelled,
        "first": first,
        "last": last,
        "who_label": next((r.label for r in resources if r.key == who), ""),
        "prev_url": _link(name, params, date=(day - step).isoformat()),
        "next_url": _link(name, params, date=(day + step).isoformat()),
        "today_url": _link(name, params),
        "day_url": _link("bookings:calendar", {**params, "who": ""}, date=day.isoformat()),
        "week_url": _link("bookings:calendar_week", {**params, "who": who}, date=day.isoformat()),
        "toggle_url": _link(name, params, date=day.isoformat(), cancelled="" if cancelled else "on"),
        "invalid": form.is_bound and not valid,
    }
    template = TEMPLATE + "#calendar" if request.htmx else TEMPLATE  # type: ignore[attr-defined]
    return render(request, template, context, status=400 if context["invalid"] else 200)


def calendar_day(request: HttpRequest) -> HttpResponse:
    """One day of the location, a column per practitioner (or per room)."""
    return _page(request, week=False)


def calendar_week(request: HttpRequest) -> HttpResponse:
    """One week (Monday first) of one practitioner (or room), a column per day."""
    return _page(request, week=True)


urls: list[URLPattern] = [
    path("calendar/", calendar_day, name="calendar"),
    path("calendar/week/", calendar_week, name="calendar_week"),
]
