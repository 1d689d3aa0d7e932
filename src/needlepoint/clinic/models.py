"""The clinic's records. Rows map to the pure core's objects (intake JSON in the contract's
shape, screening and plan documents); writes go through `services`.

What must never happen is refused by the database: a signed chart or a consent is never
changed (triggers, migration 0002), scores stay in range (check constraints), a session number
is unique within its course."""

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.db import models
from django.db.models import Q

from needlepoint.clinic.consent_copy import content_sha256
from needlepoint.clinical.protocol import ABSOLUTE_MAX_DEPTH_MM
from needlepoint.clinical.scales import (
    GAIS_RANGE,
    GOODMAN_BARON_RANGE,
    MASI_RANGE,
    MMASI_RANGE,
    PHOTOTYPE_RANGE,
)
from needlepoint.clinical.screening import BLOCKING

if TYPE_CHECKING:
    from needlepoint.bookings.models import Appointment

USER = settings.AUTH_USER_MODEL


class Patient(models.Model):
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    birth_date = models.DateField()
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    user = models.OneToOneField(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="patient"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    version = models.PositiveIntegerField(default=1)
    # A record registered although it matched another (same name and birth date, or email):
    # the record it matched and the reason staff gave for keeping a separate one.
    duplicate_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    duplicate_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["last_name", "first_name", "id"]
        indexes = [
            models.Index(fields=["last_name", "first_name"]),
            models.Index(fields=["birth_date"], name="patient_birth_date"),
        ]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def record_number(self) -> str:
        """The record's number as staff read and quote it ("NP-000042"): stable for life."""
        return f"NP-{self.pk:06d}" if self.pk else ""


class IntakeSource(models.TextChoices):
    CONSULTATION = "consultation", "Consultation"
    PORTAL = "portal", "Patient portal"
    INQUIRY = "inquiry", "Public inquiry"
    DAY_OF = "day_of", "Day-of re-screen"


class Intake(models.Model):
    """One version of a patient's intake, stored in the contract's JSON shape."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="intakes")
    number = models.PositiveIntegerField()
    data = models.JSONField()
    source = models.CharField(max_length=20, choices=IntakeSource.choices)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["patient", "-number"]
        constraints = [models.UniqueConstraint(fields=["patient", "number"], name="intake_number_unique")]


class Decision(models.TextChoices):
    CONTRAINDICATED = "contraindicated", "Not suitable"
    DEFER = "defer", "Not yet"
    NEEDS_CLEARANCE = "needs_clearance", "Needs a doctor's clearance"
    PROCEED_WITH_PRECAUTIONS = "proceed_with_precautions", "Suitable, with precautions"
    ELIGIBLE = "eligible", "Suitable"


class Screening(models.Model):
    """A screening as the core produced it, with the protocol version it was made with and the
    clearances that were applied."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="screenings")
    intake = models.ForeignKey(Intake, on_delete=models.PROTECT, related_name="screenings")
    decision = models.CharField(max_length=30, choices=Decision.choices)
    earliest_date = models.DateField(null=True, blank=True)
    result = models.JSONField()
    cleared_codes = models.JSONField(default=list, blank=True)
    protocol_id = models.CharField(max_length=100)
    protocol_version = models.CharField(max_length=100)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-created_at", "-id"]
        # The dashboard and every record look up each patient's latest screening; the dashboard
        # lists the latest that wait for a clearance or defer, found through the partial indexes
        # (few rows) rather than by reading every screening.
        indexes = [
            models.Index(fields=["patient", "-created_at", "-id"], name="screening_latest"),
            models.Index(
                fields=["created_at", "id"],
                condition=Q(decision="needs_clearance"),
                name="screening_needs_clearance",
            ),
            models.Index(
                fields=["earliest_date", "id"], condition=Q(decision="defer"), name="screening_deferred"
            ),
        ]

    @property
    def is_blocking(self) -> bool:
        """True when the decision stops treatment (contraindicated, deferred, or waiting on a
        doctor's clearance)."""
        return self.decision in BLOCKING


class Clearance(models.Model):
    """A doctor's clearance lifting a `needs_clearance` finding: who, when, on what basis."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="clearances")
    finding_code = models.CharField(max_length=64)
    basis = models.TextField()
    screening = models.ForeignKey(Screening, on_delete=models.PROTECT, related_name="clearances")
    given_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    given_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-given_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "finding_code"],
                condition=Q(revoked_at__isnull=True),
                name="one_active_clearance_per_finding",
            )
        ]


class Assessment(models.Model):
    """Skin and scar assessment at a consultation or visit."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="assessments")
    assessed_at = models.DateTimeField(auto_now_add=True)
    assessed_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    phototype = models.PositiveSmallIntegerField(null=True, blank=True)
    phototype_answers = models.JSONField(null=True, blank=True)
    goodman_baron_grade = models.PositiveSmallIntegerField(null=True, blank=True)
    # {area: {icepick, boxcar, rolling, hypertrophic}}
    scar_counts = models.JSONField(default=dict, blank=True)
    masi_regions = models.JSONField(null=True, blank=True)
    masi = models.FloatField(null=True, blank=True)
    mmasi = models.FloatField(null=True, blank=True)
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["-assessed_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(phototype__isnull=True) | Q(phototype__range=PHOTOTYPE_RANGE),
                name="assessment_phototype_range",
            ),
            models.CheckConstraint(
                condition=Q(goodman_baron_grade__isnull=True)
                | Q(goodman_baron_grade__range=GOODMAN_BARON_RANGE),
                name="assessment_gb_grade_range",
            ),
            models.CheckConstraint(
                condition=Q(mmasi__isnull=True) | Q(mmasi__range=MMASI_RANGE), name="assessment_mmasi_range"
            ),
            models.CheckConstraint(
                condition=Q(masi__isnull=True) | Q(masi__range=MASI_RANGE), name="assessment_masi_range"
            ),
        ]


class CourseStatus(models.TextChoices):
    DRAFT = "draft", "Draft plan"
    APPROVED = "approved", "Approved"
    ACTIVE = "active", "In progress"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"


APPROVED_COURSE_STATUSES = (CourseStatus.APPROVED, CourseStatus.ACTIVE)
"""A course approved and not over (approved, or under way): consent may be signed for it and its
sessions booked, treated and followed up."""


class Course(models.Model):
    """A planned course of treatment: the core's plan document, edited within the protocol's
    limits, then approved. `version` guards against stale edits."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="courses")
    screening = models.ForeignKey(Screening, on_delete=models.PROTECT, related_name="courses")
    assessment = models.ForeignKey(
        Assessment, null=True, blank=True, on_delete=models.PROTECT, related_name="courses"
    )
    status = models.CharField(max_length=20, choices=CourseStatus.choices, default=CourseStatus.DRAFT)
    goal = models.CharField(max_length=40)
    plan = models.JSONField()
    start_date = models.DateField()
    protocol_id = models.CharField(max_length=100)
    protocol_version = models.CharField(max_length=100)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    approved_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    summary = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "approved_at"], name="course_status_approved")]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="draft") | Q(approved_at__isnull=False), name="course_approved_has_time"
            )
        ]


class DepthOverride(models.Model):
    """A medical director's permission to plan an area deeper than the protocol's ceiling."""

    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="overrides")
    area = models.CharField(max_length=40)
    depth_max_mm = models.DecimalField(max_digits=4, decimal_places=2)
    reason = models.TextField()
    given_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    given_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["course", "area"], name="one_override_per_area"),
            models.CheckConstraint(condition=Q(depth_max_mm__gt=0), name="override_depth_positive"),
        ]


class ConsentText(models.Model):
    """A version of the consent text for a treatment, written by the medical director.

    A draft (`published_at` empty) can be edited (`revision` guards against stale edits);
    publishing it makes it the text new consents for its treatment use (the latest published).
    A published text is never changed or deleted: the database refuses it (migration 0011)."""

    treatment = models.CharField(max_length=40, default="microneedling")
    version = models.CharField(max_length=20)
    title = models.CharField(max_length=200)
    body = models.TextField()
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    written_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    revision = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["treatment", "-published_at"]
        constraints = [
            models.UniqueConstraint(fields=["treatment", "version"], name="consent_text_version_unique")
        ]

    @property
    def is_published(self) -> bool:
        return self.published_at is not None

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        if self.is_published:
            raise PermissionError("a published consent text cannot be deleted")
        return super().delete(*args, **kwargs)


class ConsentChannel(models.TextChoices):
    PORTAL = "portal", "Patient portal"
    TABLET = "tablet", "Clinic tablet"


class Consent(models.Model):
    """A signed consent: typed name, drawn signature, time, and a copy of exactly what the
    patient was shown. Immutable: the database refuses UPDATE and DELETE (migration 0002).

    The copy: `text_shown` (treatment, version, title and body of the consent text) and
    `plan_shown` (the plan agreed: goal, sessions, days between them, areas with their depth
    ranges, adjuncts, and the sentences the page showed), built by `clinic.consent_copy`.
    `content_sha256` is the SHA-256 (hex) of the canonical serialisation of both: the JSON
    object {"plan": plan_shown, "text": text_shown} dumped with sorted keys, separators ","
    and ":", non-ASCII characters unescaped, encoded in UTF-8 (Python:
    `json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False)`).
    `copy_reconstructed` is True for consents signed before copies were kept: their copy was
    rebuilt from the text version and the course's plan as they stood when copies began."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="consents")
    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="consents")
    consent_text = models.ForeignKey(ConsentText, on_delete=models.PROTECT, related_name="+")
    typed_name = models.CharField(max_length=200)
    signature_png = models.TextField()  # data:image/png;base64,... of the drawn signature
    signed_at = models.DateTimeField(auto_now_add=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    channel = models.CharField(max_length=10, choices=ConsentChannel.choices)
    witnessed_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    text_shown = models.JSONField(default=dict, blank=True)
    plan_shown = models.JSONField(default=dict, blank=True)
    content_sha256 = models.CharField(max_length=64, blank=True)
    copy_reconstructed = models.BooleanField(default=False)

    class Meta:
        ordering = ["-signed_at"]
        constraints = [
            models.UniqueConstraint(fields=["course", "consent_text"], name="one_consent_per_course_text")
        ]

    @property
    def copy_intact(self) -> bool:
        """Does the stored hash still match the stored copy (recomputed now)?"""
        recomputed = content_sha256(self.text_shown, self.plan_shown)
        return bool(self.content_sha256) and recomputed == self.content_sha256


class Room(models.Model):
    name = models.CharField(max_length=100, unique=True)
    kind = models.CharField(max_length=20, default="treatment")  # treatment | numbing | consult
    location = models.ForeignKey(
        "bookings.Location", null=True, blank=True, on_delete=models.PROTECT, related_name="rooms"
    )

    def __str__(self) -> str:
        return self.name


class Device(models.Model):
    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=20)  # pen | centrifuge
    serial = models.CharField(max_length=100, unique=True)
    location = models.ForeignKey(
        "bookings.Location", null=True, blank=True, on_delete=models.PROTECT, related_name="devices"
    )

    def __str__(self) -> str:
        return f"{self.name} ({self.serial})"


class SessionStatus(models.TextChoices):
    PLANNED = "planned", "Planned"
    BLOCKED = "blocked", "Blocked by re-screen"
    IN_PROGRESS = "in_progress", "Being charted"
    SIGNED = "signed", "Signed"
    CANCELLED = "cancelled", "Cancelled"


class TreatmentSession(models.Model):
    """One session of a course and its chart. Signed charts are immutable (database trigger);
    later corrections are addenda. When the session is (or was) lives only on its appointment
    (`bookings.Appointment`, reverse `session.appointment`): `visit` and `visit_at` read it
    (select_related("appointment") to read it in the same query)."""

    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="sessions")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="sessions")
    number = models.PositiveSmallIntegerField()
    status = models.CharField(max_length=20, choices=SessionStatus.choices, default=SessionStatus.PLANNED)
    practitioner = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    day_of_screening = models.ForeignKey(
        Screening, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    device = models.ForeignKey(Device, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    cartridge_lot = models.CharField(max_length=60, blank=True)
    anaesthetic_on = models.DateTimeField(null=True, blank=True)
    anaesthetic_off = models.DateTimeField(null=True, blank=True)
    adjuncts = models.JSONField(default=dict, blank=True)  # {"prp_ml": 4.0, "topicals": ["glide_gel"]}
    end_point = models.CharField(max_length=40, blank=True)  # pinpoint_bleeding | erythema
    immediate_reactions = models.TextField(blank=True)
    notes = models.TextField(blank=True)
    version = models.PositiveIntegerField(default=1)
    signed_at = models.DateTimeField(null=True, blank=True)
    signed_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    # A chart written after the day of its visit (a late entry): when and by whom it was first
    # written late. Set once, never cleared.
    entered_late_at = models.DateTimeField(null=True, blank=True)
    entered_late_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["course", "number"]
        constraints = [
            models.UniqueConstraint(fields=["course", "number"], name="session_number_unique"),
            models.CheckConstraint(
                condition=(Q(status="signed") & Q(signed_at__isnull=False))
                | (~Q(status="signed") & Q(signed_at__isnull=True)),
                name="session_signed_iff_signed_at",
            ),
            models.CheckConstraint(
                condition=Q(anaesthetic_on__isnull=True)
                | Q(anaesthetic_off__isnull=True)
                | Q(anaesthetic_off__gte=models.F("anaesthetic_on")),
                name="session_anaesthetic_order",
            ),
        ]

    @property
    def visit(self) -> "Appointment | None":
        """The session's appointment while it is on or took place (booked, arrived, attended);
        None when it has none, or only a cancelled or missed one."""
        try:
            appointment = self.appointment
        except ObjectDoesNotExist:
            return None
        return appointment if appointment.status in VISIT_STATUSES else None

    @property
    def visit_at(self) -> dt.datetime | None:
        """When the patient is due (or came): the start of the session's appointment."""
        visit = self.visit
        return visit.starts_at if visit is not None else None


VISIT_STATUSES = ("booked", "arrived", "attended")
"""Appointment statuses of a visit that is on or took place (bookings.models.LIVE)."""


class AreaTreatment(models.Model):
    session = models.ForeignKey(TreatmentSession, on_delete=models.PROTECT, related_name="areas")
    area = models.CharField(max_length=40)
    depth_mm = models.DecimalField(max_digits=4, decimal_places=2)
    passes = models.PositiveSmallIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["session", "area"], name="area_once_per_session"),
            models.CheckConstraint(
                condition=Q(depth_mm__gt=0) & Q(depth_mm__lte=ABSOLUTE_MAX_DEPTH_MM), name="area_depth_range"
            ),
            models.CheckConstraint(condition=Q(passes__gte=1) & Q(passes__lte=20), name="area_passes_range"),
        ]


class Severity(models.TextChoices):
    MILD = "mild", "Mild"
    MODERATE = "moderate", "Moderate"
    SEVERE = "severe", "Severe"


class AdverseEvent(models.Model):
    session = models.ForeignKey(TreatmentSession, on_delete=models.PROTECT, related_name="adverse_events")
    kind = models.CharField(max_length=60)
    severity = models.CharField(max_length=10, choices=Severity.choices)
    action = models.TextField()
    noted_at = models.DateTimeField(auto_now_add=True)
    noted_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")


class Addendum(models.Model):
    session = models.ForeignKey(TreatmentSession, on_delete=models.PROTECT, related_name="addenda")
    text = models.TextField()
    written_at = models.DateTimeField(auto_now_add=True)
    written_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["written_at"]


CHECK_IN_DAYS_RECORDED = (1, 3, 7)
CHECK_IN_SCORE_MAX_RECORDED = 10
"""The check-in days and highest score the database accepts: the default protocol's. A protocol
with other days or a longer score scale needs a migration of the check constraints (the
aftercare services refuse to start without one)."""


class CheckIn(models.Model):
    """A patient's check-in after a session, on one of the protocol's check-in days (the
    database accepts `CHECK_IN_DAYS_RECORDED`). `warning_signs` holds the protocol's codes."""

    session = models.ForeignKey(TreatmentSession, on_delete=models.PROTECT, related_name="check_ins")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="check_ins")
    day = models.PositiveSmallIntegerField()
    submitted_at = models.DateTimeField(auto_now_add=True)
    redness = models.PositiveSmallIntegerField()
    swelling = models.PositiveSmallIntegerField()
    pain = models.PositiveSmallIntegerField()
    warning_signs = models.JSONField(default=list, blank=True)
    note = models.TextField(blank=True)
    expected = models.BooleanField(default=True)  # within the expected recovery

    class Meta:
        ordering = ["-submitted_at"]
        constraints = [
            models.UniqueConstraint(fields=["session", "day"], name="one_check_in_per_day"),
            models.CheckConstraint(condition=Q(day__in=CHECK_IN_DAYS_RECORDED), name="check_in_day_valid"),
            models.CheckConstraint(
                condition=Q(redness__lte=CHECK_IN_SCORE_MAX_RECORDED)
                & Q(swelling__lte=CHECK_IN_SCORE_MAX_RECORDED)
                & Q(pain__lte=CHECK_IN_SCORE_MAX_RECORDED),
                name="check_in_scores_range",
            ),
        ]


class Flag(models.Model):
    """Something staff must look at (a warning sign in a check-in, a recovery off course, an
    undelivered reminder). An urgent flag (a warning sign) emails the on-call clinician at once
    and, unless a clinician acknowledges it in time, the medical directors (`escalated_*`).
    Acknowledging ("I have it") and resolving ("this was done") are recorded with who and when;
    a resolved flag is always acknowledged."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="flags")
    check_in = models.ForeignKey(
        CheckIn, null=True, blank=True, on_delete=models.PROTECT, related_name="flags"
    )
    reason = models.CharField(max_length=300)
    urgent = models.BooleanField(default=False)
    raised_at = models.DateTimeField(auto_now_add=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    escalated_at = models.DateTimeField(null=True, blank=True)
    escalated_to = models.JSONField(default=list, blank=True)  # the addresses emailed
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    resolution = models.TextField(blank=True)

    class Meta:
        ordering = ["-raised_at"]
        indexes = [models.Index(fields=["resolved_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(acknowledged_at__isnull=True, acknowledged_by__isnull=True)
                | Q(acknowledged_at__isnull=False, acknowledged_by__isnull=False),
                name="flag_acknowledged_by_whom",
            ),
            models.CheckConstraint(
                condition=Q(resolved_at__isnull=True) | Q(acknowledged_at__isnull=False),
                name="flag_resolved_is_acknowledged",
            ),
        ]


class AlertKind(models.TextChoices):
    ON_CALL = "on_call", "On-call clinician emailed"
    ESCALATION = "escalation", "Escalated to the medical director"


class AlertStatus(models.TextChoices):
    SCHEDULED = "scheduled", "Waiting to be sent"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Not delivered"


class StaffAlert(models.Model):
    """An email to staff about an urgent flag: the on-call clinician at once, the medical
    directors when nobody acknowledged it in time. One of each kind per flag (the database
    refuses a second); sent by the worker with the same claim as reminders, so a killed worker
    neither loses nor doubles it (`needlepoint.clinic.alerts`)."""

    flag = models.ForeignKey(Flag, on_delete=models.PROTECT, related_name="alerts")
    kind = models.CharField(max_length=20, choices=AlertKind.choices)
    recipients = models.JSONField(default=list, blank=True)
    subject = models.CharField(max_length=200)
    body = models.TextField()
    status = models.CharField(max_length=20, choices=AlertStatus.choices, default=AlertStatus.SCHEDULED)
    task_id = models.CharField(max_length=64, blank=True)
    attempt = models.UUIDField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    message_id = models.CharField(max_length=200, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    detail = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["flag", "kind"], name="staff_alert_once_per_flag"),
            models.CheckConstraint(
                condition=~Q(status="sending") | (Q(attempt__isnull=False) & Q(claimed_at__isnull=False)),
                name="staff_alert_sending_is_claimed",
            ),
        ]
        indexes = [models.Index(fields=["status"], name="staff_alert_status")]


class OutcomeKind(models.TextChoices):
    VISIT = "visit", "At a visit"
    COURSE_END = "course_end", "After the course"


class Outcome(models.Model):
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="outcomes")
    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="outcomes")
    session = models.ForeignKey(
        TreatmentSession, null=True, blank=True, on_delete=models.PROTECT, related_name="outcomes"
    )
    kind = models.CharField(max_length=20, choices=OutcomeKind.choices)
    recorded_at = models.DateTimeField(auto_now_add=True)
    recorded_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    # The day the scores belong to (clinic's zone): the day of the visit (its appointment) for
    # scores at a visit, the day they were recorded for scores after the course.
    taken_on = models.DateField()
    goodman_baron_grade = models.PositiveSmallIntegerField(null=True, blank=True)
    # {area: {scar type: count or None}}; None is "not counted", never 0
    scar_counts = models.JSONField(default=dict, blank=True)
    mmasi = models.FloatField(null=True, blank=True)
    gais = models.PositiveSmallIntegerField(null=True, blank=True)  # patient-rated, 1-5

    class Meta:
        ordering = ["taken_on", "recorded_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(gais__isnull=True) | Q(gais__range=GAIS_RANGE), name="outcome_gais_range"
            ),
            models.CheckConstraint(
                condition=Q(goodman_baron_grade__isnull=True)
                | Q(goodman_baron_grade__range=GOODMAN_BARON_RANGE),
                name="outcome_gb_grade_range",
            ),
            models.CheckConstraint(
                condition=Q(mmasi__isnull=True) | Q(mmasi__range=MMASI_RANGE), name="outcome_mmasi_range"
            ),
        ]


class InquiryStatus(models.TextChoices):
    NEW = "new", "New"
    CONTACTED = "contacted", "Contacted"
    BOOKED = "booked", "Consultation booked"
    CLOSED = "closed", "Closed"


class Inquiry(models.Model):
    """A visitor's request for a consultation, stored only with their consent."""

    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    email = models.EmailField()
    phone = models.CharField(max_length=40, blank=True)
    answers = models.JSONField()  # the intake they answered (contract shape)
    screening = models.JSONField()  # what they were told
    consented_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(max_length=20, choices=InquiryStatus.choices, default=InquiryStatus.NEW)
    patient = models.ForeignKey(
        Patient, null=True, blank=True, on_delete=models.SET_NULL, related_name="inquiries"
    )

    class Meta:
        ordering = ["-created_at"]
