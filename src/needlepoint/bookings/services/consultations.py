"""Booking a consultation, for a registered patient or straight from a visitor's inquiry, in the
same calendar as the courses: the clinic's consultation visit (its length from the
`consultation` appointment type) needs a practitioner who works then and a consultation room,
both free; the search and the database's double-booking guard are the ones courses use.

The front desk chooses a day (and, if the patient says so, a time of day or a practitioner);
the search proposes the earliest free consultation from that day on (within
`SEARCH_DAYS`) and a few alternatives, each signed; confirming books exactly what was shown.

Booking from an inquiry registers the visitor as a patient first (their answers become the
first intake) when that has not been done, and is the only way the inquiry becomes
"consultation booked": cancelling that consultation puts the inquiry back in the queue as
"contacted" (`cancel.appointment_cancel`)."""

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from needlepoint import scheduling
from needlepoint.accounts.models import User
from needlepoint.audit.services import audit_record
from needlepoint.bookings.core_adapter import (
    appointment_type_core,
    calendar_for,
    location_zone,
    practitioner_resource,
)
from needlepoint.bookings.models import Appointment, AppointmentKind, AppointmentType, Location
from needlepoint.bookings.services import ServiceError
from needlepoint.bookings.services._common import (
    database_settles,
    default_location,
    local_today,
    past_is_busy,
    practitioner_message,
    resource_names,
    sign,
    slot_payload,
    unsign,
)
from needlepoint.bookings.services.book import insert_holds, location_and_type, main_resource
from needlepoint.bookings.services.preferences import Preferences
from needlepoint.bookings.services.search import ProposedSession, proposed_session
from needlepoint.clinic.models import Inquiry, InquiryStatus, Patient
from needlepoint.clinic.services import require_role, validated
from needlepoint.clinic.services.inquiries import OPEN_STATUSES, inquiry_convert
from needlepoint.words import human_when

CONSULTATION_SALT = "bookings.consultation"
SEARCH_DAYS = 14
"""How far past the chosen day the search looks for a free consultation."""


@dataclass(frozen=True)
class ConsultationProposal:
    visit: ProposedSession
    token: str


@dataclass(frozen=True)
class ConsultationOptions:
    proposals: tuple[ConsultationProposal, ...]
    why_not: tuple[str, ...]


def consultation_type() -> AppointmentType:
    """The clinic's consultation visit; ServiceError when it has none."""
    found = AppointmentType.objects.filter(kind=AppointmentKind.CONSULTATION).order_by("id").first()
    if found is None:
        raise ServiceError(
            "The clinic has no consultation visit type yet: add one under clinic resources "
            "before booking consultations.",
            field="appointment_type",
        )
    return found


def _for_whom(patient: Patient | None, inquiry: Inquiry | None) -> tuple[Patient | None, Inquiry | None]:
    """Check who the consultation is for: a patient, or an open inquiry (with its patient, if
    registered). ServiceError otherwise."""
    if (patient is None) == (inquiry is None):
        raise ServiceError("Book a consultation for one patient or one inquiry.", field="patient")
    if inquiry is None:
        return patient, None
    inquiry = Inquiry.objects.select_related("patient").get(pk=inquiry.pk)
    if inquiry.status not in OPEN_STATUSES:
        raise ServiceError(
            f"This inquiry is {inquiry.get_status_display().lower()}: a consultation is "
            "booked only for an open inquiry.",
            field="inquiry",
        )
    return inquiry.patient, inquiry


def consultation_options(
    *,
    actor: User,
    day: dt.date,
    preferences: Preferences | None = None,
    patient: Patient | None = None,
    inquiry: Inquiry | None = None,
    location: Location | None = None,
    alternatives: int = 3,
) -> ConsultationOptions:
    """Return the earliest free consultation on or after `day` (within SEARCH_DAYS) and up to
    `alternatives` others, or why there is none. Refused: not clinic staff, a day gone by, a
    closed inquiry, no consultation visit type or location. Looking is audited."""
    require_role(actor, doing="book a consultation")
    preferences = preferences or Preferences()
    patient, inquiry = _for_whom(patient, inquiry)
    location = default_location(location)
    type_row = consultation_type()
    zone = location_zone(location)
    if day < local_today(zone):
        raise ServiceError("Choose a day from today on: that day has passed.", field="day")
    who = practitioner_resource(preferences.practitioner_id) if preferences.practitioner_id else None
    request = scheduling.CourseRequest(
        appointment_type_core(type_row),
        1,
        1,
        1,
        day,
        first_within_days=SEARCH_DAYS,
        weekdays=frozenset(preferences.weekdays),
        times=tuple(preferences.times),
        practitioner=who,
        patient=str(patient.pk) if patient else f"inquiry {inquiry.pk if inquiry else ''}",
    )
    calendar = past_is_busy(
        calendar_for(location=location, start=day, end=day + dt.timedelta(days=SEARCH_DAYS + 1)),
        timezone.now(),
    )
    try:
        found = scheduling.search(request, calendar, alternatives=alternatives)
    except scheduling.SchedulingError as exc:
        raise ServiceError(practitioner_message(exc), field=exc.field) from None
    audit_record(
        actor=actor,
        action="view",
        obj=inquiry if patient is None else patient,
        summary=f"looked for consultation times from {day.isoformat()}",
    )
    if found.course is None:
        return ConsultationOptions((), found.why_not)
    names = resource_names(calendar)
    target = {
        "patient": patient.pk if patient and inquiry is None else None,
        "inquiry": inquiry.pk if inquiry else None,
        "location": location.pk,
        "type": type_row.pk,
    }
    return ConsultationOptions(
        tuple(
            ConsultationProposal(
                proposed_session(c.sessions[0], 1, names),
                sign({**target, "visit": slot_payload(c.sessions[0], 1)}, CONSULTATION_SALT),
            )
            for c in (found.course, *found.alternatives)
        ),
        (),
    )


def consultation_book(*, actor: User, token: str) -> Appointment:
    """Book the consultation a proposal `token` showed and return its appointment. From an
    inquiry: the visitor is registered as a patient if they are not yet, and the inquiry
    becomes "consultation booked". All or nothing; BookingConflict when the time was taken
    meanwhile, ServiceError for an old or damaged token or an inquiry closed meanwhile."""
    require_role(actor, doing="book a consultation")
    data = unsign(token, CONSULTATION_SALT, "consultation times")
    with database_settles():
        return _book(actor, data)


def _book(actor: User, data: dict[str, Any]) -> Appointment:
    location, type_row = location_and_type(data)
    inquiry = (
        Inquiry.objects.select_for_update().filter(pk=data["inquiry"]).first() if data["inquiry"] else None
    )
    patient = Patient.objects.filter(pk=data["patient"]).first() if data["patient"] else None
    patient, inquiry = _for_whom(patient, inquiry)
    if inquiry is not None and patient is None:
        patient = inquiry_convert(inquiry=inquiry, actor=actor)
    if patient is None:
        raise ServiceError("The patient's record is gone.", field="patient")
    visit = data["visit"]
    start = dt.datetime.fromisoformat(visit["start"])
    if start <= timezone.now():
        raise ServiceError("That time has passed: search again.", field="token")
    appointment = Appointment(
        patient=patient,
        inquiry=inquiry,
        appointment_type=type_row,
        location=location,
        starts_at=start,
        ends_at=dt.datetime.fromisoformat(visit["end"]),
        room_id=main_resource(visit["holds"], "room"),
        practitioner_id=main_resource(visit["holds"], "practitioner"),
        created_by=actor,
    )
    validated(appointment).save()
    insert_holds([(appointment, visit)])
    audit_record(
        actor=actor,
        action="create",
        obj=appointment,
        summary=f"booked a consultation for {human_when(start, location_zone(location))}",
    )
    if inquiry is not None:
        _mark_booked(inquiry, actor)
    return appointment


def _mark_booked(inquiry: Inquiry, actor: User) -> None:
    updated = Inquiry.objects.filter(pk=inquiry.pk, status__in=OPEN_STATUSES).update(
        status=InquiryStatus.BOOKED
    )
    if updated != 1:
        raise ServiceError("This inquiry was closed or booked by someone else meanwhile.", field="inquiry")
    audit_record(actor=actor, action="change", obj=inquiry, summary="status booked: consultation booked")
