"""In Chromium: the front desk hands the clinic tablet to patient A, who reads her plan and signs;
Back from the signing page shows no staff page; the front desk's password takes the tablet back."""

from typing import Any

import pytest
from patient_path_steps import PASSWORD, draw_signature, sign_in
from playwright.sync_api import Page, expect

from course_helpers import make_course

pytestmark = pytest.mark.django_db(transaction=True)


def approved_course(personas: Any, plan: dict[str, Any]) -> Any:
    """Patient A's approved course, made directly (the consultation is not what this tests)."""
    return make_course(personas, plan=plan)


def test_it_signs_on_the_tablet_and_keeps_staff_pages_closed(page: Page, live_server, personas, shot):
    from needlepoint.clinic.services.consent import ensure_default_consent_text

    ensure_default_consent_text()
    course = approved_course(
        personas,
        {
            "sessions": {"count": 3, "interval_days": {"min": 28, "max": 42}},
            "areas": [{"area": "cheeks", "depth_mm": {"min": 1.0, "max": 1.5}}],
        },
    )
    sign_in(page, "frank")
    page.goto(f"/patients/{course.patient_id}/")
    page.goto(f"/courses/{course.pk}/consent/tablet/")
    shot(page, "70-tablet-hand-over")
    page.get_by_role("button", name="Hand the tablet to the patient").click()
    expect(page.get_by_text("3 sessions, 4 to 6 weeks apart.")).to_be_visible()
    expect(page.get_by_role("navigation", name="Main")).to_have_count(0)

    page.go_back()  # the staff pages it came from are closed
    expect(page).to_have_url(f"{live_server.url}/tablet/sign/")
    page.goto("/patients/")
    expect(page).to_have_url(f"{live_server.url}/tablet/sign/")

    page.get_by_label("Your full name").fill("Anna Alvarez")
    draw_signature(page)
    shot(page, "71-tablet-signing")
    page.get_by_role("button", name="Sign the consent").click()
    expect(page.get_by_text("Please hand the tablet back to the clinic staff.")).to_be_visible()
    page.go_back()
    expect(page).to_have_url(f"{live_server.url}/tablet/sign/")

    page.get_by_text("For clinic staff: take the tablet back").click()
    page.get_by_label("Password of the staff member who handed the tablet over").fill("wrong")
    page.get_by_role("button", name="Take the tablet back").click()
    expect(page.get_by_text("4 tries left")).to_be_visible()
    shot(page, "72-tablet-wrong-password")
    page.get_by_label("Password of the staff member who handed the tablet over").fill(PASSWORD)
    page.get_by_role("button", name="Take the tablet back").click()
    expect(page.get_by_text("The tablet is back with the clinic")).to_be_visible()
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()
