"""The demo clinic, seeded on the frozen today (Monday 23 November 2026, 09:00 London): built
only through the clinic's and the booking services, so every session with a time is on the
calendar, the dashboard's today is the calendar's today, and nothing in the record is dated
after now."""

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from needlepoint.accounts.models import User
from needlepoint.audit.models import AuditEvent
from needlepoint.bookings.models import Appointment, Hold, Reminder
from needlepoint.clinic.demo import build_demo_clinic
from needlepoint.clinic.models import CheckIn, Inquiry, Outcome, TreatmentSession
from needlepoint.clinic.selectors import dashboard_for

NOW = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def demo(django_db_setup: Any, django_db_blocker: Any) -> Any:
    """The demo clinic, built once for this module (and removed after it)."""
    with django_db_blocker.unblock(), time_machine.travel(NOW, tick=False):
        build_demo_clinic(patients=27, password=lambda username: f"demo-{username}")
    yield
    with django_db_blocker.unblock():
        from django.core.management import call_command

        call_command("flush", "--no-input", verbosity=0)


@pytest.fixture
def at_now(demo: Any, db: Any) -> Any:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def test_it_puts_every_timed_session_on_the_calendar(at_now):
    timed = TreatmentSession.objects.filter(appointment__isnull=False)
    assert timed.count() >= 60
    assert not timed.exclude(appointment__status__in=("booked", "attended")).exists()
    signed = TreatmentSession.objects.filter(status="signed")
    assert not signed.exclude(appointment__status="attended").exists()
    for appointment in Appointment.objects.all():  # each holds its practitioner, room and pen
        assert Hold.objects.filter(appointment=appointment, active=True).exists(), appointment
    assert not Appointment.objects.filter(starts_at__gt=NOW, status="attended").exists()


def test_it_gives_the_dashboard_the_calendars_today(at_now, client_for):
    front_desk = User.objects.get(username="frank")
    today = dashboard_for(front_desk).today.rows
    assert len(today) >= 3
    page = client_for(front_desk).get(reverse("bookings:calendar"))
    on_calendar = {e.appointment.pk for c in page.context["grid"].columns for e in c.entries}
    assert {a.pk for a in today} == on_calendar
    assert client_for(front_desk).get(reverse("clinic:dashboard")).status_code == 200


def test_it_dates_nothing_after_now(at_now):
    assert AuditEvent.objects.exists()
    assert not AuditEvent.objects.filter(at__gt=NOW).exists()
    assert not CheckIn.objects.filter(submitted_at__gt=NOW).exists()
    assert not Outcome.objects.filter(recorded_at__gt=NOW).exists()
    assert not TreatmentSession.objects.filter(signed_at__gt=NOW).exists()
    assert not Reminder.objects.filter(status="sent", sent_at__gt=NOW).exists()


def test_it_sends_every_message_due_in_the_replayed_past_at_its_time(at_now):
    assert not Reminder.objects.filter(status="scheduled", due_at__lte=NOW).exists()
    assert Reminder.objects.filter(status="sent").exists()
    assert not Reminder.objects.filter(status="failed").exists()
    assert Reminder.objects.filter(status="scheduled", due_at__gt=NOW).exists()


def test_it_lists_no_course_under_way_under_to_book(at_now, client_for):
    page = client_for(User.objects.get(username="frank")).get(reverse("bookings:to_book"))
    statuses = {c.status for c in page.context["courses"]}
    assert "active" not in statuses
    assert statuses <= {"approved"}


def test_it_books_consultations_from_two_inquiries(at_now):
    booked = Inquiry.objects.filter(status="booked")
    assert booked.count() == 2
    for inquiry in booked:
        visit = Appointment.objects.get(inquiry=inquiry)
        assert visit.session is None and visit.starts_at > NOW and visit.patient == inquiry.patient
    assert timezone.now() == NOW
