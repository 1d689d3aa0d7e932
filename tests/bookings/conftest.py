"""Shared fixtures for the booking tests: a clinic with its resources, and courses at the
stages booking cares about (approved and consented; approved without consent).

The clinic: one location open Monday to Saturday, two treatment rooms, a numbing lounge with
two chairs, a consultation room, two pens and a centrifuge; the practitioner (paula) does
microneedling and PRP draws Monday to Friday, the medical director (maria) microneedling on
Tuesdays, Thursdays and Saturdays mornings."""

from dataclasses import dataclass
from typing import Any

import pytest
from booking_helpers import approved_course


@dataclass
class Clinic:
    location: Any
    treatment_rooms: list[Any]
    numbing_chairs: list[Any]
    consult_room: Any
    pens: list[Any]
    centrifuge: Any
    paula: Any  # PractitionerProfile of personas.practitioner
    maria: Any  # PractitionerProfile of personas.director
    treatment: Any  # AppointmentType
    treatment_prp: Any
    consultation: Any


@pytest.fixture
def clinic(personas: Any) -> Clinic:
    from needlepoint.bookings.models import AppointmentKind, AppointmentType, Location, PractitionerProfile
    from needlepoint.clinic.models import Device, Room

    loc = Location.objects.create(
        name="Main clinic", time_zone="Europe/London", opening_hours="mon-fri 09:00-18:00; sat 09:00-13:00"
    )
    rooms = [Room.objects.create(name=f"Treatment room {n}", kind="treatment", location=loc) for n in (1, 2)]
    chairs = [Room.objects.create(name=f"Numbing chair {n}", kind="numbing", location=loc) for n in (1, 2)]
    consult = Room.objects.create(name="Consultation room", kind="consult", location=loc)
    pens = [
        Device.objects.create(name=f"Pen {n}", kind="pen", serial=f"PEN-{n}", location=loc) for n in (1, 2)
    ]
    centrifuge = Device.objects.create(name="Centrifuge", kind="centrifuge", serial="CEN-1", location=loc)
    paula = PractitionerProfile.objects.create(
        user=personas.practitioner,
        location=loc,
        skills=["microneedling", "prp_draw"],
        working_hours="mon-fri 09:00-17:00",
    )
    maria = PractitionerProfile.objects.create(
        user=personas.director,
        location=loc,
        skills=["microneedling"],
        working_hours="tue,thu,sat 09:00-13:00",
    )
    types = {
        "treatment": AppointmentType.objects.create(
            code="microneedling",
            name="Microneedling session",
            kind=AppointmentKind.TREATMENT,
            numbing_minutes=30,
            minutes=60,
        ),
        "treatment_prp": AppointmentType.objects.create(
            code="microneedling-prp",
            name="Microneedling session with PRP",
            kind=AppointmentKind.TREATMENT_PRP,
            numbing_minutes=30,
            draw_minutes=10,
            spin_minutes=15,
            minutes=60,
        ),
        "consultation": AppointmentType.objects.create(
            code="consultation", name="Consultation", kind=AppointmentKind.CONSULTATION, minutes=30
        ),
    }
    return Clinic(loc, rooms, chairs, consult, pens, centrifuge, paula, maria, **types)


@pytest.fixture
def bookable_course(personas: Any, intake_a: dict[str, Any], clinic: Clinic) -> Any:
    """Patient A's approved course (4 sessions, 28-60 days apart) with signed consent."""
    return approved_course(personas, intake_a, personas.record_a, consent=True)


@pytest.fixture
def booked(bookable_course: Any, personas: Any) -> list[Any]:
    """Patient A's course booked whole by the front desk: the earliest course, any day or time
    (modules with their own way of booking define their own `booked`)."""
    from needlepoint.bookings.services.book import course_book
    from needlepoint.bookings.services.preferences import Preferences
    from needlepoint.bookings.services.search import course_options

    found = course_options(course=bookable_course, actor=personas.front_desk, preferences=Preferences())
    assert found.best is not None
    return course_book(course=bookable_course, actor=personas.front_desk, token=found.best.token)


@pytest.fixture
def unconsented_course(personas: Any, intake_a: dict[str, Any], clinic: Clinic) -> Any:
    """Patient B's approved course without a signed consent."""
    return approved_course(personas, intake_a, personas.record_b, consent=False)
