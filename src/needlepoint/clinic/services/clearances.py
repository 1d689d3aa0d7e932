"""Doctors' clearances: a finding the latest screening marks "needs a doctor's clearance" is
cleared on a stated basis, and the clearance may be revoked. Either way the latest intake is
screened again, so the screening shows the finding as cleared (or not) at once."""

from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from needlepoint.audit.services import audit_record
from needlepoint.clinic.models import Clearance, Decision, Patient, Screening
from needlepoint.clinic.services import Blocked, ServiceError, require_role, validated
from needlepoint.clinic.services.screening import latest_intake, latest_screening, screening_refresh

if TYPE_CHECKING:
    from needlepoint.accounts.models import User


def _finding(screening: Screening, code: str) -> dict[str, Any] | None:
    """Return the screening's finding with `code`, preferring one that still needs clearance."""
    found: list[dict[str, Any]] = [f for f in screening.result.get("findings", []) if f["code"] == code]
    pending = [f for f in found if f["decision"] == Decision.NEEDS_CLEARANCE]
    return (pending or found)[0] if found else None


def _check_clearable(screening: Screening | None, finding_code: str) -> Screening:
    if screening is None:
        raise ServiceError("There is no screening yet, so there is nothing to clear.", field="finding_code")
    finding = _finding(screening, finding_code)
    if finding is None:
        raise ServiceError(f"The latest screening has no finding {finding_code!r}.", field="finding_code")
    if finding.get("cleared"):
        raise ServiceError("This finding is already cleared.", field="finding_code")
    if finding["decision"] != Decision.NEEDS_CLEARANCE:
        label = Decision(finding["decision"]).label
        raise Blocked(
            f"This finding is “{label}”: only a finding that needs a doctor's clearance can be cleared.",
            field="finding_code",
        )
    return screening


@transaction.atomic
def clearance_give(*, patient: Patient, finding_code: str, basis: str, actor: "User") -> Clearance:
    """Record a doctor's clearance of a finding that the latest screening marks
    `needs_clearance`, then screen the latest intake again (the finding shows as cleared).
    Any other decision (a contraindication, a deferral) can never be cleared."""
    require_role(actor, clinical=True, doing="give a clearance")
    basis = (basis or "").strip()
    if not basis:
        raise ServiceError(
            "Say on what basis you give this clearance (for example the "
            "specialist's letter or your examination).",
            field="basis",
        )
    screening = _check_clearable(latest_screening(patient), finding_code)
    if Clearance.objects.filter(patient=patient, finding_code=finding_code, revoked_at__isnull=True).exists():
        raise ServiceError("This finding is already cleared.", field="finding_code")
    clearance = validated(
        Clearance(
            patient=patient, finding_code=finding_code, basis=basis, screening=screening, given_by=actor
        )
    )
    try:
        with transaction.atomic():
            clearance.save()
    except IntegrityError:  # someone cleared it at the same moment
        raise ServiceError("This finding is already cleared.", field="finding_code") from None
    audit_record(actor=actor, action="create", obj=clearance, summary=f"clearance of {finding_code}")
    screening_refresh(patient=patient, actor=actor)
    return clearance


@transaction.atomic
def clearance_revoke(*, clearance: Clearance, actor: "User") -> Clearance:
    """Revoke an active clearance and screen the latest intake again (the finding needs a
    clearance once more). Settled by a conditional update: revoking twice is refused."""
    require_role(actor, clinical=True, doing="revoke a clearance")
    now = timezone.now()
    updated = Clearance.objects.filter(pk=clearance.pk, revoked_at__isnull=True).update(
        revoked_at=now, revoked_by=actor
    )
    if updated != 1:
        raise ServiceError("This clearance has already been revoked.", field="clearance")
    clearance.revoked_at, clearance.revoked_by = now, actor
    audit_record(
        actor=actor, action="change", obj=clearance, summary=f"revoked clearance of {clearance.finding_code}"
    )
    if latest_intake(clearance.patient) is not None:
        screening_refresh(patient=clearance.patient, actor=actor)
    return clearance
