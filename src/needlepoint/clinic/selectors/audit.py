"""The audit trail's search: filters by date, patient, actor and action."""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q, QuerySet

from needlepoint.audit.models import AuditEvent
from needlepoint.clinic.selectors._common import day_bounds


@dataclass(frozen=True)
class AuditFilter:
    patient_id: int | None = None
    actor: str = ""
    action: str = ""
    object_type: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None

    def describe(self) -> str:
        """Return the filters in words, for the audit record of the search itself."""
        parts = [
            f"{name}={value}"
            for name, value in (
                ("patient", self.patient_id),
                ("actor", self.actor),
                ("action", self.action),
                ("type", self.object_type),
                ("from", self.date_from),
                ("to", self.date_to),
            )
            if value not in (None, "")
        ]
        return "search " + (" ".join(parts) if parts else "(no filter)")


def audit_events(f: AuditFilter) -> QuerySet[AuditEvent]:
    """Return the audit events matching `f`, newest first. Dates are days in the clinic's
    zone, both ends included. The actor matches a username (any case) or "anonymous"."""
    qs = AuditEvent.objects.order_by("-at", "-id")
    if f.patient_id is not None:
        qs = qs.filter(patient_id=f.patient_id)
    if f.actor:
        qs = qs.filter(Q(actor__username__iexact=f.actor) | Q(actor_label__iexact=f.actor))
    if f.action:
        qs = qs.filter(action=f.action)
    if f.object_type:
        qs = qs.filter(object_type__iexact=f.object_type)
    if f.date_from:
        qs = qs.filter(at__gte=day_bounds(f.date_from, f.date_from)[0])
    if f.date_to:
        qs = qs.filter(at__lt=day_bounds(f.date_to, f.date_to)[1])
    return qs
