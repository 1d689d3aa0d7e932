"""The days, times and practitioner a patient prefers: searched with, signed in a proposal, kept
with the course when it is booked, and used again when its sessions re-flow after a move or a
session booked again."""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Self

from django.contrib.auth import get_user_model
from django.db import transaction

from needlepoint import scheduling
from needlepoint.accounts.models import User
from needlepoint.audit.services import audit_record
from needlepoint.bookings.models import CoursePreferences
from needlepoint.clinic.models import Course
from needlepoint.clinic.services import require_role

ANY_DAY = frozenset(range(7))
DAYS = ("Mondays", "Tuesdays", "Wednesdays", "Thursdays", "Fridays", "Saturdays", "Sundays")


@dataclass(frozen=True)
class Preferences:
    """The patient's preferred weekdays (0 is Monday), times of day and practitioner."""

    weekdays: frozenset[int] = ANY_DAY
    times: tuple[scheduling.Span, ...] = ()
    practitioner_id: int | None = None

    def to_payload(self) -> dict[str, Any]:
        """The preferences as plain data (for a signed proposal)."""
        return {
            "weekdays": sorted(self.weekdays),
            "times": [[t.start, t.end, t.label] for t in self.times],
            "practitioner": self.practitioner_id,
        }

    @classmethod
    def from_payload(cls, data: dict[str, Any]) -> Self:
        """The preferences stored (or signed) as plain data; none given means any day, any time."""
        return cls(
            weekdays=frozenset(data.get("weekdays") or range(7)),
            times=tuple(
                scheduling.Span(int(a), int(b), str(label)) for a, b, label in data.get("times") or ()
            ),
            practitioner_id=data.get("practitioner"),
        )


def kept_preferences(row: CoursePreferences) -> Preferences:
    """The preferences a course's stored row holds."""
    return Preferences.from_payload(
        {"weekdays": row.weekdays, "times": row.times, "practitioner": row.practitioner_id}
    )


def preferences_for(courses: Iterable[Course]) -> dict[int, Preferences]:
    """The booking preferences stored for each of `courses` (no preference where none is). A
    move or a session booked again re-flows the later sessions with them, as they were booked."""
    ids = [c.pk for c in courses]
    stored = {p.course_id: p for p in CoursePreferences.objects.filter(course_id__in=ids)}
    return {pk: kept_preferences(stored[pk]) if pk in stored else Preferences() for pk in ids}


def preferences_keep(course: Course, data: dict[str, Any] | None) -> None:
    """Store the preferences a course was booked with (signed in its proposal; None: keep
    nothing). A practitioner who has left since is not kept."""
    if data is None:
        return
    kept = Preferences.from_payload(data)
    practitioner = kept.practitioner_id
    if practitioner is not None and not get_user_model().objects.filter(pk=practitioner).exists():
        practitioner = None
    CoursePreferences.objects.update_or_create(
        course=course,
        defaults={
            "weekdays": sorted(kept.weekdays) if kept.weekdays != ANY_DAY else [],
            "times": [[t.start, t.end, t.label] for t in kept.times],
            "practitioner_id": practitioner,
        },
    )


def describe_preferences(preferences: Preferences, practitioner_name: str = "") -> str:
    """The preferences in words, e.g. "Mondays, afternoons, with Paula Petrov"; "" for none."""
    parts = []
    if preferences.weekdays != ANY_DAY:
        parts.append(" and ".join(DAYS[d] for d in sorted(preferences.weekdays)))
    if preferences.times:
        parts.append(
            " or ".join(
                t.label or f"{t.start // 60:02d}:{t.start % 60:02d}-{t.end // 60:02d}:{t.end % 60:02d}"
                for t in preferences.times
            )
        )
    if preferences.practitioner_id is not None:
        parts.append(f"with {practitioner_name}" if practitioner_name else "with the chosen practitioner")
    return ", ".join(parts)


@transaction.atomic
def course_preferences_forget(*, course: Course, actor: User) -> bool:
    """Forget the preferences kept from the course's booking (the patient's days or times have
    changed): later moves re-flow sessions onto any day and time. Returns whether any were kept."""
    require_role(actor, doing="change a course's booking preferences")
    deleted, _ = CoursePreferences.objects.filter(course=course).delete()
    if deleted:
        audit_record(
            actor=actor,
            action="change",
            obj=course,
            summary="forgot the booking preferences kept from the course's booking",
        )
    return bool(deleted)
