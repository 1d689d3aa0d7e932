"""Writing the audit trail. Every read and write of patient data calls `audit_record`."""

from typing import TYPE_CHECKING

from django.contrib.auth.models import AnonymousUser
from django.db.models import Model

from needlepoint.audit.context import current_ip
from needlepoint.audit.models import Action, AuditEvent

if TYPE_CHECKING:
    from needlepoint.accounts.models import User


def audit_record(
    *,
    actor: "User | AnonymousUser | None",
    action: str,
    obj: Model | None = None,
    object_type: str = "",
    object_id: str = "",
    patient_id: int | None = None,
    summary: str = "",
) -> AuditEvent:
    """Append one event: who (`actor`, a user or None), what (`action` on `obj`), from where
    (the current request's address). Returns the saved event."""
    if action not in Action.values:
        raise ValueError(f"unknown audit action {action!r}")
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
        patient_id = patient_id if patient_id is not None else _patient_of(obj)
    user = actor if actor is not None and actor.is_authenticated else None
    return AuditEvent.objects.create(
        actor=user,
        actor_label=_label(actor),
        ip=current_ip(),
        action=action,
        object_type=object_type,
        object_id=object_id,
        patient_id=patient_id,
        summary=summary[:300],
    )


def _patient_of(obj: Model) -> int | None:
    if obj._meta.label_lower == "clinic.patient":
        return int(obj.pk)
    pid = getattr(obj, "patient_id", None)
    return int(pid) if pid is not None else None


def _label(actor: "User | AnonymousUser | None") -> str:
    if actor is None or not actor.is_authenticated:
        return "anonymous"
    return f"{actor.get_username()} ({actor.role})"
