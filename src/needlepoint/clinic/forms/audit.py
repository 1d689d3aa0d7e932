"""The audit trail's search form: patient, actor, action, object type and a range of days,
read into the selector's `AuditFilter`."""

from typing import Any

from django import forms

from needlepoint.audit.models import Action
from needlepoint.clinic.selectors import AuditFilter
from needlepoint.web.fields import DayField, RecordNumberField


class AuditSearchForm(forms.Form):
    patient_id = RecordNumberField(label="Patient id", required=False, noun="patient")
    actor = forms.CharField(label="Username", required=False, max_length=150)
    action = forms.ChoiceField(label="Action", required=False, choices=[("", "Any"), *Action.choices])
    object_type = forms.CharField(
        label="Object type",
        required=False,
        max_length=60,
        widget=forms.TextInput(attrs={"list": "object-types"}),
    )
    date_from = DayField(
        label="From (day)", required=False, named=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = DayField(
        label="To (day, included)",
        required=False,
        named=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
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
