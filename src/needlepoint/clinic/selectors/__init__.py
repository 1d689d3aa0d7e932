"""Reads that span models, one module per page group: the staff dashboard, the consultation
pages' records, a patient's check-ins, a course's summary and the audit trail. Each runs a fixed
number of queries however many rows there are (the tests pin the counts). The names are
gathered here so a caller imports `needlepoint.clinic.selectors` alone."""

from needlepoint.clinic.selectors.audit import (
    AuditFilter,
    audit_events,
)
from needlepoint.clinic.selectors.check_ins import (
    CheckInSlot,
    SessionCheckIns,
    aftercare_instructions,
    check_in_schedule,
)
from needlepoint.clinic.selectors.course_summary import (
    CourseSummary,
    SeriesPoint,
    course_summary,
)
from needlepoint.clinic.selectors.dashboard import (
    COURSE_FIELDS,
    DASHBOARD_LIMIT,
    DASHBOARD_SECTIONS,
    DEFERRAL_HORIZON_DAYS,
    FLAG_FIELDS,
    SCREENING_FIELDS,
    SHOW_ALL_LIMIT,
    TODAY_FIELDS,
    Dashboard,
    Section,
    dashboard_for,
    findings_with,
)
from needlepoint.clinic.selectors.records import (
    booked_session_ids,
    consent_for_course,
    course_can_start,
    latest_assessment,
    latest_screening_detail,
    patient_clearances,
    patient_courses,
    patient_intakes,
    require_consent,
)

__all__ = [
    "COURSE_FIELDS",
    "DASHBOARD_LIMIT",
    "DASHBOARD_SECTIONS",
    "DEFERRAL_HORIZON_DAYS",
    "FLAG_FIELDS",
    "SCREENING_FIELDS",
    "SHOW_ALL_LIMIT",
    "TODAY_FIELDS",
    "AuditFilter",
    "CheckInSlot",
    "CourseSummary",
    "Dashboard",
    "Section",
    "SeriesPoint",
    "SessionCheckIns",
    "aftercare_instructions",
    "audit_events",
    "booked_session_ids",
    "check_in_schedule",
    "consent_for_course",
    "course_can_start",
    "course_summary",
    "dashboard_for",
    "findings_with",
    "latest_assessment",
    "latest_screening_detail",
    "patient_clearances",
    "patient_courses",
    "patient_intakes",
    "require_consent",
]
