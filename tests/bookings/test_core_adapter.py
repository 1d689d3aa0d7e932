"""Rows to the scheduling core: a location's calendar (hours, closures, practitioners, rooms,
devices, busy holds) and the appointment types a course is booked with."""

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from needlepoint import scheduling
from needlepoint.bookings.core_adapter import appointment_type_core, appointment_type_for_course, calendar_for
from needlepoint.bookings.models import (
    Appointment,
    AppointmentKind,
    AppointmentType,
    Closure,
    Hold,
    Location,
    PractitionerProfile,
)
from needlepoint.clinic.models import Course, Device, Room
from needlepoint.clinic.services import ServiceError

LONDON = ZoneInfo("Europe/London")
DEC_1 = dt.date(2026, 12, 1)


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 12, day, hour, minute, tzinfo=LONDON)


def appointment(personas: Any, clinic: Any, start: dt.datetime) -> Appointment:
    return Appointment.objects.create(
        patient=personas.record_a,
        appointment_type=clinic.consultation,
        location=clinic.location,
        starts_at=start,
        ends_at=start + dt.timedelta(minutes=30),
        created_by=personas.front_desk,
    )


def hold(
    appt: Appointment, resource: str, start: dt.datetime, minutes: int = 30, active: bool = True
) -> Hold:
    return Hold.objects.create(
        appointment=appt,
        resource=resource,
        role=resource.split(":")[0],
        kind="consult",
        step="consultation",
        starts_at=start,
        ends_at=start + dt.timedelta(minutes=minutes),
        active=active,
    )


def test_it_maps_the_locations_resources_with_the_ids_holds_use(clinic, personas):
    cal = calendar_for(location=clinic.location, start=DEC_1, end=dt.date(2026, 12, 31))
    assert cal.zone == LONDON and cal.slot_minutes == 15
    assert cal.hours == scheduling.WeeklyHours.parse("mon-fri 09:00-18:00; sat 09:00-13:00")
    paula = cal.practitioner(f"practitioner:{personas.practitioner.pk}")
    assert (paula.name, paula.skills) == ("Paula", frozenset({"microneedling", "prp_draw"}))
    assert paula.hours == scheduling.WeeklyHours.parse("mon-fri 09:00-17:00")
    maria = cal.practitioner(f"practitioner:{personas.director.pk}")
    assert maria.skills == frozenset({"microneedling"}) and maria.hours.on(0) == ()
    assert {(r.id, r.kind, r.name) for r in cal.rooms} == {
        *((f"room:{r.pk}", "treatment", r.name) for r in clinic.treatment_rooms),
        *((f"room:{r.pk}", "numbing", r.name) for r in clinic.numbing_chairs),
        (f"room:{clinic.consult_room.pk}", "consult", "Consultation room"),
    }
    assert sorted((d.id, d.kind) for d in cal.devices) == sorted(
        [(f"device:{p.pk}", "pen") for p in clinic.pens] + [(f"device:{clinic.centrifuge.pk}", "centrifuge")]
    )
    assert all(r.busy == () for r in cal.resources)


def test_it_leaves_out_other_locations_and_inactive_practitioners(clinic, personas):
    elsewhere = Location.objects.create(name="Second site", opening_hours="mon-fri 10:00-16:00")
    Room.objects.create(name="Far room", kind="treatment", location=elsewhere)
    Device.objects.create(name="Far pen", kind="pen", serial="FAR-1", location=elsewhere)
    Room.objects.create(name="Store room", kind="treatment")  # no location: never booked
    PractitionerProfile.objects.filter(user=personas.director).update(active=False)
    cal = calendar_for(location=clinic.location, start=DEC_1, end=dt.date(2026, 12, 8))
    assert [p.name for p in cal.practitioners] == ["Paula"]
    assert "Far room" not in {r.name for r in cal.rooms} and "Store room" not in {r.name for r in cal.rooms}
    assert len(cal.devices) == 3
    there = calendar_for(location=elsewhere, start=DEC_1, end=dt.date(2026, 12, 8))
    assert [r.name for r in there.rooms] == ["Far room"] and there.practitioners == ()


def test_it_marks_active_holds_in_range_as_busy(clinic, personas):
    room = f"room:{clinic.consult_room.pk}"
    paula = f"practitioner:{personas.practitioner.pk}"
    mine = appointment(personas, clinic, at(2, 10))
    hold(mine, room, at(2, 10))
    hold(mine, paula, at(2, 10))
    hold(appointment(personas, clinic, at(3, 10)), room, at(3, 10), active=False)  # cancelled
    hold(appointment(personas, clinic, at(20, 10)), room, at(20, 10))  # after the range
    hold(appointment(personas, clinic, at(1, 0)), room, at(1, 0) - dt.timedelta(minutes=15))  # runs into it
    cal = calendar_for(location=clinic.location, start=DEC_1, end=dt.date(2026, 12, 10))
    busy = {r.id: r.busy for r in cal.resources}
    assert busy[room] == (
        scheduling.Interval(at(1, 0) - dt.timedelta(minutes=15), at(1, 0, 15)),
        scheduling.Interval(at(2, 10), at(2, 10, 30)),
    )
    assert busy[paula] == (scheduling.Interval(at(2, 10), at(2, 10, 30)),)
    ignoring = calendar_for(
        location=clinic.location, start=DEC_1, end=dt.date(2026, 12, 10), ignore=[mine.pk]
    )
    assert {r.id: r.busy for r in ignoring.resources}[paula] == ()
    assert len({r.id: r.busy for r in ignoring.resources}[room]) == 1


def test_it_reads_closures_that_touch_the_range(clinic):
    Closure.objects.create(
        location=clinic.location, first=dt.date(2026, 12, 24), last=dt.date(2027, 1, 2), reason="Christmas"
    )
    Closure.objects.create(location=clinic.location, first=dt.date(2027, 4, 2), last=dt.date(2027, 4, 5))
    cal = calendar_for(location=clinic.location, start=dt.date(2026, 12, 28), end=dt.date(2027, 1, 31))
    assert cal.closures == (scheduling.Closure(dt.date(2026, 12, 24), dt.date(2027, 1, 2), "Christmas"),)
    assert cal.closure_on(dt.date(2027, 1, 1)) is not None


def test_it_turns_appointment_types_into_the_cores_steps(clinic):
    plain = appointment_type_core(clinic.treatment)
    assert [(s.name, s.offset, s.minutes) for s in plain.steps] == [("numbing", 0, 30), ("treatment", 30, 60)]
    prp = appointment_type_core(clinic.treatment_prp)
    assert [(s.name, s.offset, s.minutes) for s in prp.steps] == [
        ("numbing", 0, 30),
        ("blood draw", 0, 10),
        ("spin", 10, 15),
        ("treatment", 30, 60),
    ]
    consult = appointment_type_core(clinic.consultation)
    assert consult.minutes == 30 and consult.steps[0].room == "consult"
    no_numbing = AppointmentType.objects.create(
        code="quick", name="Quick", kind=AppointmentKind.TREATMENT, minutes=45
    )
    assert [s.name for s in appointment_type_core(no_numbing).steps] == ["treatment"]


def test_it_picks_the_prp_type_only_when_the_plan_chose_prp_or_prf(bookable_course, clinic):
    assert appointment_type_for_course(bookable_course) == clinic.treatment
    for code in ("prp", "prf"):
        plan = {
            **bookable_course.plan,
            "adjuncts": [{**a, "selected": a["code"] == code} for a in bookable_course.plan["adjuncts"]],
        }
        assert appointment_type_for_course(Course(plan=plan)) == clinic.treatment_prp
    glide = {
        **bookable_course.plan,
        "adjuncts": [{**a, "selected": a["code"] == "glide_gel"} for a in bookable_course.plan["adjuncts"]],
    }
    assert appointment_type_for_course(Course(plan=glide)) == clinic.treatment


def test_it_says_when_the_clinic_has_no_type_for_the_course(bookable_course, clinic):
    AppointmentType.objects.filter(kind=AppointmentKind.TREATMENT_PRP).delete()
    plan = {**bookable_course.plan, "adjuncts": [{"code": "prp", "selected": True}]}
    with pytest.raises(ServiceError, match="no appointment type for a microneedling session with PRP") as err:
        appointment_type_for_course(Course(plan=plan))
    assert err.value.field == "appointment_type"
