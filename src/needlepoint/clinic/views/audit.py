"""Searching the audit trail (medical director only; everyone else gets 404). Read-only: the
trail is append-only, so there is no edit or delete anywhere. Each search is itself audited
(object type "audit.search")."""

from typing import Any

from django import forms
from django.apps import apps
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import render
from django.urls import URLPattern, path

from needlepoint.audit.models import Action
from needlepoint.audit.services import audit_record
from needlepoint.clinic.access import require_medical_director
from needlepoint.clinic.models import Patient
from needlepoint.clinic.selectors import AuditFilter, audit_events

PAGE_SIZE = 50
TEMPLATE = "clinic/audit/search.html"


def object_types() -> list[str]:
    """Return the object types the trail records, for the filter's suggestions (no query)."""
    models = [
        m._meta.label_lower for app in ("clinic", "accounts") for m in apps.get_app_config(app).get_models()
    ]
    return sorted([*models, "audit.search", "clinic.checkin", "clinic.dashboard"])


class AuditSearchForm(forms.Form):
    patient_id = forms.IntegerField(label="Patient id", required=False, min_value=1)
    actor = forms.CharField(label="Username", required=False, max_length=150)
    action = forms.ChoiceField(label="Action", required=False, choices=[("", "Any"), *Action.choices])
    object_type = forms.CharField(
        label="Object type",
        required=False,
        max_length=60,
        widget=forms.TextInput(attrs={"list": "object-types"}),
    )
    date_from = forms.DateField(
        label="From (day)", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label="To (day, included)", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", "The end day must be on or after the start day.")
        return data

    def to_filter(self) -> AuditFilter:
        d = self.cleaned_data
        return AuditFilter(
            patient_id=d["patient_id"],
            actor=d["actor"].strip(),
            action=d["action"],
            object_type=d["object_type"].strip(),
            date_from=d["date_from"],
            date_to=d["date_to"],
        )


def audit_search(request: HttpRequest) -> HttpResponse:
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
portal_urls: list[URLPattern] = []
