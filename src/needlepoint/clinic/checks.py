"""System checks of the clinic's own settings (`manage.py check --deploy`): an urgent check-in
must reach a person, so a deployment without the clinic's phone, out-of-hours advice or on-call
address is warned about."""

from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.core.checks import Warning, register

URGENT_CONTACTS = {
    "NEEDLEPOINT_CLINIC_PHONE": (
        "needlepoint.W101",
        "patients who report a warning sign are shown no number to call",
    ),
    "NEEDLEPOINT_OUT_OF_HOURS_ADVICE": (
        "needlepoint.W102",
        "patients who report a warning sign at night are not told where to go",
    ),
    "NEEDLEPOINT_ON_CALL_EMAIL": (
        "needlepoint.W103",
        "urgent flags are emailed to the medical directors, not an on-call clinician",
    ),
}


@register(deploy=True)
def urgent_contacts(app_configs: Sequence[AppConfig] | None, **kwargs: Any) -> list[Warning]:
    """Warn for each urgent-contact setting left empty."""
    return [
        Warning(f"{name} is not set: {why}.", hint=f"Set {name} in the environment.", id=check_id)
        for name, (check_id, why) in URGENT_CONTACTS.items()
        if not getattr(settings, name, "")
    ]
