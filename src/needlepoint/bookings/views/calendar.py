"""Day and week calendars of a location, by practitioner or by room (clinic staff only; patients
and visitors get 404): a column per practitioner or room (day), or per day for one of them
(week). Entries show the schedule, never clinical notes, for every role; cancelled visits are
hidden unless asked for. The grid itself is `selectors.calendar_grid`."""

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django.http import HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, path, reverse
from django.utils import timezone

from needlepoint.audit.services import audit_record
from needlepoint.bookings import selectors
from needlepoint.bookings.forms import CalendarForm
from needlepoint.bookings.grid import Grid
from needlepoint.bookings.models import Location
from needlepoint.clinic.access import require_staff
from needlepoint.web.http import HtmxHttpRequest

TEMPLATE = "bookings/calendar/calendar.html"


def _link(name: str, params: Mapping[str, object], **changes: object) -> str:
    query = {k: v for k, v in {**params, **changes}.items() if v not in ("", None, False)}
    return reverse(name) + "?" + urlencode(query)


def _links(
    name: str, params: Mapping[str, object], *, day: dt.date, week: bool, cancelled: bool
) -> dict[str, str]:
    """The page's links: previous, next, today, day and week views, cancelled shown or not.
    `params` name the location, the view by practitioner or room, the week's resource (`who`,
    kept in the links of the week only) and whether cancelled visits are shown."""
    step = dt.timedelta(days=7 if week else 1)
    own = {**params, "who": params["who"] if week else ""}
    return {
        "prev_url": _link(name, own, date=(day - step).isoformat()),
        "next_url": _link(name, own, date=(day + step).isoformat()),
        "today_url": _link(name, own),
        "day_url": _link("bookings:calendar", {**params, "who": ""}, date=day.isoformat()),
        "week_url": _link("bookings:calendar_week", params, date=day.isoformat()),
        "toggle_url": _link(name, own, date=day.isoformat(), cancelled="" if cancelled else "on"),
    }


@dataclass(frozen=True)
class _Shown:
    """What the page shows: the choices as read from the query, and the grid for them."""

    form: CalendarForm
    location: Location
    by: str
    day: dt.date
    cancelled: bool
    invalid: bool
    grid: Grid


def _shown(request: HtmxHttpRequest, locations: list[Location], *, week: bool) -> _Shown:
    """Read the choices (bad values fall back to the defaults, with a message) and the grid."""
    location = next((loc for loc in locations if str(loc.pk) == request.GET.get("location")), locations[0])
    by = "room" if request.GET.get("by") == "room" else "practitioner"
    resources = selectors.calendar_resources(location, by)
    form = CalendarForm(request.GET or None, locations=locations, columns=resources)
    invalid = form.is_bound and not form.is_valid()
    data = form.cleaned_data if form.is_bound and not invalid else {}
    day = data.get("date") or timezone.now().astimezone(ZoneInfo(location.time_zone)).date()
    cancelled = bool(data.get("cancelled"))
    grid = selectors.calendar_grid(
        location=location,
        day=day,
        resources=resources,
        who=data.get("who", ""),
        week=week,
        cancelled=cancelled,
    )
    return _Shown(form, location, by, day, cancelled, invalid, grid)


def _context(shown: _Shown, *, name: str, week: bool, several: bool) -> dict[str, object]:
    params = {
        "location": shown.location.pk if several else "",
        "by": shown.by,
        "who": shown.grid.who,
        "cancelled": "on" if shown.cancelled else "",
    }
    return {
        "week": week,
        "view_name": name,
        "form": shown.form,
        "location": shown.location,
        "zone": shown.location.time_zone,
        "day": shown.day,
        "by": shown.by,
        "grid": shown.grid,
        "cancelled": shown.cancelled,
        "first": shown.grid.first,
        "last": shown.grid.last,
        "who_label": shown.grid.who_label,
        "invalid": shown.invalid,
        **_links(name, params, day=shown.day, week=week, cancelled=shown.cancelled),
    }


def _page(request: HtmxHttpRequest, *, week: bool) -> HttpResponse:
    require_staff(request)
    name = "bookings:calendar_week" if week else "bookings:calendar"
    locations = selectors.locations()
    if not locations:
        return render(request, TEMPLATE, {"week": week, "no_location": True, "view_name": name})
    shown = _shown(request, locations, week=week)
    audit_record(
        actor=request.user,
        action="view",
        object_type="bookings.calendar",
        summary=f"{'week' if week else 'day'} of {shown.day.isoformat()} by {shown.by} at "
        f"{shown.location.name}: {shown.grid.count} entries",
    )
    context = _context(shown, name=name, week=week, several=len(locations) > 1)
    template = TEMPLATE + "#calendar" if request.htmx else TEMPLATE
    return render(request, template, context, status=400 if shown.invalid else 200)


def calendar_day(request: HtmxHttpRequest) -> HttpResponse:
    """One day of the location, a column per practitioner (or per room)."""
    return _page(request, week=False)


def calendar_week(request: HtmxHttpRequest) -> HttpResponse:
    """One week (Monday first) of one practitioner (or room), a column per day."""
    return _page(request, week=True)


urls: list[URLPattern] = [
    path("calendar/", calendar_day, name="calendar"),
    path("calendar/week/", calendar_week, name="calendar_week"),
]
