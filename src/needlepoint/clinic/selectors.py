"""Reads that span models: the staff dashboard, what the consultation pages show, a course's
consent, a course's summary, a patient's check-ins and the audit trail. Each runs a fixed
number of queries, however many rows there are (the tests pin the counts), and returns plain
data for the pages and the API."""

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, QuerySet, Subquery, Window
from django.utils import timezone

from needlepoint.accounts.models import User
from needlepoint.audit.models import AuditEvent
from needlepoint.bookings.models import CANCELLED, Appointment
from needlepoint.clinic.models import (
    APPROVED_COURSE_STATUSES,
    VISIT_STATUSES,
    AdverseEvent,
    Assessment,
    CheckIn,
    Clearance,
    Consent,
    Course,
    CourseStatus,
    Decision,
    Flag,
    Intake,
    Outcome,
    Patient,
    Screening,
    SessionStatus,
    TreatmentSession,
)
from needlepoint.clinic.services import Blocked, clinic_today
from needlepoint.clinic.services.aftercare import CHECK_IN_DAYS, check_in_state, session_day
from needlepoint.clinical.scales import GAIS_LABELS, GOODMAN_BARON_GRADES
from needlepoint.words import human_date

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


def _day_bounds(first: dt.date, last: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """Return [start of `first`, start of the day after `last`) as aware datetimes in the
    clinic's zone (a day across a DST change is 23 or 25 hours long)."""
    zone = timezone.get_default_timezone()
    start = dt.datetime.combine(first, dt.time.min, tzinfo=zone)
    end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time.min, tzinfo=zone)
    return start, end


# ---------------------------------------------------------------------------------------------
# Dashboard
# ---------------------------------------------------------------------------------------------


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
    start, end = _day_bounds(day, day)
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


# ---------------------------------------------------------------------------------------------
# The consultation pages
# ---------------------------------------------------------------------------------------------


def patient_intakes(patient: Patient) -> QuerySet[Intake]:
    """Return the patient's intake versions, newest first."""
    return Intake.objects.filter(patient=patient).select_related("created_by").order_by("-number")


def patient_clearances(patient: Patient) -> QuerySet[Clearance]:
    """Return the patient's clearances (revoked ones too), newest first."""
    return (
        Clearance.objects.filter(patient=patient)
        .select_related("given_by", "revoked_by")
        .order_by("-given_at", "-id")
    )


def patient_courses(patient: Patient) -> QuerySet[Course]:
    """Return the patient's courses, newest first."""
    return (
        Course.objects.filter(patient=patient)
        .select_related("created_by", "approved_by")
        .order_by("-created_at", "-id")
    )


def latest_assessment(patient: Patient) -> Assessment | None:
    """Return the patient's latest skin and scar assessment, or None."""
    return (
        Assessment.objects.filter(patient=patient)
        .select_related("assessed_by")
        .order_by("-assessed_at", "-id")
        .first()
    )


def latest_screening_detail(patient: Patient) -> Screening | None:
    """Return the patient's latest screening with who made it and its intake, or None."""
    return (
        Screening.objects.filter(patient=patient)
        .select_related("created_by", "intake")
        .order_by("-created_at", "-id")
        .first()
    )


# ---------------------------------------------------------------------------------------------
# A course's consent
# ---------------------------------------------------------------------------------------------


def consent_for_course(course: Course) -> Consent | None:
    """Return the course's most recent signed consent (to whichever text version), or None.
    A signature stays valid when a newer text version is published later (see
    `services.consent`)."""
    return (
        Consent.objects.filter(course=course)
        .select_related("consent_text")
        .order_by("-signed_at", "-id")
        .first()
    )


def course_can_start(course: Course) -> bool:
    """True when the course is approved or under way and the patient has signed consent."""
    return course.status in APPROVED_COURSE_STATUSES and consent_for_course(course) is not None


def require_consent(course: Course) -> Consent:
    """Return the course's signed consent; raise Blocked if there is none (no session may start
    without it)."""
    consent = consent_for_course(course)
    if consent is None:
        raise Blocked(
            "This course has no signed consent: the patient must sign the consent (in the "
            "portal or on the clinic's tablet) before the first session.",
            field="consent",
        )
    return consent


# ---------------------------------------------------------------------------------------------
# A patient's check-ins (portal)
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckInSlot:
    day: int
    due_on: dt.date
    state: str  # done | upcoming | due | overdue | closed
    check_in: CheckIn | None


@dataclass(frozen=True)
class SessionCheckIns:
    session: TreatmentSession
    date: dt.date | None
    slots: list[CheckInSlot]


def check_in_schedule(patient: Patient, *, today: dt.date | None = None) -> list[SessionCheckIns]:
    """Return the patient's signed sessions, newest first, each with its day 1/3/7 check-ins
    and their state. Two queries."""
    today = today or clinic_today()
    sessions = (
        TreatmentSession.objects.filter(patient=patient, status=SessionStatus.SIGNED)
        .select_related("course", "appointment")
        .prefetch_related("check_ins")
        .order_by(F("appointment__starts_at").desc(nulls_last=True), "-signed_at", "-id")
    )
    out = []
    for session in sessions:
        start = session_day(session)
        done = {c.day: c for c in session.check_ins.all()}
        slots = [
            CheckInSlot(
                day,
                start + dt.timedelta(days=day) if start else today,
                check_in_state(session, day, day in done, today),
                done.get(day),
            )
            for day in CHECK_IN_DAYS
        ]
        out.append(SessionCheckIns(session, start, slots))
    return out


def aftercare_instructions(course: Course) -> list[dict[str, Any]]:
    """Return the plan's care items for after a session: those from day 1 on, and those of
    day 0 that last some days (day-0 items without a duration happen before the needling)."""
    care = (course.plan or {}).get("care", [])
    return [
        c
        for c in care
        if c.get("code") != "check_in"
        and (c.get("offset_days", -1) > 0 or (c.get("offset_days") == 0 and c.get("duration_days")))
    ]


# ---------------------------------------------------------------------------------------------
# Course summary
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SeriesPoint:
    date: dt.date
    value: float
    label: str  # "baseline" or "session 3" / "after the course"


@dataclass(frozen=True)
class CourseSummary:
    """What happened in a course. `sessions` are all of its sessions (for the counts); the
    depths, adverse events and check-ins are those of the sessions that took place (signed)."""

    course: Course
    sessions: list[TreatmentSession]
    areas: list[str]
    depths: list[tuple[str, list[Any]]]  # area → AreaTreatment (or None) per signed session
    adverse_events: list[AdverseEvent]
    check_ins: list[CheckIn]
    flags: list[Flag]
    outcomes: list[Outcome]
    baseline: Assessment | None
    series: dict[str, list[SeriesPoint]]
    sentences: list[str] = field(default_factory=list)

    @property
    def signed(self) -> list[TreatmentSession]:
        return [s for s in self.sessions if s.status == SessionStatus.SIGNED]

    @property
    def cancelled(self) -> list[TreatmentSession]:
        return [s for s in self.sessions if s.status == SessionStatus.CANCELLED]

    def as_json(self) -> dict[str, Any]:
        """Return the summary stored on a completed course (plain JSON)."""
        return {
            "sessions": {
                "signed": len(self.signed),
                "cancelled": len(self.cancelled),
                "total": len(self.sessions),
                "took_place": [s.number for s in self.signed],
            },
            "depths_mm": {area: [_depth(cell) for cell in cells] for area, cells in self.depths},
            "adverse_events": [
                {"session": e.session.number, "kind": e.kind, "severity": e.severity}
                for e in self.adverse_events
            ],
            "check_ins": {
                "received": len(self.check_ins),
                "flagged": sum(not c.expected for c in self.check_ins),
            },
            "series": {
                name: [{"date": p.date.isoformat(), "value": p.value, "label": p.label} for p in points]
                for name, points in self.series.items()
            },
            "text": self.sentences,
        }


def _depth(cell: Any) -> str | None:
    return None if cell is None else str(Decimal(cell.depth_mm).normalize())


def _local(at: dt.datetime) -> dt.date:
    return timezone.localdate(at, timezone.get_default_timezone())


def course_summary(course: Course) -> CourseSummary:
    """Return what happened in a course: the sessions that took place (signed) with depths per
    area, their adverse events and check-ins, the flags, outcomes as series over the days of
    their visits (from the baseline assessment), and a plain-language summary. Seven
    queries."""
    sessions = list(
        TreatmentSession.objects.filter(course=course)
        .select_related("practitioner", "entered_late_by", "appointment")
        .prefetch_related(
            "areas",
            Prefetch("adverse_events", AdverseEvent.objects.order_by("noted_at")),
            Prefetch("check_ins", CheckIn.objects.order_by("day")),
        )
        .order_by("number")
    )
    outcomes = list(
        Outcome.objects.filter(course=course)
        .select_related("session")
        .order_by("taken_on", "recorded_at", "id")
    )
    flags = list(
        Flag.objects.filter(check_in__session__course=course)
        .select_related("resolved_by")
        .order_by("raised_at", "id")
    )
    baseline = Assessment.objects.filter(pk=course.assessment_id).first() if course.assessment_id else None
    signed = [s for s in sessions if s.status == SessionStatus.SIGNED]
    areas = _areas(course, signed)
    by_session = [{a.area: a for a in s.areas.all()} for s in signed]
    summary = CourseSummary(
        course=course,
        sessions=sessions,
        areas=areas,
        depths=[(area, [cells.get(area) for cells in by_session]) for area in areas],
        adverse_events=[e for s in signed for e in s.adverse_events.all()],
        check_ins=[c for s in signed for c in s.check_ins.all()],
        flags=flags,
        outcomes=outcomes,
        baseline=baseline,
        series=_series(baseline, outcomes),
    )
    summary.sentences.extend(_sentences(summary))
    return summary


def _areas(course: Course, sessions: Iterable[TreatmentSession]) -> list[str]:
    """Return the areas in the plan's order, then any other area charted."""
    planned = [a.get("area") for a in (course.plan or {}).get("areas", []) if a.get("area")]
    charted = [a.area for s in sessions for a in s.areas.all()]
    return list(dict.fromkeys([*planned, *sorted(set(charted) - set(planned))]))


def _outcome_label(outcome: Outcome) -> str:
    if outcome.kind == "course_end":
        return "after the course"
    return f"session {outcome.session.number}" if outcome.session else "visit"


def _series(baseline: Assessment | None, outcomes: list[Outcome]) -> dict[str, list[SeriesPoint]]:
    """Return G&B grade, mMASI and GAIS over the days the scores belong to (the day of their
    visit); the baseline assessment starts the first two (GAIS rates change, so it has no
    baseline). `outcomes` come in day order."""
    series: dict[str, list[SeriesPoint]] = {"goodman_baron": [], "mmasi": [], "gais": []}
    if baseline is not None:
        day = _local(baseline.assessed_at)
        if baseline.goodman_baron_grade is not None:
            series["goodman_baron"].append(SeriesPoint(day, baseline.goodman_baron_grade, "baseline"))
        if baseline.mmasi is not None:
            series["mmasi"].append(SeriesPoint(day, baseline.mmasi, "baseline"))
    for o in outcomes:
        if o.session is not None and o.session.status != SessionStatus.SIGNED:
            continue  # scores tied to a visit that did not take place are not plotted
        day, label = o.taken_on, _outcome_label(o)
        for name, value in (("goodman_baron", o.goodman_baron_grade), ("mmasi", o.mmasi), ("gais", o.gais)):
            if value is not None:
                series[name].append(SeriesPoint(day, value, label))
    return series


def _sessions_sentence(summary: CourseSummary) -> str:
    signed, cancelled = len(summary.signed), len(summary.cancelled)
    text = f"{signed} of {len(summary.sessions)} session{'s' if len(summary.sessions) != 1 else ''} done"
    return text + (f", {cancelled} cancelled." if cancelled else ".")


def _grade(value: float) -> str:
    g = GOODMAN_BARON_GRADES.get(int(value))
    return f"{int(value)} ({g.level})" if g else str(value)


def _change(name: str, points: list[SeriesPoint], fmt: Any, sessions: int) -> str | None:
    if len(points) < 2:
        return None
    first, last = fmt(points[0].value), fmt(points[-1].value)
    over = f" over {sessions} session{'s' if sessions != 1 else ''}"
    if points[0].value == points[-1].value:
        return f"{name} stayed at {first}{over}."
    return f"{name} went from {first} to {last}{over}."


def _sentences(summary: CourseSummary) -> list[str]:
    """Return the course in plain words, one fact per sentence."""
    n = len(summary.signed)
    out = [_sessions_sentence(summary)]
    for text in (
        _change("Goodman & Baron grade", summary.series["goodman_baron"], _grade, n),
        _change("mMASI", summary.series["mmasi"], lambda v: f"{v:g}", n),
    ):
        if text:
            out.append(text)
    if summary.series["gais"]:
        last = summary.series["gais"][-1]
        out.append(
            f"Latest patient-rated improvement (GAIS, {human_date(last.date)}): "
            f"{int(last.value)}, {GAIS_LABELS[int(last.value)]}."
        )
    out.append(_adverse_sentence(summary.adverse_events))
    out.append(_check_in_sentence(summary.check_ins, summary.flags))
    return out


def _adverse_sentence(events: list[AdverseEvent]) -> str:
    if not events:
        return "No adverse events recorded."
    by: dict[str, int] = {}
    for e in events:
        severity = e.get_severity_display().lower()
        by[severity] = by.get(severity, 0) + 1
    detail = ", ".join(f"{count} {severity}" for severity, count in by.items())
    return f"{len(events)} adverse event{'s' if len(events) != 1 else ''} recorded ({detail})."


def _check_in_sentence(check_ins: list[CheckIn], flags: list[Flag]) -> str:
    if not check_ins:
        return "No check-ins received."
    off = sum(not c.expected for c in check_ins)
    open_flags = sum(f.resolved_at is None for f in flags)
    text = (
        f"{len(check_ins)} check-in{'s' if len(check_ins) != 1 else ''} received, "
        f"{off} outside the expected recovery"
    )
    return text + (f" ({open_flags} flag{'s' if open_flags != 1 else ''} still open)." if open_flags else ".")


# ---------------------------------------------------------------------------------------------
# Audit trail
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AuditFilter:
    patient_id: int | None = None
    actor: str = ""
    action: str = ""
    object_type: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None

    def describe(self) -> str:
        """Return the filters in words, for the audit record of the search itself."""
        parts = [
            f"{name}={value}"
            for name, value in (
                ("patient", self.patient_id),
                ("actor", self.actor),
                ("action", self.action),
                ("type", self.object_type),
                ("from", self.date_from),
                ("to", self.date_to),
            )
            if value not in (None, "")
        ]
        return "search " + (" ".join(parts) if parts else "(no filter)")


def audit_events(f: AuditFilter) -> QuerySet[AuditEvent]:
    """Return the audit events matching `f`, newest first. Dates are days in the clinic's
    zone, both ends included. The actor matches a username (any case) or "anonymous"."""
    qs = AuditEvent.objects.order_by("-at", "-id")
    if f.patient_id is not None:
        qs = qs.filter(patient_id=f.patient_id)
    if f.actor:
        qs = qs.filter(Q(actor__username__iexact=f.actor) | Q(actor_label__iexact=f.actor))
    if f.action:
        qs = qs.filter(action=f.action)
    if f.object_type:
        qs = qs.filter(object_type__iexact=f.object_type)
    if f.date_from:
        qs = qs.filter(at__gte=_day_bounds(f.date_from, f.date_from)[0])
    if f.date_to:
        qs = qs.filter(at__lt=_day_bounds(f.date_to, f.date_to)[1])
    return qs


def booked_session_ids(sessions: QuerySet[TreatmentSession]) -> set[int]:
    """Return the ids of `sessions` that have an appointment on the calendar (one query)."""
    return set(
        Appointment.objects.filter(session__in=sessions, status__in=VISIT_STATUSES).values_list(
            "session_id", flat=True
        )
    )
