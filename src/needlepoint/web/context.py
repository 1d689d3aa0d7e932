"""Template context shared by every page."""

from typing import Any

from django.conf import settings
from django.http import HttpRequest


def clinic(request: HttpRequest) -> dict[str, Any]:
    return {
        "clinic_name": settings.NEEDLEPOINT_CLINIC_NAME,
        "is_demo": getattr(settings, "NEEDLEPOINT_DEMO", False),
    }
