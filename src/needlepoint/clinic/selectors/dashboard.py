"""The staff dashboard: today's sessions, open flags, pending clearances, deferrals ending
soon and consents missing, each a limited section with its total (a fixed number of queries)."""

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db.models import Count, Exists, OuterRef, QuerySet, Subquery, Window

from needlepoint.accounts.models import User
from needlepoint.bookings.models import CANCELLED, Appointment
from needlepoint.clinic.models import (
    Consent,
    Course,
    CourseStatus,
    Decision,
    Flag,
    Screening,
)
from needlepoint.clinic.selectors._common import day_bounds
from needlepoint.clinic.services import clinic_today

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

DASHBOARD_LIMIT = 20
"""Rows shown per dashboard section; the total is always shown with a link to show them all,
so nothing is hidden silently."""

SHOW_ALL_LIMIT = 1000
"""Rows shown for a section opened in full (beyond that the total still says how many)."""

DASHBOARD_SECTIONS = ("today", "open_flags", "pending_clearances", "deferrals", "consents_missing")

DEFERRAL_HORIZON_DAYS = 14
"""Deferrals ending within this many days are listed, so the front desk can offer a booking."""


@dataclass(frozen=True)
class Section[T]:
    """Up to DASHBOARD_LIMIT rows of a dashboard list and how many there are in all."""

    rows: list[T]
    total: int

    @property
    def more(self) -> int:
        return self.total - len(self.rows)


@dataclass(frozen=True)
class Dashboard:
    day: dt.date
    clinical: bool
    today: Section[Appointment]
    open_flags: Section[Flag]
    pending_clearances: Section[Screening]
    deferrals: Section[Screening]
    consents_missing: Section[Course]


def _section[M: Any](qs: QuerySet[M], limit: int) -> Section[M]:
    """Return the first `limit` rows with the total count, in one query (a window count)."""
    rows = list(qs.annotate(section_total=Window(Count("pk")))[:limit])
    return Section(rows, rows[0].section_total if rows else 0)


def _latest_screenings(decision: str) -> QuerySet[Screening]:
    """Return the patients' latest screenings (the ones `latest_screening` returns) that have
    `decision`. The partial index of that decision finds the few candidates; the
    `screening_latest` index then checks each is its patient's latest."""
    latest = (
        Screening.objects.filter(patient=OuterRef("patient_id"))
        .order_by("-created_at", "-id")
        .values("pk")[:1]
    )
    return (
        Screening.objects.filter(decision=decision)
        .filter(pk=Subquery(latest))
        .select_related("patient")
        .only(*SCREENING_FIELDS)
    )


SCREENING_FIELDS = (
    "id",
    "patient_id",
    "decision",
    "earliest_date",
    "result",
    "created_at",
    "patient__id",
    "patient__first_name",
    "patient__last_name",
)
TODAY_FIELDS = (
    "id",
    "patient_id",
    "session_id",
    "starts_at",
    "ends_at",
    "status",
    "practitioner_id",
    "version",
    "appointment_type_id",
    "patient__id",
    "patient__first_name",
    "patient__last_name",
    "practitioner__id",
    "practitioner__username",
    "practitioner__first_name",
    "practitioner__last_name",
    "session__id",
    "session__number",
    "session__status",
    "appointment_type__id",
    "appointment_type__name",
    "appointment_type__kind",
    "appointment_type__numbing_minutes",
)
FLAG_FIELDS = (
    "id",
    "patient_id",
    "reason",
    "raised_at",
    "patient__id",
    "patient__first_name",
    "patient__last_name",
    "urgent",
    "acknowledged_at",
    "escalated_at",
    "acknowledged_by_id",
    "acknowledged_by__id",
    "acknowledged_by__username",
    "acknowledged_by__first_name",
    "acknowledged_by__last_name",
)
COURSE_FIELDS = (
    "id",
    "status",
    "approved_at",
    "start_date",
    "patient_id",
    "patient__id",
    "patient__first_name",
    "patient__last_name",
)


def dashboard_for(
    user: "User | AnonymousUser",
    *,
    day: dt.date | None = None,
    limit: int = DASHBOARD_LIMIT,
    show_all: str = "",
) -> Dashboard:
    """Return the staff dashboard for `day` (today in the clinic's zone by default).

    Clinical roles get the open flags with their reasons and the screening findings; the front
    desk gets names, times and counts only: flag rows and screening results are not even read.
    Each section lists `limit` rows, the one named by `show_all` up to SHOW_ALL_LIMIT. Five
    queries whatever the number of patients, each reading only the columns shown (not the plan
    and intake documents)."""
    day = day or clinic_today()

    def size(section: str) -> int:
        return max(limit, SHOW_ALL_LIMIT) if section == show_all else limit

    clinical = isinstance(user, User) and user.is_clinical
    start, end = day_bounds(day, day)
    today = (
        Appointment.objects.filter(starts_at__gte=start, starts_at__lt=end)
        .exclude(status__in=CANCELLED)
        .select_related("patient", "practitioner", "session", "appointment_type")
        .only(*TODAY_FIELDS)
        .order_by("starts_at", "id")
    )
    flags = Flag.objects.filter(resolved_at__isnull=True)
    open_flags: Section[Flag]
    if clinical:
        open_flags = _section(
            flags.select_related("patient", "acknowledged_by").only(*FLAG_FIELDS).order_by("raised_at", "id"),
            size("open_flags"),
        )
    else:
        open_flags = Section([], flags.count())
    clearances = _latest_screenings(Decision.NEEDS_CLEARANCE).order_by("created_at", "id")
    deferrals = (
        _latest_screenings(Decision.DEFER)
        .filter(
            earliest_date__gte=day,
            earliest_date__lte=day + dt.timedelta(days=DEFERRAL_HORIZON_DAYS),
        )
        .order_by("earliest_date", "id")
    )
    if not clinical:
        clearances, deferrals = clearances.defer("result"), deferrals.defer("result")
    # Approved, not yet started: a course becomes active only when a session is charted, which
    # needs the consent, so active courses are never without one (and there are many of them).
    missing = (
        Course.objects.filter(status=CourseStatus.APPROVED)
        .filter(~Exists(Consent.objects.filter(course=OuterRef("pk"))))
        .select_related("patient")
        .only(*COURSE_FIELDS)
        .order_by("approved_at", "id")
    )
    return Dashboard(
        day,
        clinical,
        _section(today, size("today")),
        open_flags,
        _section(clearances, size("pending_clearances")),
        _section(deferrals, size("deferrals")),
        _section(missing, size("consents_missing")),
    )


def findings_with(screening: Screening, decision: str) -> list[dict[str, Any]]:
    """Return the screening's findings with `decision` that no clearance has lifted."""
    findings = (screening.result or {}).get("findings", [])
    return [f for f in findings if f.get("decision") == decision and not f.get("cleared")]
