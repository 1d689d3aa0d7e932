"""Signing a chart and adding addenda. Signing locks the chart for good: the services refuse
every later change and the database triggers (migration 0002) refuse it too; later notes are
addenda. Signing marks the visit's appointment attended."""

from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from needlepoint.audit.services import audit_record
from needlepoint.clinic.models import Addendum, SessionStatus, TreatmentSession
from needlepoint.clinic.services import ServiceError, bump_version, clinic_today, require_role, validated
from needlepoint.clinic.services.chart_rules import (
    late_entry,
    refuse_if_closed,
    require_chartable,
    require_on_the_day,
    require_started,
    require_version,
)
from needlepoint.clinic.services.charting import check_anaesthetic

if TYPE_CHECKING:
    from needlepoint.accounts.models import User


@transaction.atomic
def chart_sign(*, session: TreatmentSession, actor: "User", expected_version: int) -> TreatmentSession:
    """Sign the chart of `session` as `actor`, locking it for good. Requires the day of the visit
    (or later: a late entry, marked) and its appointment's start time to have come, at least one
    area, the pen and cartridge lot used, and anaesthetic times on that day. Returns the
    session."""
    require_role(actor, clinical=True, doing="chart a session")
    session.refresh_from_db()
    refuse_if_closed(session)
    require_version(session, expected_version)
    today = clinic_today()
    day = require_on_the_day(session, today)
    require_started(session)
    require_chartable(session, today_only=False)
    if session.status != SessionStatus.IN_PROGRESS or not session.areas.exists():
        raise ServiceError("Chart at least one area (depth and passes) before signing.", field="areas")
    if session.device_id is None:
        raise ServiceError("Record the pen used before signing.", field="device")
    if not session.cartridge_lot:
        raise ServiceError(
            "Record the cartridge lot before signing: it is how a faulty batch is traced.",
            field="cartridge_lot",
        )
    check_anaesthetic(session.anaesthetic_on, session.anaesthetic_off, signing=True, day=day)
    changes = {
        "status": SessionStatus.SIGNED,
        "signed_at": timezone.now(),
        "signed_by": actor,
        **late_entry(session, day, today, actor),
    }
    for key, value in changes.items():
        setattr(session, key, value)
    validated(session)
    bump_version(session, expected=expected_version, **changes)
    audit_record(
        actor=actor,
        action="sign",
        obj=session,
        summary=f"chart of session {session.number} signed" + ("; entered late" if today > day else ""),
    )
    _mark_attended(session, actor)
    return session


def _mark_attended(session: TreatmentSession, actor: "User") -> None:
    """The visit took place: its appointment is attended (see bookings.services.visits)."""
    from needlepoint.bookings.services.visits import appointment_attended  # bookings builds on the clinic app

    appointment_attended(session=session, actor=actor)


@transaction.atomic
def addendum_add(*, session: TreatmentSession, text: str, actor: "User") -> Addendum:
    """Add a note to a signed chart (the chart itself stays as signed). Returns the addendum."""
    require_role(actor, clinical=True, doing="chart a session")
    text = text.strip()
    if not text:
        raise ServiceError("Write the addendum before saving it.", field="text")
    session.refresh_from_db()
    if session.status != SessionStatus.SIGNED:
        raise ServiceError(
            "Addenda are for signed charts; while the chart is open, write in its notes.", field="text"
        )
    addendum = validated(Addendum(session=session, text=text, written_by=actor))
    addendum.save()
    audit_record(
        actor=actor,
        action="create",
        obj=addendum,
        patient_id=session.patient_id,
        summary=f"addendum to session {session.number}",
    )
    return addendum
