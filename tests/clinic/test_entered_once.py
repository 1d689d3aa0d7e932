"""Entered once, offered only when it can work.

The scar counts and the Goodman & Baron grade are the clinician's measurement, asked once, in
the assessment (not in the intake editor), and the course proposal takes them from there.
Buttons that cannot work are not offered, or say why not: proposing a plan without a screened
intake, completing a course with sessions left, charting a session before it is booked.
Staff pages use a practitioner's words: medicines are named (their codes are looked up behind
the scenes), and what a patient wrote is shown apart, labelled as their own words.

Personas: the practitioner uses the clinical pages; the front desk and patients are refused."""

import datetime as dt
import json
import re
from typing import Any

import pytest
import time_machine
from django.urls import reverse

from needlepoint.bookings.models import Appointment, AppointmentKind, AppointmentType, Location
from needlepoint.clinic.models import (
    Course,
    Flag,
    Intake,
    IntakeSource,
    Screening,
    TreatmentSession,
)
from needlepoint.clinic.protocol import clinic_protocol
from needlepoint.clinic.services import ServiceError
from needlepoint.clinic.services.aftercare import check_in_submit
from needlepoint.clinic.services.assessment import assessment_record
from needlepoint.clinic.services.course_approval import course_approve
from needlepoint.clinic.services.course_plan import course_propose
from needlepoint.clinic.services.inquiries import inquiry_convert, inquiry_create
from needlepoint.clinic.services.outcomes import completion_blockers, course_complete
from needlepoint.clinic.services.screening import intake_create, intake_record
from needlepoint.clinical import vocab

START = dt.date(2026, 11, 23)  # the frozen today


def url(name: str, *args: Any) -> str:
    return reverse(f"clinic:consultation_{name}", args=args)


def without_scars(intake: dict[str, Any], **changes: Any) -> dict[str, Any]:
    data = {k: v for k, v in json.loads(json.dumps(intake)).items() if k != "scars"}
    return data | changes


def editor_post(data: dict[str, Any], medications: list[dict[str, str]] = ()) -> dict[str, Any]:
    """The intake editor's POST: goals, areas, skin; `medications` as the editor's rows."""
    post: dict[str, Any] = {
        "assessed_on": data["assessed_on"],
        "goal": data["goals"][0],
        "areas": data["areas"],
        "fitzpatrick": "3",
        "pregnancy": "no",
        "allergies": "",
        "conditions-TOTAL_FORMS": "0",
        "conditions-INITIAL_FORMS": "0",
        "procedures-TOTAL_FORMS": "0",
        "procedures-INITIAL_FORMS": "0",
        "medications-TOTAL_FORMS": str(len(medications)),
        "medications-INITIAL_FORMS": "0",
    }
    for i, row in enumerate(medications):
        post |= {f"medications-{i}-{k}": v for k, v in row.items()}
    return post


def propose(personas: Any) -> Course:
    return course_propose(patient=personas.record_a, actor=personas.practitioner, start_date=START)


def assess(personas: Any, grade: int) -> None:
    assessment_record(
        patient=personas.record_a,
        actor=personas.practitioner,
        goodman_baron_grade=grade,
        scar_counts={"cheeks": {"rolling": 12, "boxcar": 4}},
    )


# ---- the grade and the scar counts: asked once, in the assessment -------------------------------


def test_it_asks_no_grade_or_scar_counts_in_the_intake_editor(client_for, personas):
    page = client_for(personas.practitioner).get(url("intake", personas.record_a.pk)).content.decode()
    for name in ("goodman_baron_grade", "icepick", "boxcar", "rolling", "hypertrophic"):
        assert f'name="{name}"' not in page
    assert "measured in the" in page and url("assessment", personas.record_a.pk) in page
    assessment = client_for(personas.practitioner).get(url("assessment", personas.record_a.pk))
    assert 'name="goodman_baron_grade"' in assessment.content.decode()


def test_it_stores_no_scars_typed_into_the_intake_editor(client_for, personas, intake_a):
    post = editor_post(intake_a) | {"goodman_baron_grade": "4", "icepick": "9"}
    assert (
        client_for(personas.practitioner).post(url("intake", personas.record_a.pk), post).status_code == 302
    )
    assert "scars" not in Intake.objects.get().data


def test_it_plans_the_sessions_by_the_assessed_grade(personas, intake_a):
    intake_record(patient=personas.record_a, data=without_scars(intake_a), actor=personas.practitioner)
    by_grade = clinic_protocol().goals["acne_scars"].sessions.by_goodman_baron_grade
    assert (
        propose(personas).plan["sessions"]["count"] == clinic_protocol().goals["acne_scars"].sessions.count
    )  # no grade anywhere: the goal's usual count
    assess(personas, 4)
    course = propose(personas)
    assert course.plan["sessions"]["count"] == by_grade[4]
    assert course.assessment.goodman_baron_grade == 4


def test_it_prefers_the_assessment_to_a_grade_an_intake_carries(personas, intake_a):
    carried = json.loads(json.dumps(intake_a))
    carried["scars"] = {"goodman_baron_grade": 1}  # from another source (an import, the CLI)
    intake_record(patient=personas.record_a, data=carried, actor=personas.practitioner)
    by_grade = clinic_protocol().goals["acne_scars"].sessions.by_goodman_baron_grade
    assert propose(personas).plan["sessions"]["count"] == by_grade[1]  # no assessment yet
    assess(personas, 4)
    assert propose(personas).plan["sessions"]["count"] == by_grade[4]


def test_it_leaves_the_core_planner_reading_the_intake(intake_a):
    """The pure core (and so the command line) still plans from the intake's own grade."""
    from needlepoint.clinic.protocol import planner, screener
    from needlepoint.clinic.services.screening import parse_intake_data

    core = parse_intake_data(intake_a)
    plan = planner().plan(core, screener().screen(core), START)
    assert plan.session_count == clinic_protocol().goals["acne_scars"].sessions.by_goodman_baron_grade[3]


# ---- "Propose a plan" only from a screened intake -----------------------------------------------


def test_it_offers_no_proposal_without_an_intake(client_for, personas):
    page = client_for(personas.practitioner).get(url("overview", personas.record_a.pk)).content.decode()
    assert "A plan cannot be proposed yet" in page and "There is no intake yet" in page
    assert url("course_propose", personas.record_a.pk) not in page


def test_it_offers_no_proposal_for_an_intake_not_yet_screened(client_for, personas, intake_a):
    intake_create(
        patient=personas.record_a, data=intake_a, source=IntakeSource.PORTAL, actor=personas.patient_a
    )
    c = client_for(personas.practitioner)
    page = c.get(url("overview", personas.record_a.pk)).content.decode()
    assert "Intake version 1 has not been screened yet: screen it first." in page
    assert url("course_propose", personas.record_a.pk) not in page
    assert "Screen intake version 1" in page  # the button that can work
    refused = c.post(url("course_propose", personas.record_a.pk), {"start_date": START.isoformat()})
    assert refused.status_code == 400 and "has not been screened yet" in refused.content.decode()
    assert not Course.objects.exists()
    assert c.post(url("rescreen", personas.record_a.pk)).status_code == 302
    page = c.get(url("overview", personas.record_a.pk)).content.decode()
    assert url("course_propose", personas.record_a.pk) in page
    assert "No Goodman &amp; Baron grade is recorded" in page  # says what the plan will use


def test_it_refuses_the_overview_to_the_front_desk(client_for, personas):
    assert client_for(personas.front_desk).get(url("overview", personas.record_a.pk)).status_code == 404


# ---- "Complete the course" only when every session is done --------------------------------------


@pytest.fixture
def approved(personas, intake_a):
    intake_record(patient=personas.record_a, data=intake_a, actor=personas.practitioner)
    course = propose(personas)
    course_approve(course=course, actor=personas.practitioner, expected_version=1)
    course.refresh_from_db()
    return course


def _sign(session: TreatmentSession, by: Any) -> None:
    TreatmentSession.objects.filter(pk=session.pk).update(
        status="signed", signed_by=by, signed_at=dt.datetime.now(dt.UTC)
    )


def test_it_does_not_offer_to_complete_a_course_with_sessions_left(client_for, personas, approved):
    sessions = list(approved.sessions.order_by("number"))
    _sign(sessions[0], personas.practitioner)
    summary = reverse("clinic:course_summary", args=[approved.pk])
    page = client_for(personas.practitioner).get(summary).content.decode()
    left = ", ".join(str(s.number) for s in sessions[1:])
    assert f"Not ready to complete: Sign or cancel every session first; still open: session {left}." in page
    assert reverse("clinic:course_complete", args=[approved.pk]) not in page
    with pytest.raises(ServiceError, match="still open"):
        course_complete(course=approved, actor=personas.practitioner)
    for s in sessions[1:]:
        _sign(s, personas.practitioner)
    assert completion_blockers(approved) == []
    page = client_for(personas.practitioner).get(summary).content.decode()
    assert reverse("clinic:course_complete", args=[approved.pk]) in page


def test_it_refuses_the_course_summary_to_the_front_desk(client_for, personas, approved):
    assert (
        client_for(personas.front_desk).get(reverse("clinic:course_summary", args=[approved.pk])).status_code
        == 404
    )


# ---- "chart this session" only once it is booked ------------------------------------------------


def _book(session: TreatmentSession, by: Any) -> Appointment:
    location = Location.objects.create(
        name="Main clinic", time_zone="Europe/London", opening_hours="mon-fri 09:00-18:00"
    )
    kind = AppointmentType.objects.create(
        code="microneedling", name="Microneedling session", kind=AppointmentKind.TREATMENT, minutes=60
    )
    start = dt.datetime(2026, 12, 7, 10, tzinfo=dt.UTC)
    return Appointment.objects.create(
        patient=session.patient,
        course=session.course,
        session=session,
        appointment_type=kind,
        location=location,
        starts_at=start,
        ends_at=start + dt.timedelta(hours=1),
        created_by=by,
    )


def test_it_offers_charting_only_for_a_booked_session(client_for, personas, approved):
    first = approved.sessions.get(number=1)
    chart = reverse("clinic:charting_chart", args=[first.pk])
    c = client_for(personas.practitioner)
    course_page = url("course", personas.record_a.pk, approved.pk)
    record_page = reverse("clinic:patient_detail", args=[personas.record_a.pk])
    page = c.get(course_page).content.decode()
    assert chart not in page and "book it first" in page
    assert chart not in c.get(record_page).content.decode()
    appointment = _book(first, personas.front_desk)
    page = c.get(course_page).content.decode()  # booked for 7 December: charted on that day
    assert chart not in page and "charted on its day, 7 December 2026" in page
    assert chart in c.get(record_page).content.decode()  # the chart page says when it opens
    with time_machine.travel(appointment.starts_at, tick=False):  # a new sign-in on the day
        assert chart in client_for(personas.practitioner).get(course_page).content.decode()
    Appointment.objects.filter(pk=appointment.pk).update(
        status="cancelled", cancelled_at=dt.datetime.now(dt.UTC)
    )
    assert chart not in c.get(course_page).content.decode()


def test_it_never_offers_the_front_desk_a_chart(client_for, personas, approved):
    first = approved.sessions.get(number=1)
    _book(first, personas.front_desk)
    page = (
        client_for(personas.front_desk)
        .get(reverse("clinic:patient_detail", args=[personas.record_a.pk]))
        .content.decode()
    )
    assert reverse("clinic:charting_chart", args=[first.pk]) not in page


# ---- medicines by name, codes behind the scenes -------------------------------------------------


def test_it_asks_for_a_medicine_by_name_never_its_code(client_for, personas):
    page = client_for(personas.practitioner).get(url("intake", personas.record_a.pk)).content.decode()
    assert "ATC" not in page
    assert '<datalist id="medicine-names">' in page and '<option value="warfarin">' in page
    assert re.search(r'name="medications-0-name"[^>]*list="medicine-names"', page)
    assert 'type="hidden" name="medications-0-atc"' in page


def test_it_looks_up_the_code_of_a_named_medicine_when_screening(client_for, personas, intake_a):
    post = editor_post(intake_a, [{"name": "Xarelto", "status": "current"}])
    assert (
        client_for(personas.practitioner).post(url("intake", personas.record_a.pk), post).status_code == 302
    )
    assert Intake.objects.get().data["medications"] == [{"name": "Xarelto", "status": "current"}]
    codes = {f["code"] for f in Screening.objects.get().result["findings"]}
    assert "antithrombotic_medication" in codes and "unknown_medication" not in codes


def test_it_flags_a_name_the_protocol_does_not_know(client_for, personas, intake_a):
    post = editor_post(intake_a, [{"name": "my blood pills", "status": "current"}])
    client_for(personas.practitioner).post(url("intake", personas.record_a.pk), post)
    codes = {f["code"] for f in Screening.objects.get().result["findings"]}
    assert "unknown_medication" in codes


def test_it_keeps_a_code_recorded_elsewhere_while_the_name_stays(client_for, personas, intake_a):
    carried = without_scars(intake_a, medications=[{"atc": "B01AF01", "status": "current"}])
    intake_create(
        patient=personas.record_a, data=carried, source=IntakeSource.PORTAL, actor=personas.patient_a
    )
    c = client_for(personas.practitioner)
    page = c.get(url("intake", personas.record_a.pk)).content.decode()
    assert 'value="rivaroxaban"' in page and 'value="B01AF01"' in page  # the name, code hidden
    kept = editor_post(
        intake_a, [{"name": "rivaroxaban", "status": "current", "atc": "B01AF01", "atc_name": "rivaroxaban"}]
    )
    assert c.post(url("intake", personas.record_a.pk), kept).status_code == 302
    assert Intake.objects.get(number=2).data["medications"] == [
        {"name": "rivaroxaban", "status": "current", "atc": "B01AF01"}
    ]
    renamed = editor_post(
        intake_a, [{"name": "warfarin", "status": "current", "atc": "B01AF01", "atc_name": "rivaroxaban"}]
    )
    assert c.post(url("intake", personas.record_a.pk), renamed).status_code == 302
    assert Intake.objects.get(number=3).data["medications"] == [
        {"name": "warfarin", "status": "current"}
    ]  # the old code no longer applies


def test_it_asks_for_the_name_of_a_medicine_with_only_a_date(client_for, personas, intake_a):
    post = editor_post(intake_a, [{"name": "", "status": "stopped", "last_taken": "2026-10-01"}])
    response = client_for(personas.practitioner).post(url("intake", personas.record_a.pk), post)
    assert response.status_code == 400 and "Name the medicine or clear the row." in response.content.decode()
    assert not Intake.objects.exists()


def test_it_refuses_the_intake_editor_to_the_front_desk(client_for, personas, intake_a):
    response = client_for(personas.front_desk).post(
        url("intake", personas.record_a.pk), editor_post(intake_a)
    )
    assert response.status_code == 404 and not Intake.objects.exists()


def test_vocab_names_and_codes_medicines():
    table = {"warfarin": "B01AA03", "coumadin": "B01AA03", "aspirin": "B01AC06"}
    assert vocab.medicine_names(table) == ("aspirin", "coumadin", "warfarin")
    assert vocab.medicine_name_for("B01AA03", table) == "warfarin"
    assert vocab.medicine_name_for("X01", table) == ""
    assert vocab.medicine_code_for("  Coumadin ", table) == "B01AA03"
    assert vocab.medicine_code_for("unknown", table) == ""


# ---- the patient's own words, apart ---------------------------------------------------------------


def test_it_shows_what_the_visitor_wrote_apart_as_their_own_words(client_for, personas, intake_a):
    answers = without_scars(
        intake_a,
        medications=[
            {"name": "Xarelto", "status": "current"},
            {"name": "my blood pills", "status": "current"},
        ],
        allergies=["penicillin"],
    )
    inquiry = inquiry_create(
        first_name="Vera", last_name="Visitor", email="vera@example.org", answers=answers, consented=True
    )
    patient = inquiry_convert(inquiry=inquiry, actor=personas.front_desk)
    page = client_for(personas.practitioner).get(url("overview", patient.pk)).content.decode()
    words = page[page.index("In the patient's own words") :]
    assert "<q>Xarelto</q>" in words and "<q>my blood pills</q>" in words and "<q>penicillin</q>" in words
    staff = page[page.index('id="intakes-h"') : page.index("In the patient's own words")]
    # staff wording: the protocol's name for the medicine, and plain words for one it lacks
    assert "rivaroxaban (current)" in staff and "a medicine the protocol does not recognise" in staff
    assert "my blood pills" not in staff


def test_it_shows_no_patient_words_for_an_intake_staff_recorded(client_for, personas, intake_a):
    intake_record(
        patient=personas.record_a,
        data=without_scars(intake_a, medications=[{"name": "warfarin"}]),
        actor=personas.practitioner,
    )
    page = client_for(personas.practitioner).get(url("overview", personas.record_a.pk)).content.decode()
    assert "In the patient's own words" not in page and "warfarin (current)" in page


def test_it_shows_a_check_in_note_apart_as_the_patients_words(client_for, personas, approved, frozen_clock):
    session = approved.sessions.get(number=1)
    _sign(session, personas.practitioner)
    session.refresh_from_db()
    frozen_clock.shift(dt.timedelta(days=1))  # the day-1 check-in
    check_in_submit(
        session=session,
        day=1,
        redness=3,
        swelling=3,
        pain=3,
        warning_signs=["fever"],
        note="Feels hot and <b>itchy</b>",
        actor=personas.patient_a,
    )
    flag = Flag.objects.get()
    c = client_for(personas.practitioner)
    page = c.get(reverse("clinic:flag_resolve", args=[flag.pk])).content.decode()
    facts = page[page.index("The check-in") : page.index("</dl>", page.index("The check-in"))]
    assert "Feels hot" not in facts
    words = page[page.index("In the patient's own words") :]
    assert "Feels hot and &lt;b&gt;itchy&lt;/b&gt;" in words
    summary = c.get(reverse("clinic:course_summary", args=[approved.pk])).content.decode()
    assert "In the patient's own words" in summary and "Session 1, day 1" in summary
