"""Intakes and screenings: the clinic's records of the pure core's input and output. An intake
is stored as the patient's next version and screened as it is saved; a screening is run again
after a protocol update or a change of clearances."""

from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import Max

from needlepoint.audit.services import audit_record
from needlepoint.clinic.models import Clearance, Decision, Intake, IntakeSource, Patient, Screening
from needlepoint.clinic.protocol import clinic_protocol, screener
from needlepoint.clinic.services import ServiceError, require_role, validated
from needlepoint.clinical.errors import IntakeError
from needlepoint.clinical.intake import IntakeModel, intake_from_mapping

if TYPE_CHECKING:
    from needlepoint.accounts.models import User


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
def intake_create(*, patient: Patient, data: dict[str, Any], source: str, actor: "User | None") -> Intake:
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
        created_by=actor if actor is not None and actor.is_authenticated else None,
    )
    validated(intake).save()
    audit_record(actor=actor, action="create", obj=intake, summary=f"intake version {number}")
    return intake


@transaction.atomic
def intake_record(*, patient: Patient, data: dict[str, Any], actor: "User") -> Screening:
    """Store `data` as the patient's next intake version (source "consultation") and screen it;
    return the new screening. Old versions are never edited; nothing is stored when the core
    refuses the intake (ServiceError naming the field)."""
    require_role(actor, clinical=True, doing="record an intake")
    intake = intake_create(patient=patient, data=data, source=IntakeSource.CONSULTATION, actor=actor)
    return screening_run(intake=intake, actor=actor)


@transaction.atomic
def screening_refresh(*, patient: Patient, actor: "User") -> Screening:
    """Screen the patient's latest intake again (after a protocol update or a change of
    clearances) and return the new screening."""
    require_role(actor, clinical=True, doing="screen an intake")
    intake = latest_intake(patient)
    if intake is None:
        raise ServiceError("There is no intake to screen yet: record one first.", field="intake")
    return screening_run(intake=intake, actor=actor)


@transaction.atomic
def screening_run(*, intake: Intake, actor: "User | None") -> Screening:
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
        created_by=actor if actor is not None and actor.is_authenticated else None,
    )
    validated(screening).save()
    audit_record(actor=actor, action="create", obj=screening, summary=f"decision {result.decision}")
    return screening


def latest_screening(patient: Patient) -> Screening | None:
    """Return the patient's most recent screening, or None."""
    return Screening.objects.filter(patient=patient).order_by("-created_at", "-id").first()


def latest_intake(patient: Patient) -> Intake | None:
    """Return the patient's latest intake version, or None."""
    return Intake.objects.filter(patient=patient).order_by("-number").first()


def treatable_areas(screening: Screening) -> list[str]:
    """Return the areas the screening left treatable (requested, not contraindicated)."""
    areas: dict[str, str] = screening.result.get("areas", {})
    return [a for a, decision in areas.items() if decision != Decision.CONTRAINDICATED]
