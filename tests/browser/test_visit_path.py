"""A patient's visits as the clinic runs them, end to end in Chromium, each on its own day.

Patient A asks for a consultation on the public page; the front desk adds her answers to her
record and books the consultation from the inquiry queue for the next day. On that day (the
clock travels there: the live server runs in this process, so its clock moves too) the front
desk marks her arrived; the practitioner runs the consultation to an approved course, she signs
the consent in the portal and the front desk books the course. Before session 1's day its chart
is refused, and the page says when; on the day the front desk marks her arrived, the
practitioner re-screens, charts and signs, and the visit shows attended. At the next visit,
once its session is given and signed, the practitioner records the scores, dated by that visit.

Screenshots go to tests/browser/screenshots/9x-*.png. The ORM is used only for the clinic's
resources (test data, as in test_booking.py) and to read the booked times the clock travels to."""

import datetime as dt
import re
import zoneinfo
from typing import Any

import pytest
import time_machine
from patient_path_steps import (
    approved_course_via_ui,
    chart_session_via_ui,
    consent_via_ui,
    open_patient,
    sign_in,
    sign_out,
)
from playwright.sync_api import Page, expect
from test_booking import _session, book_the_course, clinic_resources  # noqa: F401 (a fixture)
from test_patient_path import answer_the_questions

from clock import FROZEN_TODAY
from needlepoint.words import human_date

pytestmark = pytest.mark.django_db(transaction=True)
LONDON = zoneinfo.ZoneInfo("Europe/London")


@pytest.fixture
def consulting_clinic(clinic_resources: Any) -> Any:  # noqa: F811 (the fixture imported above)
    """The booking tests' clinic with a consultation room and a consultation visit (test data)."""
    from needlepoint.bookings.models import AppointmentKind, AppointmentType
    from needlepoint.clinic.models import Room

    Room.objects.create(name="Consultation room", kind="consult", location=clinic_resources)
    AppointmentType.objects.create(
        code="consultation", name="Consultation", kind=AppointmentKind.CONSULTATION, minutes=30
    )
    return clinic_resources


def long_day(day: dt.date) -> str:
    return f"{day:%A} {day.day} {day:%B %Y}"


def no_shot(page: Page, name: str) -> None:
    """The course booking's own screenshots belong to test_booking.py."""


def ask_for_a_consultation_as_anna(page: Page) -> None:
    page.goto("/inquiry/")
    answer_the_questions(page, pregnancy="No (or this does not apply to me)")
    page.get_by_label("Your date of birth").fill("1994-03-02")
    page.get_by_role("button", name="See my answer").click()
    expect(page.locator("#answer").get_by_role("heading", name="Likely suitable")).to_be_visible()
    request = page.locator("#request")
    request.get_by_label("First name").fill("Anna")
    request.get_by_label("Last name").fill("Alvarez")
    request.get_by_label("Email").fill("anna@example.org")
    page.get_by_label("I agree that the clinic stores my answers").check()
    page.get_by_role("button", name="Ask for a consultation").click()
    expect(page.get_by_role("heading", name="Thank you")).to_be_visible()


def book_the_consultation_from_the_inquiry(page: Page, day: dt.date, shot: Any) -> dt.datetime:
    """The front desk adds the inquiry to Anna's record and books her consultation from the
    queue, with Paula, from `day`; returns its start (London time), as the page says it."""
    sign_in(page, "frank")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Inquiries").click()
    row = page.get_by_role("row").filter(has_text="Anna Alvarez")
    expect(row).to_contain_text("A patient record uses this email")
    row.get_by_role("button", name="Register as patient").click()
    expect(page.get_by_role("heading", name="Anna Alvarez may already have a record")).to_be_visible()
    page.locator("#matching-records").get_by_role("button", name="Add the answers to this record").click()
    expect(page.get_by_role("heading", name="Anna Alvarez", level=1)).to_be_visible()

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Inquiries").click()
    row = page.get_by_role("row").filter(has_text="Anna Alvarez")
    expect(row.get_by_role("link", name="Patient record")).to_be_visible()
    row.get_by_role("link", name="Book a consultation").click()
    expect(page.get_by_role("heading", name="Book a consultation: Anna Alvarez")).to_be_visible()
    page.get_by_label("From").fill(day.isoformat())
    page.get_by_label("Practitioner", exact=True).select_option(label="Paula Petrov")
    page.get_by_role("button", name="Find times").click()
    free = page.get_by_role("table", name="Free consultations")
    expect(free.get_by_role("row").nth(1)).to_contain_text(f"{day:%a} {day.day} {day:%b %Y}")
    expect(free.get_by_role("row").nth(1)).to_contain_text("Paula Petrov")
    expect(free.get_by_role("row").nth(1)).to_contain_text("Consultation room")
    shot(page, "90-consultation-from-inquiry")
    free.get_by_role("button", name=re.compile(r"^Book the consultation of")).first.click()
    booked = page.get_by_text(
        re.compile(rf"^Consultation booked for Anna Alvarez on {long_day(day)} at (\d\d:\d\d)\.")
    )
    expect(booked).to_be_visible()
    at = re.search(r"at (\d\d):(\d\d)\.", booked.inner_text())
    assert at
    expect(page.get_by_role("table", name="Day calendar")).to_contain_text("Anna Alvarez")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Inquiries").click()
    expect(page.get_by_text("No open inquiries.")).to_be_visible()  # booked: it has left the queue
    sign_out(page)
    return dt.datetime.combine(day, dt.time(int(at.group(1)), int(at.group(2))), tzinfo=LONDON)


def mark_arrived_on_the_dashboard(page: Page, at: dt.datetime, shot: Any, name: str) -> None:
    """The front desk, on the day, marks Anna arrived for her visit at `at` from the dashboard."""
    sign_in(page, "frank")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Dashboard").click()
    today = page.get_by_role("region", name=re.compile(r"^Today's patients"))
    row = today.get_by_role("row").filter(has_text="Anna Alvarez")
    expect(row).to_contain_text("Booked")
    row.get_by_role("button", name=f"Mark arrived: the visit at {at:%H:%M}").click()
    expect(page.get_by_text("Anna Alvarez has arrived.")).to_be_visible()
    row = (
        page.get_by_role("region", name=re.compile(r"^Today's patients"))
        .get_by_role("row")
        .filter(has_text="Anna Alvarez")
    )
    expect(row).to_contain_text("Arrived")
    expect(row.get_by_role("button", name=re.compile(r"^Mark arrived"))).to_have_count(0)
    shot(page, name)
    sign_out(page)


def test_it_runs_the_visits_each_on_its_day_from_inquiry_to_outcomes(page, personas, consulting_clinic, shot):
    ask_for_a_consultation_as_anna(page)
    tomorrow = FROZEN_TODAY + dt.timedelta(days=1)
    consultation = book_the_consultation_from_the_inquiry(page, tomorrow, shot)

    # The consultation's day, a few minutes before it: she arrives; the practitioner sees her.
    with time_machine.travel(consultation - dt.timedelta(minutes=10), tick=True):
        mark_arrived_on_the_dashboard(page, consultation, shot, "91-consultation-arrived")
        course_id = approved_course_via_ui(page, personas, earlier_intakes=1)
        consent_via_ui(page, course_id)
        book_the_course(page, course_id, no_shot)
        sign_out(page)
        first = _session(course_id, 1)  # the booked time, to travel to it (and check the pages)
        second = _session(course_id, 2)
        start = first.starts_at.astimezone(LONDON)
        day = start.date()
        assert day > tomorrow  # the course leaves the patient time to prepare

        # Before the session's day its chart is refused, and the page says when.
        sign_in(page, "paula")
        open_patient(page, "Alvarez", "Alvarez, Anna")
        page.get_by_role("region", name="Schedule").get_by_role("link", name="Session 1").click()
        expect(page.locator("#not-due")).to_have_text(
            f"Session 1 is booked for {day.day} {day:%B %Y}: it cannot be charted before that day."
        )
        expect(page.get_by_role("link", name=re.compile(r"Re-screen"))).to_have_count(0)
        expect(page.locator("#chart-editor")).to_have_count(0)
        shot(page, "92-chart-refused-before-the-day")
        sign_out(page)

    # Session 1's day: she arrives, and is charted once the treatment has been given.
    with time_machine.travel(start - dt.timedelta(minutes=10), tick=True):
        mark_arrived_on_the_dashboard(page, start, shot, "93-session-arrived")
    with time_machine.travel(start + dt.timedelta(minutes=90), tick=True):
        on, off = start + dt.timedelta(minutes=5), start + dt.timedelta(minutes=35)
        chart_session_via_ui(page, day, pen="Pen 1 (PEN-1)", numbing=(f"{on:%H:%M}", f"{off:%H:%M}"))

        # The visit shows attended, on the patient's appointments page and on the dashboard.
        sign_in(page, "frank")
        today = page.get_by_role("region", name=re.compile(r"^Today's patients"))
        expect(today.get_by_role("row").filter(has_text="Anna Alvarez")).to_contain_text("Attended")
        open_patient(page, "Alvarez", "Alvarez, Anna")
        page.get_by_role("region", name="Schedule").get_by_role(
            "link", name="Book or change appointments"
        ).click()
        visits = page.get_by_role("table", name="Appointments")
        expect(visits.get_by_role("row").filter(has_text="Session 1")).to_contain_text("Attended")
        expect(visits.get_by_role("row").filter(has_text="Session 2")).to_contain_text("Booked")
        shot(page, "94-visit-attended")
        sign_out(page)

    # The next visit (session 2's day): she arrives; before its chart is signed the scores have no
    # visit of that day to belong to; once it is, they are recorded and dated by that visit.
    visit = second.starts_at.astimezone(LONDON)
    with time_machine.travel(visit - dt.timedelta(minutes=10), tick=True):
        mark_arrived_on_the_dashboard(page, visit, shot, "95-next-visit-arrived")
    with time_machine.travel(visit + dt.timedelta(minutes=90), tick=True):
        sign_in(page, "paula")
        open_outcome_form(page)
        sessions = page.get_by_label("Visit (session)").locator("option")
        expect(sessions).to_have_text(["None (scores after the course)", f"Session 1 · {human_date(day)}"])
        sign_out(page)

        on, off = visit + dt.timedelta(minutes=5), visit + dt.timedelta(minutes=35)
        chart_session_via_ui(
            page, visit.date(), number=2, pen="Pen 1 (PEN-1)", numbing=(f"{on:%H:%M}", f"{off:%H:%M}")
        )
        sign_in(page, "paula")
        open_outcome_form(page)
        page.get_by_label("When").select_option(label="At a visit")
        page.get_by_label("Visit (session)").select_option(label=f"Session 2 · {human_date(visit.date())}")
        page.get_by_label("Goodman & Baron grade").select_option("2")
        page.get_by_label("Patient-rated improvement (GAIS)").select_option("2")
        page.get_by_label("Rolling scars, cheeks").fill("6")
        shot(page, "96-outcome-at-the-next-visit")
        page.get_by_role("button", name="Save outcome").click()
        expect(page.get_by_text("Outcome recorded.")).to_be_visible()
        table = page.locator("table").filter(has_text="The same scores as a table")
        row = table.get_by_role("row").filter(has_text="session 2")
        expect(row.get_by_role("cell").first).to_have_text(f"{visit.day} {visit:%b %Y}")  # no "recorded"
        expect(row).to_contain_text("rolling 6")
        expect(page.get_by_text("2 of 4 sessions done.", exact=True)).to_be_visible()
        shot(page, "97-outcome-dated-by-its-visit")
        sign_out(page)


def open_outcome_form(page: Page) -> None:
    """From the patient's record: her course, then "Record outcome scores"."""
    open_patient(page, "Alvarez", "Alvarez, Anna")
    clinical = page.get_by_role("region", name="Clinical record")
    clinical.get_by_role("link", name="Open", exact=True).last.click()
    page.get_by_role("link", name="Record outcome scores").click()
    expect(page.get_by_role("heading", name="Record an outcome")).to_be_visible()
