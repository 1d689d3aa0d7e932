"""The chart editor's refusals through its pages: an area row with a depth but no passes (or
passes but no depth) is refused in words and nothing is saved; signing without the chart's
version, or with one that is not a number, is refused and the session stays unsigned; a chart
saved correctly can then be signed with its version.

The clock is frozen (not ticking) at Tuesday 1 December 2026, 10:00 UTC (10:00 in London, GMT);
the session's appointment began at 09:00 that day and it was re-screened with nothing against
treatment."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from needlepoint.clinic.models import Consent, ConsentText, Course, Device, TreatmentSession
from needlepoint.clinic.services import rescreen as services
from needlepoint.clinic.services.screening import intake_create, screening_run
from visit_helpers import book_visit

NOW = dt.datetime(2026, 12, 1, 10, 0, tzinfo=dt.UTC)
PLAN = {
    "schema": "needlepoint.plan/1",
    "goal": "acne_scars",
    "sessions": {"count": 3, "interval_days": {"min": 28, "max": 60}},
    "areas": [{"area": "cheeks", "depth_mm": {"min": 0.5, "max": 1.5}, "ceiling_mm": 1.5}],
    "adjuncts": [{"code": "glide_gel", "name": "Glide gel", "timing": "during"}],
}


@pytest.fixture(autouse=True)
def still():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def ready(personas, intake_a):
    """Anna's session 1, booked at 09:00 today, consent signed, re-screened clear."""
    intake = intake_create(
        patient=personas.record_a, data=intake_a, source="consultation", actor=personas.practitioner
    )
    course = Course.objects.create(
        patient=personas.record_a,
        screening=screening_run(intake=intake, actor=personas.practitioner),
        status="approved",
        goal="acne_scars",
        plan=PLAN,
        start_date=dt.date(2026, 12, 1),
        protocol_id="default",
        protocol_version="1",
        created_by=personas.practitioner,
        approved_at=NOW,
        approved_by=personas.director,
    )
    text = ConsentText.objects.create(version="1", title="Consent to microneedling", body="...")
    Consent.objects.create(
        patient=course.patient,
        course=course,
        consent_text=text,
        typed_name="Anna Alvarez",
        channel="tablet",
        signature_png="data:image/png;base64,AA",
    )
    session = TreatmentSession.objects.create(course=course, patient=course.patient, number=1)
    book_visit(session, NOW - dt.timedelta(hours=1))
    services.session_rescreen(session=session, answers=services.DayOfAnswers(), actor=personas.practitioner)
    session.refresh_from_db()
    return session


@pytest.fixture
def pen(db):
    return Device.objects.create(name="SkinPen Precision", kind="pen", serial="SP-001")


def chart_post(session, pen, *, depth="1.25", passes="4"):
    return {
        "version": session.version,
        "device": pen.pk,
        "cartridge_lot": "LOT-2611",
        "anaesthetic_on": "2026-12-01T09:10",
        "anaesthetic_off": "2026-12-01T09:45",
        "topicals": ["glide_gel"],
        "end_point": "pinpoint_bleeding",
        "immediate_reactions": "Even erythema.",
        "notes": "Tolerated well.",
        "areas-TOTAL_FORMS": "1",
        "areas-INITIAL_FORMS": "1",
        "areas-MIN_NUM_FORMS": "0",
        "areas-MAX_NUM_FORMS": "1000",
        "areas-0-area": "cheeks",
        "areas-0-depth_mm": depth,
        "areas-0-passes": passes,
        "events-TOTAL_FORMS": "1",
        "events-INITIAL_FORMS": "0",
        "events-MIN_NUM_FORMS": "0",
        "events-MAX_NUM_FORMS": "1000",
    }


def chart_url(name, session):
    return reverse(f"clinic:charting_{name}", kwargs={"session_id": session.pk})


@pytest.mark.parametrize(("depth", "passes"), [("1.25", ""), ("", "4")])
def test_it_refuses_a_depth_without_passes_or_passes_without_a_depth(
    client_for, personas, ready, pen, depth, passes
):
    version, status = ready.version, ready.status
    response = client_for(personas.practitioner).post(
        chart_url("chart", ready), chart_post(ready, pen, depth=depth, passes=passes)
    )
    ready.refresh_from_db()
    assert "Give both the depth and the passes, or leave both empty." in response.content.decode()
    assert (ready.version, ready.status, ready.device_id) == (version, status, None)


@pytest.mark.parametrize("version", [None, "", "two"])
def test_it_refuses_to_sign_without_the_charts_version(client_for, personas, ready, pen, version):
    client = client_for(personas.practitioner)
    assert client.post(chart_url("chart", ready), chart_post(ready, pen)).status_code == 302
    data = {} if version is None else {"version": version}
    response = client.post(chart_url("sign", ready), data)
    ready.refresh_from_db()
    assert (ready.status, ready.signed_at) == ("in_progress", None)
    assert "Not signed: Someone else saved this chart after you opened it." in response.content.decode()


def test_it_signs_a_saved_chart_with_its_version(client_for, personas, ready, pen):
    client = client_for(personas.practitioner)
    client.post(chart_url("chart", ready), chart_post(ready, pen))
    ready.refresh_from_db()
    response = client.post(chart_url("sign", ready), {"version": ready.version})
    ready.refresh_from_db()
    assert (response.status_code, ready.status, ready.signed_by) == (302, "signed", personas.practitioner)
