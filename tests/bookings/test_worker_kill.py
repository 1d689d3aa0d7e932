"""The real worker, killed with SIGKILL in the middle of a send, and another worker's periodic
sweep recovering it: one email in the outbox, the reminder recorded as sent, the dead task no
longer "running". Real processes on a SQLite file (the test database of the other tests lives in
this process only), the demo's outbox mail backend, and a stall in the backend so the kill lands
exactly where it should: after the claim and before the send, or after the send and before the
outcome is recorded.

Bounded in time: every wait has a deadline; the recovery itself must come within 60 s of the
kill (the sweep runs every 0.5 s and takes a claim as dead after 6 s here)."""

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ADMIN = str(Path(sys.executable).with_name("django-admin"))
SRC = str(Path(__file__).resolve().parents[2] / "src")
STALE_AFTER = 6  # seconds: the sweeps of the live worker find the dead claim after this

SETTINGS = '''
import os
import time
from pathlib import Path

from needlepoint.mailing import OutboxBackend
from needlepoint.web.settings.test import *  # noqa: F403

MAILERS = {"default": {"BACKEND": "killsettings.StallingOutbox",
                       "OPTIONS": {"file_path": os.environ["OUTBOX"]}}}
NEEDLEPOINT_REQUIRE_STAFF_2FA = False


class StallingOutbox(OutboxBackend):
    """The outbox, stalling (to be killed) before or after writing when STALL says so."""

    def send_messages(self, messages):
        stall = os.environ.get("STALL", "")
        if stall == "before":
            Path(os.environ["MARK"]).write_text("claimed, not sent")
            time.sleep(300)
        count = super().send_messages(messages)
        if stall == "after":
            Path(os.environ["MARK"]).write_text("sent, not recorded")
            time.sleep(300)
        return count
'''

SEED = """
import datetime as dt
from django.utils import timezone
from needlepoint.accounts.models import User
from needlepoint.bookings.models import Appointment, AppointmentType, Location, Reminder
from needlepoint.bookings.services.reminders import enqueue
from needlepoint.clinic.models import Patient

desk = User.objects.create(username="desk", role="front_desk")
patient = Patient.objects.create(first_name="Anna", last_name="Alvarez", birth_date=dt.date(1990, 1, 1),
                                 email="anna@example.org")
location = Location.objects.create(name="Main clinic", opening_hours="mon-sun 08:00-20:00")
kind = AppointmentType.objects.create(code="t", name="Session", kind="treatment", minutes=60)
starts = timezone.now() + dt.timedelta(days=1)
appointment = Appointment.objects.create(patient=patient, appointment_type=kind, location=location,
                                         starts_at=starts, ends_at=starts + dt.timedelta(hours=1),
                                         created_by=desk)
due = timezone.now().replace(microsecond=0) - dt.timedelta(minutes=1)
reminder = Reminder.objects.create(appointment=appointment, kind="preparation", code="day_before", due_at=due,
                                   subject="Your session tomorrow", body="See you tomorrow.")
enqueue(reminder_id=reminder.pk, due_at=due)
"""


# The workers run on the machine's own clock even when the suite runs with it moved ahead
# (`make test-later`, libfaketime): libfaketime does not move the timed waits of the worker's
# threads consistently, and nothing here depends on the date (every time is the worker's now).
NOT_PASSED_ON = (
    "DATABASE_URL",
    "STALL",
    "LD_PRELOAD",
    "FAKETIME",
    "FAKETIME_DONT_FAKE_MONOTONIC",
    "DONT_FAKE_MONOTONIC",
    "FAKETIME_NO_CACHE",
)


def _env(tmp: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in NOT_PASSED_ON}
    env.update(
        PYTHONPATH=os.pathsep.join([str(tmp), SRC]),
        DJANGO_SETTINGS_MODULE="killsettings",
        DATABASE_URL=f"sqlite:///{tmp / 'db.sqlite3'}",
        NEEDLEPOINT_VAR_DIR=str(tmp / "var"),
        OUTBOX=str(tmp / "outbox"),
        MARK=str(tmp / "mark"),
        **extra,
    )
    return env


@pytest.fixture(scope="module")
def migrated(tmp_path_factory: Any) -> Path:
    """A migrated SQLite file, made once for the module (copied by each test)."""
    tmp = tmp_path_factory.mktemp("migrated")
    (tmp / "killsettings.py").write_text(SETTINGS)
    subprocess.run([ADMIN, "migrate", "--noinput", "-v0"], env=_env(tmp), check=True, timeout=240)
    return tmp / "db.sqlite3"


@pytest.fixture
def clinic_files(tmp_path: Path, migrated: Path) -> Iterator[Path]:
    (tmp_path / "killsettings.py").write_text(SETTINGS)
    (tmp_path / "db.sqlite3").write_bytes(migrated.read_bytes())
    subprocess.run([ADMIN, "shell", "-c", SEED], env=_env(tmp_path), check=True, timeout=120)
    yield tmp_path


def _worker(tmp: Path, name: str, **env: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            ADMIN,
            "clinic_worker",
            "--no-reload",
            "--no-startup-delay",
            "--interval",
            "0.2",
            "--sweep-every",
            "0.5",
            "--stale-after",
            str(STALE_AFTER),
            "--worker-id",
            name,
            "-v0",
        ],
        env=_env(tmp, **env),
        stdout=subprocess.DEVNULL,
        stderr=open(tmp / f"{name}.log", "wb"),
    )


def _wait(what: str, check: Any, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {seconds} s waiting for {what}")
        time.sleep(0.2)


def _row(tmp: Path, sql: str) -> tuple[Any, ...]:
    with sqlite3.connect(tmp / "db.sqlite3", timeout=20) as db:
        return db.execute(sql).fetchone()


DEAD_TASK = "select status from django_tasks_database_dbtaskresult where worker_ids like '%doomed%'"


@pytest.mark.parametrize("stall", ["before", "after"])
def test_it_recovers_a_send_whose_worker_was_killed_with_sigkill(clinic_files: Path, stall: str) -> None:
    tmp = clinic_files
    doomed = _worker(tmp, "doomed", STALL=stall)
    survivor = None
    try:
        _wait("the doomed worker to reach the send", (tmp / "mark").exists, 60)
        survivor = _worker(tmp, "survivor")  # running before the kill: its periodic sweep recovers
        time.sleep(1)
        doomed.send_signal(signal.SIGKILL)
        doomed.wait(timeout=10)
        status, attempt = _row(tmp, "select status, attempt from bookings_reminder")
        assert status == "sending" and attempt
        killed_at = time.monotonic()

        # The sweep settles the send and marks the dead worker's task in separate steps (and the
        # survivor may run the requeued send before the task row is marked): wait for both.
        _wait(
            "the sweep to settle the send and the dead worker's task",
            lambda: (
                _row(tmp, "select status from bookings_reminder")[0] == "sent"
                and _row(tmp, DEAD_TASK)[0] == "FAILED"
            ),
            60,
        )
        assert time.monotonic() - killed_at < 60
    finally:
        for process in (doomed, survivor):
            if process is not None and process.poll() is None:
                process.send_signal(signal.SIGKILL)
                process.wait(timeout=10)

    emails = list((tmp / "outbox").glob("*.eml"))
    assert len(emails) == 1 and "Your session tomorrow" in emails[0].read_text()
    assert _row(tmp, "select count(*), sum(ok) from bookings_delivery") == (1, 1)
    assert _row(tmp, "select count(*) from clinic_flag") == (0,)
    dead = _row(tmp, DEAD_TASK)
    assert dead[0] == "FAILED"  # the dead worker's task no longer shows "running"
    running = _row(tmp, "select count(*) from django_tasks_database_dbtaskresult where status = 'RUNNING'")
    assert running == (0,)
