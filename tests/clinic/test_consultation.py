"""The consultation: intake versions and screening, clearances, the assessment with live scores,
and the course from proposal through edits and overrides to approval.

Personas: the practitioner and the medical director may use every page; the front desk, both
patients (even for their own record) and anonymous visitors are refused."""

import datetime as dt
import json
import re
from decimal import Decimal
from typing import Any

import pytest
from django.db import IntegrityError
from django.urls import reverse

from needlepoint.audit.models import AuditEvent
from needlepoint.clinic.models import (
    Assessment,
    Clearance,
    Course,
    DepthOverride,
    Intake,
    Screening,
    TreatmentSession,
)
from needlepoint.clinic.protocol import planner, screener
from needlepoint.clinic.services import Blocked, ServiceError, StaleEdit
from needlepoint.clinic.services.assessment import assessment_record, assessment_scores
from needlepoint.clinic.services.clearances import clearance_give
from needlepoint.clinic.services.course_approval import course_approve, depth_override_give
from needlepoint.clinic.services.course_plan import course_propose
from needlepoint.clinic.services.plan_edit import course_edit, plan_schedule
from needlepoint.clinic.services.screening import (
    intake_record,
    latest_screening,
    parse_intake_data,
    screening_refresh,
)
from needlepoint.clinical import scales

TODAY = dt.date(2026, 11, 22)  # the fixtures' assessed_on; start dates are never before it


def url(name: str, *args: Any) -> str:
    return reverse(f"clinic:consultation_{name}", args=args)


def with_(intake: dict[str, Any], **changes: Any) -> dict[str, Any]:
    return {**json.loads(json.dumps(intake)), **changes}


PREGNANT = {"pregnancy": "pregnant"}
DIABETES = {"conditions": [{"code": "diabetes", "status": "controlled"}]}
BLEEDING = {"conditions": [{"code": "bleeding_disorder", "status": "active"}]}
TATTOO_FOREHEAD = {"conditions": [{"code": "tattoo", "status": "active", "areas": ["forehead"]}]}


def record(personas: Any, data: dict[str, Any], actor: Any = None) -> Screening:
    return intake_record(patient=personas.record_a, data=data, actor=actor or personas.practitioner)


def propose(personas: Any, start: dt.date = TODAY) -> Course:
    return course_propose(patient=personas.record_a, actor=personas.practitioner, start_date=start)


def intake_post(data: dict[str, Any]) -> dict[str, Any]:
    """Return the intake editor's POST for an intake in the contract's shape."""
    scars = data.get("scars") or {}
    post: dict[str, Any] = {
        "assessed_on": data["assessed_on"],
        "goal": data["goals"][0],
        "other_goals": data["goals"][1:],
        "areas": data["areas"],
        "fitzpatrick": (data.get("skin") or {}).get("fitzpatrick") or "",
        "pregnancy": data.get("pregnancy", ""),
        "allergies": ", ".join(data.get("allergies", [])),
        **{
            k: scars.get(k, "")
            for k in ("icepick", "boxcar", "rolling", "hypertrophic", "goodman_baron_grade")
        },
    }
    fields = {
        "conditions": ("code", "status", "severity", "areas", "date"),
        "medications": ("name", "atc", "atc_name", "status", "last_taken"),
        "procedures": ("code", "date", "depth", "kind", "areas"),
    }
    for key, names in fields.items():
        rows = data.get(key, [])
        post[f"{key}-TOTAL_FORMS"], post[f"{key}-INITIAL_FORMS"] = str(len(rows)), "0"
        for i, row in enumerate(rows):
            for name in names:
                value = row.get(name, "")
                post[f"{key}-{i}-{name}"] = ", ".join(value) if isinstance(value, list) else value
    return post


FP_ANSWERS = dict(zip(scales.FITZPATRICK_ITEMS, (2, 2, 3, 2, 3, 2, 2, 3, 2, 2), strict=True))  # 23: IV

# mMASI by hand, Σ weight * A * D: forehead 20% -> A 2, D 2: 0.3*2*2 = 1.2; right malar 35% ->
# A 3, D 3: 2.7; left malar A 3 given, D 2: 1.8; chin 0% -> 0. Total 5.7.
# MASI adds homogeneity: 0.3*2*(2+1) + 0.3*3*(3+2) + 0.3*3*(2+2) + 0 = 1.8 + 4.5 + 3.6 = 9.9.
MASI_POST = {
    "masi_forehead_percent": "20",
    "masi_forehead_darkness": "2",
    "masi_forehead_homogeneity": "1",
    "masi_right_malar_percent": "35",
    "masi_right_malar_darkness": "3",
    "masi_right_malar_homogeneity": "2",
    "masi_left_malar_score": "3",
    "masi_left_malar_darkness": "2",
    "masi_left_malar_homogeneity": "2",
    "masi_chin_percent": "0",
    "masi_chin_darkness": "0",
    "masi_chin_homogeneity": "0",
}


def assessment_post(**changes: Any) -> dict[str, Any]:
    post = {f"fp_{k}": str(v) for k, v in FP_ANSWERS.items()}
    post |= {
        "goodman_baron_grade": "3",
        "scar_cheeks_icepick": "3",
        "scar_cheeks_boxcar": "8",
        "scar_cheeks_rolling": "10",
        "scar_forehead_boxcar": "2",
        **MASI_POST,
        "notes": "Rolling scars on both cheeks.",
    }
    return post | changes


def course_post(course: Course, **changes: Any) -> dict[str, Any]:
    """Return the plan editor's POST with the course's current plan, then `changes`."""
    plan = course.plan
    post: dict[str, Any] = {
        "version": course.version,
        "sessions_count": plan["sessions"]["count"],
        "interval_min": plan["sessions"]["interval_days"]["min"],
        "interval_max": plan["sessions"]["interval_days"]["max"],
        "adjuncts": [a["code"] for a in plan["adjuncts"] if a.get("selected")],
    }
    for a in plan["areas"]:
        post |= {
            f"area_{a['area']}_include": "on",
            f"area_{a['area']}_min": a["depth_mm"]["min"],
            f"area_{a['area']}_max": a["depth_mm"]["max"],
        }
    return post | changes


# ---------------------------------------------------------------------------------------------
# Access
# ---------------------------------------------------------------------------------------------

PAGES = ["overview", "intake", "assessment"]
POSTS = ["rescreen", "intake", "assessment", "assessment_preview", "course_propose"]


@pytest.fixture
def course_a(personas: Any, intake_a: dict[str, Any]) -> Course:
    record(personas, intake_a)
    return propose(personas)


@pytest.mark.parametrize("who", ["front_desk", "patient_a", "patient_b"])
def test_it_refuses_everyone_but_the_clinical_roles(personas, client_for, course_a, who):
    c = client_for(getattr(personas, who))
    pk = personas.record_a.pk
    for name in PAGES:
        assert c.get(url(name, pk)).status_code == 404, name
    for name in POSTS:
        assert c.post(url(name, pk), {}).status_code == 404, name
    assert c.get(url("clearance", pk, "diabetes")).status_code == 404
    assert c.get(url("course", pk, course_a.pk)).status_code == 404
    for name in ("course_approve", "depth_override"):
        assert c.post(url(name, pk, course_a.pk), {"version": 1}).status_code == 404, name
    assert Course.objects.get().status == "draft"
    assert not AuditEvent.objects.filter(actor=getattr(personas, who)).exists()


def test_it_sends_anonymous_visitors_to_log_in(personas, client, course_a):
    pk = personas.record_a.pk
    for target in (url("overview", pk), url("course", pk, course_a.pk)):
        response = client.get(target)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert client.post(url("course_approve", pk, course_a.pk), {"version": 1}).status_code == 302
    assert Course.objects.get().status == "draft"


def test_it_gives_404_for_a_course_under_another_patients_address(personas, client_for, course_a):
    c = client_for(personas.practitioner)
    assert c.get(url("course", personas.record_b.pk, course_a.pk)).status_code == 404
    assert not AuditEvent.objects.filter(object_type="clinic.course", action="view").exists()
    assert c.get(url("course", personas.record_a.pk, 9999)).status_code == 404
    assert c.get(url("overview", 9999)).status_code == 404


# ---------------------------------------------------------------------------------------------
# Overview
# ---------------------------------------------------------------------------------------------


def test_it_shows_the_screening_findings_and_intake_versions(personas, client_for, intake_a):
    record(personas, intake_a)
    record(personas, with_(intake_a, **DIABETES))
    response = client_for(personas.practitioner).get(url("overview", personas.record_a.pk))
    assert response.status_code == 200
    text = response.content.decode()
    assert "Needs a doctor&#x27;s clearance" in text or "Needs a doctor's clearance" in text
    assert 'data-decision="needs_clearance"' in text
    finding = latest_screening(personas.record_a).result["findings"][0]
    assert finding["rule"] in text and finding["sources"][0] in text
    assert "default version 2026.11.1" in text
    assert text.index("Version 2 ·") < text.index("Version 1 ·")  # newest first
    assert "Consultation" in text and "Paula" in text  # source and who
    assert url("clearance", personas.record_a.pk, "diabetes") in text
    assert AuditEvent.objects.filter(
        action="view", patient_id=personas.record_a.pk, actor=personas.practitioner
    ).exists()


def test_it_pins_the_overview_query_count(personas, client_for, intake_a, django_assert_num_queries):
    c = client_for(personas.director)
    record(personas, with_(intake_a, **DIABETES))
    clearance_give(
        patient=personas.record_a,
        finding_code="diabetes",
        basis="Endocrinologist's letter",
        actor=personas.director,
    )
    propose(personas)
    target = url("overview", personas.record_a.pk)
    c.get(target)  # warm the session and the protocol cache
    with django_assert_num_queries(9):
        assert c.get(target).status_code == 200
    for _ in range(3):
        record(personas, intake_a)
        propose(personas)
    assessment_record(patient=personas.record_a, actor=personas.practitioner, goodman_baron_grade=2)
    with django_assert_num_queries(9):
        assert c.get(target).status_code == 200


# ---------------------------------------------------------------------------------------------
# Intake editor
# ---------------------------------------------------------------------------------------------


def test_it_saves_the_intake_form_as_a_new_version_and_screens_it(personas, client_for, intake_a):
    first = record(personas, intake_a).intake
    c = client_for(personas.practitioner)
    page = c.get(url("intake", personas.record_a.pk))
    assert page.status_code == 200 and "version 2" in page.content.decode()
    changed = with_(
        intake_a,
        areas=["cheeks", "chin"],
        goals=["acne_scars", "texture"],
        medications=[{"name": "isotretinoin", "status": "stopped", "last_taken": "2026-09-01"}],
    )
    response = c.post(url("intake", personas.record_a.pk), intake_post(changed))
    assert response.status_code == 302
    newest = Intake.objects.filter(patient=personas.record_a).order_by("-number").first()
    assert newest.number == 2 and newest.source == "consultation"
    assert newest.created_by == personas.practitioner
    assert newest.data["areas"] == ["cheeks", "chin"] and newest.data["goals"][1] == "texture"
    assert newest.data["medications"][0]["last_taken"] == "2026-09-01"
    assert Intake.objects.get(pk=first.pk).data == first.data  # the old version is untouched
    screening = latest_screening(personas.record_a)
    assert screening.intake == newest and screening.decision == "defer"
    assert AuditEvent.objects.filter(
        action="create", object_type="clinic.intake", object_id=str(newest.pk)
    ).exists()


def test_it_adds_a_row_keeping_what_was_typed_and_saves_nothing(personas, client_for, intake_a):
    c = client_for(personas.practitioner)
    assert 'name="add_row" value="medications"' in c.get(url("intake", personas.record_a.pk)).content.decode()
    typed = with_(
        intake_a,
        medications=[
            {"name": "warfarin", "status": "current"},
            {"name": "isotretinoin", "status": "stopped", "last_taken": "2026-09-01"},
        ],
    )
    post = {**intake_post(typed), "add_row": "medications"}
    response = c.post(url("intake", personas.record_a.pk), post)
    assert response.status_code == 200
    rows = response.context["rows"]["medications"]
    assert rows.total_form_count() == int(post["medications-TOTAL_FORMS"]) + 1
    assert [r["name"].value() for r in rows.forms[:2]] == ["warfarin", "isotretinoin"]
    assert rows.forms[-1]["name"].value() in (None, "")
    html = response.content.decode()
    assert 'value="warfarin"' in html and "errorlist" not in html  # not judged before saving
    assert not Intake.objects.exists() and not Screening.objects.exists()
    # the longer form, sent back as the browser shows it (the new row as rendered), saves every row
    new_row = {f.html_name: f.value() or "" for f in rows.forms[-1]}
    longer = {**intake_post(typed), **new_row, "medications-TOTAL_FORMS": str(rows.total_form_count())}
    saved = c.post(url("intake", personas.record_a.pk), longer)
    assert saved.status_code == 302
    assert [m["name"] for m in Intake.objects.get().data["medications"]] == ["warfarin", "isotretinoin"]


def test_it_refuses_a_bad_intake_naming_the_field_and_saves_nothing(personas, client_for, intake_a):
    c = client_for(personas.practitioner)
    bad = with_(intake_a, medications=[{"name": "warfarin", "status": "stopped", "last_taken": "2027-01-01"}])
    response = c.post(url("intake", personas.record_a.pk), intake_post(bad))
    assert response.status_code == 400
    assert "medications.0.last_taken" in response.content.decode()
    late = with_(intake_a, procedures=[{"code": "laser", "kind": "ablative", "date": "2027-01-01"}])
    response = c.post(url("intake", personas.record_a.pk), intake_post(late))
    assert response.status_code == 400 and "procedures.0.date" in response.content.decode()
    assert not Intake.objects.exists() and not Screening.objects.exists()


def test_it_shows_the_cores_message_on_the_form_row_it_concerns(personas, client_for, intake_a):
    post = intake_post(
        with_(
            intake_a,
            conditions=[
                {"code": "", "status": "active"},  # an empty row, left out of the intake
                {"code": "tattoo", "status": "active", "areas": ["elbow"]},
            ],
        )
    )
    response = client_for(personas.practitioner).post(url("intake", personas.record_a.pk), post)
    assert response.status_code == 400
    rows = response.context["rows"]["conditions"].forms
    assert not rows[0].errors and "unknown area code 'elbow'" in rows[1].errors["areas"][0]
    assert not Intake.objects.exists()


def test_it_refuses_an_intake_form_with_a_missing_area(personas, client_for, intake_a):
    post = intake_post(intake_a)
    post.pop("areas")
    c = client_for(personas.practitioner)
    response = c.post(url("intake", personas.record_a.pk), post)
    assert response.status_code == 400 and "This field is required" in response.content.decode()
    half_row = intake_post(with_(intake_a, conditions=[{"status": "active", "date": "2026-01-02"}]))
    response = c.post(url("intake", personas.record_a.pk), half_row)
    assert response.status_code == 400
    assert "Choose the condition or clear the row." in response.content.decode()
    assert not Intake.objects.exists()


def test_it_stores_neither_intake_nor_screening_when_screening_fails(personas, intake_a, monkeypatch):
    def broken(**kwargs: Any) -> None:
        raise ServiceError("the screener is down", field="")

    monkeypatch.setattr("needlepoint.clinic.services.screening.screening_run", broken)
    with pytest.raises(ServiceError):
        record(personas, intake_a)
    assert not Intake.objects.exists() and not AuditEvent.objects.filter(action="create").exists()


# ---------------------------------------------------------------------------------------------
# Clearances
# ---------------------------------------------------------------------------------------------


def test_it_records_a_clearance_and_the_finding_shows_cleared(personas, client_for, intake_a):
    record(personas, with_(intake_a, **DIABETES))
    c = client_for(personas.practitioner)
    target = url("clearance", personas.record_a.pk, "diabetes")
    assert "Record the clearance" in c.get(target).content.decode()
    refused = c.post(target, {"basis": "   "})
    assert refused.status_code == 400 and "on what basis" in refused.content.decode()
    assert not Clearance.objects.exists()
    assert c.post(target, {"basis": "HbA1c 48, GP letter of 2026-11-01"}).status_code == 302
    clearance = Clearance.objects.get()
    assert clearance.given_by == personas.practitioner and clearance.revoked_at is None
    screening = latest_screening(personas.record_a)
    assert screening.decision == "proceed_with_precautions"
    assert screening.cleared_codes == ["diabetes"] and screening.result["findings"][0]["cleared"]
    text = c.get(url("overview", personas.record_a.pk)).content.decode()
    assert "Cleared" in text and "HbA1c 48" in text
    assert AuditEvent.objects.filter(action="create", object_type="clinic.clearance").exists()


def test_it_revokes_a_clearance_and_screens_again(personas, client_for, intake_a):
    record(personas, with_(intake_a, **DIABETES))
    clearance = clearance_give(
        patient=personas.record_a, finding_code="diabetes", basis="GP letter", actor=personas.director
    )
    c = client_for(personas.practitioner)
    target = url("clearance_revoke", personas.record_a.pk, clearance.pk)
    assert c.post(target).status_code == 302
    clearance.refresh_from_db()
    assert clearance.revoked_by == personas.practitioner and clearance.revoked_at is not None
    assert latest_screening(personas.record_a).decision == "needs_clearance"
    assert c.post(target).status_code == 400  # revoking twice is refused
    assert c.post(url("clearance_revoke", personas.record_b.pk, clearance.pk)).status_code == 404


def test_it_never_clears_a_contraindication(personas, client_for, intake_a):
    record(personas, with_(intake_a, **BLEEDING))
    c = client_for(personas.director)
    target = url("clearance", personas.record_a.pk, "bleeding_disorder")
    assert "Record the clearance" not in c.get(target).content.decode()
    response = c.post(target, {"basis": "Haematologist says fine"})
    assert response.status_code == 400
    assert "only a finding that needs a doctor" in response.content.decode()
    with pytest.raises(Blocked):
        clearance_give(
            patient=personas.record_a, finding_code="bleeding_disorder", basis="x", actor=personas.director
        )
    with pytest.raises(ServiceError, match="no finding"):
        clearance_give(patient=personas.record_a, finding_code="diabetes", basis="x", actor=personas.director)
    assert not Clearance.objects.exists()
    assert latest_screening(personas.record_a).decision == "contraindicated"


def test_it_refuses_a_second_clearance_of_the_same_finding(personas, intake_a):
    record(personas, with_(intake_a, **DIABETES))
    clearance_give(
        patient=personas.record_a, finding_code="diabetes", basis="GP letter", actor=personas.director
    )
    with pytest.raises(ServiceError, match="already cleared"):
        clearance_give(
            patient=personas.record_a, finding_code="diabetes", basis="again", actor=personas.practitioner
        )
    with pytest.raises(ServiceError, match="Only the medical director or a practitioner"):
        clearance_give(
            patient=personas.record_a, finding_code="diabetes", basis="x", actor=personas.front_desk
        )
    assert Clearance.objects.count() == 1


# ---------------------------------------------------------------------------------------------
# Assessment
# ---------------------------------------------------------------------------------------------


def test_it_previews_scores_as_a_partial_for_htmx_and_as_the_page_otherwise(personas, client_for, intake_a):
    record(personas, intake_a)
    c = client_for(personas.practitioner)
    target = url("assessment_preview", personas.record_a.pk)
    partial = c.post(target, assessment_post(), headers={"HX-Request": "true"})
    text = partial.content.decode()
    assert partial.status_code == 200
    assert text.lstrip().startswith('<section id="scores"') and "<html" not in text
    assert 'data-score="mmasi">5.7<' in text and 'data-score="masi">9.9<' in text
    assert "IV — Light-brown skin" in text and "questionnaire total 23" in text
    assert "Grade 3 (moderate)" in text and "total 23" in text  # 3 + 8 + 10 + 2 scars
    page = c.post(target, assessment_post())
    assert page.status_code == 200
    assert "<html" in page.content.decode() and 'data-score="mmasi">5.7<' in page.content.decode()
    assert 'hx-trigger="input changed delay:300ms"' in page.content.decode()
    assert not Assessment.objects.exists()


def test_it_shows_scale_errors_in_the_preview(personas, client_for, intake_a):
    record(personas, intake_a)
    c = client_for(personas.practitioner)
    response = c.post(
        url("assessment_preview", personas.record_a.pk),
        assessment_post(masi_forehead_darkness="7", phototype="6"),
        headers={"HX-Request": "true"},
    )
    text = response.content.decode()
    assert "mMASI darkness for forehead must be 0-4, got 7" in text
    assert "The questionnaire gives phototype IV" in text


def test_it_records_an_assessment_with_scores_computed_on_the_server(personas, client_for, intake_a):
    record(personas, intake_a)
    c = client_for(personas.practitioner)
    assert c.get(url("assessment", personas.record_a.pk)).status_code == 200
    response = c.post(
        url("assessment", personas.record_a.pk), assessment_post(mmasi="24", masi="48")
    )  # a client's own scores are ignored
    assert response.status_code == 302
    a = Assessment.objects.get()
    assert (a.phototype, a.goodman_baron_grade, a.mmasi, a.masi) == (4, 3, 5.7, 9.9)
    assert a.phototype_answers == FP_ANSWERS and a.assessed_by == personas.practitioner
    # a count left blank is "not counted" (None), never 0
    assert a.scar_counts == {
        "cheeks": {"icepick": 3, "boxcar": 8, "rolling": 10, "hypertrophic": None},
        "forehead": {"icepick": None, "boxcar": 2, "rolling": None, "hypertrophic": None},
    }
    overview = c.get(url("overview", personas.record_a.pk)).content.decode()
    assert "forehead: icepick not counted, boxcar 2, rolling not counted" in overview
    assert a.masi_regions["forehead"] == {"area_percent": 20.0, "darkness": 2, "homogeneity": 1, "area": 2}
    assert AuditEvent.objects.filter(action="create", object_type="clinic.assessment").exists()


def test_it_refuses_a_bad_assessment_and_saves_nothing(personas, client_for, intake_a):
    record(personas, intake_a)
    c = client_for(personas.practitioner)
    target = url("assessment", personas.record_a.pk)
    response = c.post(
        target, assessment_post(masi_chin_percent="", masi_chin_darkness="", masi_chin_homogeneity="")
    )
    assert response.status_code == 400 and "missing region(s): chin" in response.content.decode()
    response = c.post(target, assessment_post(scar_cheeks_rolling="-2"))
    assert response.status_code == 400 and "scar count for rolling in cheeks" in response.content.decode()
    response = c.post(target, assessment_post(scar_cheeks_rolling="many"))
    assert response.status_code == 400 and "Enter a whole number" in response.content.decode()
    assert c.post(target, {}).status_code == 400
    assert not Assessment.objects.exists()


def test_it_computes_mmasi_without_homogeneity_and_masi_only_with_it():
    regions = {
        r: {"area_score": 2, "darkness": 1, "homogeneity": None, "area_percent": None}
        for r in scales.MASI_REGION_WEIGHTS
    }
    scores = assessment_scores(masi_regions=regions)
    assert scores.mmasi == 2.0 and scores.masi is None and not scores.errors  # Σ w*2*1, Σw = 1
    regions["chin"]["homogeneity"] = 1
    assert "masi_regions.forehead" in assessment_scores(masi_regions=regions).errors


# ---------------------------------------------------------------------------------------------
# Course: the practitioner's path from intake to an approved course
# ---------------------------------------------------------------------------------------------


def test_it_runs_a_consultation_to_an_approved_course(personas, client_for, intake_a):
    pk = personas.record_a.pk
    paula, maria = client_for(personas.practitioner), client_for(personas.director)
    assert paula.post(url("intake", pk), intake_post(intake_a)).status_code == 302
    assert latest_screening(personas.record_a).decision == "eligible"
    assert paula.post(url("assessment", pk), assessment_post()).status_code == 302

    response = paula.post(url("course_propose", pk), {"start_date": "2026-12-01"})
    course = Course.objects.get()
    assert response.status_code == 302 and response["Location"] == url("course", pk, course.pk)
    assert course.status == "draft" and course.plan["bookable"] and course.version == 1
    assert course.assessment == Assessment.objects.get()
    assert course.protocol_version == "2026.11.1" and course.goal == "acne_scars"
    assert [a["area"] for a in course.plan["areas"]] == ["cheeks", "forehead"]
    assert paula.get(url("course", pk, course.pk)).status_code == 200

    # Within the limits: saved, version bumped, the session windows follow the new interval.
    edit = course_post(
        course,
        area_cheeks_min="0.75",
        area_cheeks_max="1.25",
        sessions_count="5",
        interval_min="30",
        interval_max="45",
        adjuncts=["prp"],
    )
    assert paula.post(url("course", pk, course.pk), edit).status_code == 302
    course.refresh_from_db()
    assert course.version == 2
    assert course.plan["areas"][0]["depth_mm"] == {"min": 0.75, "max": 1.25}
    assert course.plan["sessions"] == {"count": 5, "interval_days": {"min": 30, "max": 45}}
    assert [w["earliest"] for w in course.plan["schedule"]] == [
        "2026-12-15",
        "2027-01-14",
        "2027-02-13",
        "2027-03-15",
        "2027-04-14",
    ]  # 1 Dec + 14 days' preparation
    assert [a["code"] for a in course.plan["adjuncts"] if a["selected"]] == ["prp"]

    # A stale edit (opened at version 1) is refused, not merged.
    stale = paula.post(url("course", pk, course.pk), {**edit, "version": "1", "area_cheeks_max": "1.0"})
    assert stale.status_code == 409 and "Someone else changed" in stale.content.decode()
    # ... what this user typed is kept in the form, to make again on the plan as saved
    assert re.search(r'name="area_cheeks_max" value="1.0"', stale.content.decode())
    # ... and the page offers no approval of a plan nobody on it has read: reload first.
    assert url("course_approve", pk, course.pk) not in stale.content.decode()
    assert "Reload the plan as saved" in stale.content.decode()
    assert url("course_approve", pk, course.pk) in paula.get(url("course", pk, course.pk)).content.decode()
    course.refresh_from_db()
    assert course.version == 2 and course.plan["areas"][0]["depth_mm"]["max"] == 1.25

    # Beyond the forehead's ceiling (0.5 mm): refused without the director's override.
    deep = course_post(course, area_forehead_max="0.8")
    refused = paula.post(url("course", pk, course.pk), deep)
    assert refused.status_code == 400 and "ceiling of 0.5 mm" in refused.content.decode()
    course.refresh_from_db()
    assert course.version == 2 and course.plan["areas"][1]["depth_mm"]["max"] == 0.5

    # The practitioner cannot override; the director can, with a reason.
    override = {"area": "forehead", "depth_max_mm": "0.8", "reason": "Deep boxcar scars"}
    refused = paula.post(url("depth_override", pk, course.pk), override)
    assert refused.status_code == 400 and "Only the medical director" in refused.content.decode()
    assert not DepthOverride.objects.exists()
    assert maria.post(url("depth_override", pk, course.pk), {**override, "reason": " "}).status_code == 400
    assert maria.post(url("depth_override", pk, course.pk), override).status_code == 302
    granted = DepthOverride.objects.get()
    assert granted.given_by == personas.director and granted.depth_max_mm == Decimal("0.80")
    assert (
        paula.post(url("course", pk, course.pk), course_post(course, area_forehead_max="0.9")).status_code
        == 400
    )  # beyond the override too
    assert paula.post(url("course", pk, course.pk), deep).status_code == 302
    course.refresh_from_db()
    assert course.version == 3 and course.plan["areas"][1]["depth_mm"]["max"] == 0.8

    # Approval: sessions 1..5 planned, not yet booked; the plan is then closed to edits.
    assert paula.post(url("course_approve", pk, course.pk), {"version": "2"}).status_code == 409
    assert paula.post(url("course_approve", pk, course.pk), {"version": "3"}).status_code == 302
    course.refresh_from_db()
    assert course.status == "approved" and course.approved_by == personas.practitioner
    assert course.approved_at is not None and course.version == 4
    sessions = list(TreatmentSession.objects.filter(course=course).order_by("number"))
    assert [s.number for s in sessions] == [1, 2, 3, 4, 5]
    assert all(s.status == "planned" and s.visit_at is None for s in sessions)
    assert all(s.patient_id == pk for s in sessions)
    closed = paula.post(url("course", pk, course.pk), course_post(course))
    assert closed.status_code == 400 and "no longer be edited" in closed.content.decode()
    assert "Session 5: Planned" in paula.get(url("course", pk, course.pk)).content.decode()

    changes = AuditEvent.objects.filter(object_type="clinic.course", object_id=str(course.pk))
    assert changes.filter(action="create").count() == 1
    assert changes.filter(action="change").count() == 3  # two edits and the approval
    assert changes.filter(action="view").exists()
    assert AuditEvent.objects.filter(
        object_type="clinic.depthoverride", action="create", patient_id=pk
    ).exists()
    assert AuditEvent.objects.filter(object_type="clinic.treatmentsession").count() == 5


def test_it_shows_the_plan_as_saved_with_its_windows_in_words(personas, client_for, course_a):
    plan = course_a.plan
    page = client_for(personas.practitioner).get(url("course", personas.record_a.pk, course_a.pk))
    html = page.content.decode()
    count, days = plan["sessions"]["count"], plan["sessions"]["interval_days"]
    assert f"{count} sessions, {days['min']}\N{EN DASH}{days['max']} days apart." in html
    assert f"creates its {count} sessions" in html
    first = plan["schedule"][0]
    earliest, latest = (dt.date.fromisoformat(first[k]) for k in ("earliest", "latest"))
    assert f"Session 1: {earliest.day} {earliest:%B %Y} to {latest.day} {latest:%B %Y}" in html
    assert plan["expectations"]["text"] in html
    care = plan["care"][0]
    assert f"Day {care['offset_days']}: {care['text']}" in html


def test_it_refuses_to_approve_while_the_patient_is_pregnant(personas, client_for, intake_a):
    record(personas, with_(intake_a, **PREGNANT))
    course = propose(personas)
    assert not course.plan["bookable"] and course.plan["blocked_by"] == ["pregnancy"]
    c = client_for(personas.practitioner)
    assert "Cannot be approved yet" in c.get(url("course", personas.record_a.pk, course.pk)).content.decode()
    response = c.post(url("course_approve", personas.record_a.pk, course.pk), {"version": "1"})
    assert response.status_code == 400 and "Treatment has to wait" in response.content.decode()
    course.refresh_from_db()
    assert course.status == "draft" and course.version == 1
    assert not TreatmentSession.objects.exists()


def test_it_approves_only_once_the_needed_clearance_is_given(personas, intake_a):
    record(personas, with_(intake_a, **DIABETES))
    course = propose(personas)
    with pytest.raises(Blocked, match="clearance is still needed"):
        course_approve(course=course, actor=personas.practitioner, expected_version=1)
    assert not TreatmentSession.objects.exists()
    clearance_give(
        patient=personas.record_a,
        finding_code="diabetes",
        basis="Endocrinologist: well controlled",
        actor=personas.practitioner,
    )
    course_approve(course=course, actor=personas.practitioner, expected_version=1)
    course.refresh_from_db()
    assert course.status == "approved" and course.screening == latest_screening(personas.record_a)
    assert course.plan["bookable"] and course.plan["screening"]["decision"] == "proceed_with_precautions"
    assert TreatmentSession.objects.filter(course=course).count() == course.plan["sessions"]["count"]


def test_it_refuses_to_approve_a_contraindicated_patient(personas, intake_a):
    record(personas, with_(intake_a, **BLEEDING))
    course = propose(personas)
    assert course.plan["areas"] == [] and not course.plan["bookable"]
    with pytest.raises(Blocked, match="rules microneedling out") as refused:
        course_approve(course=course, actor=personas.director, expected_version=1)
    assert "contraindicated" in refused.value.extra["codes"]


def test_it_leaves_nothing_half_approved_when_a_session_cannot_be_created(personas, course_a, monkeypatch):
    real_save = TreatmentSession.save

    def failing_save(self: TreatmentSession, *args: Any, **kwargs: Any) -> None:
        if self.number == 3:
            raise IntegrityError("disk full")
        real_save(self, *args, **kwargs)

    monkeypatch.setattr(TreatmentSession, "save", failing_save)
    with pytest.raises(IntegrityError):
        course_approve(course=course_a, actor=personas.practitioner, expected_version=1)
    course_a.refresh_from_db()
    assert course_a.status == "draft" and course_a.version == 1 and course_a.approved_at is None
    assert not TreatmentSession.objects.exists()
    assert not AuditEvent.objects.filter(object_type="clinic.course", action="change").exists()


def test_it_refuses_approval_after_the_intake_changed(personas, intake_a):
    record(personas, intake_a)
    course = propose(personas)
    record(personas, with_(intake_a, areas=["cheeks"]))
    with pytest.raises(Blocked, match="intake has changed"):
        course_approve(course=course, actor=personas.practitioner, expected_version=1)


def test_it_never_plans_an_area_the_screening_excluded(personas, client_for, intake_a):
    record(personas, with_(intake_a, **TATTOO_FOREHEAD))
    course = propose(personas)
    assert [a["area"] for a in course.plan["areas"]] == ["cheeks"]
    page = client_for(personas.practitioner).get(url("course", personas.record_a.pk, course.pk))
    assert "area_forehead_max" not in page.content.decode()
    assert "Excluded by the screening" in page.content.decode()
    add = {
        "areas": [{"area": "cheeks", "min": 0.5, "max": 1.0}, {"area": "forehead", "min": 0.25, "max": 0.5}]
    }
    with pytest.raises(ServiceError) as caught:
        course_edit(course=course, actor=personas.practitioner, expected_version=1, changes=add)
    assert caught.value.field == "areas.forehead"
    course.refresh_from_db()
    assert course.version == 1


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"areas": [{"area": "cheeks", "min": 1.2, "max": 1.0}]}, "areas.cheeks.min"),
        ({"areas": [{"area": "cheeks", "min": 0, "max": 1.0}]}, "areas.cheeks.min"),
        ({"areas": [{"area": "cheeks", "min": 0.5, "max": None}]}, "areas.cheeks.max"),
        ({"areas": [{"area": "cheeks", "min": 0.5, "max": 6}]}, "areas.cheeks.max"),
        ({"areas": []}, "areas"),
        ({"sessions": {"count": 0, "interval_min": 28, "interval_max": 60}}, "sessions.count"),
        ({"sessions": {"count": 4, "interval_min": 7, "interval_max": 60}}, "sessions.interval_min"),
        ({"sessions": {"count": 4, "interval_min": 50, "interval_max": 40}}, "sessions.interval_min"),
        ({"sessions": {"count": 4, "interval_min": 28, "interval_max": 900}}, "sessions.interval_max"),
        ({"adjuncts": ["botox"]}, "adjuncts"),
        ({"goal": "melasma"}, "changes"),
    ],
)
def test_it_refuses_edits_outside_the_protocols_limits(personas, course_a, changes, field):
    before = course_a.plan
    with pytest.raises(ServiceError) as caught:
        course_edit(course=course_a, actor=personas.practitioner, expected_version=1, changes=changes)
    assert caught.value.field == field and caught.value.message
    course_a.refresh_from_db()
    assert course_a.version == 1 and course_a.plan == before


def test_it_refuses_a_stale_edit_in_the_service(personas, course_a):
    other = Course.objects.get(pk=course_a.pk)
    course_edit(course=other, actor=personas.director, expected_version=1, changes={"adjuncts": ["prf"]})
    with pytest.raises(StaleEdit):
        course_edit(
            course=course_a, actor=personas.practitioner, expected_version=1, changes={"adjuncts": ["prp"]}
        )
    course_a.refresh_from_db()
    assert [a["code"] for a in course_a.plan["adjuncts"] if a["selected"]] == ["prf"]


def test_it_keeps_overrides_to_the_medical_director(personas, course_a):
    give = dict(course=course_a, area="cheeks", depth_max_mm=Decimal("2.0"), reason="Deep rolling")
    with pytest.raises(ServiceError, match="Only the medical director"):
        depth_override_give(actor=personas.practitioner, **give)
    with pytest.raises(ServiceError) as caught:
        depth_override_give(actor=personas.director, **{**give, "reason": ""})
    assert caught.value.field == "reason"
    with pytest.raises(ServiceError, match="no override is needed"):
        depth_override_give(actor=personas.director, **{**give, "depth_max_mm": 1.5})
    with pytest.raises(ServiceError) as caught:
        depth_override_give(actor=personas.director, **{**give, "area": "neck"})
    assert caught.value.field == "area"
    assert not DepthOverride.objects.exists()
    depth_override_give(actor=personas.director, **give)
    depth_override_give(actor=personas.director, **{**give, "depth_max_mm": 2.5})
    assert DepthOverride.objects.get().depth_max_mm == Decimal("2.50")  # replaced, audited twice
    assert AuditEvent.objects.filter(object_type="clinic.depthoverride").count() == 2


def test_it_proposes_only_from_a_current_screening(personas, intake_a):
    with pytest.raises(ServiceError, match="Record and screen an intake"):
        propose(personas)
    record(personas, with_(intake_a, **DIABETES))
    # A clearance written behind the services' back: the stored screening is now out of date.
    Clearance.objects.create(
        patient=personas.record_a,
        finding_code="diabetes",
        basis="x",
        screening=latest_screening(personas.record_a),
        given_by=personas.director,
    )
    with pytest.raises(ServiceError, match="screen the intake again"):
        propose(personas)
    screening_refresh(patient=personas.record_a, actor=personas.practitioner)
    assert propose(personas).plan["bookable"]


def test_it_refuses_a_start_date_in_the_past_on_the_form(personas, client_for, intake_a):
    record(personas, intake_a)
    response = client_for(personas.practitioner).post(
        url("course_propose", personas.record_a.pk), {"start_date": "2020-01-01"}
    )
    assert response.status_code == 400 and "cannot start in the past" in response.content.decode()
    assert not Course.objects.exists()


def test_the_edited_schedule_follows_the_planners_rule(personas, intake_a):
    core_intake = parse_intake_data(with_(intake_a, patient={"birth_date": "1994-03-02"}))
    plan = planner().plan(core_intake, screener().screen(core_intake), TODAY).as_dict()
    first = dt.date.fromisoformat(plan["schedule"][0]["earliest"])
    window = plan["sessions"]["interval_days"]
    assert (
        plan_schedule(first, plan["sessions"]["count"], window["min"], window["max"], False)
        == plan["schedule"]
    )


def test_it_names_every_assessment_input_for_screen_readers(client_for, personas):
    page = (
        client_for(personas.practitioner)
        .get(reverse("clinic:consultation_assessment", args=[personas.record_a.pk]))
        .content.decode()
    )
    labelled = set(re.findall(r'<label for="([^"]+)"', page))
    inputs = re.findall(r'<input type="number"[^>]*>', page)
    unnamed = [
        i for i in inputs if "aria-label=" not in i and re.search(r'id="([^"]+)"', i).group(1) not in labelled
    ]
    assert inputs and unnamed == []
    assert re.search(r'aria-label="\w+ icepick"', page) and 'aria-label="forehead: darkness"' in page


def test_it_offers_chart_this_session_only_for_a_booked_session_whose_day_has_come(
    personas, intake_a, client_for
):
    from clock import FROZEN_NOW
    from visit_helpers import book_visit

    record(personas, intake_a)
    course = course_approve(course=propose(personas), actor=personas.director, expected_version=1)
    first, second, third = course.sessions.order_by("number")[:3]
    book_visit(first, FROZEN_NOW)  # today
    book_visit(second, FROZEN_NOW + dt.timedelta(days=35))  # Monday 28 December 2026
    page = (
        client_for(personas.practitioner).get(url("course", personas.record_a.pk, course.pk)).content.decode()
    )
    chart = reverse("clinic:charting_chart", args=[first.pk])
    assert f'<a href="{chart}">chart this session</a>' in page
    assert "charted on its day, 28 December 2026" in page
    assert "book it first" in page  # session 3 has no appointment
    assert reverse("clinic:charting_chart", args=[second.pk]) not in page
    assert reverse("clinic:charting_chart", args=[third.pk]) not in page
