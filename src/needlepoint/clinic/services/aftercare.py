"""Aftercare check-ins after a session, compared with the expected recovery, and the flags
they raise for staff.

The expected recovery is the clinic protocol's (`recovery` section and `check_in` care items),
read by the pure `needlepoint.clinical.recovery`; this module adapts it to the clinic's records:
who may check in, on which day, and the flag a check-in off course raises."""

import copy
import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError, transaction
from django.utils import timezone

from needlepoint.accounts.models import User
from needlepoint.audit.services import audit_record
from needlepoint.clinic.models import (
    CHECK_IN_DAYS_RECORDED,
    CHECK_IN_SCORE_MAX_RECORDED,
    CheckIn,
    Flag,
    SessionStatus,
    TreatmentSession,
)
from needlepoint.clinic.protocol import clinic_protocol
from needlepoint.clinic.services import ServiceError, clinic_today, require_role, validated
from needlepoint.clinical import recovery
from needlepoint.clinical.recovery import SCORES, RecoveryReview, RecoveryRules
from needlepoint.words import human_list, human_when

RULES = RecoveryRules.of(clinic_protocol())
"""The clinic protocol's recovery rules, read once per process like the rest of the protocol."""

if (
    not set(RULES.check_in_days) <= set(CHECK_IN_DAYS_RECORDED)
    or RULES.score_max > CHECK_IN_SCORE_MAX_RECORDED
):
    raise ImproperlyConfigured(
        f"The protocol's check-in days {list(RULES.check_in_days)} or scores (0-{RULES.score_max}) "
        f"do not fit the CheckIn table (days {list(CHECK_IN_DAYS_RECORDED)}, scores "
        f"0-{CHECK_IN_SCORE_MAX_RECORDED}): migrate its check constraints first."
    )

CHECK_IN_DAYS = RULES.check_in_days
"""Days after the session (day 0) on which the patient checks in."""

SCORE_MAX = RULES.score_max
WARNING_SIGNS = tuple(RULES.warning_signs)
"""The codes of the warning signs a patient can report, in the protocol's order."""

WARNING_SIGN_LABELS = RULES.warning_signs
"""Warning sign code → the words patients read ("a cold sore")."""

SCORE_LABELS: dict[str, str] = {name: name for name in SCORES}


def review_recovery(
    *, day: int, scores: Mapping[str, int], warning_signs: Sequence[str], previous: Mapping[str, int] | None
) -> RecoveryReview:
    """Return how a check-in compares with the clinic protocol's expected recovery."""
    return recovery.review_recovery(
        RULES, day=day, scores=scores, warning_signs=warning_signs, previous=previous
    )


def session_day(session: TreatmentSession) -> dt.date | None:
    """Return the date of the session (day 0) in the clinic's zone: its appointment's date, or
    when it was signed if it had no appointment."""
    at = session.visit_at or session.signed_at
    return timezone.localdate(at, timezone.get_default_timezone()) if at else None


def check_in_state(
    session: TreatmentSession, day: int, done: bool, today: dt.date | None = None
) -> recovery.CheckInState:
    """Return "done", "upcoming" (not yet the day), "due", "overdue" or "closed" (missed)."""
    return recovery.check_in_state(
        RULES, start=session_day(session), day=day, done=done, today=today or clinic_today()
    )


def _check_session(session: TreatmentSession, actor: User) -> None:
    if session.patient.user_id is None or session.patient.user_id != actor.pk:
        raise ServiceError("You can only check in for your own treatment sessions.", field="session")
    if session.status != SessionStatus.SIGNED:
        raise ServiceError("Check-ins open once the session has been completed and signed.", field="session")


def _check_day(session: TreatmentSession, day: int) -> None:
    if day not in CHECK_IN_DAYS:
        raise ServiceError(
            f"Check-ins are on days {human_list([str(d) for d in CHECK_IN_DAYS])} after a session.",
            field="day",
        )
    state = check_in_state(session, day, done=False)
    start = session_day(session)
    if state == "upcoming" and start is not None:
        opens = start + dt.timedelta(days=day)
        raise ServiceError(
            f"Your day-{day} check-in opens on {opens:%A} {opens.day} {opens:%B}. "
            "Please come back then; if you are worried before then, contact the clinic.",
            field="day",
        )
    if state == "closed":
        raise ServiceError(
            f"Check-ins for this session closed {RULES.open_for_days} days after it. If "
            "you are worried about your skin, contact the clinic.",
            field="day",
        )


def _checked_score(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= SCORE_MAX:
        raise ServiceError(
            f"Choose your {SCORE_LABELS[name]} from 0 (none) to {SCORE_MAX} (worst), got {value!r}.",
            field=name,
        )
    return value


def _checked_signs(signs: Iterable[str]) -> list[str]:
    signs = list(signs)
    unknown = [s for s in signs if s not in WARNING_SIGNS]
    if unknown:
        raise ServiceError(f"Unknown warning sign(s): {', '.join(map(str, unknown))}.", field="warning_signs")
    return [s for s in WARNING_SIGNS if s in signs]


def _previous(session: TreatmentSession, day: int) -> dict[str, int] | None:
    """Return the day and scores of the latest earlier check-in of the same session, or None."""
    row = (
        CheckIn.objects.filter(session=session, day__lt=day)
        .order_by("-day")
        .values_list("day", *SCORES)
        .first()
    )
    return None if row is None else dict(zip(("day", *SCORES), row, strict=True))


def _already(day: int) -> ServiceError:
    return ServiceError(
        f"You have already sent your day-{day} check-in for this session. If "
        "something has changed, contact the clinic.",
        field="day",
    )


@transaction.atomic
def check_in_submit(
    *,
    session: TreatmentSession,
    day: int,
    redness: int,
    swelling: int,
    pain: int,
    warning_signs: Iterable[str],
    note: str,
    actor: User,
) -> CheckIn:
    """Store the patient's day-`day` check-in for their signed `session`, compare it with the
    expected recovery (`review_recovery`), and raise a flag for staff when it is not as
    expected. Returns the check-in; its `expected` field says whether a flag was raised.

    Refused (ServiceError): someone else's session, an unsigned one, a day that is not a
    check-in day (`CHECK_IN_DAYS`), a day that has not come yet (clinic's zone) or closed, a
    second check-in for the same day, scores outside 0-`SCORE_MAX`, unknown warning signs."""
    _check_session(session, actor)
    _check_day(session, day)
    scores: dict[str, int] = {
        name: _checked_score(value, name)
        for name, value in zip(SCORES, (redness, swelling, pain), strict=True)
    }
    signs = _checked_signs(warning_signs)
    if CheckIn.objects.filter(session=session, day=day).exists():
        raise _already(day)
    review = review_recovery(day=day, scores=scores, warning_signs=signs, previous=_previous(session, day))
    check_in = CheckIn(
        session=session,
        patient=session.patient,
        day=day,
        warning_signs=signs,
        note=(note or "").strip(),
        expected=review.expected,
        **scores,
    )
    _save_check_in(check_in)
    audit_record(
        actor=actor,
        action="create",
        obj=check_in,
        summary=f"day {day} check-in, session {session.number}" + ("" if review.expected else " (flagged)"),
    )
    if not review.expected:
        _raise_flag(check_in, review, actor)
    return check_in


def _save_check_in(check_in: CheckIn) -> None:
    try:
        validated(check_in)
    except ServiceError as exc:
        if not exc.field:  # the one-per-day constraint
            raise _already(check_in.day) from None
        raise
    try:
        with transaction.atomic():
            check_in.save()
    except IntegrityError:  # a second submission raced this one
        raise _already(check_in.day) from None


def flag_raise(
    *,
    patient_id: int,
    reason: str,
    summary: str,
    actor: User | None = None,
    check_in: CheckIn | None = None,
    urgent: bool = False,
) -> Flag:
    """Raise a flag for staff on the patient (the dashboard lists it until someone resolves
    it); `reason` is cut to the column's length. `actor` None: the system raised it. An urgent
    flag also writes the on-call clinician's alert, emailed by the worker once this
    transaction commits (`needlepoint.clinic.alerts`)."""
    from needlepoint.clinic.alerts import alert_on_call

    flag = Flag(
        patient_id=patient_id,
        check_in=check_in,
        urgent=urgent,
        reason=reason[: Flag._meta.get_field("reason").max_length],
    )
    validated(flag).save()
    audit_record(actor=actor, action="create", obj=flag, summary=summary)
    if urgent:
        alert_on_call(flag)
    return flag


def _raise_flag(check_in: CheckIn, review: RecoveryReview, actor: User) -> Flag:
    head = f"Day {check_in.day} check-in after session {check_in.session.number}"
    return flag_raise(
        patient_id=check_in.patient_id,
        check_in=check_in,
        actor=actor,
        urgent=review.urgent,
        reason=head + _HEAD_END + "; ".join(review.reasons),
        summary="urgent: warning sign" if review.urgent else "recovery not as expected",
    )


_HEAD_END = ": "


def flag_reasons(flag: Flag) -> str:
    """Return a check-in flag's reasons without the "Day 3 check-in after session 2" head."""
    return flag.reason.partition(_HEAD_END)[2] or flag.reason


def patient_advice(check_in: CheckIn, reasons: Sequence[str]) -> tuple[str, str]:
    """Return (level, message) to show the patient after a check-in, in plain words: "urgent"
    for a warning sign, "attention" for a recovery off course, "ok" otherwise."""
    if check_in.warning_signs:
        signs = human_list([WARNING_SIGN_LABELS.get(s, s) for s in check_in.warning_signs])
        return "urgent", (
            f"Contact the clinic now: you reported {signs}. This is not part of the "
            "usual recovery and needs to be seen. Do not wait for the clinic to call "
            "you: the on-call clinician has been alerted as well."
        )
    if not check_in.expected:
        why = "; ".join(reasons) or "your answers"
        return "attention", (
            "Your skin is not settling as quickly as we usually expect ("
            f"{why}). The clinic has been told and will contact you. If it gets "
            "worse, or you notice pus, fever, spreading redness, blisters or a "
            "cold sore, contact the clinic now."
        )
    return "ok", (
        "Thank you. This is within the usual recovery: redness, swelling and soreness "
        "normally settle in 2-3 days and can last up to a week."
    )


@transaction.atomic
def flag_acknowledge(*, flag: Flag, actor: User) -> Flag:
    """Record that a clinician has taken the flag on ("I have it": they are calling the
    patient); who and when are recorded, and an urgent flag is no longer escalated. Refused for
    non-clinical staff and for a flag already acknowledged (the conditional update settles two
    clinicians acknowledging at once: the second is told who was first)."""
    require_role(actor, doing="acknowledge a flag", clinical=True)
    now = timezone.now()
    updated = Flag.objects.filter(pk=flag.pk, acknowledged_at__isnull=True).update(
        acknowledged_at=now, acknowledged_by=actor
    )
    if updated != 1:
        raise _already_acknowledged(flag)
    flag.acknowledged_at, flag.acknowledged_by = now, actor
    audit_record(actor=actor, action="change", obj=flag, summary="flag acknowledged")
    return flag


def _already_acknowledged(flag: Flag) -> ServiceError:
    flag.refresh_from_db()
    by = flag.acknowledged_by
    if by is None or flag.acknowledged_at is None:
        return ServiceError("This flag was already acknowledged.", field="flag")
    when = human_when(flag.acknowledged_at, timezone.get_default_timezone_name())
    return ServiceError(
        f"This flag was already acknowledged by {by.get_full_name() or by.username} on {when}.",
        field="flag",
    )


@transaction.atomic
def flag_resolve(*, flag: Flag, resolution: str, actor: User) -> Flag:
    """Close an open flag with what was done about it (who and when are recorded). Refused for
    non-clinical staff, an empty resolution, or a flag someone else has already resolved (the
    database settles two people resolving at once: only one conditional update succeeds)."""
    require_role(actor, doing="resolve a flag", clinical=True)
    resolution = (resolution or "").strip()
    if not resolution:
        raise ServiceError(
            "Say what was done: for example, who called the patient and what was advised.", field="resolution"
        )
    now = timezone.now()
    candidate = copy.copy(flag)  # validated before the conditional update; `flag` untouched
    candidate.resolved_at, candidate.resolved_by, candidate.resolution = now, actor, resolution
    if candidate.acknowledged_at is None:
        candidate.acknowledged_at, candidate.acknowledged_by = now, actor
    validated(candidate)
    Flag.objects.filter(pk=flag.pk, acknowledged_at__isnull=True).update(  # resolving acknowledges
        acknowledged_at=now, acknowledged_by=actor
    )
    updated = Flag.objects.filter(pk=flag.pk, resolved_at__isnull=True).update(
        resolved_at=now, resolved_by=actor, resolution=resolution
    )
    if updated != 1:
        raise ServiceError(
            "This flag has already been resolved. Reload the page to see by whom.", field="resolution"
        )
    if flag.acknowledged_at is None:
        flag.refresh_from_db(fields=["acknowledged_at", "acknowledged_by"])
    flag.resolved_at, flag.resolved_by, flag.resolution = now, actor, resolution
    audit_record(actor=actor, action="change", obj=flag, summary="flag resolved")
    return flag
