"""Photo consent: recording a patient's decision for one use of their photos.

A decision is a new row, never an edit, so the history stays. Clinic staff record what the
patient decided (on paper or in the room); the patient may withdraw teaching or marketing
consent themself in the portal. Consent for the record cannot be withdrawn here: photos already
in the clinical record stay in it (the record must be kept); without it no new photo is stored."""

from django.db import transaction

from needlepoint.accounts.models import User
from needlepoint.audit.services import audit_record
from needlepoint.clinic.models import Patient
from needlepoint.clinic.services import ServiceError, require_role, validated
from needlepoint.photos.models import OPTIONAL_PURPOSES, PhotoConsent, Purpose


@transaction.atomic
def photo_consent_record(
    *, patient: Patient, purpose: str, given: bool, actor: User, note: str = ""
) -> PhotoConsent:
    """Record that `patient` gave (or withdrew) consent for `purpose`. Staff may record any
    decision; a patient only withdraws their own teaching or marketing consent."""
    _check_actor(patient=patient, purpose=purpose, given=given, actor=actor)
    if purpose not in Purpose.values:
        raise ServiceError("Choose what the photos may be used for.", field="purpose")
    if purpose == Purpose.RECORD and not given:
        raise ServiceError(
            "Consent for photos in the clinical record cannot be withdrawn here: photos already "
            "taken are part of the record. Stop taking new photos instead.",
            field="purpose",
        )
    consent = validated(
        PhotoConsent(patient=patient, purpose=purpose, given=given, recorded_by=actor, note=note.strip())
    )
    consent.save()
    audit_record(
        actor=actor,
        action="change",
        obj=consent,
        summary=f"photo consent for {Purpose(purpose).label} {'given' if given else 'withdrawn'}",
    )
    return consent


def _check_actor(*, patient: Patient, purpose: str, given: bool, actor: User) -> None:
    if actor.is_patient:
        if patient.user_id != actor.pk or given or purpose not in OPTIONAL_PURPOSES:
            raise ServiceError("You can only withdraw your own consent for teaching or marketing here.")
        return
    require_role(actor, doing="record photo consent")


def consent_in_force(patient: Patient) -> dict[str, bool]:
    """Return, for each purpose, whether the patient's latest decision gives consent (False
    when they never decided)."""
    state = {p.value: False for p in Purpose}
    for row in PhotoConsent.objects.filter(patient=patient).order_by("recorded_at", "id"):
        state[row.purpose] = row.given
    return state
