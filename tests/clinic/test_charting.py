"""Session charting: the day-of re-screen, the chart (optimistic locking, the plan's limits),
signing, the database's refusal to change a signed chart, and addenda.

Time is frozen at 1 December 2026, 10:00 in London (GMT, no DST that day), and the session is
booked for 09:00 that day: a session is re-screened, charted and signed only on the day of its
appointment (before it: refused; after it: allowed, marked as a late entry)."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.db import IntegrityError, InternalError, OperationalError, transaction
from django.urls import reverse

from needlepoint.audit.models import AuditEvent
from needlepoint.clinic.models import (
    AdverseEvent,
    AreaTreatment,
    Consent,
    ConsentText,
    Course,
    DepthOverride,
    Device,
    Intake,
    TreatmentSession,
)
from needlepoint.clinic.services import Blocked, ServiceError, StaleEdit
from needlepoint.clinic.services.chart_rules import day_refusal, visit_day
from needlepoint.clinic.services.chart_signing import addendum_add, chart_sign
from needlepoint.clinic.services.charting import AdverseEventRow, AreaRow, ChartData, chart_save
from needlepoint.clinic.services.rescreen import DayOfAnswers, day_of_intake, session_rescreen
from needlepoint.clinic.services.screening import intake_create, screening_run
from visit_helpers import book_visit

NOW = dt.datetime(2026, 12, 1, 10, 0, tzinfo=dt.UTC)
VISIT = NOW - dt.timedelta(hours=1)  # the session's appointment: 09:00 that day
REFUSED = (IntegrityError, InternalError, OperationalError)
PLAN = {
    "schema": "needlepoint.plan/1",
    "goal": "acne_scars",
    "sessions": {"count": 3, "interval_days": {"min": 28, "max": 60}},
    "areas": [
        {"area": "cheeks", "depth_mm": {"min": 0.5, "max": 1.5}, "ceiling_mm": 1.5},
        {"area": "forehead", "depth_mm": {"min": 0.25, "max": 0.5}, "ceiling_mm": 0.5},
    ],
    "adjuncts": [
        {"code": "prp", "name": "Platelet-rich plasma", "timing": "during"},
        {"code": "glide_gel", "name": "Glide gel", "timing": "during"},
        {"code": "depigmenting_cream", "name": "Depigmenting cream", "timing": "between_sessions"},
    ],
}
ANSWERS_CLEAR = {
    "new_medicine": "no",
    "medicine_names": "",
    "sunburn": "no",
    "sunburn_date": "",
    "cold_sore": "no",
    "pregnancy": "no",
    "breakout": "no",
    "other_condition": "",
    "other_condition_where": "unsure",
}


@pytest.fixture
def frozen():
    """Stop the clock at NOW; a test moves it with `frozen.move_to(...)`."""
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def course(personas, intake_a, frozen):
    intake = intake_create(
        patient=personas.record_a, data=intake_a, source="consultation", actor=personas.practitioner
    )
    screening = screening_run(intake=intake, actor=personas.practitioner)
    return Course.objects.create(
        patient=personas.record_a,
        screening=screening,
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


@pytest.fixture
def consented(course):
    text = ConsentText.objects.create(version="1", title="Consent to microneedling", body="...")
    return Consent.objects.create(
        patient=course.patient,
        course=course,
        consent_text=text,
        typed_name="Anna Alvarez",
        channel="tablet",
        signature_png="data:image/png;base64,AA",
    )


@pytest.fixture
def session(course):
    """Session 1, booked for today (VISIT)."""
    session = TreatmentSession.objects.create(course=course, patient=course.patient, number=1)
    book_visit(session, VISIT)
    return session


@pytest.fixture
def pen(db):
    return Device.objects.create(name="SkinPen Precision", kind="pen", serial="SP-001")


@pytest.fixture
def ready(session, consented, personas):
    """A session re-screened today with nothing against treatment, consent signed."""
    session_rescreen(session=session, answers=DayOfAnswers(), actor=personas.practitioner)
    session.refresh_from_db()
    return session


def _chart(pen, **overrides):
    fields = {
        "device": pen,
        "cartridge_lot": "LOT-2611",
        "anaesthetic_on": NOW - dt.timedelta(minutes=50),
        "anaesthetic_off": NOW - dt.timedelta(minutes=15),
        "areas": (AreaRow(area="cheeks", depth_mm=Decimal("1.25"), passes=4),),
        "prp_ml": Decimal("4.0"),
        "topicals": ("glide_gel",),
        "end_point": "pinpoint_bleeding",
        "immediate_reactions": "Even erythema.",
        "notes": "Tolerated well.",
    }
    return ChartData(**(fields | overrides))


def _chart_post(session, pen, *, areas=(("cheeks", "1.25", "4"), ("forehead", "", "")), events=(), **fields):
    data = {
        "version": session.version,
        "device": pen.pk,
        "cartridge_lot": "LOT-2611",
        "anaesthetic_on": "2026-12-01T09:10",
        "anaesthetic_off": "2026-12-01T09:45",
        "prp_ml": "4.0",
        "topicals": ["glide_gel"],
        "end_point": "pinpoint_bleeding",
        "immediate_reactions": "Even erythema.",
        "notes": "Tolerated well.",
        "areas-TOTAL_FORMS": str(len(areas)),
        "areas-INITIAL_FORMS": str(len(areas)),
        "areas-MIN_NUM_FORMS": "0",
        "areas-MAX_NUM_FORMS": "1000",
        "events-TOTAL_FORMS": str(len(events) + 1),
        "events-INITIAL_FORMS": str(len(events)),
        "events-MIN_NUM_FORMS": "0",
        "events-MAX_NUM_FORMS": "1000",
    }
    for i, (area, depth, passes) in enumerate(areas):
        data |= {f"areas-{i}-area": area, f"areas-{i}-depth_mm": depth, f"areas-{i}-passes": passes}
    for i, (kind, severity, action) in enumerate(events):
        data |= {f"events-{i}-kind": kind, f"events-{i}-severity": severity, f"events-{i}-action": action}
    return data | fields


def _url(name, session):
    return reverse(f"clinic:charting_{name}", kwargs={"session_id": session.pk})


# ---- who may see it ----------------------------------------------------------------------------


@pytest.mark.parametrize("page", ["rescreen", "chart", "sign", "addendum"])
@pytest.mark.parametrize("who", ["front_desk", "patient_a", "patient_b"])
def test_it_refuses_front_desk_and_patients_with_404(client_for, personas, session, consented, page, who):
    client = client_for(getattr(personas, who))
    assert client.get(_url(page, session)).status_code == 404
    assert client.post(_url(page, session), ANSWERS_CLEAR).status_code == 404
    assert not Intake.objects.filter(source="day_of").exists()
    assert not AuditEvent.objects.filter(object_type="clinic.treatmentsession").exists()


@pytest.mark.parametrize("page", ["rescreen", "chart", "sign", "addendum"])
def test_it_sends_anonymous_visitors_to_sign_in(client, session, page):
    response = client.post(_url(page, session), ANSWERS_CLEAR)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert not Intake.objects.filter(source="day_of").exists()


def test_it_answers_404_for_a_session_that_does_not_exist(client_for, personas, db):
    response = client_for(personas.practitioner).get("/sessions/999/chart/")
    assert response.status_code == 404


# ---- the happy path ----------------------------------------------------------------------------


def test_it_rescreens_charts_and_signs_a_session(client_for, personas, session, consented, pen):
    client = client_for(personas.practitioner)
    assert client.get(_url("rescreen", session)).status_code == 200

    response = client.post(_url("rescreen", session), ANSWERS_CLEAR)
    assert response.status_code == 302
    session.refresh_from_db()
    assert session.status == "planned" and session.day_of_screening is not None
    intake = session.day_of_screening.intake
    assert intake.source == "day_of" and intake.data["assessed_on"] == "2026-12-01"

    page = client.get(_url("chart", session))
    assert page.status_code == 200 and "Save chart" in page.content.decode()

    response = client.post(
        _url("chart", session),
        _chart_post(session, pen, events=[("Pinpoint bruising", "mild", "Cold compress")]),
    )
    assert response.status_code == 302
    session.refresh_from_db()
    assert session.status == "in_progress" and session.version == 3
    row = AreaTreatment.objects.get(session=session)
    assert (row.area, row.depth_mm, row.passes) == ("cheeks", Decimal("1.25"), 4)
    assert session.adjuncts == {"prp_ml": 4.0, "topicals": ["glide_gel"]}
    assert session.anaesthetic_on == dt.datetime(2026, 12, 1, 9, 10, tzinfo=dt.UTC)
    assert AdverseEvent.objects.get(session=session).noted_by == personas.practitioner
    assert Course.objects.get(pk=session.course_id).status == "active"

    response = client.post(_url("sign", session), {"version": session.version})
    assert response.status_code == 302
    session.refresh_from_db()
    assert session.status == "signed" and session.signed_at == NOW
    assert session.signed_by == personas.practitioner

    page = client.get(_url("chart", session)).content.decode()
    assert "Save chart" not in page and "LOT-2611" in page and "Pinpoint bruising" in page
    events = AuditEvent.objects.filter(object_type="clinic.treatmentsession", object_id=str(session.pk))
    assert set(events.values_list("action", flat=True)) == {"view", "change", "sign"}
    assert events.get(action="sign").actor == personas.practitioner
    assert AuditEvent.objects.filter(
        object_type="clinic.intake", action="create", object_id=str(intake.pk)
    ).exists()
    assert AuditEvent.objects.filter(object_type="clinic.course", action="change").exists()


def test_it_lets_the_medical_director_chart_too(client_for, personas, ready, pen):
    response = client_for(personas.director).post(_url("chart", ready), _chart_post(ready, pen))
    assert response.status_code == 302
    assert AreaTreatment.objects.filter(session=ready).count() == 1


def test_it_opens_the_chart_page_in_a_fixed_number_of_queries(
    client_for, personas, ready, pen, django_assert_num_queries
):
    chart_save(
        session=ready,
        actor=personas.practitioner,
        expected_version=ready.version,
        data=_chart(pen, adverse_events=(AdverseEventRow("Bruise", "mild", "Ice"),)),
    )
    client = client_for(personas.practitioner)
    # whatever the number of areas and adverse events (the safety gate reads the clearances and
    # the booked appointment)
    with django_assert_num_queries(13):
        assert client.get(_url("chart", ready)).status_code == 200


def test_it_swaps_only_the_editor_for_htmx(client_for, personas, ready, pen):
    response = client_for(personas.practitioner).post(
        _url("chart", ready), _chart_post(ready, pen), headers={"HX-Request": "true"}
    )
    body = response.content.decode()
    assert response.status_code == 200 and "Chart saved." in body
    assert "<html" not in body and 'id="chart-editor"' in body
    ready.refresh_from_db()
    assert f'name="version" value="{ready.version}"' in body


# ---- the day-of re-screen ----------------------------------------------------------------------


def test_it_blocks_the_session_for_a_cold_sore_and_refuses_charting(
    client_for, personas, session, consented, pen
):
    client = client_for(personas.practitioner)
    response = client.post(_url("rescreen", session), ANSWERS_CLEAR | {"cold_sore": "yes"}, follow=True)
    session.refresh_from_db()
    assert session.status == "blocked"
    codes = [f["code"] for f in session.day_of_screening.result["findings"]]
    assert "active_herpes" in codes
    body = response.content.decode()
    assert "cold sore (herpes) now" in body and "Save chart" not in body

    with pytest.raises(Blocked) as refused:
        chart_save(
            session=session, actor=personas.practitioner, expected_version=session.version, data=_chart(pen)
        )
    assert "cold sore" in refused.value.message
    response = client.post(_url("chart", session), _chart_post(session, pen))
    assert "cold sore" in response.content.decode()
    assert not AreaTreatment.objects.filter(session=session).exists()
    with pytest.raises(ServiceError):
        chart_sign(session=session, actor=personas.practitioner, expected_version=session.version)


@pytest.mark.parametrize("answer", ["pregnant", "possibly_pregnant", "breastfeeding"])
def test_it_blocks_the_session_for_pregnancy_or_breastfeeding(
    client_for, personas, session, consented, answer
):
    client = client_for(personas.practitioner)
    client.post(_url("rescreen", session), ANSWERS_CLEAR | {"pregnancy": answer})
    session.refresh_from_db()
    assert session.status == "blocked"
    codes = {f["code"] for f in session.day_of_screening.result["findings"]}
    assert codes & {"pregnancy", "breastfeeding"}
    assert "not done" in client.get(_url("chart", session)).content.decode()


def test_it_says_when_a_sunburn_deferral_ends(client_for, personas, session, consented):
    client = client_for(personas.practitioner)
    response = client.post(_url("rescreen", session), ANSWERS_CLEAR | {"sunburn": "now"}, follow=True)
    session.refresh_from_db()
    assert session.status == "blocked"
    assert session.day_of_screening.earliest_date == dt.date(2026, 12, 15)
    assert "cannot be before 15 December 2026" in response.content.decode()


def test_it_blocks_a_breakout_in_the_treatment_areas(personas, session, consented):
    screening = session_rescreen(
        session=session, answers=DayOfAnswers(breakout=True), actor=personas.practitioner
    )
    assert screening.decision == "defer"
    acne = [c for c in screening.intake.data["conditions"] if c["code"] == "acne"]
    assert acne == [
        {"code": "acne", "status": "active", "date": "2026-12-01", "areas": ["cheeks", "forehead"]}
    ]


def test_it_blocks_an_unknown_new_medicine_until_a_doctor_reviews_it(personas, session, consented):
    screening = session_rescreen(
        session=session, answers=DayOfAnswers(new_medicines=("Zorblax",)), actor=personas.practitioner
    )
    session.refresh_from_db()
    assert screening.decision == "needs_clearance" and session.status == "blocked"
    assert {"name": "Zorblax", "status": "current"} in screening.intake.data["medications"]


def test_it_frees_a_blocked_session_when_a_later_rescreen_is_clear(personas, session, consented, pen):
    session_rescreen(session=session, answers=DayOfAnswers(cold_sore=True), actor=personas.practitioner)
    session_rescreen(session=session, answers=DayOfAnswers(), actor=personas.practitioner)
    session.refresh_from_db()
    assert session.status == "planned"
    herpes = [c for c in session.day_of_screening.intake.data["conditions"] if c["code"] == "herpes_simplex"]
    assert [c["status"] for c in herpes] == ["history"]  # healed: kept as history (antiviral cover)
    chart_save(
        session=session, actor=personas.practitioner, expected_version=session.version, data=_chart(pen)
    )


def test_it_builds_the_day_of_intake_from_the_latest_one(personas, intake_a, db):
    intake_a["conditions"] = [{"code": "sunburn", "status": "active"}]
    intake_a["medications"] = [{"name": "Doxycycline", "status": "current"}]
    latest = Intake(patient=personas.record_a, number=1, data=intake_a, source="consultation")
    answers = DayOfAnswers(
        new_medicines=("doxycycline", "Warfarin"),
        pregnancy="trying",
        other_condition="eczema",
        other_condition_where="elsewhere",
    )
    data = day_of_intake(latest, answers, today=dt.date(2026, 12, 20), treatment_areas=["cheeks", "chin"])
    assert data["assessed_on"] == "2026-12-20"
    assert data["areas"] == ["cheeks", "forehead", "chin"]
    assert data["pregnancy"] == "trying"
    assert data["medications"] == [
        {"name": "Doxycycline", "status": "current"},
        {"name": "Warfarin", "status": "current"},
    ]
    assert data["conditions"] == [
        {"code": "sunburn", "status": "history", "date": "2026-11-22"},  # dated to its report
        {"code": "eczema", "status": "active", "date": "2026-12-20", "areas": []},
    ]


def test_it_refuses_a_rescreen_with_a_sunburn_day_missing(client_for, personas, session, consented):
    response = client_for(personas.practitioner).post(
        _url("rescreen", session), ANSWERS_CLEAR | {"sunburn": "recent"}
    )
    assert response.status_code == 200 and "Give the day of the sunburn." in response.content.decode()
    assert not Intake.objects.filter(source="day_of").exists()


def test_it_refuses_a_sunburn_day_in_the_future(personas, session, consented):
    with pytest.raises(ServiceError) as refused:
        session_rescreen(
            session=session,
            actor=personas.practitioner,
            answers=DayOfAnswers(sunburn="recent", sunburn_date=dt.date(2026, 12, 2)),
        )
    assert refused.value.field == "sunburn_date"
    assert not Intake.objects.filter(source="day_of").exists()


def test_it_sends_htmx_to_the_chart_after_a_rescreen(client_for, personas, session, consented):
    client = client_for(personas.practitioner)
    response = client.post(_url("rescreen", session), ANSWERS_CLEAR, headers={"HX-Request": "true"})
    assert response["HX-Redirect"] == _url("chart", session)
    invalid = client.post(
        _url("rescreen", session), ANSWERS_CLEAR | {"cold_sore": ""}, headers={"HX-Request": "true"}
    )
    body = invalid.content.decode()
    assert "<html" not in body and 'id="rescreen"' in body and "Answer this question." in body


def test_it_needs_every_day_of_question_answered(client_for, personas, session, consented):
    response = client_for(personas.practitioner).post(
        _url("rescreen", session), ANSWERS_CLEAR | {"cold_sore": "", "pregnancy": ""}
    )
    assert response.content.decode().count("Answer this question.") == 2
    assert not Intake.objects.filter(source="day_of").exists()


def test_it_refuses_new_medicines_without_names(client_for, personas, session, consented):
    response = client_for(personas.practitioner).post(
        _url("rescreen", session), ANSWERS_CLEAR | {"new_medicine": "yes"}
    )
    assert "Name the new medicines." in response.content.decode()


def test_it_refuses_to_rescreen_for_a_course_not_yet_approved(personas, session, consented):
    Course.objects.filter(pk=session.course_id).update(status="draft", approved_at=None)
    session.refresh_from_db()
    with pytest.raises(Blocked) as refused:
        session_rescreen(session=session, answers=DayOfAnswers(), actor=personas.practitioner)
    assert "draft plan" in refused.value.message


# ---- what charting needs -----------------------------------------------------------------------


def test_it_refuses_charting_without_signed_consent(client_for, personas, session, pen):
    session_rescreen(session=session, answers=DayOfAnswers(), actor=personas.practitioner)
    session.refresh_from_db()
    with pytest.raises(Blocked) as refused:
        chart_save(
            session=session, actor=personas.practitioner, expected_version=session.version, data=_chart(pen)
        )
    assert "consent" in refused.value.message.lower()
    page = client_for(personas.practitioner).get(_url("chart", session)).content.decode()
    assert "consent" in page.lower() and "Save chart" not in page


def test_it_refuses_charting_without_a_rescreen_today(client_for, personas, session, consented, pen, frozen):
    session_rescreen(session=session, answers=DayOfAnswers(), actor=personas.practitioner)
    frozen.move_to(NOW + dt.timedelta(days=1))  # a late entry the next day needs its own re-screen
    session.refresh_from_db()
    with pytest.raises(Blocked) as refused:
        chart_save(
            session=session, actor=personas.practitioner, expected_version=session.version, data=_chart(pen)
        )
    assert refused.value.message == "Do today's re-screen with the patient before charting."
    page = client_for(personas.practitioner).get(_url("chart", session)).content.decode()
    assert "Do today&#x27;s re-screen" in page


def test_it_refuses_charting_by_someone_without_a_clinical_role(personas, ready, pen):
    with pytest.raises(ServiceError):
        chart_save(session=ready, actor=personas.front_desk, expected_version=ready.version, data=_chart(pen))


# ---- the chart's limits ------------------------------------------------------------------------


def test_it_refuses_a_depth_above_the_plan_naming_the_area(client_for, personas, ready, pen):
    client = client_for(personas.practitioner)
    response = client.post(
        _url("chart", ready),
        _chart_post(ready, pen, areas=(("cheeks", "1.25", "4"), ("forehead", "0.75", "3"))),
    )
    body = response.content.decode()
    assert response.status_code == 400
    assert "0.75 mm is deeper than this course&#x27;s plan allows for the forehead (at most 0.5 mm)" in body
    ready.refresh_from_db()
    assert ready.version == 2 and ready.status == "planned"
    assert not AreaTreatment.objects.filter(session=ready).exists()


def test_it_allows_a_deeper_needle_up_to_the_directors_override_never_beyond(personas, ready, pen):
    DepthOverride.objects.create(
        course=ready.course,
        area="cheeks",
        depth_max_mm=Decimal("2.0"),
        reason="Deep rolling scars",
        given_by=personas.director,
    )
    deep = (AreaRow(area="cheeks", depth_mm=Decimal("2.0"), passes=3),)
    chart_save(
        session=ready,
        actor=personas.practitioner,
        expected_version=ready.version,
        data=_chart(pen, areas=deep),
    )
    too_deep = (AreaRow(area="cheeks", depth_mm=Decimal("2.25"), passes=3),)
    with pytest.raises(ServiceError) as refused:
        chart_save(
            session=ready,
            actor=personas.practitioner,
            expected_version=ready.version,
            data=_chart(pen, areas=too_deep),
        )
    assert refused.value.message == (
        "2.25 mm is deeper than the medical director's override allows for the cheeks (at most 2.0 mm)."
    )
    assert refused.value.field == "areas.0.depth_mm"
    assert AreaTreatment.objects.get(session=ready).depth_mm == Decimal("2.0")


@pytest.mark.parametrize(
    ("row", "field", "words"),
    [
        (
            AreaRow(area="neck", depth_mm=Decimal("1.0"), passes=3),
            "areas.0.area",
            "Neck is not an area of this course's plan (planned: cheeks, forehead).",
        ),
        (AreaRow(area="cheeks", depth_mm=Decimal("0"), passes=3), "areas.0.depth_mm", "more than 0 mm"),
        (AreaRow(area="cheeks", depth_mm=Decimal("1.0"), passes=0), "areas.0.passes", "between 1 and 20"),
        (AreaRow(area="cheeks", depth_mm=Decimal("1.0"), passes=21), "areas.0.passes", "between 1 and 20"),
    ],
)
def test_it_refuses_an_area_row_outside_the_plan(personas, ready, pen, row, field, words):
    with pytest.raises(ServiceError) as refused:
        chart_save(
            session=ready,
            actor=personas.practitioner,
            expected_version=ready.version,
            data=_chart(pen, areas=(row,)),
        )
    assert refused.value.field == field and words in refused.value.message
    ready.refresh_from_db()
    assert ready.status == "planned" and not AreaTreatment.objects.filter(session=ready).exists()


def test_it_shows_an_area_outside_the_plan_next_to_the_row(client_for, personas, ready, pen):
    response = client_for(personas.practitioner).post(
        _url("chart", ready), _chart_post(ready, pen, areas=(("neck", "1.0", "3"),))
    )
    assert "Neck is not an area of this course&#x27;s plan" in response.content.decode()
    assert not AreaTreatment.objects.exists()


def test_it_refuses_the_anaesthetic_coming_off_before_it_went_on(client_for, personas, ready, pen):
    with pytest.raises(ServiceError) as refused:
        chart_save(
            session=ready,
            actor=personas.practitioner,
            expected_version=ready.version,
            data=_chart(pen, anaesthetic_off=NOW - dt.timedelta(hours=2)),
        )
    assert refused.value.field == "anaesthetic_off"
    response = client_for(personas.practitioner).post(
        _url("chart", ready), _chart_post(ready, pen, anaesthetic_off="2026-12-01T09:00")
    )
    assert "The anaesthetic cannot come off before it went on" in response.content.decode()
    ready.refresh_from_db()
    assert ready.anaesthetic_on is None and ready.version == 2


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"prf_ml": Decimal("3")}, "prf_ml"),  # PRF is not in this plan
        ({"prp_ml": Decimal("25")}, "prp_ml"),
        ({"topicals": ("depigmenting_cream",)}, "topicals"),  # for between sessions only
        ({"end_point": "blanching"}, "end_point"),
        (
            {"adverse_events": (AdverseEventRow(kind="Bruise", severity="awful", action="Ice"),)},
            "adverse_events.0.severity",
        ),
        (
            {"adverse_events": (AdverseEventRow(kind="Bruise", severity="mild", action=" "),)},
            "adverse_events.0.action",
        ),
    ],
)
def test_it_refuses_adjuncts_and_events_the_plan_does_not_allow(personas, ready, pen, overrides, field):
    with pytest.raises(ServiceError) as refused:
        chart_save(
            session=ready,
            actor=personas.practitioner,
            expected_version=ready.version,
            data=_chart(pen, **overrides),
        )
    assert refused.value.field == field
    assert not AreaTreatment.objects.filter(session=ready).exists()


def test_it_keeps_adverse_events_by_id_across_saves(personas, ready, pen):
    first = (AdverseEventRow(kind="Bruise", severity="mild", action="Ice"),)
    chart_save(
        session=ready,
        actor=personas.practitioner,
        expected_version=ready.version,
        data=_chart(pen, adverse_events=first),
    )
    event = AdverseEvent.objects.get(session=ready)
    again = (
        AdverseEventRow(kind="Bruise", severity="moderate", action="Ice", id=event.pk),
        AdverseEventRow(kind="Vasovagal episode", severity="mild", action="Lay flat"),
    )
    chart_save(
        session=ready,
        actor=personas.director,
        expected_version=ready.version,
        data=_chart(pen, adverse_events=again),
    )
    kept = AdverseEvent.objects.get(pk=event.pk)
    assert kept.severity == "moderate" and kept.noted_by == personas.practitioner
    assert AdverseEvent.objects.filter(session=ready).count() == 2
    chart_save(
        session=ready,
        actor=personas.practitioner,
        expected_version=ready.version,
        data=_chart(pen, adverse_events=()),
    )
    assert not AdverseEvent.objects.filter(session=ready).exists()


# ---- nothing lost ------------------------------------------------------------------------------


def test_it_refuses_a_stale_save_and_keeps_the_first(personas, ready, pen):
    opened = ready.version
    first = TreatmentSession.objects.get(pk=ready.pk)
    second = TreatmentSession.objects.get(pk=ready.pk)
    chart_save(
        session=first,
        actor=personas.practitioner,
        expected_version=opened,
        data=_chart(pen, notes="First practitioner's notes"),
    )
    with pytest.raises(StaleEdit):
        chart_save(
            session=second,
            actor=personas.director,
            expected_version=opened,
            data=_chart(pen, notes="Second", areas=(AreaRow("forehead", Decimal("0.5"), 2),)),
        )
    kept = TreatmentSession.objects.get(pk=ready.pk)
    assert kept.notes == "First practitioner's notes" and kept.version == opened + 1
    assert list(AreaTreatment.objects.filter(session=ready).values_list("area", flat=True)) == ["cheeks"]


def test_it_shows_a_stale_save_and_keeps_what_was_typed(client_for, personas, ready, pen):
    client = client_for(personas.practitioner)
    stale = _chart_post(ready, pen, notes="Typed by the second practitioner")
    client.post(_url("chart", ready), _chart_post(ready, pen, notes="First"))
    response = client.post(_url("chart", ready), stale)
    body = response.content.decode()
    assert response.status_code == 409
    assert "Someone else saved this chart after you opened it" in body
    assert "Typed by the second practitioner" in body
    assert TreatmentSession.objects.get(pk=ready.pk).notes == "First"


def test_it_shows_a_stale_save_in_the_htmx_editor_which_swaps_only_a_200(client_for, personas, ready, pen):
    client = client_for(personas.practitioner)
    stale = _chart_post(ready, pen, notes="Typed by the second practitioner")
    client.post(_url("chart", ready), _chart_post(ready, pen, notes="First"))
    response = client.post(_url("chart", ready), stale, headers={"HX-Request": "true"})
    body = response.content.decode()
    assert response.status_code == 200 and "<html" not in body
    assert "Someone else saved this chart after you opened it" in body
    assert "Typed by the second practitioner" in body
    assert TreatmentSession.objects.get(pk=ready.pk).notes == "First"


# ---- signing, and after ------------------------------------------------------------------------


def _signed(personas, session, pen):
    chart_save(
        session=session, actor=personas.practitioner, expected_version=session.version, data=_chart(pen)
    )
    return chart_sign(session=session, actor=personas.practitioner, expected_version=session.version)


def test_it_marks_the_visit_attended_when_the_chart_is_signed(personas, ready, pen):
    from needlepoint.bookings.models import Appointment

    signed = _signed(personas, ready, pen)
    visit = Appointment.objects.get(session=signed)
    assert (visit.status, visit.attended_at) == ("attended", NOW)


def test_it_refuses_to_sign_a_session_booked_for_a_later_day(personas, ready, pen):
    from needlepoint.bookings.models import Appointment

    chart_save(session=ready, actor=personas.practitioner, expected_version=ready.version, data=_chart(pen))
    later = NOW + dt.timedelta(days=14)
    Appointment.objects.filter(session=ready).update(starts_at=later, ends_at=later + dt.timedelta(hours=1))
    ready.refresh_from_db()
    with pytest.raises(ServiceError):
        chart_sign(session=ready, actor=personas.practitioner, expected_version=ready.version)
    assert TreatmentSession.objects.get(pk=ready.pk).status != "signed"
    assert Appointment.objects.get(session=ready).status == "booked"


def test_it_refuses_any_change_after_signing(personas, ready, pen):
    signed = _signed(personas, ready, pen)
    with pytest.raises(ServiceError) as refused:
        chart_save(
            session=signed,
            actor=personas.practitioner,
            expected_version=signed.version,
            data=_chart(pen, notes="Changed later"),
        )
    assert "signed" in refused.value.message and "addendum" in refused.value.message
    assert "signed on Tuesday 1 December 2026 at 10:00 and can" in refused.value.message  # not "01 Dec"
    with pytest.raises(ServiceError):
        chart_sign(session=signed, actor=personas.practitioner, expected_version=signed.version)
    with pytest.raises(ServiceError):
        session_rescreen(session=signed, answers=DayOfAnswers(), actor=personas.practitioner)
    with pytest.raises(REFUSED), transaction.atomic():
        TreatmentSession.objects.filter(pk=signed.pk).update(notes="Changed later")
    with pytest.raises(REFUSED), transaction.atomic():
        AreaTreatment.objects.filter(session=signed).update(depth_mm=Decimal("2.5"))
    with pytest.raises(REFUSED), transaction.atomic():
        AdverseEvent.objects.create(
            session=signed, kind="Late", severity="mild", action="None", noted_by=personas.practitioner
        )
    assert TreatmentSession.objects.get(pk=signed.pk).notes == "Tolerated well."


def test_it_adds_and_shows_addenda_after_signing(client_for, personas, ready, pen):
    _signed(personas, ready, pen)
    client = client_for(personas.director)
    response = client.post(_url("addendum", ready), {"text": "Patient phoned: redness settled."})
    assert response.status_code == 302
    page = client.get(_url("chart", ready)).content.decode()
    assert "Patient phoned: redness settled." in page and "Maria" in page
    addendum = ready.addenda.get()
    assert AuditEvent.objects.filter(
        object_type="clinic.addendum",
        object_id=str(addendum.pk),
        action="create",
        patient_id=ready.patient_id,
    ).exists()
    htmx = client.post(_url("addendum", ready), {"text": "Second note."}, headers={"HX-Request": "true"})
    assert "<html" not in htmx.content.decode() and "Second note." in htmx.content.decode()


def test_it_refuses_an_empty_addendum(client_for, personas, ready, pen):
    _signed(personas, ready, pen)
    response = client_for(personas.practitioner).post(_url("addendum", ready), {"text": "  "})
    assert "Write the addendum before saving it." in response.content.decode()
    assert not ready.addenda.exists()


def test_it_refuses_an_addendum_to_an_unsigned_chart(personas, ready):
    with pytest.raises(ServiceError) as refused:
        addendum_add(session=ready, text="Note", actor=personas.practitioner)
    assert "signed charts" in refused.value.message


def test_it_refuses_to_sign_without_an_area(client_for, personas, ready, pen):
    response = client_for(personas.practitioner).post(_url("sign", ready), {"version": ready.version})
    assert "Chart at least one area" in response.content.decode()
    ready.refresh_from_db()
    assert ready.status == "planned" and ready.signed_at is None


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"device": None}, "device"),
        ({"cartridge_lot": ""}, "cartridge_lot"),
        ({"anaesthetic_off": None}, "anaesthetic_off"),
    ],
)
def test_it_refuses_to_sign_an_incomplete_chart(personas, ready, pen, overrides, field):
    chart_save(
        session=ready,
        actor=personas.practitioner,
        expected_version=ready.version,
        data=_chart(pen, **overrides),
    )
    with pytest.raises(ServiceError) as refused:
        chart_sign(session=ready, actor=personas.practitioner, expected_version=ready.version)
    assert refused.value.field == field
    assert TreatmentSession.objects.get(pk=ready.pk).signed_at is None


def test_it_signs_the_next_day_a_chart_saved_the_day_before(client_for, personas, ready, pen, frozen):
    chart_save(session=ready, actor=personas.practitioner, expected_version=ready.version, data=_chart(pen))
    frozen.move_to(NOW + dt.timedelta(hours=15))  # after midnight: the re-screen was yesterday
    client = client_for(personas.practitioner)
    page = client.get(_url("chart", ready)).content.decode()
    assert "Save chart" not in page and "Sign chart" in page and "LOT-2611" in page
    assert client.post(_url("sign", ready), {"version": ready.version}).status_code == 302
    signed = TreatmentSession.objects.get(pk=ready.pk)
    assert signed.signed_at == NOW + dt.timedelta(hours=15)
    assert signed.entered_late_at == NOW + dt.timedelta(hours=15)  # signed after the day: late
    assert signed.entered_late_by == personas.practitioner


def test_it_refuses_a_stale_signature(personas, ready, pen):
    chart_save(session=ready, actor=personas.practitioner, expected_version=ready.version, data=_chart(pen))
    with pytest.raises(StaleEdit):
        chart_sign(session=ready, actor=personas.practitioner, expected_version=ready.version - 1)
    assert TreatmentSession.objects.get(pk=ready.pk).status == "in_progress"


def test_it_answers_a_stale_signature_with_409_and_signs_nothing(client_for, personas, ready, pen):
    chart_save(session=ready, actor=personas.practitioner, expected_version=ready.version, data=_chart(pen))
    response = client_for(personas.practitioner).post(_url("sign", ready), {"version": ready.version - 1})
    assert response.status_code == 409
    assert "Someone else" in response.content.decode()
    kept = TreatmentSession.objects.get(pk=ready.pk)
    assert (kept.status, kept.version, kept.signed_at) == ("in_progress", ready.version, None)


def test_it_refuses_get_on_the_sign_and_addendum_urls(client_for, personas, ready):
    client = client_for(personas.practitioner)
    assert client.get(_url("sign", ready)).status_code == 405
    assert client.get(_url("addendum", ready)).status_code == 405


# ---- only on the day of the visit ----------------------------------------------------------------

TWO_WEEKS_AHEAD = VISIT + dt.timedelta(days=14)  # Tuesday 15 December 2026, 09:00 in London


def _booked(course, number, starts_at):
    """Session `number` of `course`, booked for `starts_at`."""
    session = TreatmentSession.objects.create(course=course, patient=course.patient, number=number)
    book_visit(session, starts_at)
    return session


def test_it_refuses_to_rescreen_chart_or_sign_a_session_booked_two_weeks_ahead(
    client_for, personas, course, consented, pen, frozen
):
    ahead = _booked(course, 2, TWO_WEEKS_AHEAD)
    words = "Session 2 is booked for 15 December 2026: it cannot be charted before that day."
    attempts = (
        lambda: session_rescreen(session=ahead, answers=DayOfAnswers(), actor=personas.practitioner),
        lambda: chart_save(
            session=ahead, actor=personas.practitioner, expected_version=ahead.version, data=_chart(pen)
        ),
        lambda: chart_sign(session=ahead, actor=personas.practitioner, expected_version=ahead.version),
    )
    for attempt in attempts:
        with pytest.raises(Blocked) as refused:
            attempt()
        assert refused.value.message == words and refused.value.field == "appointment"

    client = client_for(personas.practitioner)
    page = client.get(_url("chart", ahead)).content.decode()
    assert page.count(words) == 1 and "The chart opens on the day of the visit" in page  # said once
    assert "Re-screen now" not in page and "Save chart" not in page and "Sign chart" not in page
    rescreen_page = client.get(_url("rescreen", ahead)).content.decode()
    assert words in rescreen_page and "Screen again" not in rescreen_page
    client.post(_url("rescreen", ahead), ANSWERS_CLEAR)
    client.post(_url("chart", ahead), _chart_post(ahead, pen))
    client.post(_url("sign", ahead), {"version": ahead.version})

    ahead.refresh_from_db()  # nothing was written
    assert (ahead.version, ahead.status, ahead.signed_at) == (1, "planned", None)
    assert ahead.day_of_screening is None
    assert not Intake.objects.filter(source="day_of").exists()
    assert not AreaTreatment.objects.filter(session=ahead).exists()
    assert not AuditEvent.objects.filter(
        object_type="clinic.treatmentsession", action__in=("change", "sign")
    ).exists()


def test_it_rescreens_charts_and_signs_on_the_day_of_the_visit(
    client_for, personas, course, consented, pen, frozen
):
    ahead = _booked(course, 2, TWO_WEEKS_AHEAD)
    frozen.move_to(TWO_WEEKS_AHEAD + dt.timedelta(minutes=50))  # 09:50 on 15 December
    client = client_for(personas.practitioner)
    assert "Re-screen now" in client.get(_url("chart", ahead)).content.decode()
    assert client.post(_url("rescreen", ahead), ANSWERS_CLEAR).status_code == 302
    ahead.refresh_from_db()
    assert ahead.day_of_screening.intake.data["assessed_on"] == "2026-12-15"
    on_the_day = _chart(
        pen,
        anaesthetic_on=TWO_WEEKS_AHEAD + dt.timedelta(minutes=5),
        anaesthetic_off=TWO_WEEKS_AHEAD + dt.timedelta(minutes=35),
    )
    chart_save(session=ahead, actor=personas.practitioner, expected_version=ahead.version, data=on_the_day)
    chart_sign(session=ahead, actor=personas.practitioner, expected_version=ahead.version)
    ahead.refresh_from_db()
    assert ahead.status == "signed" and ahead.signed_at == TWO_WEEKS_AHEAD + dt.timedelta(minutes=50)
    assert ahead.entered_late_at is None and ahead.entered_late_by is None
    assert "Entered late" not in client.get(_url("chart", ahead)).content.decode()


@pytest.mark.parametrize("booking", ["never booked", "appointment cancelled"])
def test_it_refuses_to_chart_a_session_that_is_not_booked(
    client_for, personas, course, consented, pen, booking
):
    from needlepoint.bookings.models import Appointment

    loose = TreatmentSession.objects.create(course=course, patient=course.patient, number=2)
    if booking == "appointment cancelled":
        appointment = book_visit(loose, VISIT + dt.timedelta(hours=2))
        Appointment.objects.filter(pk=appointment.pk).update(status="cancelled", cancelled_at=NOW)
        loose.refresh_from_db()
    words = "Session 2 has no booked appointment: book it first."
    with pytest.raises(Blocked, match=words):
        session_rescreen(session=loose, answers=DayOfAnswers(), actor=personas.practitioner)
    with pytest.raises(Blocked, match=words):
        chart_save(
            session=loose, actor=personas.practitioner, expected_version=loose.version, data=_chart(pen)
        )
    client = client_for(personas.practitioner)
    page = client.get(_url("chart", loose)).content.decode()
    assert words in page and "not booked" in page
    assert "Re-screen now" not in page and "Save chart" not in page
    assert words in client.get(_url("rescreen", loose)).content.decode()
    client.post(_url("rescreen", loose), ANSWERS_CLEAR)
    assert not Intake.objects.filter(source="day_of").exists()


def test_it_marks_a_late_entry_with_who_and_when(client_for, personas, course, consented, pen, frozen):
    past = _booked(course, 2, VISIT - dt.timedelta(days=2))  # Sunday 29 November, 09:00
    client = client_for(personas.director)
    page = client.get(_url("chart", past)).content.decode()
    assert "marked as a late entry" in page and "Re-screen now" in page
    assert "late entry" in client.get(_url("rescreen", past)).content.decode()

    assert client.post(_url("rescreen", past), ANSWERS_CLEAR).status_code == 302
    past.refresh_from_db()
    assert past.day_of_screening.intake.data["assessed_on"] == "2026-11-29"  # the day of the visit
    assert (past.entered_late_at, past.entered_late_by) == (NOW, personas.director)
    response = client.post(
        _url("chart", past),
        _chart_post(past, pen, anaesthetic_on="2026-11-29T09:10", anaesthetic_off="2026-11-29T09:45"),
    )
    assert response.status_code == 302
    past.refresh_from_db()
    frozen.move_to(NOW + dt.timedelta(hours=1))
    chart_sign(session=past, actor=personas.practitioner, expected_version=past.version)
    past.refresh_from_db()
    assert past.status == "signed" and past.signed_by == personas.practitioner
    assert (past.entered_late_at, past.entered_late_by) == (NOW, personas.director)  # the first

    page = client.get(_url("chart", past)).content.decode()
    assert "Entered late" in page and "1 Dec 2026, 10:00 by Maria" in page
    record = client.get(reverse("clinic:patient_detail", args=[past.patient_id])).content.decode()
    assert "entered late" in record and "1 Dec 2026, 10:00 by Maria" in record
    summary = client.get(reverse("clinic:course_summary", args=[course.pk])).content.decode()
    assert "entered late" in summary and "1 Dec 2026, 10:00 by Maria" in summary
    summaries = AuditEvent.objects.filter(
        object_type="clinic.treatmentsession", object_id=str(past.pk)
    ).values_list("summary", flat=True)
    assert {"day-of re-screen: eligible; entered late", "chart of session 2 signed; entered late"} <= set(
        summaries
    )


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        (
            {"anaesthetic_on": NOW - dt.timedelta(days=1)},
            "anaesthetic_on",
            "The anaesthetic went on at 10:00 on Monday 30 November 2026, but this session was on Tuesday "
            "1 December 2026: give a time on the day of the session.",
        ),
        (
            {"anaesthetic_off": NOW + dt.timedelta(days=1)},
            "anaesthetic_off",
            "The anaesthetic came off at 10:00 on Wednesday 2 December 2026, but this session was on "
            "Tuesday 1 December 2026: give a time on the day of the session.",
        ),
        (
            {"anaesthetic_off": NOW + dt.timedelta(minutes=30)},
            "anaesthetic_off",
            "10:30 is still to come: chart the time the anaesthetic came off once it has happened.",
        ),
        (
            {"anaesthetic_on": NOW + dt.timedelta(minutes=5), "anaesthetic_off": None},
            "anaesthetic_on",
            "10:05 is still to come: chart the time the anaesthetic went on once it has happened.",
        ),
    ],
)
def test_it_refuses_anaesthetic_times_off_the_day_or_in_the_future(
    personas, ready, pen, changes, field, words
):
    with pytest.raises(ServiceError) as refused:
        chart_save(
            session=ready,
            actor=personas.practitioner,
            expected_version=ready.version,
            data=_chart(pen, **changes),
        )
    assert (refused.value.field, refused.value.message) == (field, words)
    ready.refresh_from_db()
    assert ready.anaesthetic_on is None and ready.status == "planned"
    assert not AreaTreatment.objects.filter(session=ready).exists()


def test_it_shows_an_anaesthetic_time_off_the_day_next_to_its_field(client_for, personas, ready, pen):
    response = client_for(personas.practitioner).post(
        _url("chart", ready), _chart_post(ready, pen, anaesthetic_on="2026-11-30T09:10")
    )
    assert response.status_code == 400
    assert "on Monday 30 November 2026, but this session was on Tuesday 1 December 2026" in str(
        response.context["editor"].form.errors["anaesthetic_on"]
    )
    ready.refresh_from_db()
    assert ready.anaesthetic_on is None and ready.version == 2


def test_it_refuses_to_sign_before_the_appointment_has_begun(personas, course, consented, pen, frozen):
    afternoon = _booked(course, 2, NOW + dt.timedelta(hours=5))  # 15:00 today
    session_rescreen(session=afternoon, answers=DayOfAnswers(), actor=personas.practitioner)
    afternoon.refresh_from_db()
    chart_save(
        session=afternoon, actor=personas.practitioner, expected_version=afternoon.version, data=_chart(pen)
    )
    with pytest.raises(Blocked) as refused:
        chart_sign(session=afternoon, actor=personas.practitioner, expected_version=afternoon.version)
    assert refused.value.message == (
        "Session 2's appointment starts at 15:00: sign the chart once the "
        "treatment has been given, not before."
    )
    assert TreatmentSession.objects.get(pk=afternoon.pk).signed_at is None
    frozen.move_to(NOW + dt.timedelta(hours=6))
    assert (
        chart_sign(session=afternoon, actor=personas.practitioner, expected_version=afternoon.version).status
        == "signed"
    )


def test_it_takes_the_day_of_the_visit_in_the_clinics_zone(personas, course, frozen):
    # 29 March 2026, 01:00 UTC: London moves from GMT to BST. An appointment at 23:30 UTC on
    # 29 March is at 00:30 on 30 March in London: its day is 30 March.
    night = _booked(course, 2, dt.datetime(2026, 3, 29, 23, 30, tzinfo=dt.UTC))
    assert visit_day(night) == dt.date(2026, 3, 30)
    frozen.move_to(dt.datetime(2026, 3, 29, 22, 30, tzinfo=dt.UTC))  # 23:30 BST on 29 March
    assert "booked for 30 March 2026" in day_refusal(night).message
    frozen.move_to(dt.datetime(2026, 3, 29, 23, 5, tzinfo=dt.UTC))  # 00:05 BST on 30 March
    assert day_refusal(night) is None
