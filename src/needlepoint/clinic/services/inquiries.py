"""Public inquiries: a visitor's answers are screened without storing anything; only a request
for a consultation, with the visitor's explicit consent, is stored. The front desk then marks
it contacted, closes it, or registers the visitor as a patient (or adds the inquiry to the
record they already have), with their answers as an intake screened at once."""

import datetime as dt
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone

from needlepoint.audit.services import audit_record
from needlepoint.clinic.models import Inquiry, InquiryStatus, IntakeSource, Patient
from needlepoint.clinic.protocol import screener
from needlepoint.clinic.services import ServiceError, validated
from needlepoint.clinic.services.patients import patient_matches, patient_register
from needlepoint.clinic.services.screening import intake_create, parse_intake_data, screening_run
from needlepoint.clinical.screening import Screening as CoreScreening

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from needlepoint.accounts.models import User

OPEN_STATUSES = (InquiryStatus.NEW, InquiryStatus.CONTACTED)
MEANWHILE = "This inquiry was registered or closed by someone else meanwhile."


def inquiry_screen(answers: dict[str, Any]) -> CoreScreening:
    """Return the core screening of a visitor's answers (an intake in the contract's shape),
    without clearances and without storing anything; raise ServiceError naming the field."""
    return screener().screen(parse_intake_data(answers))


@transaction.atomic
def inquiry_create(
    *,
    first_name: str,
    last_name: str,
    email: str,
    phone: str = "",
    answers: dict[str, Any],
    consented: bool,
    actor: "User | AnonymousUser | None" = None,
) -> Inquiry:
    """Store a request for a consultation with the answers and the screening they were shown
    (screened again here, so what is stored is exactly what the protocol says). Refused
    without the visitor's consent: then nothing is stored."""
    if not consented:
        raise ServiceError(
            "Tick the box to agree that we store your answers and contact you; without it nothing is stored.",
            field="consent",
        )
    result = inquiry_screen(answers)
    inquiry = Inquiry(
        first_name=first_name.strip(),
        last_name=last_name.strip(),
        email=email.strip(),
        phone=phone.strip(),
        answers=answers,
        screening=result.as_dict(),
        consented_at=timezone.now(),
    )
    validated(inquiry, exclude=["patient"], labelled=True)
    inquiry.save()
    audit_record(
        actor=actor, action="create", obj=inquiry, summary=f"consultation request, shown {result.decision}"
    )
    return inquiry


def _transition(inquiry: Inquiry, *, allowed: Iterable[str], to: str, actor: "User", refused: str) -> Inquiry:
    """Move `inquiry` to status `to` if it is still in one of `allowed` (settled by the
    database: a conditional update), else raise ServiceError with `refused`."""
    updated = Inquiry.objects.filter(pk=inquiry.pk, status__in=list(allowed)).update(status=to)
    if updated != 1:
        raise ServiceError(refused, field="status")
    inquiry.status = to
    audit_record(actor=actor, action="change", obj=inquiry, summary=f"status {to}")
    return inquiry


@transaction.atomic
def inquiry_mark_contacted(*, inquiry: Inquiry, actor: "User") -> Inquiry:
    """Record that the front desk has contacted the visitor."""
    return _transition(
        inquiry,
        allowed=(InquiryStatus.NEW,),
        to=InquiryStatus.CONTACTED,
        actor=actor,
        refused="This inquiry is no longer new.",
    )


@transaction.atomic
def inquiry_close(*, inquiry: Inquiry, actor: "User") -> Inquiry:
    """Close the inquiry: it leaves the queue."""
    return _transition(
        inquiry,
        allowed=(*OPEN_STATUSES, InquiryStatus.BOOKED),
        to=InquiryStatus.CLOSED,
        actor=actor,
        refused="This inquiry is already closed.",
    )


def _birth_date(inquiry: Inquiry) -> dt.date:
    try:
        return dt.date.fromisoformat(inquiry.answers["patient"]["birth_date"])
    except (KeyError, TypeError, ValueError):
        raise ServiceError("The inquiry has no usable date of birth.", field="birth_date") from None


def inquiry_matches(inquiry: Inquiry) -> list[Patient]:
    """Return the records that may be the visitor's (same name and date of birth, or email)."""
    return patient_matches(
        first_name=inquiry.first_name,
        last_name=inquiry.last_name,
        birth_date=_birth_date(inquiry),
        email=inquiry.email,
    )


def _registered(inquiry: Inquiry, existing: Patient | None, duplicate_reason: str, actor: "User") -> Patient:
    """Return the patient the inquiry belongs to: `existing` (which must be one of the
    matching records), or a new record (refused with PossibleDuplicate when one matches)."""
    if existing is None:
        return patient_register(
            first_name=inquiry.first_name,
            last_name=inquiry.last_name,
            birth_date=_birth_date(inquiry),
            email=inquiry.email,
            phone=inquiry.phone,
            actor=actor,
            duplicate_reason=duplicate_reason,
        )
    if existing.pk not in {p.pk for p in inquiry_matches(inquiry)}:
        raise ServiceError(
            "That record's name and date of birth, or email, do not match this "
            "inquiry: choose one of the matching records.",
            field="patient",
        )
    return existing


@transaction.atomic
def inquiry_convert(
    *, inquiry: Inquiry, actor: "User", existing: Patient | None = None, duplicate_reason: str = ""
) -> Patient:
    """Register the visitor as a patient (name, birth date, email, phone), or add the inquiry
    to `existing`, one of the records that match it; store their answers as the next intake
    (source "inquiry") and screen it at once; link the inquiry to the patient and return it.

    Refused for a closed inquiry or one already registered, and with PossibleDuplicate when a
    record matches and neither `existing` nor a `duplicate_reason` is given; all-or-nothing."""
    if inquiry.status == InquiryStatus.CLOSED:
        raise ServiceError("This inquiry is closed.", field="status")
    if inquiry.patient_id is not None:
        raise ServiceError("This inquiry is already registered as a patient.", field="patient")
    fresh = Inquiry.objects.select_for_update().get(pk=inquiry.pk)
    if fresh.patient_id is not None or fresh.status == InquiryStatus.CLOSED:
        raise ServiceError(MEANWHILE, field="patient")
    patient = _registered(inquiry, existing, duplicate_reason, actor)
    intake = intake_create(patient=patient, data=inquiry.answers, source=IntakeSource.INQUIRY, actor=actor)
    screening_run(intake=intake, actor=actor)
    linked = (
        Inquiry.objects.filter(pk=inquiry.pk, patient__isnull=True)
        .exclude(status=InquiryStatus.CLOSED)
        .update(patient=patient)
    )
    if linked != 1:  # someone registered or closed it meanwhile: undo everything
        raise ServiceError(MEANWHILE, field="patient")
    inquiry.patient = patient
    audit_record(
        actor=actor,
        action="change",
        obj=inquiry,
        patient_id=patient.pk,
        summary="registered as patient"
        if existing is None
        else f"added to existing record {patient.record_number}",
    )
    return patient
