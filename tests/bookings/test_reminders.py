"""Reminders around a booked session: scheduled at the right local times from the plan's care
items, sent once, moved and cancelled with the session, failures recorded.

Appointments are made directly with the ORM for the bookable course's sessions (the booking
services call `reminders_sync` the same way). Tasks go through the real database queue and are
run by the django-tasks-db worker's own `run_task`, at frozen times.

Europe/London clock changes used here (real dates): summer time starts Sunday 28 March 2027 at
01:00 UTC (GMT → BST, UTC+1); it ends Sunday 25 October 2026 at 01:00 UTC (BST → GMT)."""

import datetime as dt
import socket
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.test import override_settings
from django.urls import resolve

from needlepoint.clinic.models import Flag

LONDON = ZoneInfo("Europe/London")
UTC = dt.UTC
JARGON = (
    "erythema",
    "oedema",
    "edema",
    "collagen induction",
    "percutaneous",
    "anaesthetic",
    "anesthetic",
    "prophylaxis",
    "topical",
    "contraindicat",
    "fitzpatrick",
    "hyperpigmentation",
    "post-inflammatory",
    "epidermis",
    "dermis",
    "transepidermal",
    "S40",
    "S66",
    "evidence",
)


def local(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=LONDON)


def book(course: Any, clinic: Any, personas: Any, *, number: int, starts: dt.datetime) -> Any:
    from needlepoint.bookings.models import Appointment

    return Appointment.objects.create(
        patient=course.patient,
        course=course,
        session=course.sessions.get(number=number),
        appointment_type=clinic.treatment,
        location=clinic.location,
        practitioner=personas.practitioner,
        room=clinic.treatment_rooms[0],
        starts_at=starts,
        ends_at=starts + dt.timedelta(minutes=90),
        created_by=personas.front_desk,
    )


@pytest.fixture
def sync(django_capture_on_commit_callbacks: Any) -> Any:
    """Run `reminders_sync` and the after-commit enqueueing it arranges, as a booking would."""
    from needlepoint.bookings.services.reminders import reminders_sync

    def run(appointment: Any, **kwargs: Any) -> dict[tuple[str, str], Any]:
        with django_capture_on_commit_callbacks(execute=True):
            reminders = reminders_sync(appointment=appointment, **kwargs)
        return {(r.kind, r.code): refreshed(r) for r in reminders}  # with the task noted after commit

    return run


def run_due_tasks() -> list[str]:
    """Run every queued task whose time has come, as `db_worker` does; return their results."""
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
        worker.run_task(queued)
        queued.refresh_from_db()
        assert queued.status == "SUCCESSFUL", queued.traceback
        results.append(queued.return_value)
    return results


def run_worker_until(moment: dt.datetime) -> list[str]:
    """A worker that never stops: run each queued task a second after its time, up to `moment`."""
    from django_tasks_db.models import DBTaskResult

    results = []
    while (
        queued := DBTaskResult.objects.filter(status="READY", run_after__lte=moment)
        .order_by("run_after")
        .first()
    ) is not None:
        with time_machine.travel(queued.run_after + dt.timedelta(seconds=1), tick=False):
            results += run_due_tasks()
    return results


def refreshed(reminder: Any) -> Any:
    reminder.refresh_from_db()
    return reminder


def move(appointment: Any, starts: dt.datetime) -> Any:
    appointment.starts_at, appointment.ends_at = starts, starts + dt.timedelta(minutes=90)
    appointment.sequence += 1
    appointment.save()
    return appointment


def care_text(course: Any, code: str, offset: int | None = None) -> str:
    return next(
        c["text"]
        for c in course.plan["care"]
        if c["code"] == code and (offset is None or c["offset_days"] == offset)
    )


# ---- scheduling --------------------------------------------------------------------------------


def test_it_schedules_each_reminder_at_ten_local_time_after_the_spring_clock_change(
    bookable_course, clinic, personas, sync
):
    # Session on Monday 29 March 2027, the day after summer time starts (28 March 2027).
    appointment = book(bookable_course, clinic, personas, number=1, starts=local(2027, 3, 29, 10, 30))
    with time_machine.travel(dt.datetime(2027, 3, 1, 9, tzinfo=UTC), tick=False):
        reminders = sync(appointment)

    due = {key: r.due_at.astimezone(UTC) for key, r in reminders.items()}
    # sun avoidance and pausing retinoids both start 14 days before: one letter lists both
    assert due[("preparation", "before-14")] == dt.datetime(2027, 3, 15, 10, tzinfo=UTC)  # 10:00 GMT
    assert due[("next_session", "appointment")] == dt.datetime(2027, 3, 27, 10, tzinfo=UTC)  # still GMT
    assert due[("preparation", "day_before")] == dt.datetime(2027, 3, 28, 9, tzinfo=UTC)  # 10:00 BST
    # the session ends at 12:00 BST; aftercare half an hour later
    assert due[("aftercare", "after_session")] == dt.datetime(2027, 3, 29, 11, 30, tzinfo=UTC)
    assert due[("check_in", "day-1")] == dt.datetime(2027, 3, 30, 9, tzinfo=UTC)
    assert due[("check_in", "day-3")] == dt.datetime(2027, 4, 1, 9, tzinfo=UTC)
    assert due[("check_in", "day-7")] == dt.datetime(2027, 4, 5, 9, tzinfo=UTC)
    assert all(
        r.due_at.astimezone(LONDON).time() == dt.time(10)
        for key, r in reminders.items()
        if key[0] != "aftercare"
    )
    assert {r.status for r in reminders.values()} == {"scheduled"}
    assert len(reminders) == 7


def test_it_schedules_at_ten_local_time_after_the_autumn_clock_change(
    bookable_course, clinic, personas, sync
):
    # Session on Monday 26 October 2026, the day after summer time ends (25 October 2026).
    appointment = book(bookable_course, clinic, personas, number=1, starts=local(2026, 10, 26, 14, 0))
    with time_machine.travel(dt.datetime(2026, 9, 1, 9, tzinfo=UTC), tick=False):
        reminders = sync(appointment)

    due = {key: r.due_at for key, r in reminders.items()}
    assert due[("next_session", "appointment")] == dt.datetime(2026, 10, 24, 9, tzinfo=UTC)  # 10:00 BST
    assert due[("preparation", "day_before")] == dt.datetime(2026, 10, 25, 10, tzinfo=UTC)  # 10:00 GMT
    assert reminders[("check_in", "day-1")].due_at == dt.datetime(2026, 10, 27, 10, tzinfo=UTC)


def test_it_queues_one_task_per_reminder_to_run_at_its_due_time(bookable_course, clinic, personas, sync):
    from django_tasks_db.models import DBTaskResult

    from needlepoint.bookings.services.reminders import due_iso

    appointment = book(bookable_course, clinic, personas, number=1, starts=local(2027, 3, 29, 10, 30))
    with time_machine.travel(dt.datetime(2027, 3, 1, 9, tzinfo=UTC), tick=False):
        reminders = sync(appointment)

    queued = {str(t.id): t for t in DBTaskResult.objects.all()}
    assert len(queued) == len(reminders)
    for reminder in reminders.values():
        task = queued[reminder.task_id]
        assert task.task_path == "needlepoint.bookings.tasks.send_reminder"
        assert task.run_after == reminder.due_at
        assert task.args_kwargs["args"] == [reminder.pk, due_iso(reminder.due_at)]


def test_it_skips_reminders_already_due_when_the_session_is_booked_late(
    bookable_course, clinic, personas, sync
):
    appointment = book(bookable_course, clinic, personas, number=1, starts=local(2027, 3, 29, 10, 30))
    with time_machine.travel(local(2027, 3, 20, 12, 0), tick=False):  # 9 days before: the 14-day items passed
        reminders = sync(appointment)

    assert ("preparation", "before-14") not in reminders
    assert ("preparation", "day_before") in reminders
    assert ("next_session", "appointment") in reminders


def test_it_changes_nothing_when_synced_again(bookable_course, clinic, personas, sync):
    from django_tasks_db.models import DBTaskResult

    from needlepoint.audit.models import AuditEvent

    appointment = book(bookable_course, clinic, personas, number=1, starts=local(2027, 3, 29, 10, 30))
    with time_machine.travel(dt.datetime(2027, 3, 1, 9, tzinfo=UTC), tick=False):
        first = sync(appointment, actor=personas.front_desk)
        events, tasks = AuditEvent.objects.count(), DBTaskResult.objects.count()
        second = sync(appointment, actor=personas.front_desk)

    assert {k: (r.pk, r.due_at, r.body, r.task_id) for k, r in first.items()} == {
        k: (r.pk, r.due_at, r.body, r.task_id) for k, r in second.items()
    }
    assert (AuditEvent.objects.count(), DBTaskResult.objects.count()) == (events, tasks)


def test_it_audits_the_scheduling_against_the_patient(bookable_course, clinic, personas, sync):
    from needlepoint.audit.models import AuditEvent

    appointment = book(bookable_course, clinic, personas, number=1, starts=local(2027, 3, 29, 10, 30))
    with time_machine.travel(dt.datetime(2027, 3, 1, 9, tzinfo=UTC), tick=False):
        sync(appointment, actor=personas.front_desk)

    event = AuditEvent.objects.get(object_type="bookings.appointment", object_id=str(appointment.pk))
    assert (event.action, event.actor) == ("change", personas.front_desk)
    assert event.patient_id == personas.record_a.pk
    assert event.summary == "reminders: 7 scheduled"


def test_it_sends_one_letter_per_day_before_the_session_listing_every_item_that_starts_then(
    bookable_course, clinic, personas, sync
):
    plan = bookable_course.plan
    plan["care"].append({"code": "pack_sunhat", "offset_days": -1, "text": "Pack a wide-brimmed hat."})
    bookable_course.plan = plan
    bookable_course.save(update_fields=["plan"])
    appointment = book(bookable_course, clinic, personas, number=1, starts=local(2027, 3, 29, 10, 30))
    with time_machine.travel(dt.datetime(2027, 3, 1, 9, tzinfo=UTC), tick=False):
        reminders = sync(appointment)

    preparation = sorted(code for kind, code in reminders if kind == "preparation")
    assert preparation == ["before-14", "day_before"]  # no "before-1" beside the day-before letter
    assert "From today:\n- Pack a wide-brimmed hat." in reminders[("preparation", "day_before")].body
    moments = [(r.kind, r.due_at) for r in reminders.values()]
    assert len(moments) == len(set(moments))


def test_it_is_refused_by_the_database_a_second_pending_letter_of_one_kind_at_one_moment(
    bookable_course, clinic, personas, sync
):
    from django.db import IntegrityError, transaction

    from needlepoint.bookings.models import Reminder

    appointment = book(bookable_course, clinic, personas, number=1, starts=local(2027, 3, 29, 10, 30))
    with time_machine.travel(dt.datetime(2027, 3, 1, 9, tzinfo=UTC), tick=False):
        letter = sync(appointment)[("preparation", "before-14")]
    same = {
        "appointment": appointment,
        "kind": "preparation",
        "due_at": letter.due_at,
        "subject": letter.subject,
        "body": letter.body,
    }
    with pytest.raises(IntegrityError), transaction.atomic():
        Reminder.objects.create(code="sun_avoidance", **same)  # the old way: one letter per item
    with pytest.raises(IntegrityError), transaction.atomic():
        Reminder.objects.filter(pk=letter.pk).update(status="sending")  # sending needs a claim
    Reminder.objects.create(code="old_letter", status="cancelled", **same)  # history may share the moment
    assert appointment.reminders.filter(due_at=letter.due_at, status="scheduled").count() == 1


@pytest.mark.parametrize("days", [2, -2, 4])
def test_it_moves_a_session_by_days_without_two_letters_meeting_on_the_way(
    bookable_course, clinic, personas, sync, days
):
    # Two days later takes the day-1 check-in to where the day-3 one was: moved in the right
    # order, no two pending letters of one kind ever share a moment.
    appointment = book(bookable_course, clinic, personas, number=1, starts=local(2027, 3, 29, 10, 30))
    with time_machine.travel(dt.datetime(2027, 3, 1, 9, tzinfo=UTC), tick=False):
        before = sync(appointment)
        after = sync(move(appointment, local(2027, 3, 29, 10, 30) + dt.timedelta(days=days)))

    assert {k: r.pk for k, r in after.items()} == {k: r.pk for k, r in before.items()}
    for key, reminder in after.items():
        assert reminder.status == "scheduled"
        wall = reminder.due_at.astimezone(LONDON).replace(tzinfo=None)  # summer time starts 28 March
        assert wall - before[key].due_at.astimezone(LONDON).replace(tzinfo=None) == dt.timedelta(days=days)


def test_it_gives_a_consultation_no_reminders(clinic, personas, sync):
    from needlepoint.bookings.models import Appointment

    consultation = Appointment.objects.create(
        patient=personas.record_b,
        appointment_type=clinic.consultation,
        location=clinic.location,
        starts_at=local(2027, 3, 29, 10),
        ends_at=local(2027, 3, 29, 10, 30),
        created_by=personas.front_desk,
    )
    with time_machine.travel(dt.datetime(2027, 3, 1, 9, tzinfo=UTC), tick=False):
        assert sync(consultation) == {}


# ---- the words ---------------------------------------------------------------------------------


def test_it_writes_the_plans_care_advice_in_plain_words(bookable_course, clinic, personas, sync):
    appointment = book(bookable_course, clinic, personas, number=2, starts=local(2027, 3, 29, 10, 30))
    with time_machine.travel(dt.datetime(2027, 3, 1, 9, tzinfo=UTC), tick=False):
        reminders = sync(appointment)

    course = bookable_course
    before_14 = reminders[("preparation", "before-14")].body
    assert care_text(course, "sun_avoidance") in before_14
    assert care_text(course, "pause_retinoids") in before_14
    day_before = reminders[("preparation", "day_before")].body
    for code in ("day_of_check", "clean_skin", "topical_anaesthetic"):
        assert care_text(course, code) in day_before
    assert "no_makeup" not in day_before and care_text(course, "no_makeup") not in day_before
    aftercare = reminders[("aftercare", "after_session")].body
    for code in ("no_makeup", "avoid_exercise", "soothing_gel", "sunscreen", "gentle_cleanser"):
        assert care_text(course, code) in aftercare
    assert care_text(course, "day_of_check") not in aftercare
    day_7 = reminders[("check_in", "day-7")].body
    assert care_text(course, "check_in", 7) in day_7 and care_text(course, "resume_retinoids") in day_7
    assert "Hello Anna," in day_before and "session 2 of 4" in day_before
    plan_words = " ".join(c["text"] for c in course.plan["care"]).lower()
    for reminder in reminders.values():
        text = (reminder.subject + " " + reminder.body).lower()
        assert not [w for w in JARGON if w.lower() in text and w.lower() not in plan_words], reminder.code


def test_it_says_the_date_and_time_in_the_clinics_zone(bookable_course, clinic, personas, sync):
    appointment = book(bookable_course, clinic, personas, number=1, starts=local(2027, 3, 29, 10, 30))
    with time_machine.travel(dt.datetime(2027, 3, 1, 9, tzinfo=UTC), tick=False):
        reminders = sync(appointment)

    reminder = reminders[("next_session", "appointment")]
    assert reminder.subject == "Reminder: your session on Monday 29 March 2027 at 10:30"  # 09:30 UTC
    assert "Monday 29 March 2027 at 10:30, at Main clinic" in reminder.body
    assert reminders[("preparation", "day_before")].subject == "Your session tomorrow at 10:30"


@override_settings(NEEDLEPOINT_SITE_URL="https://clinic.example")
def test_it_links_each_check_in_to_its_portal_page(bookable_course, clinic, personas, sync):
    appointment = book(bookable_course, clinic, personas, number=1, starts=local(2027, 3, 29, 10, 30))
    with time_machine.travel(dt.datetime(2027, 3, 1, 9, tzinfo=UTC), tick=False):
        reminders = sync(appointment)

    for day in (1, 3, 7):
        body = reminders[("check_in", f"day-{day}")].body
        url = f"https://clinic.example/portal/sessions/{appointment.session_id}/check-in/{day}/"
        assert url in body
        match = resolve(url.removeprefix("https://clinic.example"))
        assert (match.view_name, match.kwargs) == (
            "portal:checkin_new",
            {"session_id": appointment.session_id, "day": day},
        )


# ---- sending once ------------------------------------------------------------------------------


def test_it_sends_a_reminder_once_when_its_task_runs_twice_and_after_a_restart(
    bookable_course, clinic, personas, sync
):
    from needlepoint.bookings.models import Delivery
    from needlepoint.bookings.services.reminders import enqueue
    from needlepoint.bookings.tasks import reminders_requeue, send_reminder

    appointment = book(bookable_course, clinic, personas, number=1, starts=local(2027, 3, 29, 10, 30))
    with time_machine.travel(dt.datetime(2027, 3, 1, 9, tzinfo=UTC), tick=False):
        reminder = sync(appointment)[("preparation", "before-14")]
    with time_machine.travel(reminder.due_at + dt.timedelta(seconds=5), tick=False):
        assert run_due_tasks() == ["sent"]  # sun avoidance and pausing retinoids, one letter
        enqueue(reminder_id=reminder.pk, due_at=reminder.due_at)  # a duplicate task
        assert run_due_tasks() == ["skipped"]
        assert send_reminder.call(reminder.pk, refreshed(reminder).due_at.isoformat()) == "skipped"  # retry
        assert reminders_requeue().requeued == 0  # the sweeper after a restart: nothing is lost
        assert run_due_tasks() == []

    sent = [
        m
        for m in mail.outbox
        if m.subject == reminder.subject and care_text(bookable_course, "sun_avoidance") in m.body
    ]
    assert len(sent) == 1
    assert sent[0].to == ["anna@example.org"]
    assert Delivery.objects.filter(reminder=reminder).count() == 1
    reminder = refreshed(reminder)
    assert reminder.status == "sent" and reminder.sent_at == reminder.due_at + dt.timedelta(seconds=5)


# ---- a worker killed at each step ----------------------------------------------------------------
#
# kill -9 stops the worker wherever it is: nothing after that line runs, and the task row stays
# "running". `Killed` (a BaseException, so no `except Exception` in the send catches it) stands
# for it, raised at each step in turn; the task is run as the worker runs it, minus the worker's
# own bookkeeping afterwards. Then, as the worker's periodic sweep would, `sweep()` runs at
# claim + 9 minutes (too early: the send may still be going) and at claim + 11 minutes.


class Killed(BaseException):
    """The worker was killed here (kill -9)."""


def _mailer(kind: str, path: Any) -> dict[str, Any]:
    if kind == "outbox":
        return {"default": {"BACKEND": "needlepoint.mailing.OutboxBackend", "OPTIONS": {"file_path": path}}}
    if kind == "smtp":
        return {
            "default": {
                "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                "OPTIONS": {"host": "127.0.0.1", "port": _closed_port(), "timeout": 5},
            }
        }
    return {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}


def _copies(kind: str, path: Any, subject: str) -> int:
    """How many copies of the message left: files in the outbox, or messages in memory."""
    if kind == "outbox":
        return sum(subject in f.read_text() for f in path.glob("*.eml"))
    return [m.subject for m in mail.outbox].count(subject)


def run_next_task_until_killed() -> Any:
    """Take the next due task as the worker does (it is "running" from then on) and run it; the
    worker dies where a test raises `Killed`. Returns the task row, still "running"."""
    from django_tasks_db.models import DBTaskResult

    queued = DBTaskResult.objects.ready().first()
    queued.claim("doomed-worker")
    with pytest.raises(Killed):
        queued.task.call(*queued.task_result.args, **queued.task_result.kwargs)
        raise Killed  # killed after the send was recorded, before the task was marked finished
    queued.refresh_from_db()
    assert queued.status == "RUNNING"
    return queued


def _day_before(bookable_course: Any, clinic: Any, personas: Any, sync: Any) -> Any:
    appointment = book(bookable_course, clinic, personas, number=1, starts=local(2027, 3, 29, 10, 30))
    with time_machine.travel(dt.datetime(2027, 3, 1, 9, tzinfo=UTC), tick=False):
        reminder = sync(appointment)[("preparation", "day_before")]
    run_worker_until(reminder.due_at - dt.timedelta(seconds=1))  # the letters before it go out
    mail.outbox.clear()
    return reminder


def _sweep_at(moment: dt.datetime) -> Any:
    from django.test import TestCase

    from needlepoint.bookings.tasks import sweep

    with time_machine.travel(moment, tick=False), TestCase.captureOnCommitCallbacks(execute=True):
        return sweep()


@pytest.mark.parametrize("backend", ["memory", "outbox"])
@pytest.mark.parametrize(
    "step", ["after taking the task", "after the claim", "after the send", "after recording"]
)
def test_it_sends_once_whatever_step_the_worker_is_killed_at(
    bookable_course, clinic, personas, sync, monkeypatch, tmp_path, step, backend
):
    from needlepoint.bookings import tasks
    from needlepoint.bookings.models import Delivery

    reminder = _day_before(bookable_course, clinic, personas, sync)
    real_send = tasks.send_email

    def send(**kwargs: Any) -> None:
        if step == "after the send":
            real_send(**kwargs)
        raise Killed

    monkeypatch.setattr(tasks, "send_email", send)
    with override_settings(MAILERS=_mailer(backend, tmp_path)):
        with time_machine.travel(reminder.due_at, tick=False):
            if step == "after taking the task":
                from django_tasks_db.models import DBTaskResult

                DBTaskResult.objects.ready().first().claim("doomed-worker")
            elif step == "after recording":
                monkeypatch.setattr(tasks, "send_email", real_send)
                run_next_task_until_killed()
            else:
                run_next_task_until_killed()
        monkeypatch.setattr(tasks, "send_email", real_send)  # the next worker is healthy
        claimed = refreshed(reminder)
        assert claimed.status == {"after taking the task": "scheduled", "after recording": "sent"}.get(
            step, "sending"
        )

        early = _sweep_at(reminder.due_at + dt.timedelta(minutes=9))  # the send may still be going
        assert (early.requeued, early.interrupted, early.abandoned_tasks) == (0, 0, 0)
        report = _sweep_at(reminder.due_at + dt.timedelta(minutes=11))
        assert _sweep_at(reminder.due_at + dt.timedelta(minutes=12)) == tasks.SweepReport(0, 0, 0)
        with time_machine.travel(reminder.due_at + dt.timedelta(minutes=12), tick=False):
            results = run_due_tasks()

        assert report.abandoned_tasks == 1  # the dead worker's task no longer shows "running"
        assert _copies(backend, tmp_path, reminder.subject) == 1
        reminder = refreshed(reminder)
        assert reminder.status == "sent" and reminder.sent_at is not None
        assert [d.ok for d in Delivery.objects.filter(reminder=reminder)] == [True]
        expected = {
            "after taking the task": (1, 0, ["sent"]),
            "after the claim": (0, 1, ["sent"]),
            "after the send": (0, 1, []),
            "after recording": (0, 0, []),
        }[step]
        assert (report.requeued, report.interrupted, results) == expected
        assert not Flag.objects.exists()


def test_it_keeps_the_same_message_id_when_it_sends_again_after_an_interruption(
    bookable_course, clinic, personas, sync, monkeypatch
):
    from needlepoint.bookings import tasks

    reminder = _day_before(bookable_course, clinic, personas, sync)
    real_send = tasks.send_email
    monkeypatch.setattr(tasks, "send_email", lambda **kw: (_ for _ in ()).throw(Killed()))
    with time_machine.travel(reminder.due_at, tick=False):
        run_next_task_until_killed()
    first_id, first_attempt = refreshed(reminder).message_id, reminder.attempt
    monkeypatch.setattr(tasks, "send_email", real_send)
    _sweep_at(reminder.due_at + dt.timedelta(minutes=11))
    with time_machine.travel(reminder.due_at + dt.timedelta(minutes=12), tick=False):
        assert run_due_tasks() == ["sent"]

    again = refreshed(reminder)
    assert first_id and again.message_id == first_id
    assert first_attempt and again.attempt != first_attempt
    assert mail.outbox[0].extra_headers["Message-ID"] == first_id


def test_it_flags_an_interrupted_send_it_cannot_check_and_never_sends_it_twice(
    bookable_course, clinic, personas, sync, monkeypatch
):
    """SMTP cannot say whether the server took the message before the worker died: the
    reminder is failed and staff are told, rather than risk a second copy."""
    from needlepoint.bookings import tasks
    from needlepoint.bookings.models import Delivery

    reminder = _day_before(bookable_course, clinic, personas, sync)
    monkeypatch.setattr(tasks, "send_email", lambda **kw: (_ for _ in ()).throw(Killed()))
    with override_settings(MAILERS=_mailer("smtp", None)):
        with time_machine.travel(reminder.due_at, tick=False):
            run_next_task_until_killed()
        report = _sweep_at(reminder.due_at + dt.timedelta(minutes=11))
        with time_machine.travel(reminder.due_at + dt.timedelta(minutes=12), tick=False):
            assert run_due_tasks() == []

    assert report.interrupted == 1 and report.requeued == 0
    assert refreshed(reminder).status == "failed"
    delivery = Delivery.objects.get(reminder=reminder)
    assert not delivery.ok and "may or may not have gone out" in delivery.detail
    assert mail.outbox == []
    flag = Flag.objects.get(patient=personas.record_a)
    assert "it may or may not have gone out. Contact the patient." in flag.reason
    assert not flag.urgent


def test_it_writes_each_message_to_the_outbox_once_and_whole(tmp_path):
    from needlepoint.mailing import OutboxBackend, message_id, send_email, was_delivered

    mid = message_id("reminder", "abc")
    with override_settings(MAILERS=_mailer("outbox", tmp_path)):
        assert was_delivered(mid) is False
        send_email(subject="Hello", body="Body", to=["a@example.org"], message_id=mid)
        send_email(subject="Hello", body="Body", to=["a@example.org"], message_id=mid)  # again
        assert was_delivered(mid) is True
    files = list(tmp_path.iterdir())
    assert [f.suffix for f in files] == [".eml"]  # one file, no temporary left behind
    assert f"Message-ID: {mid}" in files[0].read_text()
    assert OutboxBackend(file_path=tmp_path).file_for(mid) == files[0]


def test_it_requeues_a_reminder_whose_task_was_lost_and_sends_it_once(
    bookable_course, clinic, personas, sync
):
    from django_tasks_db.models import DBTaskResult

    from needlepoint.bookings.tasks import reminders_requeue

    appointment = book(bookable_course, clinic, personas, number=1, starts=local(2027, 3, 29, 10, 30))
    with time_machine.travel(dt.datetime(2027, 3, 1, 9, tzinfo=UTC), tick=False):
        reminders = sync(appointment)
        DBTaskResult.objects.all().delete()  # the queue was lost
        assert reminders_requeue().requeued == len(reminders)
        assert reminders_requeue().requeued == 0  # the new tasks are alive: nothing to do again
    reminder = reminders[("next_session", "appointment")]
    assert refreshed(reminder).task_id in {str(i) for i in DBTaskResult.objects.values_list("id", flat=True)}
    assert set(run_worker_until(reminder.due_at)) == {"sent"}
    assert [m.subject for m in mail.outbox].count(reminder.subject) == 1
    assert len(mail.outbox) == 2  # the 14-day letter, then this one


def test_it_requeues_from_the_management_command(bookable_course, clinic, personas, sync, capsys):
    from django_tasks_db.models import DBTaskResult

    appointment = book(bookable_course, clinic, personas, number=1, starts=local(2027, 3, 29, 10, 30))
    with time_machine.travel(dt.datetime(2027, 3, 1, 9, tzinfo=UTC), tick=False):
        sync(appointment)
        DBTaskResult.objects.all().delete()
        call_command("reminders_requeue")

    assert "reminders re-queued: 7; interrupted sends settled: 0" in capsys.readouterr().out
    assert DBTaskResult.objects.count() == 7


def test_it_does_not_send_a_reminder_the_worker_reaches_too_late(bookable_course, clinic, personas, sync):
    from needlepoint.bookings.models import Delivery

    appointment = book(bookable_course, clinic, personas, number=1, starts=local(2027, 3, 29, 10, 30))
    with time_machine.travel(dt.datetime(2027, 3, 1, 9, tzinfo=UTC), tick=False):
        reminder = sync(appointment)[("preparation", "day_before")]
    with time_machine.travel(reminder.due_at + dt.timedelta(hours=7), tick=False):  # the worker was down
        results = run_due_tasks()

    assert "failed" in results and mail.outbox == [m for m in mail.outbox if m.subject != reminder.subject]
    assert refreshed(reminder).status == "failed"
    assert "too late" in Delivery.objects.get(reminder=reminder).detail


# ---- moving and cancelling ---------------------------------------------------------------------


def test_it_moves_unsent_reminders_with_the_session_and_the_old_task_does_nothing(
    bookable_course, clinic, personas, sync
):
    appointment = book(bookable_course, clinic, personas, number=1, starts=local(2027, 3, 29, 10, 30))
    with time_machine.travel(dt.datetime(2027, 3, 1, 9, tzinfo=UTC), tick=False):
        before = sync(appointment)
        after = sync(move(appointment, local(2027, 4, 6, 14, 0)))

    old, new = before[("preparation", "day_before")], after[("preparation", "day_before")]
    assert new.pk == old.pk and new.task_id != old.task_id
    assert new.due_at == local(2027, 4, 5, 10, 0) and new.status == "scheduled"
    assert "Tuesday 6 April 2027 at 14:00" in new.body and "tomorrow at 14:00" in new.subject
    assert after[("check_in", "day-1")].due_at == local(2027, 4, 7, 10, 0)
    moved = {r.pk for k, r in after.items() if r.due_at != before[k].due_at}
    assert len(moved) == len(after) == 7
    results = run_worker_until(old.due_at + dt.timedelta(minutes=1))  # up to the old day before
    # old 14-day task (15 March), new one (23 March), old next-session (27) and day-before (28)
    assert results == ["skipped", "sent", "skipped", "skipped"]
    assert all(care_text(bookable_course, "day_of_check") not in m.body for m in mail.outbox)
    assert "sent" in run_worker_until(new.due_at + dt.timedelta(minutes=1))
    assert [m.subject for m in mail.outbox].count(new.subject) == 1


def test_it_leaves_sent_reminders_untouched_when_the_session_moves(bookable_course, clinic, personas, sync):
    appointment = book(bookable_course, clinic, personas, number=1, starts=local(2027, 3, 29, 10, 30))
    with time_machine.travel(dt.datetime(2027, 3, 1, 9, tzinfo=UTC), tick=False):
        sync(appointment)
    with time_machine.travel(local(2027, 3, 15, 10, 5), tick=False):
        assert run_due_tasks() == ["sent"]
        sent = refreshed(appointment.reminders.get(code="before-14"))
        after = sync(move(appointment, local(2027, 4, 12, 10, 30)))

    kept = after[("preparation", "before-14")]
    assert (kept.status, kept.due_at, kept.body, kept.sent_at, kept.updated_at) == (
        "sent",
        sent.due_at,
        sent.body,
        sent.sent_at,
        sent.updated_at,
    )
    assert after[("preparation", "day_before")].due_at == local(2027, 4, 11, 10, 0)


def test_it_cancels_unsent_reminders_with_the_session_and_sends_nothing(
    bookable_course, clinic, personas, sync
):
    from django.utils import timezone

    from needlepoint.audit.models import AuditEvent

    appointment = book(bookable_course, clinic, personas, number=1, starts=local(2027, 3, 29, 10, 30))
    with time_machine.travel(dt.datetime(2027, 3, 1, 9, tzinfo=UTC), tick=False):
        sync(appointment)
    with time_machine.travel(local(2027, 3, 15, 10, 5), tick=False):
        run_due_tasks()
        appointment.status, appointment.cancelled_at = "cancelled", timezone.now()
        appointment.save()
        after = sync(appointment, actor=personas.front_desk)
    outbox = len(mail.outbox)
    with time_machine.travel(local(2027, 4, 30, 12, 0), tick=False):
        assert set(run_due_tasks()) == {"skipped"}

    assert len(mail.outbox) == outbox == 1  # only the one sent before the cancellation
    assert {k[1]: r.status for k, r in after.items()} == {
        "before-14": "sent",
        "appointment": "cancelled",
        "day_before": "cancelled",
        "after_session": "cancelled",
        "day-1": "cancelled",
        "day-3": "cancelled",
        "day-7": "cancelled",
    }
    assert AuditEvent.objects.filter(object_id=str(appointment.pk), summary="reminders: 6 cancelled").exists()


# ---- failures ----------------------------------------------------------------------------------


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_it_records_a_failed_delivery_when_the_mail_server_refuses(bookable_course, clinic, personas, sync):
    from needlepoint.audit.models import AuditEvent
    from needlepoint.bookings.models import Delivery
    from needlepoint.bookings.tasks import send_reminder

    appointment = book(bookable_course, clinic, personas, number=1, starts=local(2027, 3, 29, 10, 30))
    with time_machine.travel(dt.datetime(2027, 3, 1, 9, tzinfo=UTC), tick=False):
        reminder = sync(appointment)[("next_session", "appointment")]
    smtp = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": _closed_port(), "timeout": 5},
        }
    }
    with override_settings(MAILERS=smtp), time_machine.travel(reminder.due_at, tick=False):
        assert send_reminder.call(reminder.pk, reminder.due_at.isoformat()) == "failed"
        assert send_reminder.call(reminder.pk, reminder.due_at.isoformat()) == "skipped"  # no blind retry

    delivery = Delivery.objects.get(reminder=reminder)
    assert (delivery.ok, delivery.recipient) == (False, "anna@example.org")
    assert delivery.detail.startswith("ConnectionRefusedError")
    assert refreshed(reminder).status == "failed" and reminder.sent_at is None
    assert AuditEvent.objects.filter(
        object_type="bookings.delivery", object_id=str(delivery.pk), patient_id=personas.record_a.pk
    ).exists()
    assert mail.outbox == []
    # Staff see it on the dashboard: a flag on the patient, open until someone resolves it.
    flag = Flag.objects.get(patient=personas.record_a, resolved_at__isnull=True)
    assert flag.reason.startswith(
        "Next-session reminder email about the visit of Monday 29 March 2027 at 10:30 was "
        "not delivered: ConnectionRefusedError"
    )
    assert flag.reason.endswith(". Contact the patient.") and len(flag.reason) <= 300


def test_it_records_a_failure_when_the_patient_has_no_email(bookable_course, clinic, personas, sync):
    from needlepoint.bookings.models import Delivery
    from needlepoint.bookings.tasks import send_reminder

    personas.record_a.email = ""
    personas.record_a.save()
    appointment = book(bookable_course, clinic, personas, number=1, starts=local(2027, 3, 29, 10, 30))
    with time_machine.travel(dt.datetime(2027, 3, 1, 9, tzinfo=UTC), tick=False):
        reminder = sync(appointment)[("check_in", "day-1")]
    with time_machine.travel(reminder.due_at, tick=False):
        assert send_reminder.call(reminder.pk, reminder.due_at.isoformat()) == "failed"

    assert Delivery.objects.get(reminder=reminder).detail == "The patient has no email address on record."
    assert mail.outbox == []
    assert Flag.objects.get(patient=personas.record_a).reason.endswith(
        "was not delivered: The patient has no email address on record. Contact the patient."
    )


def test_it_does_not_send_before_the_due_time(bookable_course, clinic, personas, sync):
    from needlepoint.bookings.tasks import send_reminder

    appointment = book(bookable_course, clinic, personas, number=1, starts=local(2027, 3, 29, 10, 30))
    with time_machine.travel(dt.datetime(2027, 3, 1, 9, tzinfo=UTC), tick=False):
        reminder = sync(appointment)[("check_in", "day-1")]
        assert send_reminder.call(reminder.pk, reminder.due_at.isoformat()) == "skipped"

    assert refreshed(reminder).status == "scheduled" and mail.outbox == []
