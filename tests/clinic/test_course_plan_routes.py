"""The course plan's pages refusing what they cannot act on: approving without the plan's
version (a form from an old page) with the message to reload and the course left a draft, the
approve and override addresses answering GET with 405, the plan page refusing other methods,
and approving under another patient's address answering 404 without approving anything.

Time is frozen at Monday 23 November 2026, 09:00 in London (tests/clock.py); the draft course
starts eight days later."""

import datetime as dt

import pytest
from clinic_helpers import make_course
from django.urls import reverse

from clock import FROZEN_TODAY
from needlepoint.audit.models import AuditEvent
from needlepoint.clinic.models import Course


@pytest.fixture
def draft(personas):
    return make_course(personas, status="draft", start_date=FROZEN_TODAY + dt.timedelta(days=8))


def url(name, patient, course):
    return reverse(f"clinic:consultation_{name}", args=[patient.pk, course.pk])


@pytest.mark.parametrize("version", [None, "", "two"])
def test_it_asks_to_reload_when_the_approval_has_no_plan_version(client_for, personas, draft, version):
    data = {} if version is None else {"version": version}
    response = client_for(personas.director).post(url("course_approve", personas.record_a, draft), data)
    context = response.context
    assert (response.status_code, context["error"], context["error_field"]) == (
        400,
        "The form is missing the plan's version: reload the page.",
        "version",
    )
    assert (Course.objects.get(pk=draft.pk).status, draft.sessions.count()) == ("draft", 0)


@pytest.mark.parametrize("name", ["course_approve", "depth_override"])
def test_it_answers_get_on_the_course_actions_with_405(client_for, personas, draft, name):
    response = client_for(personas.director).get(url(name, personas.record_a, draft))
    assert (response.status_code, response["Allow"]) == (405, "POST")


def test_it_answers_other_methods_on_the_plan_page_with_405(client_for, personas, draft):
    response = client_for(personas.director).delete(url("course", personas.record_a, draft))
    assert (response.status_code, sorted(response["Allow"].split(", "))) == (405, ["GET", "POST"])
    assert Course.objects.filter(pk=draft.pk).exists()


def test_it_approves_nothing_under_another_patients_address(client_for, personas, draft):
    response = client_for(personas.director).post(
        url("course_approve", personas.record_b, draft), {"version": str(draft.version)}
    )
    viewed = AuditEvent.objects.filter(object_type="clinic.course", actor=personas.director).exists()
    assert (response.status_code, Course.objects.get(pk=draft.pk).status, viewed) == (404, "draft", False)
