"""The patient's path, end to end in Chromium, done the way a new user would do it: through the
pages, labels and buttons, signed in through the login page.

1. An anonymous visitor asks "Is microneedling for me?" and requests a consultation; a pregnant
   visitor is told "not yet"; the front desk sees the request in its queue.
2. The front desk registers a patient with contact details and a portal login; the patient sets
   a password from the link in their email (the front desk never sees it).
3. A practitioner runs a consultation to an approved plan (intake, screening with findings,
   assessment with live scores, proposed plan, a depth edited within the limits, approval).
4. The patient signs the consent in the portal (typed name and a drawn signature).
5. A session is re-screened on the day, charted and signed; the signed chart is read-only.
6. A day-1 check-in with a warning sign raises a flag on the practitioner's dashboard.
7. Patient B cannot reach patient A's record, course or consent; the front desk does not see
   clinical notes.

Each test starts from an empty clinic (the personas only) and reaches its starting point through
the same pages (the `*_via_ui` helpers in `patient_path_steps.py`). The ORM is used only where no
page exists yet or another test walks it, each time said in a comment: publishing the consent
text (its pages are tested in tests/clinic/test_consent_versions.py), adding a device, and
booking a session (booking is a later feature)."""

import re
from urllib.parse import urlsplit

import pytest
from django.core import mail
from patient_path_steps import (
    approved_course_via_ui,
    chart_and_sign_via_ui,
    consent_via_ui,
    sign_in,
    sign_out,
)
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.django_db(transaction=True)


def answer_the_questions(page: Page, *, pregnancy: str) -> None:
    """Fill the public questionnaire as a healthy adult with acne scars on cheeks and forehead."""
    page.get_by_label("Your date of birth").fill("1990-05-14")
    page.get_by_role("group", name="Are you pregnant").get_by_label(pregnancy).check()
    page.get_by_role("group", name="What would you like to improve?").get_by_label(
        "Acne scars", exact=True
    ).check()
    areas = page.get_by_role("group", name="Which areas would you like treated?")
    areas.get_by_label("Cheeks", exact=True).check()
    areas.get_by_label("Forehead", exact=True).check()
    page.get_by_role("group", name="Which describes your skin best?").get_by_label("Type III:").check()


# ---- 1. the public inquiry -----------------------------------------------------------------------


def test_it_answers_visitors_and_queues_a_consultation_request(page, browser, live_server, shot, personas):
    page.goto("/inquiry/")
    expect(page.get_by_role("heading", name="Is microneedling for me?", level=1)).to_be_visible()
    answer_the_questions(page, pregnancy="No (or this does not apply to me)")
    shot(page, "10-inquiry-questions")
    page.get_by_role("button", name="See my answer").click()

    answer = page.locator("#answer")
    expect(answer.get_by_role("heading", name="Likely suitable")).to_be_visible()
    expect(answer).to_contain_text("microneedling is likely suitable for you")
    expect(answer).to_contain_text("Nothing in your answers stands in the way.")
    shot(page, "11-inquiry-likely-suitable")

    # A second visitor, in their own browser, who is pregnant: "not yet", and why.
    other = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    try:
        visitor = other.new_page()
        visitor.goto("/inquiry/")
        answer_the_questions(visitor, pregnancy="I am pregnant")
        visitor.get_by_role("button", name="See my answer").click()
        not_yet = visitor.locator("#answer")
        expect(not_yet.get_by_role("heading", name="Not yet")).to_be_visible()
        expect(not_yet).to_contain_text("Microneedling is not done during pregnancy")
        shot(visitor, "12-inquiry-pregnant-not-yet")
    finally:
        other.close()

    # The first visitor asks for a consultation: without the consent box nothing is stored.
    request = page.locator("#request")
    request.get_by_label("First name").fill("Cora")
    request.get_by_label("Last name").fill("Castillo")
    request.get_by_label("Email").fill("cora@example.org")
    request.get_by_label("Phone (optional)").fill("+44 20 7946 0123")
    request.get_by_role("button", name="Ask for a consultation").click()
    expect(page.get_by_role("alert")).to_contain_text("Tick the box to agree")
    shot(page, "13-inquiry-consent-missing")
    page.get_by_label("I agree that the clinic stores my answers").check()
    page.get_by_role("button", name="Ask for a consultation").click()
    expect(page.get_by_role("heading", name="Thank you")).to_be_visible()
    expect(page.get_by_text("The clinic has your request")).to_be_visible()
    shot(page, "14-inquiry-sent")

    # The front desk finds the request in its queue; the pregnant visitor stored nothing.
    sign_in(page, "frank")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Inquiries").click()
    expect(page.get_by_role("heading", name="Inquiries", level=1)).to_be_visible()
    row = page.get_by_role("row").filter(has_text="Cora Castillo")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("cora@example.org")
    expect(row).to_contain_text("Suitable")
    expect(row).to_contain_text("New")
    expect(page.locator("#inquiry-queue tbody tr")).to_have_count(1)
    shot(page, "15-inquiry-queue")

    # Marking it contacted swaps the row in place (htmx).
    row.get_by_role("button", name="Mark contacted").click()
    expect(row).to_contain_text("Contacted")
    expect(row.get_by_role("status")).to_contain_text("marked as contacted")


# ---- 2. the front desk registers a patient -------------------------------------------------------


def test_it_lets_the_front_desk_register_a_patient_with_a_portal_login(page, shot, personas):
    sign_in(page, "frank")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Patients").click()
    page.get_by_role("link", name="Register a patient").click()
    expect(page.get_by_role("heading", name="Register a patient")).to_be_visible()

    # A missing date of birth is refused with a message, nothing saved.
    page.get_by_label("First name").fill("Dara")
    page.get_by_label("Last name").fill("Doyle")
    page.get_by_role("button", name="Register").click()
    expect(page.get_by_text("Date of birth is required.").first).to_be_visible()
    shot(page, "20-register-missing-birth-date")

    page.get_by_label("Date of birth").fill("1991-02-03")
    page.get_by_label("Email", exact=True).fill("dara@example.org")
    page.get_by_label("Phone").fill("+44 7700 900123")
    page.get_by_label("Create a portal login for this patient").check()
    shot(page, "21-register-filled")
    page.get_by_role("button", name="Register").click()

    expect(page.get_by_role("heading", name="Portal login for Dara Doyle")).to_be_visible()
    expect(page.locator("#portal-username")).to_have_text("dara@example.org")
    # The link to set a password goes to the patient's email only, never to this page.
    expect(page.locator("#link-sent")).to_contain_text(
        "We have emailed a link to set a password to dara@example.org"
    )
    expect(page.locator("a[href*='/accounts/reset/']")).to_have_count(0)
    (invitation,) = mail.outbox
    link = urlsplit(re.search(r"https?://\S+/accounts/reset/\S+/", invitation.body).group(0)).path
    assert link not in page.content()
    shot(page, "22-register-portal-login")

    page.get_by_role("link", name=re.compile(r"^Open Dara Doyle\W+s record")).click()
    contact = page.get_by_role("region", name="Contact details")
    expect(contact).to_contain_text("3 February 1991")
    expect(contact).to_contain_text("dara@example.org")
    expect(contact).to_contain_text("+44 7700 900123")
    expect(page.get_by_role("region", name="Clinical record")).to_have_count(0)
    shot(page, "23-patient-record-front-desk")

    # The list finds her by name.
    page.get_by_role("link", name="Patients", exact=True).first.click()
    page.get_by_label("Search by name").fill("doyle")
    expect(page.get_by_role("link", name="Doyle, Dara")).to_be_visible()
    expect(page.get_by_role("link", name="Alvarez, Anna")).to_have_count(0)
    sign_out(page)

    # The new patient opens the one-time link from their email, chooses a password and signs in.
    page.goto(link)
    expect(page.get_by_role("heading", name="Choose your password")).to_be_visible()
    page.get_by_label("New password", exact=True).fill("a long new passphrase 42")
    page.get_by_label("New password again").fill("a long new passphrase 42")
    page.get_by_role("button", name="Save password").click()
    expect(page.get_by_role("heading", name="Password saved")).to_be_visible()
    page.get_by_role("link", name="Sign in").click()
    page.get_by_label("Username").fill("dara@example.org")
    page.get_by_label("Password").fill("a long new passphrase 42")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Dara Doyle")).to_be_visible()
    expect(page.get_by_text("You have no treatment course yet.")).to_be_visible()
    shot(page, "24-new-patient-portal")


# ---- 3. consultation to an approved plan ---------------------------------------------------------


def test_it_runs_a_consultation_to_an_approved_plan(page, shot, personas):
    approved_course_via_ui(page, personas, shot=shot)


# ---- 4. consent in the portal --------------------------------------------------------------------


def test_it_has_the_patient_sign_the_consent_in_the_portal(page, shot, personas):
    course_id = approved_course_via_ui(page, personas)
    consent_via_ui(page, course_id, shot=shot)


# ---- 5. charting -----------------------------------------------------------------------------------


def test_it_charts_and_signs_a_session_which_is_then_read_only(page, shot, personas):
    course_id = approved_course_via_ui(page, personas)
    consent_via_ui(page, course_id)
    chart_and_sign_via_ui(page, personas, shot=shot)


# ---- 6. day-1 check-in with a warning sign --------------------------------------------------------


def test_it_puts_a_day_one_warning_sign_on_the_dashboard(page, shot, personas):
    course_id = approved_course_via_ui(page, personas)
    consent_via_ui(page, course_id)
    chart_and_sign_via_ui(page, personas)

    sign_in(page, "anna")
    page.get_by_role("link", name="Aftercare and check-ins").click()
    expect(page.get_by_role("heading", name="Check-ins after treatment")).to_be_visible()
    day1 = page.get_by_role("row").filter(has_text="Day 1")
    expect(day1).to_contain_text("Due now")
    expect(page.get_by_role("heading", name="Looking after your skin")).to_be_visible()
    shot(page, "60-checkin-list")
    day1.get_by_role("link", name="Check in for day 1").click()

    expect(page.get_by_role("heading", name="Day 1 check-in")).to_be_visible()
    page.get_by_label("How red is the treated skin?").select_option("6")
    page.get_by_label("How swollen is it?").select_option("4")
    page.get_by_label("How sore or painful is it?").select_option("3")
    page.get_by_role("group", name="Do you have any of these?").get_by_label("Fever").check()
    page.get_by_label("Anything else you want to tell us").fill("I felt hot and shivery last night.")
    shot(page, "61-checkin-form")
    page.get_by_role("button", name="Send check-in").click()

    advice = page.get_by_role("alert")
    expect(advice).to_be_visible()
    expect(page.locator(".facts")).to_contain_text("fever")
    shot(page, "62-checkin-sent-with-warning")
    page.get_by_role("link", name="All check-ins").click()
    expect(page.get_by_role("row").filter(has_text="Day 1")).to_contain_text("Done")
    sign_out(page)

    sign_in(page, "paula")
    expect(page.get_by_role("heading", name=re.compile(r"^Dashboard"))).to_be_visible()
    flags = page.get_by_role("region", name=re.compile(r"^Open flags"))
    expect(flags.get_by_role("heading")).to_contain_text("1")
    flag = flags.get_by_role("row").filter(has_text="Anna Alvarez")
    expect(flag).to_contain_text("fever")
    shot(page, "63-dashboard-open-flag")
    flag.get_by_role("link", name="Resolve").click()
    expect(page.get_by_text("fever").first).to_be_visible()
    shot(page, "64-flag")


# ---- 7. who may see what ---------------------------------------------------------------------------


def expect_not_found(page: Page, path: str) -> None:
    response = page.goto(path)
    assert response is not None and response.status == 404, path
    expect(page.get_by_role("heading", name="Not Found")).to_be_visible()
    expect(page.locator("body")).not_to_contain_text("Alvarez")


def test_it_keeps_patient_b_out_of_patient_a_and_the_front_desk_out_of_clinical_notes(page, shot, personas):
    from needlepoint.clinic.models import Consent

    course_id = approved_course_via_ui(page, personas)
    consent_via_ui(page, course_id)
    consent_id = Consent.objects.get(course_id=course_id).pk  # ids only, to type the addresses
    a = personas.record_a.pk

    sign_in(page, "ben")
    expect(page.get_by_role("heading", name="Ben Brown")).to_be_visible()
    expect(page.locator("main")).not_to_contain_text("Alvarez")
    for path in (
        f"/patients/{a}/",
        f"/patients/{a}/consultation/",
        f"/patients/{a}/consultation/courses/{course_id}/",
        f"/portal/courses/{course_id}/consent/",
        f"/consents/{consent_id}/",
    ):
        expect_not_found(page, path)
    shot(page, "70-patient-b-gets-404")
    page.goto("/")  # Django's bare 404 page has no menu, so no way to sign out from it
    sign_out(page)

    sign_in(page, "frank")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Patients").click()
    page.get_by_role("link", name="Alvarez, Anna").click()
    expect(page.get_by_role("heading", name="Anna Alvarez", level=1)).to_be_visible()
    expect(page.get_by_role("region", name="Contact details")).to_contain_text("anna@example.org")
    schedule = page.get_by_role("region", name="Schedule")
    expect(schedule).to_contain_text("Session 1")
    # The only ways on from the schedule are booking (the course, a consultation); no way into the charts.
    expect(schedule.get_by_role("link")).to_have_count(2)
    expect(schedule.get_by_role("link", name="Book or change appointments")).to_be_visible()
    expect(schedule.get_by_role("link", name="Book a consultation")).to_be_visible()
    expect(schedule.locator("a[href*='/sessions/']")).to_have_count(0)
    expect(page.get_by_role("region", name="Clinical record")).to_have_count(0)
    body = page.locator("main")
    for clinical in ("cold sores", "Screening", "Intake", "Open the consultation", "acne"):
        expect(body).not_to_contain_text(clinical)
    shot(page, "71-front-desk-sees-contact-details-only")
    for path in (
        f"/patients/{a}/consultation/",
        f"/patients/{a}/consultation/courses/{course_id}/",
        f"/consents/{consent_id}/",
    ):
        response = page.goto(path)
        assert response is not None and response.status == 404, path
