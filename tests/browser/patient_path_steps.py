"""Steps of the patient's path in Chromium, shared by the tests in test_patient_path.py.

Each step acts through the pages as its user would (signed in through the login page, signed
out at the end) and asserts what that user sees. A step called with `shot` saves screenshots;
the later tests call the earlier steps without it, to reach their starting point through the
same pages."""

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

from playwright.sync_api import Page, expect

PASSWORD = "correct horse battery"
Shot = Callable[[Page, str], Any] | None


def sign_in(page: Page, username: str, password: str = PASSWORD) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name=f"Sign out {username}")).to_be_visible()


def sign_out(page: Page) -> None:
    page.get_by_role("button", name=re.compile(r"^Sign out ")).click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()


def id_from_url(page: Page, pattern: str) -> int:
    found = re.search(pattern, page.url)
    assert found, f"{pattern!r} not in {page.url}"
    return int(found.group(1))


def _shoot(shot: Shot, page: Page, name: str) -> None:
    if shot is not None:
        shot(page, name)


def open_patient(page: Page, search: str, link: str) -> None:
    """From any staff page: Patients, search by name, open the record."""
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Patients").click()
    page.get_by_label("Search by name").fill(search)
    page.get_by_role("link", name=link).click()


# ---- 3. consultation ------------------------------------------------------------------------------


def approved_course_via_ui(page: Page, personas: Any, *, earlier_intakes: int = 0, shot: Shot = None) -> int:
    """A practitioner takes patient A from her intakes so far (none by default; one when her
    inquiry's answers were added to her record) to an approved course; returns its id."""
    sign_in(page, "paula")
    open_patient(page, "Alvarez", "Alvarez, Anna")
    expect(page.get_by_role("heading", name="Anna Alvarez", level=1)).to_be_visible()
    clinical = page.get_by_role("region", name="Clinical record")
    if not earlier_intakes:
        expect(clinical).to_contain_text("No intake yet.")
    clinical.get_by_role("link", name="Open the consultation").click()
    expect(page.get_by_role("heading", name="Consultation: Anna Alvarez")).to_be_visible()
    page.get_by_role("link", name="New intake version" if earlier_intakes else "Record an intake").click()

    # The intake: acne scars on cheeks and forehead, phototype III, cold sores in the past.
    expect(page.get_by_role("heading", name="New intake version: Anna Alvarez")).to_be_visible()
    page.get_by_label("Main goal").select_option("acne_scars")
    areas = page.get_by_role("group", name="Areas to treat")
    areas.get_by_label("cheeks", exact=True).check()
    areas.get_by_label("forehead", exact=True).check()
    page.get_by_label("Fitzpatrick phototype").select_option("3")
    # Scar counts and the grade are not asked here: the assessment below measures them.
    expect(page.get_by_label("Goodman & Baron grade")).to_have_count(0)
    page.get_by_label("Pregnancy").select_option("no")
    condition = page.locator("#conditions-0")
    condition.get_by_label("Condition").select_option("herpes_simplex")
    condition.get_by_label("Status").select_option("history")
    _shoot(shot, page, "30-intake-form")
    page.get_by_role("button", name="Save as a new version and screen").click()

    # The screening, with its finding, sources and protocol version.
    expect(
        page.get_by_text(
            f"Intake version {earlier_intakes + 1} saved and screened: Suitable, with precautions."
        )
    ).to_be_visible()
    screening = page.get_by_role("region", name="Screening")
    expect(screening.locator("[data-decision]").first).to_have_text("Suitable, with precautions")
    expect(screening).to_contain_text("Protocol")
    finding = screening.get_by_role("row").filter(has_text="cold sores")
    expect(finding).to_have_count(1)
    expect(finding).to_contain_text("antiviral")
    _shoot(shot, page, "31-screening-with-findings")

    # The assessment: the scores follow the typing (htmx), without reloading the page.
    page.get_by_role("link", name="New assessment").click()
    expect(page.get_by_role("heading", name="Skin and scar assessment: Anna Alvarez")).to_be_visible()
    scores = page.locator("#scores")
    expect(scores).to_contain_text("Scores appear here as you type")
    page.evaluate("window.__stillTheSamePage = true")
    page.get_by_label("Phototype (direct)").select_option("3")
    # The count inputs have no label of their own: find them by their row and column.
    counts = page.locator(".card").filter(has=page.get_by_role("heading", name="Scar counts per area"))
    cheeks = counts.get_by_role("row", name="cheeks").get_by_role("spinbutton")
    forehead = counts.get_by_role("row", name="forehead").get_by_role("spinbutton")
    scar_total = scores.locator('[data-score="scar_total"]')
    with page.expect_response(
        lambda r: "/assessment/preview/" in r.url and r.request.headers.get("hx-request") == "true"
    ) as preview:
        cheeks.nth(1).fill("8")  # boxcar
    assert preview.value.ok
    expect(scar_total).to_contain_text("cheeks: 8")
    expect(scar_total).to_contain_text("total 8")
    cheeks.nth(2).fill("10")  # rolling
    expect(scar_total).to_contain_text("total 18")
    forehead.nth(0).fill("3")  # icepick
    expect(scar_total).to_contain_text("total 21, mostly rolling")
    page.get_by_label("3 — moderate").check()
    expect(scores.locator('[data-score="goodman_baron"]')).to_contain_text("Grade 3")
    expect(scores.locator('[data-score="phototype"]')).to_contain_text("III")
    assert page.evaluate("window.__stillTheSamePage === true"), "the page was reloaded"
    _shoot(shot, page, "32-assessment-live-scores")
    page.get_by_role("button", name="Save the assessment").click()
    expect(page.get_by_text("Assessment recorded.")).to_be_visible()
    latest = page.get_by_role("region", name="Latest assessment")
    expect(latest).to_contain_text("grade 3")

    # The proposed plan.
    page.get_by_role("button", name="Propose a plan from the latest screening").click()
    expect(page.get_by_text("Course proposed as a draft")).to_be_visible()
    expect(page.get_by_role("heading", name=re.compile(r"^Course for Anna Alvarez"))).to_be_visible()
    _shoot(shot, page, "33-course-proposed")

    # A depth beyond the forehead's ceiling is refused; within the limits it is saved.
    edit = page.get_by_role("region", name="Edit the plan")
    forehead_max = edit.get_by_role("row", name="forehead").get_by_role("spinbutton").nth(1)
    forehead_max.fill("0.8")
    edit.get_by_role("button", name="Save the plan").click()
    expect(page.get_by_role("alert").first).to_contain_text("The plan was not saved")
    expect(page.get_by_text("ceiling of 0.5 mm").first).to_be_visible()
    _shoot(shot, page, "34-course-depth-refused")
    edit = page.get_by_role("region", name="Edit the plan")
    edit.get_by_role("row", name="forehead").get_by_role("spinbutton").nth(1).fill("0.5")
    edit.get_by_role("row", name="cheeks").get_by_role("spinbutton").nth(1).fill("1.25")
    edit.get_by_role("button", name="Save the plan").click()
    expect(page.get_by_text("Plan saved (version 2).")).to_be_visible()
    plan = page.get_by_role("region", name="Plan", exact=True)
    expect(plan.get_by_role("row", name=re.compile(r"^cheeks"))).to_contain_text(
        re.compile(r"0\.5\W1\.25 mm")
    )
    expect(page.get_by_text("Nothing stands in the way of approval.")).to_be_visible()

    page.get_by_role("button", name="Approve the course").click()
    expect(page.get_by_text(re.compile(r"Course approved: \d+ sessions planned\."))).to_be_visible()
    expect(page.get_by_role("region", name="Sessions")).to_contain_text("Session 1: Planned, not yet booked")
    expect(page.get_by_role("button", name="Save the plan")).to_have_count(0)
    _shoot(shot, page, "35-course-approved")
    course_id = id_from_url(page, r"/courses/(\d+)/")
    sign_out(page)
    return course_id


# ---- 4. consent -----------------------------------------------------------------------------------


def draw_signature(page: Page) -> None:
    canvas = page.locator("canvas.signature-pad")
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    assert box is not None
    x, y, w, h = box["x"], box["y"], box["width"], box["height"]
    page.mouse.move(x + w * 0.1, y + h * 0.6)
    page.mouse.down()
    for i, (fx, fy) in enumerate(
        [(0.2, 0.3), (0.3, 0.7), (0.4, 0.3), (0.5, 0.7), (0.6, 0.35), (0.7, 0.65), (0.85, 0.4)]
    ):
        page.mouse.move(x + w * fx, y + h * fy, steps=6 + i % 2)
    page.mouse.up()


def consent_via_ui(page: Page, course_id: int, *, shot: Shot = None) -> None:
    """Patient A reads the consent text in the portal, types her name and draws a signature."""
    from needlepoint.clinic.services.consent import ensure_default_consent_text

    ensure_default_consent_text()  # the clinic's version 1; its pages are tested in test_consent_versions.py

    sign_in(page, "anna")
    expect(page.get_by_role("heading", name="Anna Alvarez")).to_be_visible()
    course = page.locator(f"#course-{course_id}")
    expect(course).to_contain_text("Not signed yet")
    _shoot(shot, page, "40-portal-consent-needed")
    course.get_by_role("link", name="Read and sign").click()
    expect(page.get_by_role("heading", name="Consent to your treatment")).to_be_visible()
    expect(page.get_by_role("heading", name=re.compile(r"^Consent to microneedling"))).to_be_visible()

    # A typed name alone is refused, and says why.
    page.get_by_label("Type your full name").fill("Anna Alvarez")
    page.get_by_role("button", name="Sign the consent").click()
    expect(page.get_by_text("A drawn signature is needed as well as the typed name")).to_be_visible()

    page.get_by_label("Type your full name").fill("Anna Alvarez")
    draw_signature(page)
    expect(page.get_by_text("Signature drawn.")).to_be_visible()
    _shoot(shot, page, "41-portal-consent-signing")
    page.get_by_role("button", name="Sign the consent").click()
    expect(page.get_by_text("Thank you: your consent is signed")).to_be_visible()
    expect(page.locator(f"#course-{course_id}")).to_contain_text("Signed on")
    _shoot(shot, page, "42-portal-consent-signed")
    page.locator(f"#course-{course_id}").get_by_role("link", name="Read what you signed").click()
    expect(page.locator("#signed")).to_contain_text("as “Anna Alvarez”")
    expect(page.get_by_role("button", name="Sign the consent")).to_have_count(0)
    sign_out(page)


# ---- 5. charting ----------------------------------------------------------------------------------


def book_first_session_yesterday(personas: Any) -> dt.date:
    """Put session 1's appointment at 09:00 yesterday, so that its day-1 check-in is due today
    (its chart, written today, is a late entry). Returns that day."""
    from django.utils import timezone

    from needlepoint.clinic.models import TreatmentSession
    from visit_helpers import book_visit

    yesterday = timezone.localdate() - dt.timedelta(days=1)
    at = timezone.make_aware(dt.datetime.combine(yesterday, dt.time(9, 0)))
    book_visit(TreatmentSession.objects.get(patient=personas.record_a, number=1), at)
    return yesterday


def chart_and_sign_via_ui(page: Page, personas: Any, *, shot: Shot = None) -> None:
    """A practitioner re-screens patient A on the day, charts session 1 and signs the chart."""
    from needlepoint.clinic.models import Device

    Device.objects.create(name="SkinPen Precision", kind="pen", serial="SP-0042")  # no page yet
    day = book_first_session_yesterday(personas)
    chart_session_via_ui(page, day, shot=shot)


def chart_session_via_ui(
    page: Page,
    day: dt.date,
    *,
    number: int = 1,
    pen: str = "SkinPen Precision (SP-0042)",
    numbing: tuple[str, str] = ("09:15", "09:50"),
    shot: Shot = None,
) -> None:
    """A practitioner re-screens patient A, charts her session `number` of `day` (with `pen` and
    the numbing cream on and off at those times of that day) and signs the chart; signs out."""
    sign_in(page, "paula")
    open_patient(page, "Alvarez", "Alvarez, Anna")
    schedule = page.get_by_role("region", name="Schedule")
    schedule.get_by_role("link", name=f"Session {number}", exact=True).click()
    expect(page.get_by_role("heading", name=re.compile(rf"^Session {number}\b"))).to_be_visible()
    expect(page.get_by_text("Do today's re-screen with the patient before charting.")).to_be_visible()
    _shoot(shot, page, "50-chart-needs-rescreen")
    page.get_by_role("link", name="Re-screen now").click()

    expect(page.get_by_role("heading", name="Day-of re-screen")).to_be_visible()
    for question in (
        "Any new medicine since the last visit?",
        "Sunburn now or in the last 2 weeks?",
        "A cold sore now?",
        "A breakout (active acne)",
    ):
        page.get_by_role("group", name=question).get_by_label("No", exact=True).check()
    page.get_by_label("Pregnant, possibly pregnant, or breastfeeding?").select_option("no")
    _shoot(shot, page, "51-day-of-rescreen")
    page.get_by_role("button", name="Screen again").click()
    expect(
        page.get_by_text("Re-screen done: suitable, with precautions. You can chart the session.")
    ).to_be_visible()

    editor = page.locator("#chart-editor")
    editor.get_by_label("Pen", exact=True).select_option(label=pen)
    editor.get_by_label("Cartridge lot").fill("LOT-2611-A7")
    editor.get_by_label("Anaesthetic on").fill(f"{day.isoformat()}T{numbing[0]}")
    editor.get_by_label("Anaesthetic off").fill(f"{day.isoformat()}T{numbing[1]}")
    editor.get_by_label("Depth for the cheeks (mm)").fill("1.0")
    editor.get_by_label("Passes for the cheeks").fill("3")
    editor.get_by_label("Depth for the forehead (mm)").fill("0.5")
    editor.get_by_label("Passes for the forehead").fill("2")
    editor.get_by_label("End-point reached").select_option("pinpoint_bleeding")
    editor.get_by_label("Immediate reactions").fill("Even erythema, no bleeding beyond pinpoint.")
    _shoot(shot, page, "52-chart-filled")
    editor.get_by_role("button", name="Save chart").click()
    expect(page.locator("#chart-editor").get_by_role("status")).to_have_text("Chart saved.")
    expect(page.locator("#chart-editor").get_by_label("Cartridge lot")).to_have_value("LOT-2611-A7")

    page.get_by_role("button", name="Sign chart").click()
    expect(page.get_by_text("Chart signed. Later notes are added as addenda.")).to_be_visible()
    chart = page.get_by_role("region", name=re.compile(r"^Chart"))
    expect(chart.get_by_role("heading", level=2)).to_contain_text("signed")
    expect(chart).to_contain_text("LOT-2611-A7")
    expect(chart).to_contain_text(pen.split(" (")[0])
    expect(chart).to_contain_text(f"on {numbing[0]}, off {numbing[1]}")
    expect(chart.get_by_role("row", name=re.compile(r"^Cheeks"))).to_contain_text("3")
    expect(chart).to_contain_text("Pinpoint bleeding")
    # Read-only: no editor, no save or sign button, no field to change; only addenda.
    expect(page.locator("#chart-editor")).to_have_count(0)
    expect(page.get_by_role("button", name="Save chart")).to_have_count(0)
    expect(page.get_by_role("button", name="Sign chart")).to_have_count(0)
    expect(page.get_by_label("Cartridge lot")).to_have_count(0)
    expect(page.get_by_role("link", name=re.compile(r"Re-screen"))).to_have_count(0)
    expect(
        page.get_by_role("region", name="Addenda").get_by_role("button", name="Add addendum")
    ).to_be_visible()
    _shoot(shot, page, "53-chart-signed-read-only")
    sign_out(page)
