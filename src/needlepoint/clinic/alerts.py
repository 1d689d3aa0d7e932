"""Urgent flags reach a person: the on-call clinician is emailed at once, and the medical
directors when nobody has acknowledged the flag within the clinic's time
(`NEEDLEPOINT_URGENT_ESCALATION_MINUTES`).

An alert is a row (`StaffAlert`) written in the same transaction as the flag (or the
escalation), so it exists exactly when the flag does; the email goes out from the worker after
commit (`send_staff_alert`), never inside the request: a mail server that is down does not
undo the patient's check-in. Sending uses the claim of `needlepoint.mailing`: a worker killed
at any point neither loses the alert nor sends it twice (the sweep settles it,
`alerts_sweep`). The escalation itself is done by the worker's periodic sweep
(`flags_escalate`)."""

import datetime as dt
import uuid
from collections.abc import Callable, Collection
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.tasks import task
from django.urls import reverse
from django.utils import timezone

from needlepoint.audit.services import audit_record
from needlepoint.clinic.models import AlertKind, AlertStatus, Flag, StaffAlert
from needlepoint.mailing import message_id, send_email, was_delivered
from needlepoint.words import human_when


def escalation_delay() -> dt.timedelta:
    """The clinic's choice: how long an urgent flag may wait for a clinician's acknowledgement."""
    return dt.timedelta(minutes=int(settings.NEEDLEPOINT_URGENT_ESCALATION_MINUTES))


def medical_director_emails() -> list[str]:
    """The addresses of the active medical directors, in a stable order."""
    from needlepoint.accounts.models import Role, User

    return list(
        User.objects.filter(role=Role.MEDICAL_DIRECTOR, is_active=True)
        .exclude(email="")
        .order_by("id")
        .values_list("email", flat=True)
    )


def on_call_emails() -> list[str]:
    """NEEDLEPOINT_ON_CALL_EMAIL (one address or several, comma-separated); without it, the
    medical directors, so an urgent flag is never told to nobody."""
    configured = [a.strip() for a in settings.NEEDLEPOINT_ON_CALL_EMAIL.split(",") if a.strip()]
    return configured or medical_director_emails()


def flag_url(flag: Flag) -> str:
    return settings.NEEDLEPOINT_SITE_URL.rstrip("/") + reverse("clinic:flag_resolve", args=[flag.pk])


def _letter(flag: Flag, opening: str) -> str:
    patient = flag.patient
    raised = human_when(flag.raised_at, timezone.get_default_timezone_name())
    contact = " · ".join(x for x in (patient.phone, patient.email) if x) or "no phone or email on record"
    return (
        "\n\n".join(
            [
                opening,
                f"Patient: {patient} (record {patient.pk})\nContact: {contact}\n"
                f"Raised: {raised}\nWhat was reported: {flag.reason}",
                f"Open the flag, acknowledge it and record what was done:\n{flag_url(flag)}",
                f"{settings.NEEDLEPOINT_CLINIC_NAME} (sent by the clinic system)",
            ]
        )
        + "\n"
    )


def alert_on_call(flag: Flag) -> StaffAlert:
    """Write the on-call alert of an urgent flag (in the caller's transaction) and queue its
    email after commit. Returns the alert."""
    minutes = int(settings.NEEDLEPOINT_URGENT_ESCALATION_MINUTES)
    body = _letter(
        flag,
        "A patient's check-in reported a warning sign. Please call the patient now. "
        f"If nobody acknowledges the flag within {minutes} minutes, the medical "
        "director is emailed.",
    )
    return _alert(
        flag, AlertKind.ON_CALL, on_call_emails(), "Urgent check-in: a patient needs a call now", body
    )


def _alert(flag: Flag, kind: str, recipients: list[str], subject: str, body: str) -> StaffAlert:
    alert = StaffAlert(
        flag=flag,
        kind=kind,
        recipients=recipients,
        subject=subject,
        body=body,
        message_id=message_id("alert", uuid.uuid4().hex),
    )
    alert.full_clean()
    alert.save()
    audit_record(
        actor=None,
        action="create",
        obj=alert,
        patient_id=flag.patient_id,
        summary=f"{alert.get_kind_display()}: queued to {', '.join(recipients) or 'nobody'}",
    )
    alert_id = alert.pk
    transaction.on_commit(lambda: enqueue_alert(alert_id))
    return alert


def enqueue_alert(alert_id: int) -> str:
    """Queue the send of an alert now; note the task on the alert. Returns the task's id."""
    result = send_staff_alert.enqueue(alert_id)
    StaffAlert.objects.filter(pk=alert_id, status=AlertStatus.SCHEDULED).update(task_id=str(result.id)[:64])
    return str(result.id)


# ---- escalation --------------------------------------------------------------------------------


def flags_escalate(*, now: dt.datetime | None = None) -> int:
    """Escalate every open urgent flag nobody acknowledged within the clinic's time: email the
    active medical directors and record it on the flag (when, to whom). Returns how many were
    escalated. Each flag is escalated once (the conditional update and the one-alert-per-kind
    constraint settle two sweeps racing)."""
    now = now or timezone.now()
    due = Flag.objects.filter(
        urgent=True,
        acknowledged_at__isnull=True,
        resolved_at__isnull=True,
        escalated_at__isnull=True,
        raised_at__lte=now - escalation_delay(),
    )
    return sum(
        flag_escalate(flag=flag, why="not acknowledged in time", now=now)
        for flag in due.select_related("patient")
    )


@transaction.atomic
def flag_escalate(*, flag: Flag, why: str, now: dt.datetime | None = None) -> int:
    """Email the medical directors about one urgent flag, once; returns 1, or 0 when it was
    already escalated or acknowledged. `why` is said in the email and the audit trail."""
    now = now or timezone.now()
    directors = medical_director_emails()
    taken = (
        Flag.objects.filter(pk=flag.pk, escalated_at__isnull=True)
        .filter(Q(acknowledged_at__isnull=True))
        .update(escalated_at=now, escalated_to=directors)
    )
    if not taken:
        return 0
    flag.escalated_at, flag.escalated_to = now, directors
    minutes = int(settings.NEEDLEPOINT_URGENT_ESCALATION_MINUTES)
    opening = (
        f"An urgent flag has not been acknowledged by a clinician within {minutes} minutes."
        if why == "not acknowledged in time"
        else f"An urgent flag could not reach the on-call clinician ({why})."
    )
    _alert(
        flag,
        AlertKind.ESCALATION,
        directors,
        "Escalated: an urgent check-in is not yet acknowledged",
        _letter(flag, opening + " Please make sure someone calls the patient now."),
    )
    audit_record(actor=None, action="change", obj=flag, summary=f"urgent flag escalated: {why}")
    return 1


# ---- the send ----------------------------------------------------------------------------------


@task()
def send_staff_alert(alert_id: int) -> str:
    """Send one staff alert unless someone already claimed it. Returns "sent", "failed" or
    "skipped"."""
    now, attempt = timezone.now(), uuid.uuid4()
    claimed = StaffAlert.objects.filter(pk=alert_id, status=AlertStatus.SCHEDULED).update(
        status=AlertStatus.SENDING, attempt=attempt, claimed_at=now, updated_at=now
    )
    if not claimed:
        return "skipped"
    alert = StaffAlert.objects.select_related("flag__patient").get(pk=alert_id)
    if not alert.recipients:
        return _settle(
            alert,
            attempt,
            ok=False,
            detail=(
                "No address to send it to: set NEEDLEPOINT_ON_CALL_EMAIL, or give an active medical "
                "director an email address."
            ),
        )
    try:
        send_email(
            subject=alert.subject, body=alert.body, to=list(alert.recipients), message_id=alert.message_id
        )
    except Exception as exc:  # any failure of the mail backend is recorded, never retried blindly
        return _settle(alert, attempt, ok=False, detail=f"{type(exc).__name__}: {exc}"[:2000])
    return _settle(alert, attempt, ok=True, detail="")


def _settle(alert: StaffAlert, attempt: uuid.UUID | None, *, ok: bool, detail: str) -> str:
    """Record the outcome of the claimed attempt; an on-call alert that failed escalates the
    flag at once. Returns "sent" or "failed"."""
    with transaction.atomic():
        status = AlertStatus.SENT if ok else AlertStatus.FAILED
        StaffAlert.objects.filter(pk=alert.pk, attempt=attempt).update(
            status=status, sent_at=timezone.now() if ok else None, detail=detail, updated_at=timezone.now()
        )
        audit_record(
            actor=None,
            action="change",
            obj=alert,
            patient_id=alert.flag.patient_id,
            summary=f"{alert.get_kind_display()}: " + ("emailed" if ok else f"not delivered: {detail}"),
        )
        if not ok and alert.kind == AlertKind.ON_CALL:
            flag_escalate(flag=alert.flag, why="the email to the on-call clinician was not delivered")
    return str(status)


# ---- the sweep ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AlertSweep:
    requeued: int  # waiting alerts whose task was lost
    settled: int  # interrupted sends: found delivered, sent again, or failed (then escalated)


def alerts_sweep(
    *, now: dt.datetime, stale: dt.timedelta, alive: Callable[[list[str]], Collection[str]]
) -> AlertSweep:
    """Queue again the waiting alerts whose task is gone, and settle the sends a stopped worker
    interrupted: delivered (the outbox has it) → sent; surely not delivered → sent again;
    unknown (SMTP) → failed, and the flag escalated, rather than a second copy. `alive(ids)`
    returns the task ids still queued or running."""
    waiting = list(StaffAlert.objects.filter(status=AlertStatus.SCHEDULED).only("pk", "task_id"))
    live = alive([a.task_id for a in waiting if a.task_id])
    for alert in waiting:
        if alert.task_id not in live:
            enqueue_alert(alert.pk)
    settled = 0
    stuck = StaffAlert.objects.filter(status=AlertStatus.SENDING, claimed_at__lt=now - stale)
    for alert in stuck.select_related("flag__patient"):
        settled += _settle_interrupted(alert)
    return AlertSweep(sum(a.task_id not in live for a in waiting), settled)


def _settle_interrupted(alert: StaffAlert) -> int:
    delivered = was_delivered(alert.message_id)
    if delivered:
        _settle(
            alert, alert.attempt, ok=True, detail="Found delivered after the worker stopped; not sent again."
        )
    elif delivered is False:
        with transaction.atomic():
            again = StaffAlert.objects.filter(
                pk=alert.pk,
                attempt=alert.attempt,
                status=AlertStatus.SENDING,
            ).update(status=AlertStatus.SCHEDULED, attempt=None, claimed_at=None, updated_at=timezone.now())
            if again:
                transaction.on_commit(lambda: enqueue_alert(alert.pk))
    else:
        _settle(
            alert,
            alert.attempt,
            ok=False,
            detail=(
                "The send was interrupted (the worker stopped); the email may or may not have gone out, "
                "so it is not sent again."
            ),
        )
    return 1
