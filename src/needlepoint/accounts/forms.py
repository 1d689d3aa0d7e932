"""The sign-in form: Django's login form with the failed-attempt throttle and an audit event for
each failure."""

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm

from needlepoint.accounts import throttle
from needlepoint.audit.context import client_ip
from needlepoint.audit.services import audit_record


class ThrottledLoginForm(AuthenticationForm):
    """Django's login form, refusing further attempts after repeated failures."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "throttled": "Too many failed sign-in attempts. Wait 15 minutes and try again, or ask "
        "the clinic to reset your password.",
    }

    def clean(self) -> dict[str, Any]:
        username = (self.data.get("username") or "").strip()
        ip = client_ip(self.request) if self.request else None
        if throttle.is_throttled(username=username, ip=ip):
            raise forms.ValidationError(self.error_messages["throttled"], code="throttled")
        try:
            cleaned = super().clean()
        except forms.ValidationError:
            throttle.record_failure(username=username, ip=ip)
            audit_record(
                actor=None,
                action="login_failed",
                object_type="accounts.user",
                summary=f"failed sign-in for {username[:100]!r}",
            )
            raise
        throttle.clear_failures(username=username)
        return cleaned
