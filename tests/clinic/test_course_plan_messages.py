"""The draft plan's editor placing the protocol's refusals through the page: a depth range the
wrong way round or a session count of 0 beside the field at fault, a plan with no area above
the form; each answered 400 with "not saved" and the plan left at its version.

Time is frozen at Monday 23 November 2026, 09:00 in London (tests/clock.py); the course is
proposed to start that day."""

from typing import Any

import pytest
from django.urls import reverse

from clock import FROZEN_TODAY
from needlepoint.clinic.models import Course
from needlepoint.clinic.services.course_plan import course_propose
from needlepoint.clinic.services.screening import intake_record


@pytest.fixture
def course(personas, intake_a) -> Course:
    intake_record(patient=personas.record_a, data=intake_a, actor=personas.practitioner)
    return course_propose(patient=personas.record_a, actor=personas.practitioner, start_date=FROZEN_TODAY)


def course_post(course: Course, **changes: Any) -> dict[str, Any]:
    """The editor's POST with the course's current plan, then `changes`."""
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


def edit(client_for, personas, course, data):
    url = reverse("clinic:consultation_course", args=[personas.record_a.pk, course.pk])
    return client_for(personas.practitioner).post(url, data)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"area_cheeks_min": "1.2", "area_cheeks_max": "1.0"}, "area_cheeks_min"),
        ({"sessions_count": "0"}, "sessions_count"),
        ({"interval_min": "50", "interval_max": "40"}, "interval_min"),
    ],
)
def test_it_shows_the_protocols_refusal_beside_the_field(client_for, personas, course, changes, field):
    before = (course.version, course.plan)
    response = edit(client_for, personas, course, course_post(course, **changes))
    errors = response.context["form"].errors
    course.refresh_from_db()
    assert (response.status_code, list(errors), (course.version, course.plan)) == (400, [field], before)
    assert response.context["error"] == f"The plan was not saved: {errors[field][0]}"


def test_it_shows_a_plan_without_areas_refused_above_the_form(client_for, personas, course):
    data = {k: v for k, v in course_post(course).items() if not k.endswith("_include")}
    response = edit(client_for, personas, course, data)
    form = response.context["form"]
    course.refresh_from_db()
    assert (response.status_code, len(form.non_field_errors()), course.version) == (400, 1, 1)
    assert response.context["error"] == f"The plan was not saved: {form.non_field_errors()[0]}"


def test_it_refuses_a_plan_edit_without_numbers_before_asking_the_protocol(client_for, personas, course):
    response = edit(client_for, personas, course, course_post(course, sessions_count="four"))
    course.refresh_from_db()
    assert (response.status_code, response.context["form"].errors, course.version) == (
        400,
        {"sessions_count": ["Enter a whole number."]},
        1,
    )
    assert response.context["error"] == "The plan was not saved: correct the fields marked below."
