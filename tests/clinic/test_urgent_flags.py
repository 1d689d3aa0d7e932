"""An urgent check-in reaches a person: the portal shows the clinic's phone and out-of-hours
advice with the urgent advice; the on-call clinician is emailed at once (by the worker, after
the check-in is saved); a flag nobody acknowledges within the clinic's minutes is escalated to
the medical directors by the worker's sweep; acknowledging and resolving are recorded, and
refused to the front desk and patients.

Time is frozen (time_machine, not ticking) at FROZEN_NOW, Monday 23 November 2026 09:00 UTC
(09:00 in London, GMT); the session was the day before."""

import datetime as dt
from typing import Any

import pytest
import time_machine
from clinic_helpers import signed_session
from django.core import mail
from django.test import TestCase, override_settings
from django.urls import reverse

from clock import FROZEN_NOW
from needlepoint.audit.models import AuditEvent
from needlepoint.clinic.models import CheckIn, Flag, StaffAlert, TreatmentSession
from needlepoint.clinic.services import ServiceError
from needlepoint.clinic.services.aftercare import check_in_submit, flag_acknowledge, flag_resolve

ON_CALL = "on-call@clinic.example"
CONTACTS = {
    "NEEDLEPOINT_CLINIC_PHONE": "020 7946 0123",
    "NEEDLEPOINT_OUT_OF_HOURS_ADVICE": "When we are closed, call NHS 111, or 999 in an emergency.",
    "NEEDLEPOINT_ON_CALL_EMAIL": ON_CALL,
    "NEEDLEPOINT_SITE_URL": "https://clinic.example",
}
CLEAN = {"redness": "3", "swelling": "3", "pain": "3", "note": ""}


@pytest.fixture
def clock() -> Any:
    with time_machine.travel(FROZEN_NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture(autouse=True)
def contacts(settings: Any) -> None:
    for name, value in CONTACTS.items():
        setattr(settings, name, value)


@pytest.fixture
def director(personas: Any) -> Any:
    personas.director.email = "maria@clinic.example"
    personas.director.save()
    return personas.director


@pytest.fixture
def session(personas: Any, clock: Any) -> TreatmentSession:
    patient = personas.record_a
    patient.phone = "07700 900123"
    patient.save()
    return signed_session(personas)


def checkin_url(session: TreatmentSession) -> str:
    return reverse("portal:checkin_new", args=[session.pk, 1])


def post_fever(client: Any, session: TreatmentSession) -> Any:
    """The patient's day-1 check-in with a fever, and what the request arranges after commit."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post(checkin_url(session), {**CLEAN, "warning_signs": ["fever"]})


def raise_urgent(session: TreatmentSession, personas: Any) -> Flag:
    with TestCase.captureOnCommitCallbacks(execute=True):
        check_in_submit(
            session=session,
            day=1,
            redness=3,
            swelling=3,
            pain=3,
            warning_signs=["pus"],
            note="",
            actor=personas.patient_a,
        )
    return Flag.objects.get()


def run_due_tasks() -> list[str]:
    """Run every queued task whose time has come, as the worker does; return their results."""
    from django_tasks_db.management.commands.db_worker import Worker
    from django_tasks_db.models import DBTaskResult

    worker = Worker(
        queue_names=["default"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="test-worker",
        excluded_queue_names=[],
    )
    results = []
    while (queued := DBTaskResult.objects.ready().first()) is not None:
        queued.claim(worker.worker_id)
        with TestCase.captureOnCommitCallbacks(execute=True):
            worker.run_task(queued)
        queued.refresh_from_db()
        assert queued.status == "SUCCESSFUL", queued.traceback
        results.append(queued.return_value)
    return results


def sweep_at(clock: Any, moment: dt.datetime) -> Any:
    from needlepoint.bookings.tasks import sweep

    clock.move_to(moment)
    with TestCase.captureOnCommitCallbacks(execute=True):
        return sweep()


# ---- the patient ------------------------------------------------------------------------------


def test_it_shows_the_patient_the_clinics_phone_and_out_of_hours_advice_with_urgent_advice(
    personas, session, client_for, director
):
    patient = client_for(personas.patient_a)
    assert post_fever(patient, session).status_code == 302

    page = patient.get(checkin_url(session)).content.decode()
    assert "Contact the clinic now: you reported fever" in page
    assert 'href="tel:02079460123"' in page and "020 7946 0123" in page
    assert "When we are closed, call NHS 111, or 999 in an emergency." in page
    for portal_page in (reverse("portal:checkin_list"), reverse("portal:checkin_new", args=[session.pk, 3])):
        assert "020 7946 0123" in patient.get(portal_page).content.decode()


def test_it_does_not_show_a_phone_the_clinic_has_not_set(personas, session, client_for, settings):
    settings.NEEDLEPOINT_CLINIC_PHONE = settings.NEEDLEPOINT_OUT_OF_HOURS_ADVICE = ""
    patient = client_for(personas.patient_a)
    post_fever(patient, session)
    page = patient.get(checkin_url(session)).content.decode()
    assert "Contact the clinic now" in page and "tel:" not in page and "Call the clinic:" not in page


def test_it_refuses_another_patient_the_check_in_and_emails_nobody(personas, session, client_for):
    assert post_fever(client_for(personas.patient_b), session).status_code == 404
    assert not Flag.objects.exists() and not StaffAlert.objects.exists()
    assert run_due_tasks() == [] and mail.outbox == []


# ---- the on-call clinician --------------------------------------------------------------------


def test_it_emails_the_on_call_clinician_at_once(personas, session, client_for, director):
    post_fever(client_for(personas.patient_a), session)
    flag = Flag.objects.get()
    assert flag.urgent and mail.outbox == []  # nothing is sent inside the patient's request
    assert run_due_tasks() == ["sent"]

    [email] = mail.outbox
    assert email.to == [ON_CALL] and email.subject == "Urgent check-in: a patient needs a call now"
    assert "Anna Alvarez" in email.body and "07700 900123" in email.body
    assert "warning sign reported: fever" in email.body
    assert "https://clinic.example" + reverse("clinic:flag_resolve", args=[flag.pk]) in email.body
    alert = StaffAlert.objects.get(flag=flag)
    assert (alert.kind, alert.status, alert.recipients) == ("on_call", "sent", [ON_CALL])
    assert alert.sent_at == FROZEN_NOW
    assert email.extra_headers["Message-ID"] == alert.message_id
    assert AuditEvent.objects.filter(
        object_type="clinic.staffalert", object_id=str(alert.pk), summary="On-call clinician emailed: emailed"
    ).exists()


def test_it_emails_the_medical_directors_when_no_on_call_address_is_set(
    personas, session, client_for, director, settings
):
    settings.NEEDLEPOINT_ON_CALL_EMAIL = ""
    post_fever(client_for(personas.patient_a), session)
    run_due_tasks()
    assert [m.to for m in mail.outbox] == [["maria@clinic.example"]]


def test_it_emails_nobody_for_a_flag_that_is_not_urgent(personas, session, client_for, director):
    from needlepoint.clinic.services.aftercare import flag_raise

    with TestCase.captureOnCommitCallbacks(execute=True):
        client_for(personas.patient_a).post(checkin_url(session), CLEAN)  # the usual recovery: no flag
        flag_raise(patient_id=personas.record_a.pk, reason="Reminder not delivered.", summary="flag raised")
    flag = Flag.objects.get()
    assert not flag.urgent and not StaffAlert.objects.exists() and run_due_tasks() == []


def test_it_keeps_the_check_in_when_the_mail_server_is_down_and_escalates_at_once(
    personas, session, client_for, director, clock
):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    smtp = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": port, "timeout": 5},
        }
    }
    with override_settings(MAILERS=smtp):
        assert post_fever(client_for(personas.patient_a), session).status_code == 302
        assert CheckIn.objects.filter(session=session, day=1).exists()
        assert run_due_tasks() == ["failed", "failed"]  # the on-call email, then the escalation

    flag = Flag.objects.get()
    assert flag.escalated_at == FROZEN_NOW and flag.escalated_to == ["maria@clinic.example"]
    on_call = flag.alerts.get(kind="on_call")
    assert on_call.status == "failed" and on_call.detail.startswith("ConnectionRefusedError")
    page = client_for(personas.practitioner).get(reverse("clinic:flag_resolve", args=[flag.pk]))
    page = page.content.decode()
    assert "On-call clinician emailed: not delivered" in page and "Escalated to the medical director" in page


def test_it_sends_the_on_call_email_once_when_the_worker_dies_mid_send(
    personas, session, client_for, director, clock, monkeypatch
):
    from django_tasks_db.models import DBTaskResult

    from needlepoint.clinic import alerts

    post_fever(client_for(personas.patient_a), session)
    real_send = alerts.send_email

    class Killed(BaseException):
        pass

    def killed(**kwargs: Any) -> None:
        raise Killed

    monkeypatch.setattr(alerts, "send_email", killed)
    queued = DBTaskResult.objects.ready().get()
    queued.claim("doomed")
    with pytest.raises(Killed):
        queued.task.call(*queued.task_result.args)
    monkeypatch.setattr(alerts, "send_email", real_send)
    assert StaffAlert.objects.get().status == "sending"

    report = sweep_at(clock, FROZEN_NOW + dt.timedelta(minutes=11))
    assert (report.alerts_settled, report.abandoned_tasks) == (1, 1)
    assert run_due_tasks() == ["sent"]
    assert [m.to for m in mail.outbox] == [[ON_CALL]]
    assert StaffAlert.objects.get().status == "sent"


# ---- escalation -------------------------------------------------------------------------------


def test_it_escalates_an_urgent_flag_nobody_acknowledged_within_30_minutes(
    personas, session, director, clock
):
    from needlepoint.accounts.models import Role, User

    User.objects.create_user(
        username="old", role=Role.MEDICAL_DIRECTOR, email="old@clinic.example", is_active=False
    )
    flag = raise_urgent(session, personas)
    run_due_tasks()
    assert sweep_at(clock, FROZEN_NOW + dt.timedelta(minutes=29)).escalated == 0
    assert sweep_at(clock, FROZEN_NOW + dt.timedelta(minutes=31)).escalated == 1
    assert sweep_at(clock, FROZEN_NOW + dt.timedelta(minutes=32)).escalated == 0  # once
    assert run_due_tasks() == ["sent"]

    flag.refresh_from_db()
    assert flag.escalated_at == FROZEN_NOW + dt.timedelta(minutes=31)
    assert flag.escalated_to == ["maria@clinic.example"]  # active medical directors only
    email = mail.outbox[-1]
    assert email.to == ["maria@clinic.example"] and email.subject.startswith("Escalated:")
    assert "not been acknowledged by a clinician within 30 minutes" in email.body
    assert AuditEvent.objects.filter(
        object_type="clinic.flag",
        object_id=str(flag.pk),
        summary="urgent flag escalated: not acknowledged in time",
    ).exists()


def test_it_escalates_after_the_clinics_own_number_of_minutes(personas, session, director, clock, settings):
    settings.NEEDLEPOINT_URGENT_ESCALATION_MINUTES = 10
    raise_urgent(session, personas)
    assert sweep_at(clock, FROZEN_NOW + dt.timedelta(minutes=9)).escalated == 0
    assert sweep_at(clock, FROZEN_NOW + dt.timedelta(minutes=10)).escalated == 1


def test_it_does_not_escalate_a_flag_a_clinician_acknowledged(personas, session, director, clock):
    flag = raise_urgent(session, personas)
    clock.move_to(FROZEN_NOW + dt.timedelta(minutes=12))
    flag_acknowledge(flag=flag, actor=personas.practitioner)
    assert sweep_at(clock, FROZEN_NOW + dt.timedelta(minutes=45)).escalated == 0
    assert not flag.alerts.filter(kind="escalation").exists()


def test_it_refuses_bad_escalation_minutes_in_the_environment(monkeypatch):
    from django.core.exceptions import ImproperlyConfigured

    from needlepoint.web.settings.base import _minutes

    monkeypatch.setenv("NEEDLEPOINT_URGENT_ESCALATION_MINUTES", "half an hour")
    with pytest.raises(ImproperlyConfigured, match="whole number of minutes"):
        _minutes("NEEDLEPOINT_URGENT_ESCALATION_MINUTES", 30)
    monkeypatch.setenv("NEEDLEPOINT_URGENT_ESCALATION_MINUTES", "45")
    assert _minutes("NEEDLEPOINT_URGENT_ESCALATION_MINUTES", 30) == 45


# ---- acknowledging and resolving ----------------------------------------------------------------


def test_it_lets_a_practitioner_acknowledge_from_the_dashboard(personas, session, client_for, clock):
    flag = raise_urgent(session, personas)
    client = client_for(personas.practitioner)
    board = client.get(reverse("clinic:dashboard")).content.decode()
    assert reverse("clinic:flag_acknowledge", args=[flag.pk]) in board and "Urgent" in board

    clock.move_to(FROZEN_NOW + dt.timedelta(minutes=5))
    response = client.post(reverse("clinic:flag_acknowledge", args=[flag.pk]), {"back": "dashboard"})
    assert response.status_code == 302 and response["Location"] == reverse("clinic:dashboard")
    flag.refresh_from_db()
    assert flag.acknowledged_by == personas.practitioner
    assert flag.acknowledged_at == FROZEN_NOW + dt.timedelta(minutes=5)
    assert AuditEvent.objects.filter(
        object_type="clinic.flag",
        object_id=str(flag.pk),
        actor=personas.practitioner,
        summary="flag acknowledged",
    ).exists()
    board = client.get(reverse("clinic:dashboard")).content.decode()
    assert "Paula has it" in board and reverse("clinic:flag_acknowledge", args=[flag.pk]) not in board
    page = client.get(reverse("clinic:flag_resolve", args=[flag.pk])).content.decode()
    assert "Acknowledged Mon 23 Nov 2026, 09:05 by Paula" in page


@pytest.mark.parametrize("who", ["front_desk", "patient_a", "patient_b"])
def test_it_refuses_acknowledging_to_the_front_desk_and_patients(personas, session, client_for, who):
    flag = raise_urgent(session, personas)
    client = client_for(getattr(personas, who))
    assert client.post(reverse("clinic:flag_acknowledge", args=[flag.pk])).status_code == 404
    assert client.get(reverse("clinic:flag_acknowledge", args=[flag.pk])).status_code == 404
    flag.refresh_from_db()
    assert flag.acknowledged_at is None
    with pytest.raises(ServiceError, match="Only the medical director or a practitioner can acknowledge"):
        flag_acknowledge(flag=flag, actor=getattr(personas, who))
    if who == "front_desk":
        board = client.get(reverse("clinic:dashboard")).content.decode()
        assert "Acknowledge" not in board and "warning sign" not in board


def test_it_acknowledges_a_flag_once_and_says_who_was_first(personas, session, clock):
    flag = raise_urgent(session, personas)
    stale = Flag.objects.get(pk=flag.pk)
    flag_acknowledge(flag=flag, actor=personas.practitioner)
    with pytest.raises(
        ServiceError, match="already acknowledged by Paula on Monday 23 November 2026 at 09:00"
    ):
        flag_acknowledge(flag=stale, actor=personas.director)
    assert Flag.objects.get().acknowledged_by == personas.practitioner


def test_it_records_resolving_as_acknowledging_too(personas, session, client_for, clock):
    flag = raise_urgent(session, personas)
    clock.move_to(FROZEN_NOW + dt.timedelta(minutes=7))
    response = client_for(personas.director).post(
        reverse("clinic:flag_resolve", args=[flag.pk]), {"resolution": "Called Anna; seen this morning."}
    )
    assert response.status_code == 302
    flag.refresh_from_db()
    moment = FROZEN_NOW + dt.timedelta(minutes=7)
    assert (flag.resolved_by, flag.resolved_at) == (personas.director, moment)
    assert (flag.acknowledged_by, flag.acknowledged_at) == (personas.director, moment)


def test_it_keeps_an_earlier_acknowledgement_when_another_clinician_resolves(personas, session, clock):
    flag = raise_urgent(session, personas)
    flag_acknowledge(flag=flag, actor=personas.practitioner)
    clock.move_to(FROZEN_NOW + dt.timedelta(hours=1))
    flag_resolve(flag=Flag.objects.get(pk=flag.pk), resolution="Seen in clinic.", actor=personas.director)
    flag.refresh_from_db()
    assert (flag.acknowledged_by, flag.acknowledged_at) == (personas.practitioner, FROZEN_NOW)
    assert flag.resolved_by == personas.director


def test_it_refuses_a_flag_acknowledged_by_nobody_in_the_database(personas, session):
    from django.db import IntegrityError, transaction

    flag = raise_urgent(session, personas)
    with pytest.raises(IntegrityError), transaction.atomic():
        Flag.objects.filter(pk=flag.pk).update(acknowledged_at=FROZEN_NOW)  # when, but not who
    with pytest.raises(IntegrityError), transaction.atomic():
        Flag.objects.filter(pk=flag.pk).update(resolved_at=FROZEN_NOW, resolved_by=personas.director)
    with pytest.raises(IntegrityError), transaction.atomic():
        StaffAlert.objects.create(flag=flag, kind="on_call", subject="again", body="again")  # once per kind
