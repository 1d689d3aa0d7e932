"""Consultation steps taken out of order, through the clinic's pages: screening again before
any intake, clearing a finding before any screening, proposing a course before any intake,
approving without the plan's version, with an old version, or after the intake changed since
the plan was proposed; a clearance given twice or for a finding the screening does not have; an
assessment whose phototype, questionnaire or Goodman & Baron grade is
out of the scale, or whose phototype disagrees with its questionnaire, or that holds nothing.
Each is refused with a message saying what to do, and nothing is saved.

The clock is frozen (ticking) at Monday 23 November 2026, 09:00 in London (GMT); the intake
fixture was assessed on 22 November 2026."""

import datetime as dt

import pytest
from django.urls import reverse

from needlepoint.clinic.models import Assessment, Clearance, Course, Screening
from needlepoint.clinic.services import ServiceError
from needlepoint.clinic.services.assessment import assessment_record
from needlepoint.clinic.services.course_plan import course_propose
from needlepoint.clinic.services.screening import intake_record
from needlepoint.clinical import scales

START = "2026-12-01"


def url(name, *args):
    return reverse(f"clinic:consultation_{name}", args=args)


@pytest.fixture
def draft(personas, intake_a):
    """Anna's screened intake and the draft course proposed from it."""
    intake_record(patient=personas.record_a, data=intake_a, actor=personas.practitioner)
    return course_propose(
        patient=personas.record_a, actor=personas.practitioner, start_date=dt.date(2026, 12, 1)
    )


def test_it_refuses_to_screen_again_before_any_intake(client_for, personas):
    response = client_for(personas.practitioner).post(url("rescreen", personas.record_a.pk))
    assert (response.status_code, Screening.objects.count()) == (400, 0)
    assert "There is no intake to screen yet: record one first." in response.content.decode()


def test_it_refuses_to_clear_a_finding_before_any_screening(client_for, personas):
    response = client_for(personas.director).post(
        url("clearance", personas.record_a.pk, "diabetes"), {"basis": "Letter from Dr Osei, 2 November 2026."}
    )
    assert (response.status_code, Clearance.objects.count()) == (400, 0)
    assert "There is no screening yet, so there is nothing to clear." in response.content.decode()


def test_it_refuses_to_propose_a_course_before_any_intake(client_for, personas):
    response = client_for(personas.practitioner).post(
        url("course_propose", personas.record_a.pk), {"start_date": START}
    )
    assert (response.status_code, Course.objects.count()) == (400, 0)
    page = response.content.decode()
    assert "A plan cannot be proposed yet" in page
    assert "There is no intake yet: record one, and it is screened as it is saved." in page


def test_it_refuses_to_propose_a_course_starting_in_the_past(client_for, personas, intake_a):
    intake_record(patient=personas.record_a, data=intake_a, actor=personas.practitioner)
    response = client_for(personas.practitioner).post(
        url("course_propose", personas.record_a.pk), {"start_date": "2026-11-20"}
    )
    assert (response.status_code, Course.objects.count()) == (400, 0)
    assert "The course cannot start in the past." in response.content.decode()


@pytest.mark.parametrize("version", [None, "", "seven"])
def test_it_refuses_an_approval_without_the_plans_version(client_for, personas, draft, version):
    data = {} if version is None else {"version": version}
    response = client_for(personas.director).post(url("course_approve", personas.record_a.pk, draft.pk), data)
    draft.refresh_from_db()
    assert (response.status_code, draft.status) == (400, "draft")
    assert "The form is missing the plan&#x27;s version: reload the page." in response.content.decode()


def test_it_refuses_an_approval_of_an_older_version_of_the_plan(client_for, personas, draft):
    response = client_for(personas.director).post(
        url("course_approve", personas.record_a.pk, draft.pk), {"version": draft.version + 5}
    )
    draft.refresh_from_db()
    assert (response.status_code, draft.status) == (409, "draft")


def test_it_refuses_to_approve_a_plan_made_from_an_earlier_intake(client_for, personas, draft, intake_a):
    intake_record(patient=personas.record_a, data=intake_a, actor=personas.practitioner)
    response = client_for(personas.director).post(
        url("course_approve", personas.record_a.pk, draft.pk), {"version": draft.version}
    )
    draft.refresh_from_db()
    assert (response.status_code, draft.status) == (400, "draft")
    assert (
        "The intake has changed since this plan was proposed: propose a new plan."
        in response.content.decode()
    )


# -- the assessment --------------------------------------------------------------------------------

TYPE_IV = dict(zip(scales.FITZPATRICK_ITEMS, (2, 2, 3, 2, 3, 2, 2, 3, 2, 2), strict=True))  # total 23


def assess(personas, **scores):
    with pytest.raises(ServiceError) as refused:
        assessment_record(patient=personas.record_a, actor=personas.practitioner, **scores)
    assert Assessment.objects.count() == 0
    return refused.value


@pytest.mark.parametrize(
    ("scores", "field"),
    [
        ({"phototype": 7}, "phototype"),
        ({"phototype": "VIII"}, "phototype"),
        ({"phototype_answers": {**TYPE_IV, next(iter(scales.FITZPATRICK_ITEMS)): 9}}, "phototype_answers"),
        ({"phototype_answers": dict(list(TYPE_IV.items())[:4])}, "phototype_answers"),
        ({"goodman_baron_grade": 5}, "goodman_baron_grade"),
        ({"goodman_baron_grade": 0}, "goodman_baron_grade"),
    ],
)
def test_it_refuses_an_assessment_score_outside_its_scale_naming_it(personas, scores, field):
    assert assess(personas, **scores).field == field


def test_it_refuses_a_phototype_that_disagrees_with_the_questionnaire(personas):
    refused = assess(personas, phototype=2, phototype_answers=TYPE_IV)
    assert (refused.field, refused.message) == (
        "phototype",
        "The questionnaire gives phototype IV (total 23) but II was entered: clear one of them.",
    )


def test_it_names_every_problem_of_an_assessment_at_once(personas):
    refused = assess(personas, phototype=9, goodman_baron_grade=7)
    assert sorted(refused.extra["errors"]) == ["goodman_baron_grade", "phototype"]


def test_it_refuses_an_assessment_with_nothing_in_it(personas):
    refused = assess(personas)
    assert (
        refused.message == "Nothing to record: enter a phototype, a grade, scar counts or the MASI regions."
    )


# -- clearances ------------------------------------------------------------------------------------

BASIS = {"basis": "Letter from Dr Osei, GP, 2 November 2026: diabetes well controlled."}


@pytest.fixture
def diabetic(personas, intake_a):
    """Anna's intake says controlled diabetes: the screening waits for a doctor's clearance."""
    intake = {**intake_a, "conditions": [{"code": "diabetes", "status": "controlled"}]}
    return intake_record(patient=personas.record_a, data=intake, actor=personas.practitioner)


def test_it_refuses_to_clear_a_finding_twice(client_for, personas, diabetic):
    client = client_for(personas.director)
    first = client.post(url("clearance", personas.record_a.pk, "diabetes"), BASIS)
    again = client.post(url("clearance", personas.record_a.pk, "diabetes"), BASIS)
    assert (first.status_code, again.status_code, Clearance.objects.count()) == (302, 400, 1)
    assert "This finding is already cleared." in again.content.decode()


def test_it_refuses_to_clear_a_finding_the_screening_does_not_have(client_for, personas, diabetic):
    response = client_for(personas.director).post(url("clearance", personas.record_a.pk, "epilepsy"), BASIS)
    assert (response.status_code, Clearance.objects.count()) == (400, 0)
    assert "The latest screening has no finding &#x27;epilepsy&#x27;." in response.content.decode()
