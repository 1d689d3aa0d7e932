"""Searching the audit trail (medical director only; everyone else gets 404). Read-only: the
trail is append-only, so there is no edit or delete anywhere. Each search is itself audited
(object type "audit.search")."""

from typing import Any

from django.apps import apps
from django.core.paginator import Paginator
from django.http import HttpResponse, HttpResponseNotAllowed
from django.shortcuts import render
from django.urls import URLPattern, path

from needlepoint.audit.services import audit_record
from needlepoint.clinic.access import require_medical_director
from needlepoint.clinic.forms.audit import AuditSearchForm
from needlepoint.clinic.models import Patient
from needlepoint.clinic.selectors import AuditFilter, audit_events
from needlepoint.web.http import HtmxHttpRequest

PAGE_SIZE = 50
TEMPLATE = "clinic/audit/search.html"


def object_types() -> list[str]:
    """Return the object types the trail records, for the filter's suggestions (no query)."""
    models = [
        m._meta.label_lower for app in ("clinic", "accounts") for m in apps.get_app_config(app).get_models()
    ]
    return sorted([*models, "audit.search", "clinic.checkin", "clinic.dashboard"])


def audit_search(request: HtmxHttpRequest) -> HttpResponse:
    """Filter the trail by patient, actor, action, object type and days; newest first."""
    require_medical_director(request)
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET"])  # the trail is read-only
    form = AuditSearchForm(request.GET or None)
    page = None
    if not form.is_bound or form.is_valid():
        f = form.to_filter() if form.is_bound else AuditFilter()
        number = request.GET.get("page") or 1
        audit_record(
            actor=request.user,
            action="view",
            object_type="audit.search",
            patient_id=f.patient_id,
            summary=f"{f.describe()} page {number}",
        )
        page = Paginator(audit_events(f), PAGE_SIZE).get_page(number)
    context = {
        "form": form,
        "page": page,
        "object_types": object_types(),
        "rows": _with_patients(page.object_list) if page else [],
    }
    return render(request, f"{TEMPLATE}#results" if request.htmx else TEMPLATE, context)


def _with_patients(events: Any) -> list[tuple[Any, Patient | None]]:
    """Return the page's events with their patients (one query for the whole page)."""
    events = list(events)
    ids = {e.patient_id for e in events if e.patient_id is not None}
    patients = Patient.objects.only("first_name", "last_name").in_bulk(ids) if ids else {}
    return [(e, patients.get(e.patient_id)) for e in events]


urls: list[URLPattern] = [path("audit/", audit_search, name="audit_search")]
