"""Clinic resources (locations, practitioners' skills and hours, appointment types), the
appointments a booked course is made of, the resources each one holds, reminders and feed tokens.

A double booking is refused by the database, not only by the search: every resource an
appointment holds is a `Hold` row, and on PostgreSQL an exclusion constraint over
(resource, time range) rejects two active holds that overlap (migration 0002); on SQLite a
trigger does the same check inside the serialised (IMMEDIATE) write transaction."""

import uuid
import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from needlepoint.scheduling import SchedulingError, WeeklyHours

USER = settings.AUTH_USER_MODEL


def validate_zone(value: str) -> None:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise ValidationError(f"{value!r} is not a time zone (e.g. Europe/London)") from exc


def validate_hours(value: str) -> None:
    try:
        WeeklyHours.parse(value)
    except SchedulingError as exc:
        raise ValidationError(
            f"{exc}: write hours like 'mon-fri 09:00-13:00 14:00-18:00; sat 09:00-13:00'"
        ) from exc


class Location(models.Model):
    """A clinic site: its time zone, opening hours and the grid appointments start on."""

    name = models.CharField(max_length=100, unique=True)
    address = models.TextField(blank=True)
    time_zone = models.CharField(max_length=64, default="Europe/London", validators=[validate_zone])
    opening_hours = models.CharField(
        max_length=300, validators=[validate_hours], help_text="e.g. mon-fri 09:00-18:00; sat 09:00-13:00"
    )
    slot_minutes = models.PositiveSmallIntegerField(default=15)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(slot_minutes__gte=5) & Q(slot_minutes__lte=240),
                name="location_slot_minutes_range",
            )
        ]

    def __str__(self) -> str:
        return self.name


class Closure(models.Model):
    """Days a location is closed, first and last included."""

    location = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="closures")
    first = models.DateField()
    last = models.DateField()
    reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["first"]
        constraints = [
            models.CheckConstraint(condition=Q(last__gte=models.F("first")), name="closure_last_after_first")
        ]

    def __str__(self) -> str:
        return f"{self.location}: {self.first} to {self.last} {self.reason}".strip()


class Skill(models.TextChoices):
    MICRONEEDLING = "microneedling", "Microneedling"
    PRP_DRAW = "prp_draw", "PRP/PRF blood draw"


class PractitionerProfile(models.Model):
    """What a practitioner can do and when they work, at one location."""

    user = models.OneToOneField(USER, on_delete=models.CASCADE, related_name="practitioner_profile")
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="practitioners")
    skills = models.JSONField(default=list, blank=True)  # values of Skill
    working_hours = models.CharField(
        max_length=300, validators=[validate_hours], help_text="e.g. mon-thu 09:00-17:00; sat 09:00-13:00"
    )
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["user__last_name", "user__first_name"]

    def clean(self) -> None:
        unknown = set(self.skills or []) - set(Skill.values)
        if unknown:
            raise ValidationError({"skills": f"unknown skills {sorted(unknown)}; known: {Skill.values}"})
        if self.user_id and not self.user.is_clinical:
            raise ValidationError({"user": "only a practitioner or the medical director can treat"})

    def __str__(self) -> str:
        return f"{self.user.get_full_name() or self.user.username} ({self.location})"


class AppointmentKind(models.TextChoices):
    CONSULTATION = "consultation", "Consultation"
    TREATMENT = "treatment", "Microneedling session"
    TREATMENT_PRP = "treatment_prp", "Microneedling session with PRP/PRF"


class AppointmentType(models.Model):
    """A kind of visit and its durations. A treatment starts with numbing time in a numbing
    chair (not a treatment room); with PRP/PRF the blood is drawn and spun during numbing."""

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=20, choices=AppointmentKind.choices)
    numbing_minutes = models.PositiveSmallIntegerField(default=0)
    draw_minutes = models.PositiveSmallIntegerField(default=0)
    spin_minutes = models.PositiveSmallIntegerField(default=0)
    minutes = models.PositiveSmallIntegerField(help_text="the consultation or the treatment itself")

    class Meta:
        ordering = ["name"]
        constraints = [models.CheckConstraint(condition=Q(minutes__gt=0), name="appointment_type_minutes")]

    def __str__(self) -> str:
        return self.name


class AppointmentStatus(models.TextChoices):
    """booked → arrived → attended; or no-show, cancelled, or cancelled late (inside the clinic's
    notice period, NEEDLEPOINT_LATE_CANCEL_HOURS)."""

    BOOKED = "booked", "Booked"
    ARRIVED = "arrived", "Arrived"
    ATTENDED = "attended", "Attended"
    NO_SHOW = "no_show", "Did not attend"
    CANCELLED = "cancelled", "Cancelled"
    LATE_CANCELLATION = "late_cancellation", "Cancelled late"


LIVE = (AppointmentStatus.BOOKED, AppointmentStatus.ARRIVED, AppointmentStatus.ATTENDED)
"""The visit is on (or took place): it holds its resources and keeps its session."""

UPCOMING = (AppointmentStatus.BOOKED, AppointmentStatus.ARRIVED)
"""The visit has not been done yet: it can move (booked only), be cancelled or be marked."""

CANCELLED = (AppointmentStatus.CANCELLED, AppointmentStatus.LATE_CANCELLATION)
"""Called off before it happened: its resources are free again."""

ENDED = (*CANCELLED, AppointmentStatus.NO_SHOW)
"""It will not happen: its session is free to be booked again. A no-show keeps its holds (the
time was set aside and lost); a cancellation frees them."""


class CoursePreferences(models.Model):
    """The patient's preferred weekdays, times of day and practitioner for a course, as the
    front desk gave them when the course was booked. Moving a session, booking a cancelled one
    again and the waiting list keep to them; no row means no preference."""

    course = models.OneToOneField(
        "clinic.Course", on_delete=models.CASCADE, related_name="booking_preferences"
    )
    weekdays = models.JSONField(default=list)  # 0 is Monday; empty: any day
    times = models.JSONField(default=list)  # [[start minute, end minute, label], ...]; empty: any time
    practitioner = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "course preferences"

    def __str__(self) -> str:
        return f"booking preferences of course {self.course_id}"


class Appointment(models.Model):
    """One visit on the calendar: a consultation, or a session of a booked course.

    `uid` is the stable calendar identity (iCalendar UID); `sequence` rises on every change a
    calendar should see (move, cancel); `version` guards against stale edits."""

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    patient = models.ForeignKey("clinic.Patient", on_delete=models.PROTECT, related_name="appointments")
    course = models.ForeignKey(
        "clinic.Course", null=True, blank=True, on_delete=models.PROTECT, related_name="appointments"
    )
    session = models.OneToOneField(
        "clinic.TreatmentSession", null=True, blank=True, on_delete=models.PROTECT, related_name="appointment"
    )
    appointment_type = models.ForeignKey(AppointmentType, on_delete=models.PROTECT, related_name="+")
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="appointments")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    status = models.CharField(
        max_length=20, choices=AppointmentStatus.choices, default=AppointmentStatus.BOOKED
    )
    practitioner = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="appointments"
    )
    room = models.ForeignKey(
        "clinic.Room", null=True, blank=True, on_delete=models.PROTECT, related_name="appointments"
    )
    window_earliest = models.DateField(null=True, blank=True)
    window_latest = models.DateField(null=True, blank=True)
    sequence = models.PositiveIntegerField(default=0)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.CharField(max_length=200, blank=True)
    arrived_at = models.DateTimeField(null=True, blank=True)
    attended_at = models.DateTimeField(null=True, blank=True)
    no_show_at = models.DateTimeField(null=True, blank=True)
    inquiry = models.ForeignKey(
        "clinic.Inquiry", null=True, blank=True, on_delete=models.PROTECT, related_name="appointments"
    )

    class Meta:
        ordering = ["starts_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="appointment_ends_after_start"
            ),
            models.CheckConstraint(
                condition=Q(status__in=AppointmentStatus.values), name="appointment_status_known"
            ),
            models.CheckConstraint(
                condition=(Q(status__in=CANCELLED) & Q(cancelled_at__isnull=False))
                | (~Q(status__in=CANCELLED) & Q(cancelled_at__isnull=True)),
                name="appointment_cancelled_iff_cancelled_at",
            ),
            models.CheckConstraint(
                condition=(Q(status="attended") & Q(attended_at__isnull=False))
                | (~Q(status="attended") & Q(attended_at__isnull=True)),
                name="appointment_attended_iff_attended_at",
            ),
            models.CheckConstraint(
                condition=(Q(status="no_show") & Q(no_show_at__isnull=False))
                | (~Q(status="no_show") & Q(no_show_at__isnull=True)),
                name="appointment_no_show_iff_no_show_at",
            ),
            models.CheckConstraint(
                condition=~Q(status="arrived") | Q(arrived_at__isnull=False),
                name="appointment_arrived_has_arrived_at",
            ),
            models.CheckConstraint(
                condition=Q(session__isnull=True) | Q(course__isnull=False),
                name="appointment_session_has_course",
            ),
        ]
        indexes = [
            models.Index(fields=["location", "starts_at"], name="appointment_location_start"),
            models.Index(fields=["practitioner", "starts_at"], name="appointment_practitioner_start"),
        ]

    def __str__(self) -> str:
        return f"{self.appointment_type} {self.starts_at:%Y-%m-%d %H:%M}"

    @property
    def is_cancelled(self) -> bool:
        return self.status in CANCELLED

    @property
    def is_live(self) -> bool:
        return self.status in LIVE

    @property
    def is_consultation(self) -> bool:
        return self.session_id is None and self.course_id is None


class Hold(models.Model):
    """One resource held by one step of an appointment, [starts_at, ends_at).

    `resource` names it as the scheduling core does: "practitioner:<user id>", "room:<id>",
    "device:<id>". Only active holds count; cancelling an appointment deactivates its holds."""

    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE, related_name="holds")
    resource = models.CharField(max_length=40)
    role = models.CharField(max_length=20)  # practitioner | room | device
    kind = models.CharField(max_length=20)  # practitioner | treatment | numbing | consult | pen | centrifuge
    step = models.CharField(max_length=40)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["starts_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="hold_ends_after_start"
            )
        ]
        indexes = [
            models.Index(fields=["resource", "starts_at"], name="hold_resource_start"),
            models.Index(fields=["starts_at"], name="hold_start"),
        ]


class FeedKind(models.TextChoices):
    PRACTITIONER = "practitioner", "Practitioner's appointments"
    COURSE = "course", "Patient's course"


class FeedToken(models.Model):
    """A private, revocable calendar-feed address. Only a hash of the token is stored: the
    address is shown once when it is made."""

    kind = models.CharField(max_length=20, choices=FeedKind.choices)
    practitioner = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.CASCADE, related_name="feed_tokens"
    )
    course = models.ForeignKey(
        "clinic.Course", null=True, blank=True, on_delete=models.CASCADE, related_name="feed_tokens"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(kind="practitioner") & Q(practitioner__isnull=False) & Q(course__isnull=True))
                | (Q(kind="course") & Q(course__isnull=False) & Q(practitioner__isnull=True)),
                name="feed_token_owner_matches_kind",
            )
        ]


class ReminderKind(models.TextChoices):
    PREPARATION = "preparation", "Preparation"
    AFTERCARE = "aftercare", "Aftercare"
    CHECK_IN = "check_in", "Check-in invitation"
    NEXT_SESSION = "next_session", "Next-session reminder"


class ReminderStatus(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    CANCELLED = "cancelled", "Cancelled"
    FAILED = "failed", "Failed"


PENDING = ("scheduled", "sending")
"""Reminder statuses still on their way: one of a kind per appointment and moment."""


class Reminder(models.Model):
    """A message due to a patient about one appointment. (appointment, kind, code) is unique,
    so scheduling again never makes a second one, and two pending reminders of one kind at one
    moment are refused, so one visit never gets the same letter twice.

    Sending claims the row with a conditional update (scheduled → sending) that notes the
    attempt, when it was claimed and the email's Message-ID, so a retried or restarted task
    never sends twice and the sweep can tell an interrupted send from a live one
    (`needlepoint.bookings.tasks`)."""

    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE, related_name="reminders")
    kind = models.CharField(max_length=20, choices=ReminderKind.choices)
    code = models.CharField(max_length=60)  # e.g. "before-14", "day_before", "day-1"
    due_at = models.DateTimeField()
    status = models.CharField(max_length=20, choices=ReminderStatus.choices, default=ReminderStatus.SCHEDULED)
    subject = models.CharField(max_length=200)
    body = models.TextField()
    task_id = models.CharField(max_length=64, blank=True)
    attempt = models.UUIDField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    message_id = models.CharField(max_length=200, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["due_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["appointment", "kind", "code"], name="reminder_unique_per_appointment"
            ),
            models.UniqueConstraint(
                fields=["appointment", "kind", "due_at"],
                condition=Q(status__in=PENDING),
                name="reminder_once_per_moment",
            ),
            models.CheckConstraint(
                condition=~Q(status="sending") | (Q(attempt__isnull=False) & Q(claimed_at__isnull=False)),
                name="reminder_sending_is_claimed",
            ),
        ]
        indexes = [models.Index(fields=["status", "due_at"], name="reminder_status_due")]


class Delivery(models.Model):
    """One attempt to deliver a reminder, as the mail backend reported it."""

    reminder = models.ForeignKey(Reminder, on_delete=models.PROTECT, related_name="deliveries")
    recipient = models.CharField(max_length=254)
    attempted_at = models.DateTimeField(auto_now_add=True)
    ok = models.BooleanField()
    detail = models.TextField(blank=True)

    class Meta:
        ordering = ["-attempted_at", "-id"]
