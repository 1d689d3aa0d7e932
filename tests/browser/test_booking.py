"""Whole-course booking, end to end in Chromium: the front desk books a whole course from an
approved, consented plan (preferences → preview of every session with its window → confirm) and
reschedules its second session (the window is shown, the preview highlights what else moves →
confirm); then cancels the third and books it again a day later, which moves the fourth (the
plan's minimum interval). Screenshots go to tests/browser/screenshots/8x-*.png.

The plan is reached through the pages (a practitioner's consultation, the patient's consent in
the portal: the `*_via_ui` steps of the patient path). The clinic's resources — a location,
rooms, pens, the practitioners' skills and hours, the visit types — are set up with the ORM, as
test data: they have their own admin pages, tested elsewhere."""

import datetime as dt
import re
import zoneinfo
from typing import Any

import pytest
from patient_path_steps import approved_course_via_ui, consent_via_ui, sign_in, sign_out
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.django_db(transaction=True)
LONDON = zoneinfo.ZoneInfo("Europe/London")


@pytest.fixture
def clinic_resources(personas: Any) -> Any:
    from needlepoint.bookings.models import AppointmentKind, AppointmentType, Location, PractitionerProfile
    from needlepoint.clinic.models import Device, Room

    loc = Location.objects.create(
        name="Main clinic", time_zone="Europe/London", opening_hours="mon-fri 09:00-18:00; sat 09:00-13:00"
    )
    for name, kind in [
        ("Treatment room 1", "treatment"),
        ("Treatment room 2", "treatment"),
        ("Numbing chair 1", "numbing"),
        ("Numbing chair 2", "numbing"),
    ]:
        Room.objects.create(name=name, kind=kind, location=loc)
    for n in (1, 2):
        Device.objects.create(name=f"Pen {n}", kind="pen", serial=f"PEN-{n}", location=loc)
    personas.practitioner.last_name = "Petrov"
    personas.practitioner.save()
    hours = "mon-fri 09:00-17:00"
    PractitionerProfile.objects.create(
        user=personas.practitioner, location=loc, working_hours=hours, skills=["microneedling", "prp_draw"]
    )
    PractitionerProfile.objects.create(
        user=personas.director,
        location=loc,
        skills=["microneedling"],
        working_hours="tue,thu,sat 09:00-13:00",
    )
    AppointmentType.objects.create(
        code="microneedling",
        name="Microneedling session",
        kind=AppointmentKind.TREATMENT,
        numbing_minutes=30,
        minutes=60,
    )
    return loc


def _session(course_id: int, number: int) -> Any:
    from needlepoint.bookings.models import Appointment

    return Appointment.objects.select_related("session").get(
        course_id=course_id, session__number=number, status="booked"
    )


def book_the_course(page: Page, course_id: int, shot: Any) -> None:
    """The front desk finds the course in the waiting list and books the earliest whole course."""
    from needlepoint.clinic.models import TreatmentSession

    count = TreatmentSession.objects.filter(course_id=course_id).count()
    assert count >= 3
    sign_in(page, "frank")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Calendar").click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    page.get_by_role("link", name="Courses waiting to be booked").click()
    row = page.get_by_role("row").filter(has_text="Anna Alvarez")
    expect(row).to_contain_text("signed")
    row.get_by_role("link", name="Book sessions").click()
    expect(page.get_by_role("heading", name="Book the course: Anna Alvarez")).to_be_visible()

    # Preferences: weekday mornings with the patient's usual practitioner (whoever else works
    # on the day the test runs could be earlier); the preview follows (htmx swaps only the proposals).
    for day in ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday"):
        page.get_by_label(day, exact=True).check()
    page.get_by_label(re.compile(r"^Mornings")).check()
    page.get_by_label("Practitioner", exact=True).select_option(label="Paula Petrov")
    page.evaluate("window.__stillTheSamePage = true")
    page.get_by_role("button", name="Find dates").click()
    page.wait_for_url(re.compile(r"times=mornings"))  # the search is a GET: the address can be shared
    assert page.evaluate("window.__stillTheSamePage === true"), "the search reloaded the page"
    best = page.get_by_role("region", name=re.compile(r"^Earliest course"))
    expect(best).to_be_visible()
    expect(best.get_by_role("row")).to_have_count(1 + count)  # a header and every session
    expect(best.locator(".badge.inside")).to_have_count(count)
    expect(best).to_contain_text("Paula Petrov")
    expect(best).to_contain_text("Treatment room")
    expect(page.get_by_role("region", name=re.compile(r"^Alternative 1"))).to_be_visible()
    shot(page, "80-booking-preview")

    best.get_by_role("button", name="Book the earliest course").click()
    expect(
        page.get_by_text(re.compile(rf"^Booked {count} sessions for Anna Alvarez: the first on"))
    ).to_be_visible()
    expect(page.get_by_role("heading", name="Appointments: Anna Alvarez")).to_be_visible()
    expect(page.get_by_role("table", name="Appointments").get_by_role("row")).to_have_count(1 + count)
    shot(page, "81-course-booked")


def reschedule_the_second_session(page: Page, course_id: int, shot: Any) -> None:
    """Move session 2 three weeks later: its window is shown, sessions 3 and 4 must follow."""
    second = _session(course_id, 2)
    page.get_by_role("link", name="Reschedule session 2").click()
    expect(page.get_by_role("heading", name="Reschedule session 2 of Anna Alvarez")).to_be_visible()
    e, last = second.window_earliest, second.window_latest
    expect(page.locator("#window")).to_contain_text(
        f"Window for this session: {e:%a} {e.day} {e:%b %Y} to {last:%a} {last.day} {last:%b %Y}."
    )
    new = second.starts_at.astimezone(LONDON) + dt.timedelta(days=21)
    page.get_by_label("New date").fill(new.date().isoformat())
    page.get_by_label("New start time").fill(f"{new:%H:%M}")
    page.evaluate("window.__stillTheSamePage = true")
    page.get_by_role("button", name="Preview the move").click()
    after = page.get_by_role("table", name="Sessions after the move")
    expect(after).to_be_visible()
    assert page.evaluate("window.__stillTheSamePage === true"), "the preview reloaded the page"
    expect(after.locator("tr.moves")).to_have_count(after.get_by_role("row").count() - 1)
    expect(after.get_by_role("row").nth(1)).to_contain_text(f"{new:%a} {new.day} {new:%b %Y}, {new:%H:%M}")
    expect(after.get_by_role("row").nth(2)).to_contain_text("moves")
    shot(page, "82-reschedule-preview")

    page.get_by_role("button", name="Confirm the move").click()
    expect(page.get_by_text(re.compile(r"^Moved: session 2 now"))).to_be_visible()
    moved = _session(course_id, 2)
    assert moved.starts_at == new
    assert _session(course_id, 3).starts_at.date() >= (new + dt.timedelta(days=28)).date()
    shot(page, "83-rescheduled")


def cancel_and_rebook_the_third_session(page: Page, course_id: int, shot: Any) -> None:
    """The patient cannot come to session 3: cancel it, then book it a day later, inside its
    window; session 4 would then come too soon after it, so it moves too."""
    third, fourth = _session(course_id, 3), _session(course_id, 4)
    page.get_by_role("link", name="Cancel session 3").click()
    page.get_by_label("Reason for cancelling").fill("Patient is travelling that week")
    page.get_by_role("button", name="Cancel the appointment").click()
    expect(page.get_by_text(re.compile(r"Session 3 has no time now"))).to_be_visible()
    expect(page.get_by_role("table", name="Sessions without a time")).to_contain_text("travelling")
    page.get_by_role("link", name="Book a new time for session 3").click()
    expect(page.locator("#window")).to_be_visible()
    new = third.starts_at.astimezone(LONDON) + dt.timedelta(days=1)  # Thursday → Friday, Paula works
    page.get_by_label("New date").fill(new.date().isoformat())
    page.get_by_label("New start time").fill(f"{new:%H:%M}")
    page.get_by_role("button", name="Preview the new time").click()
    after = page.get_by_role("table", name="Sessions after booking the new time")
    expect(after.get_by_role("row").nth(1)).to_contain_text("new time")
    expect(after.get_by_role("row").nth(2)).to_contain_text("moves")
    shot(page, "84-rebook-preview")
    page.get_by_role("button", name="Book this time").click()
    expect(page.get_by_text(re.compile(r"^Booked session 3 for .* session 4 moved to"))).to_be_visible()
    assert _session(course_id, 3).starts_at == new
    moved = _session(course_id, 4).starts_at
    assert moved > fourth.starts_at and moved.date() >= (new + dt.timedelta(days=28)).date()
    shot(page, "85-rebooked")


def test_it_books_a_whole_course_and_reschedules_its_second_session(page, personas, clinic_resources, shot):
    course_id = approved_course_via_ui(page, personas)
    consent_via_ui(page, course_id)

    book_the_course(page, course_id, shot)
    first = _session(course_id, 1).starts_at.astimezone(LONDON)
    reschedule_the_second_session(page, course_id, shot)
    cancel_and_rebook_the_third_session(page, course_id, shot)

    # The day of the first session on the calendar, by practitioner.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Calendar").click()
    page.get_by_label("Date").fill(first.date().isoformat())
    page.get_by_role("button", name="Show").click()
    calendar = page.get_by_role("table", name="Day calendar")
    expect(calendar).to_contain_text("Anna Alvarez")
    expect(calendar).to_contain_text("Microneedling session, session 1")
    shot(page, "86-calendar-day")
    sign_out(page)
