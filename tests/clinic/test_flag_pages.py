"""The flag pages clinical staff work from: a flag that does not exist is 404; acknowledging is
POST only; a flag already taken says who took it and when, in the clinic's time, and changes
nothing; after acknowledging, staff go back where they came from (the dashboard or the flag);
a resolved flag's page shows the resolution and takes no second one.

The clock is frozen (ticking) at Monday 23 November 2026, 09:00 in London (GMT)."""

import datetime as dt

import pytest
from clinic_helpers import course_under_way
from django.contrib.messages import get_messages
from django.urls import reverse

from clock import FROZEN_NOW
from needlepoint.audit.models import AuditEvent
from needlepoint.clinic.models import Flag


@pytest.fixture
def flag(personas):
    return Flag.objects.create(patient=personas.record_a, reason="Warning sign reported: fever", urgent=True)


def said(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.mark.parametrize("name", ["clinic:flag_resolve", "clinic:flag_acknowledge"])
def test_it_answers_404_for_a_flag_that_does_not_exist(client_for, personas, name):
    assert client_for(personas.practitioner).post(reverse(name, args=[31337])).status_code == 404


def test_it_acknowledges_only_by_post(client_for, personas, flag):
    response = client_for(personas.practitioner).get(reverse("clinic:flag_acknowledge", args=[flag.pk]))
    flag.refresh_from_db()
    assert (response.status_code, response["Allow"], flag.acknowledged_at) == (405, "POST", None)


def test_it_writes_no_view_of_a_flag_for_a_refused_method(client_for, personas, flag):
    client_for(personas.practitioner).get(reverse("clinic:flag_acknowledge", args=[flag.pk]))
    seen = AuditEvent.objects.filter(action="view", object_type="clinic.flag", object_id=str(flag.pk))
    assert not seen.exists()  # a 405 shows nothing of the flag, so the trail says nobody saw it


def test_it_writes_no_view_of_a_course_for_a_refused_completion(client_for, personas):
    course = course_under_way(personas)
    response = client_for(personas.practitioner).get(reverse("clinic:course_complete", args=[course.pk]))
    seen = AuditEvent.objects.filter(action="view", object_type="clinic.course", object_id=str(course.pk))
    assert (response.status_code, seen.exists()) == (405, False)


def test_it_takes_a_clinician_back_to_the_flag_after_acknowledging(client_for, personas, flag):
    response = client_for(personas.practitioner).post(reverse("clinic:flag_acknowledge", args=[flag.pk]))
    flag.refresh_from_db()
    assert response["Location"] == reverse("clinic:flag_resolve", args=[flag.pk])
    assert (flag.acknowledged_by, said(response)) == (
        personas.practitioner,
        ["Flag for Anna Alvarez acknowledged: it is yours now."],
    )


def test_it_takes_a_clinician_back_to_the_dashboard_when_they_came_from_it(client_for, personas, flag):
    response = client_for(personas.director).post(
        reverse("clinic:flag_acknowledge", args=[flag.pk]), {"back": "dashboard"}
    )
    assert response["Location"] == reverse("clinic:dashboard")


def test_it_tells_the_second_clinician_who_took_the_flag_and_when(client_for, personas, flag):
    taken_at = FROZEN_NOW - dt.timedelta(minutes=7)
    personas.practitioner.last_name = "Petrov"
    personas.practitioner.save()
    Flag.objects.filter(pk=flag.pk).update(acknowledged_at=taken_at, acknowledged_by=personas.practitioner)
    response = client_for(personas.director).post(reverse("clinic:flag_acknowledge", args=[flag.pk]))
    flag.refresh_from_db()
    assert said(response) == [
        "This flag was already acknowledged by Paula Petrov on Monday 23 November 2026 at 08:53."
    ]
    assert (flag.acknowledged_by, flag.acknowledged_at) == (personas.practitioner, taken_at)


def test_it_shows_a_resolved_flag_and_takes_no_second_resolution(client_for, personas, flag):
    Flag.objects.filter(pk=flag.pk).update(
        acknowledged_at=FROZEN_NOW,
        acknowledged_by=personas.practitioner,
        resolved_at=FROZEN_NOW,
        resolved_by=personas.practitioner,
        resolution="Called Anna: no fever today, advised to rest.",
    )
    client = client_for(personas.director)
    response = client.post(reverse("clinic:flag_resolve", args=[flag.pk]), {"resolution": "Something else"})
    flag.refresh_from_db()
    assert (response.status_code, flag.resolution, flag.resolved_by) == (
        200,
        "Called Anna: no fever today, advised to rest.",
        personas.practitioner,
    )
    assert "Called Anna: no fever today" in response.content.decode()
