"""Staff alerts of urgent flags (needlepoint.clinic.alerts), through the module's public
functions: who is emailed (several on-call addresses, the active medical directors when none),
what the email says when the patient left no contact, a send that has nobody to go to, a send
somebody else already claimed, and the sweep that settles sends a stopped worker interrupted
(delivered, surely not delivered, unknown) or whose queued task was lost.

Time is frozen (not ticking) at Monday 23 November 2026, 09:00 in London (GMT, so 09:00 UTC)."""

import datetime as dt
import uuid

import pytest
import time_machine
from django.core import mail
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone

from clock import FROZEN_NOW
from needlepoint.audit.models import AuditEvent
from needlepoint.clinic import alerts
from needlepoint.clinic.models import Flag, StaffAlert

STALE = dt.timedelta(minutes=10)


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(FROZEN_NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture(autouse=True)
def contacts(settings):
    settings.NEEDLEPOINT_ON_CALL_EMAIL = "on-call@clinic.example"
    settings.NEEDLEPOINT_SITE_URL = "https://clinic.example/"
    settings.NEEDLEPOINT_URGENT_ESCALATION_MINUTES = 30


@pytest.fixture
def director(personas):
    personas.director.email = "maria@clinic.example"
    personas.director.save()
    return personas.director


@pytest.fixture
def flag(personas):
    patient = personas.record_a
    patient.phone = "07700 900123"
    patient.save()
    return Flag.objects.create(patient=patient, reason="Warning sign reported: pus", urgent=True)


def on_call_alert(flag):
    """Write the on-call alert as a check-in does, and queue its send after commit."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        return alerts.alert_on_call(flag)


def send(alert):
    """Run the queued send of `alert` as the worker would, with its after-commit work."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        return alerts.send_staff_alert.call(alert.pk)


def interrupted(alert, *, minutes_ago=15):
    """Leave `alert` as a worker stopped mid-send leaves it: claimed, sending."""
    claimed = timezone.now() - dt.timedelta(minutes=minutes_ago)
    StaffAlert.objects.filter(pk=alert.pk).update(status="sending", attempt=uuid.uuid4(), claimed_at=claimed)
    alert.refresh_from_db()


def sweep(*, alive=lambda ids: set(ids)):
    with TestCase.captureOnCommitCallbacks(execute=True):
        return alerts.alerts_sweep(now=timezone.now(), stale=STALE, alive=alive)


# -- who is emailed --------------------------------------------------------------------------------


def test_it_emails_every_on_call_address_of_a_comma_separated_setting(settings, flag):
    settings.NEEDLEPOINT_ON_CALL_EMAIL = " first@clinic.example, ,second@clinic.example "
    alert = on_call_alert(flag)
    assert send(alert) == "sent"
    assert [m.to for m in mail.outbox] == [["first@clinic.example", "second@clinic.example"]]


def test_it_emails_the_active_medical_directors_with_an_address_when_no_on_call_is_set(
    settings, flag, director
):
    from needlepoint.accounts.models import Role, User

    settings.NEEDLEPOINT_ON_CALL_EMAIL = ""
    User.objects.create_user(username="noemail", role=Role.MEDICAL_DIRECTOR, email="")
    User.objects.create_user(
        username="gone", role=Role.MEDICAL_DIRECTOR, email="gone@x.example", is_active=False
    )
    User.objects.create_user(username="md2", role=Role.MEDICAL_DIRECTOR, email="md2@clinic.example")
    assert on_call_alert(flag).recipients == ["maria@clinic.example", "md2@clinic.example"]


def test_it_tells_the_on_call_who_to_call_and_where_to_acknowledge(flag):
    body = on_call_alert(flag).body
    assert f"Patient: Anna Alvarez (record {flag.patient.pk})" in body
    assert "Contact: 07700 900123 · anna@example.org" in body
    assert "Raised: Monday 23 November 2026 at 09:00" in body
    assert "What was reported: Warning sign reported: pus" in body
    assert "https://clinic.example" + reverse("clinic:flag_resolve", args=[flag.pk]) in body
    assert "within 30 minutes, the medical director is emailed" in body


def test_it_says_so_when_the_patient_left_no_phone_or_email(flag):
    flag.patient.phone, flag.patient.email = "", ""
    flag.patient.save()
    assert "Contact: no phone or email on record" in on_call_alert(flag).body


def test_it_audits_the_alert_queued_with_its_recipients(flag):
    alert = on_call_alert(flag)
    event = AuditEvent.objects.get(object_type="clinic.staffalert", object_id=str(alert.pk), action="create")
    assert (event.patient_id, event.summary) == (
        flag.patient.pk,
        "On-call clinician emailed: queued to on-call@clinic.example",
    )


# -- the send --------------------------------------------------------------------------------------


def test_it_fails_an_alert_with_nobody_to_send_to_and_escalates_at_once(settings, flag):
    settings.NEEDLEPOINT_ON_CALL_EMAIL = ""  # and no medical director has an address
    alert = on_call_alert(flag)
    assert alert.recipients == []
    assert send(alert) == "failed"
    alert.refresh_from_db()
    flag.refresh_from_db()
    assert (alert.status, "set NEEDLEPOINT_ON_CALL_EMAIL" in alert.detail) == ("failed", True)
    assert (flag.escalated_at, mail.outbox) == (FROZEN_NOW, [])
    assert flag.alerts.filter(kind="escalation").exists()
    assert AuditEvent.objects.filter(summary="On-call clinician emailed: queued to nobody").exists()


def test_it_does_not_escalate_again_when_the_escalation_itself_has_nobody_to_go_to(settings, flag):
    settings.NEEDLEPOINT_ON_CALL_EMAIL = ""
    send(on_call_alert(flag))
    escalation = flag.alerts.get(kind="escalation")
    assert send(escalation) == "failed"
    assert flag.alerts.count() == 2


def test_it_skips_a_send_another_worker_already_claimed(flag):
    alert = on_call_alert(flag)
    interrupted(alert, minutes_ago=0)
    assert send(alert) == "skipped"
    alert.refresh_from_db()
    assert (alert.status, mail.outbox) == ("sending", [])


def test_it_skips_an_alert_already_sent(flag):
    alert = on_call_alert(flag)
    send(alert)
    assert send(alert) == "skipped"
    assert len(mail.outbox) == 1


def test_it_records_the_send_on_the_alert_and_in_the_trail(flag):
    alert = on_call_alert(flag)
    send(alert)
    alert.refresh_from_db()
    assert (alert.status, alert.sent_at, alert.detail) == ("sent", FROZEN_NOW, "")
    assert mail.outbox[0].extra_headers["Message-ID"] == alert.message_id
    assert AuditEvent.objects.filter(
        object_type="clinic.staffalert", object_id=str(alert.pk), summary="On-call clinician emailed: emailed"
    ).exists()


# -- escalation ------------------------------------------------------------------------------------


def test_it_does_not_escalate_a_flag_acknowledged_before_the_escalation(flag, personas, director):
    Flag.objects.filter(pk=flag.pk).update(acknowledged_at=FROZEN_NOW, acknowledged_by=personas.practitioner)
    with TestCase.captureOnCommitCallbacks(execute=True):
        assert alerts.flag_escalate(flag=flag, why="not acknowledged in time") == 0
    flag.refresh_from_db()
    assert (flag.escalated_at, flag.alerts.count()) == (None, 0)


def test_it_escalates_a_flag_once_however_often_asked(flag, director):
    with TestCase.captureOnCommitCallbacks(execute=True):
        first = alerts.flag_escalate(flag=flag, why="not acknowledged in time")
        second = alerts.flag_escalate(flag=flag, why="not acknowledged in time")
    assert (first, second, flag.alerts.filter(kind="escalation").count()) == (1, 0, 1)


def test_it_says_why_an_escalation_came_early(flag, director):
    with TestCase.captureOnCommitCallbacks(execute=True):
        alerts.flag_escalate(flag=flag, why="the email to the on-call clinician was not delivered")
    body = flag.alerts.get(kind="escalation").body
    assert (
        "could not reach the on-call clinician (the email to the on-call clinician was not delivered)" in body
    )


def test_it_does_not_escalate_a_flag_that_is_not_urgent_or_already_resolved(flag, personas, director, clock):
    calm = Flag.objects.create(patient=flag.patient, reason="Redness above the usual", urgent=False)
    Flag.objects.filter(pk=flag.pk).update(
        acknowledged_at=FROZEN_NOW, acknowledged_by=personas.practitioner, resolved_at=FROZEN_NOW
    )
    clock.move_to(FROZEN_NOW + dt.timedelta(hours=2))
    with TestCase.captureOnCommitCallbacks(execute=True):
        assert alerts.flags_escalate() == 0
    assert StaffAlert.objects.filter(flag__in=[flag, calm]).count() == 0


# -- the sweep -------------------------------------------------------------------------------------


def test_it_marks_an_interrupted_send_sent_when_the_email_went_out(flag):
    alert = on_call_alert(flag)
    interrupted(alert)
    alerts.send_email(
        subject=alert.subject, body=alert.body, to=alert.recipients, message_id=alert.message_id
    )
    assert sweep() == alerts.AlertSweep(requeued=0, settled=1)
    alert.refresh_from_db()
    assert (alert.status, "not sent again" in alert.detail, len(mail.outbox)) == ("sent", True, 1)


def test_it_sends_again_an_interrupted_send_that_surely_did_not_go_out(flag):
    alert = on_call_alert(flag)
    interrupted(alert)
    assert sweep() == alerts.AlertSweep(requeued=0, settled=1)
    alert.refresh_from_db()
    assert (alert.status, alert.attempt, alert.claimed_at) == ("scheduled", None, None)
    assert send(alert) == "sent"
    assert [m.to for m in mail.outbox] == [["on-call@clinic.example"]]


def test_it_fails_and_escalates_an_interrupted_send_it_cannot_check(flag, director, settings):
    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.dummy.EmailBackend"}}
    alert = on_call_alert(flag)
    interrupted(alert)
    assert sweep().settled == 1
    alert.refresh_from_db()
    flag.refresh_from_db()
    assert (alert.status, "may or may not have gone out" in alert.detail) == ("failed", True)
    assert (flag.escalated_at, flag.escalated_to) == (FROZEN_NOW, ["maria@clinic.example"])


def test_it_leaves_a_send_still_in_progress_alone(flag):
    alert = on_call_alert(flag)
    interrupted(alert, minutes_ago=5)
    assert sweep() == alerts.AlertSweep(requeued=0, settled=0)
    alert.refresh_from_db()
    assert alert.status == "sending"


def test_it_queues_again_a_waiting_alert_whose_task_was_lost(flag):
    alert = on_call_alert(flag)
    lost = StaffAlert.objects.get(pk=alert.pk).task_id
    assert sweep(alive=lambda ids: set()) == alerts.AlertSweep(requeued=1, settled=0)
    alert.refresh_from_db()
    assert (alert.status, alert.task_id != lost, alert.task_id != "") == ("scheduled", True, True)


def test_it_does_not_queue_again_a_waiting_alert_whose_task_is_alive(flag):
    alert = on_call_alert(flag)
    task_id = StaffAlert.objects.get(pk=alert.pk).task_id
    assert sweep(alive=lambda ids: set(ids)) == alerts.AlertSweep(requeued=0, settled=0)
    assert StaffAlert.objects.get(pk=alert.pk).task_id == task_id
