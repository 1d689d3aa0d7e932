"""The sign-in form: Django's login form with an audit event for each failure. Lockouts after
repeated failures are django-axes' (its authentication backend refuses a locked account at that
address before the password is checked; `needlepoint.accounts.signin` says what is counted)."""

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm

from needlepoint.audit.services import audit_record


class ThrottledLoginForm(AuthenticationForm):
    """Django's login form; each failed attempt, locked or not, goes to the audit trail."""

    def clean(self) -> dict[str, Any]:
        username = (self.data.get("username") or "").strip()
        try:
            return super().clean()
        except forms.ValidationError:
            audit_record(
                actor=None,
                action="login_failed",
                object_type="accounts.user",
                summary=f"failed sign-in for {username[:100]!r}",
            )
            raise
