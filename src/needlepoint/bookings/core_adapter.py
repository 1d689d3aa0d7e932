"""Rows to the scheduling core: a location's calendar and the core's appointment types.

Resource ids are the ones `Hold.resource` stores: "practitioner:<user id>", "room:<id>",
"device:<id>", so a proposal's holds can be written back as they are and the busy intervals
read from the holds line up with the calendar's resources."""

import datetime as dt
import zoneinfo
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from needlepoint import scheduling
from needlepoint.bookings.models import AppointmentKind, AppointmentType, Hold, Location, PractitionerProfile
from needlepoint.clinic.models import Course, Device, Room
from needlepoint.clinic.services import ServiceError

PRP_ADJUNCTS = frozenset({"prp", "prf"})


def practitioner_resource(user_id: int) -> str:
    return f"practitioner:{user_id}"


def room_resource(room_id: int) -> str:
    return f"room:{room_id}"


def device_resource(device_id: int) -> str:
    return f"device:{device_id}"


def resource_pk(resource: str | None) -> int | None:
    """Return the row id in a resource id ("room:7" -> 7), or None."""
    return int(resource.partition(":")[2]) if resource else None


def location_zone(location: Location) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(location.time_zone)


def day_start(zone: zoneinfo.ZoneInfo, day: dt.date) -> dt.datetime:
    """Return local midnight of `day` in `zone` as an aware datetime."""
    return dt.datetime.combine(day, dt.time(0), tzinfo=zone)


def calendar_for(
    *, location: Location, start: dt.date, end: dt.date, ignore: Iterable[int] = ()
) -> scheduling.Calendar:
    """Return the core calendar of `location` with every active hold overlapping the local days
    [start, end) as busy, except the holds of the appointments whose ids are in `ignore` (a
    course being rearranged does not stand in its own way)."""
    zone = location_zone(location)
    profiles = (
        PractitionerProfile.objects.filter(location=location, active=True)
        .select_related("user")
        .order_by("user_id")
    )
    rooms = list(Room.objects.filter(location=location).order_by("id"))
    devices = list(Device.objects.filter(location=location).order_by("id"))
    ids = (
        [practitioner_resource(p.user_id) for p in profiles]
        + [room_resource(r.pk) for r in rooms]
        + [device_resource(d.pk) for d in devices]
    )
    busy = _busy(ids, day_start(zone, start), day_start(zone, end), frozenset(ignore))
    return scheduling.Calendar(
        zone=zone,
        hours=scheduling.WeeklyHours.parse(location.opening_hours),
        practitioners=tuple(_practitioner(p, busy) for p in profiles),
        rooms=tuple(
            scheduling.Room(room_resource(r.pk), r.kind, r.name, busy[room_resource(r.pk)]) for r in rooms
        ),
        devices=tuple(
            scheduling.Device(device_resource(d.pk), d.kind, busy[device_resource(d.pk)]) for d in devices
        ),
        closures=tuple(
            scheduling.Closure(c.first, c.last, c.reason)
            for c in location.closures.filter(last__gte=start, first__lt=end)
        ),
        slot_minutes=location.slot_minutes,
    )


def _practitioner(
    profile: PractitionerProfile, busy: dict[str, tuple[scheduling.Interval, ...]]
) -> scheduling.Practitioner:
    rid = practitioner_resource(profile.user_id)
    name = profile.user.get_full_name() or profile.user.get_username()
    return scheduling.Practitioner(
        rid,
        name,
        frozenset(profile.skills or ()),
        scheduling.WeeklyHours.parse(profile.working_hours),
        busy[rid],
    )


def _busy(
    ids: list[str], start: dt.datetime, end: dt.datetime, ignore: frozenset[int]
) -> dict[str, tuple[scheduling.Interval, ...]]:
    """Return the active holds of resources `ids` overlapping [start, end), by resource."""
    rows = (
        Hold.objects.filter(active=True, resource__in=ids, starts_at__lt=end, ends_at__gt=start)
        .exclude(appointment_id__in=ignore)
        .order_by("starts_at")
        .values_list("resource", "starts_at", "ends_at")
    )
    out: dict[str, list[scheduling.Interval]] = defaultdict(list)
    for resource, starts_at, ends_at in rows:
        out[resource].append(scheduling.Interval(starts_at, ends_at))
    return defaultdict(tuple, {rid: tuple(ivs) for rid, ivs in out.items()})


def appointment_type_core(row: AppointmentType) -> scheduling.AppointmentType:
    """Return the core's appointment type for `row`, with the row's durations."""
    if row.kind == AppointmentKind.CONSULTATION:
        return scheduling.consultation(minutes=row.minutes)
    if row.kind == AppointmentKind.TREATMENT_PRP:
        return scheduling.prp_session(
            numbing=row.numbing_minutes, draw=row.draw_minutes, spin=row.spin_minutes, treatment=row.minutes
        )
    return scheduling.treatment_session(numbing=row.numbing_minutes, treatment=row.minutes)


def course_has_prp(plan: dict[str, Any]) -> bool:
    """True when the plan's chosen adjuncts include PRP or PRF (a blood draw and a spin)."""
    return any(a.get("code") in PRP_ADJUNCTS and a.get("selected") for a in plan.get("adjuncts") or [])


def appointment_type_for_course(course: Course) -> AppointmentType:
    """Return the clinic's appointment type for the course's sessions: with PRP/PRF when the
    plan chose it, else the plain microneedling session. ServiceError when there is none."""
    prp = course_has_prp(course.plan or {})
    kind = AppointmentKind.TREATMENT_PRP if prp else AppointmentKind.TREATMENT
    found = AppointmentType.objects.filter(kind=kind).order_by("id").first()
    if found is None:
        what = "microneedling session with PRP/PRF" if prp else "microneedling session"
        raise ServiceError(
            f"The clinic has no appointment type for a {what}: add one "
            "under clinic resources before booking this course.",
            field="appointment_type",
        )
    return found
