"""The patient record's forms: contact details, registering (with an optional portal login
and, for a possible duplicate, the reason for a separate record) and editing (with the version
the edit is based on)."""

from typing import Any

from django import forms

from needlepoint.clinic.forms import DATE
from needlepoint.clinic.services import ServiceError, StaleEdit
from needlepoint.clinic.services.patients import CONTACT_FIELDS


class PatientForm(forms.Form):
    def __init__(self, *args: Any, **kwargs: Any):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    first_name = forms.CharField(
        label="First name", max_length=100, error_messages={"required": "First name is required."}
    )
    last_name = forms.CharField(
        label="Last name", max_length=100, error_messages={"required": "Last name is required."}
    )
    birth_date = forms.DateField(  # its own bounds: not in the future, a plausible age
        label="Date of birth",
        widget=DATE,
        error_messages={
            "required": "Date of birth is required.",
            "invalid": "Date of birth: enter a real date.",
        },
    )
    email = forms.EmailField(
        label="Email",
        required=False,
        max_length=254,
        error_messages={"invalid": "Email: enter a real email address."},
    )
    phone = forms.CharField(label="Phone", required=False, max_length=40)

    def contact(self) -> dict[str, Any]:
        return {k: self.cleaned_data[k] for k in CONTACT_FIELDS}


class PatientCreateForm(PatientForm):
    portal_account = forms.BooleanField(
        label="Create a portal login for this patient (their email becomes the username; we email "
        "them a link to set a password)",
        required=False,
    )
    duplicate_reason = forms.CharField(
        label="Why a separate record?",
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Only when the records above are a different person, e.g. two people with "
        "the same name and date of birth. Stored on the record, with your name.",
    )

    def visible_fields(self) -> list[forms.BoundField]:
        """The contact fields; the reason is shown with the matching records only."""
        return [f for f in super().visible_fields() if f.name != "duplicate_reason"]


class PatientEditForm(PatientForm):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


def refuse(form: forms.Form, exc: ServiceError) -> None:
    """Show a service's refusal next to the field at fault, or above the form (a stale edit
    concerns the whole record, not its hidden version field)."""
    at_field = exc.field in form.fields and not isinstance(exc, StaleEdit)
    form.add_error(exc.field if at_field else None, exc.message)
