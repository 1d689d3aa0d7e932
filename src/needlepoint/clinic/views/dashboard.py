"""The staff dashboard (medical director, practitioners, front desk; patients get 404): today's
patients, open flags, pending clearances, deferrals ending soon and consents missing.

The front desk sees names, times and counts only — no flag reasons or screening findings (the
selector does not even read them for that role)."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, path

from needlepoint.audit.services import audit_record
from needlepoint.clinic.access import require_staff
from needlepoint.clinic.models import Decision
from needlepoint.clinic.selectors import (
    DASHBOARD_SECTIONS,
    DEFERRAL_HORIZON_DAYS,
    dashboard_for,
    findings_with,
)


def dashboard(request: HttpRequest) -> HttpResponse:
    """The dashboard; `?all=<section>` lists that section in full (the others stay short)."""
    require_staff(request)
    show_all = request.GET.get("all", "")
    board = dashboard_for(request.user, show_all=show_all if show_all in DASHBOARD_SECTIONS else "")
    audit_record(
        actor=request.user,
        action="view",
        object_type="clinic.dashboard",
        summary=f"dashboard {board.day.isoformat()}: {board.today.total} today, "
        f"{board.open_flags.total} open flags",
    )
    clinical = board.clinical
    return render(
        request,
        "clinic/dashboard/dashboard.html",
        {
            "board": board,
            "clinical": clinical,
            "horizon": DEFERRAL_HORIZON_DAYS,
            "clearances": [
                (s, findings_with(s, Decision.NEEDS_CLEARANCE) if clinical else [])
                for s in board.pending_clearances.rows
            ],
            "deferrals": [
                (s, findings_with(s, Decision.DEFER) if clinical else []) for s in board.deferrals.rows
            ],
        },
    )


urls: list[URLPattern] = [path("dashboard/", dashboard, name="dashboard")]
