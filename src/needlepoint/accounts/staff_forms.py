"""Forms of staff accounts: the medical director's invitation and role forms, the enrolment
form of an invitation link (password + first code), and the two-factor step's code."""

import re
from typing import Any

from django import forms
from django.contrib.auth.forms import SetPasswordForm

from needlepoint.accounts.models import Role
from needlepoint.bookings.models import Location

STAFF_ROLE_CHOICES = [(r.value, r.label) for r in (Role.PRACTITIONER, Role.FRONT_DESK, Role.MEDICAL_DIRECTOR)]
HOURS_EXAMPLE = "mon-fri 09:00-17:00; sat 09:00-13:00"


class StaffInviteForm(forms.Form):
    first_name = forms.CharField(max_length=150)
    last_name = forms.CharField(max_length=150)
    email = forms.EmailField(max_length=150, help_text="Their username, and where the invitation goes.")
    role = forms.ChoiceField(choices=STAFF_ROLE_CHOICES)
    location = forms.ModelChoiceField(
        queryset=Location.objects.all(), required=False, help_text="Where a practitioner treats."
    )
    working_hours = forms.CharField(
        max_length=300,
        required=False,
        help_text=f"For a practitioner: when they can be booked, e.g. {HOURS_EXAMPLE}",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        only = list(Location.objects.all()[:2])
        if len(only) == 1:
            self.fields["location"].initial = only[0]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("role") == Role.PRACTITIONER:
            if not data.get("location"):
                self.add_error("location", "Choose where this practitioner works.")
            if not (data.get("working_hours") or "").strip():
                self.add_error("working_hours", f"Give their working hours, e.g. {HOURS_EXAMPLE}.")
        return data


class RoleForm(forms.Form):
    role = forms.ChoiceField(choices=STAFF_ROLE_CHOICES, label="New role")


CODE_HELP = "The six digits your authenticator app shows, or one of your backup codes."


class CodeForm(forms.Form):
    """The two-factor step: a six-digit code, or a backup code (eight letters and digits)."""

    token = forms.CharField(max_length=20, label="Code from your authenticator app, or a backup code")

    def clean_token(self) -> str:
        code = "".join(str(self.cleaned_data["token"]).split()).replace("-", "").lower()
        if not (re.fullmatch(r"\d{6}", code) or re.fullmatch(r"[a-z2-7]{8}", code)):
            raise forms.ValidationError(
                "Enter the six digits your app shows. A backup code has eight letters and digits."
            )
        return code

    @property
    def is_backup_code(self) -> bool:
        return not str(self.cleaned_data.get("token", "")).isdigit()


class EnrolForm(SetPasswordForm):  # type: ignore[type-arg]  # django-stubs: SetPasswordForm is generic over the user
    """Choose a password (Django's validators, checked against this user) and confirm the first
    code of the authenticator app."""

    token = forms.RegexField(
        regex=r"^\d{6}$",
        label="Six-digit code from your authenticator app",
        error_messages={"invalid": "Enter the six digits your app shows."},
    )
