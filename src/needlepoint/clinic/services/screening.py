"""Intakes and screenings: the clinic's records of the pure core's input and output."""

from typing import Any

from django.db import transaction
from django.db.models import Max

from needlepoint.audit.services import audit_record
from needlepoint.clinic.models import Clearance, Intake, Patient, Screening
from needlepoint.clinic.protocol import clinic_protocol, screener
from needlepoint.clinic.services import ServiceError
from needlepoint.clinical.errors import IntakeError
from needlepoint.clinical.intake import IntakeModel, intake_from_mapping


def parse_intake_data(data: dict[str, Any]) -> IntakeModel:
    """Return the core intake for `data`, or raise ServiceError naming the field at fault."""
    try:
        return intake_from_mapping(data, clinic_protocol().vocabulary_for_intake())
    except IntakeError as exc:
        raise ServiceError(exc.message, field=exc.field) from None


def active_clearances(patient: Patient) -> frozenset[str]:
    """Return the finding codes a doctor has cleared for `patient` (not revoked)."""
    codes = Clearance.objects.filter(patient=patient, revoked_at__isnull=True)
    return frozenset(codes.values_list("finding_code", flat=True))


@transaction.atomic
def intake_create(*, patient: Patient, data: dict[str, Any], source: str, actor: Any) -> Intake:
    """Validate `data` with the clinical core and store it as the patient's next intake version.
    The patient's birth date on the record wins over the one typed into the intake."""
    data = {**data, "patient": {**data.get("patient", {}), "birth_date": patient.birth_date.isoformat()}}
    parse_intake_data(data)
    number = (
        Intake.objects.select_for_update().filter(patient=patient).aggregate(n=Max("number"))["n"] or 0
    ) + 1
    intake = Intake(
        patient=patient,
        number=number,
        data=data,
        source=source,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    intake.full_clean()
    intake.save()
    audit_record(actor=actor, action="create", obj=intake, summary=f"intake version {number}")
    return intake


@transaction.atomic
def screening_run(*, intake: Intake, actor: Any) -> Screening:
    """Screen `intake` with the clinic's protocol, applying the patient's active clearances, and
    store the result with the protocol id and version it was made with."""
    core = parse_intake_data(intake.data)
    cleared = active_clearances(intake.patient)
    result = screener().screen(core, cleared)
    screening = Screening(
        patient=intake.patient,
        intake=intake,
        decision=result.decision,
        earliest_date=result.earliest_date,
        result=result.as_dict(),
        cleared_codes=sorted(cleared),
        protocol_id=result.protocol["id"],
        protocol_version=result.protocol["version"],
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    screening.full_clean()
    screening.save()
    audit_record(actor=actor, action="create", obj=screening, summary=f"decision {result.decision}")
    return screening


def latest_screening(patient: Patient) -> Screening | None:
    """Return the patient's most recent screening, or None."""
    return Screening.objects.filter(patient=patient).order_by("-created_at", "-id").first()
