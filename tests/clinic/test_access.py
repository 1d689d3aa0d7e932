"""The access helpers every patient-scoped page goes through (needlepoint.clinic.access), called
directly: they are the second lock behind each view's role check, so they are tested on their
own. A patient sees only their own record, course and session; the front desk sees contact
details but no clinical record, course or session; anyone else sees nothing; an id that is not a
number is "no such record". Every refusal is the same 404 and writes no view event.

The clock is frozen (ticking) at Monday 23 November 2026, 09:00 in London (GMT)."""

import datetime as dt

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import Http404
from django.test import RequestFactory
from django.utils import timezone

from needlepoint.audit.models import AuditEvent
from needlepoint.clinic import access
from needlepoint.clinic.models import Course, Intake, Screening, TreatmentSession


def request_by(user):
    request = RequestFactory().get("/")
    request.user = user
    return request


@pytest.fixture
def course_a(personas):
    """Anna's approved course with its first session (rows made directly)."""
    patient = personas.record_a
    intake = Intake.objects.create(
        patient=patient, number=1, data={"schema": "needlepoint.intake/1"}, source="consultation"
    )
    screening = Screening.objects.create(
        patient=patient,
        intake=intake,
        decision="eligible",
        result={},
        protocol_id="default",
        protocol_version="1",
    )
    course = Course.objects.create(
        patient=patient,
        screening=screening,
        status="approved",
        goal="acne_scars",
        plan={},
        start_date=dt.date(2026, 12, 1),
        protocol_id="default",
        protocol_version="1",
        created_by=personas.practitioner,
        approved_at=timezone.now(),
        approved_by=personas.director,
    )
    TreatmentSession.objects.create(course=course, patient=patient, number=1)
    return course


def refused(call):
    with pytest.raises(Http404):
        call()
    return not AuditEvent.objects.filter(action="view").exists()


# -- who sees which patients -----------------------------------------------------------------------


def test_it_shows_staff_every_patient_and_a_patient_only_themself(personas):
    everyone = {personas.record_a.pk, personas.record_b.pk}
    for staff in (personas.front_desk, personas.practitioner, personas.director):
        assert set(access.visible_patients(staff).values_list("pk", flat=True)) == everyone
    assert list(access.visible_patients(personas.patient_b)) == [personas.record_b]


@pytest.mark.django_db
def test_it_shows_nobody_to_an_anonymous_visitor():
    assert list(access.visible_patients(AnonymousUser())) == []


# -- the record ------------------------------------------------------------------------------------


def test_it_refuses_the_front_desk_a_clinical_record_and_writes_no_view(personas):
    request = request_by(personas.front_desk)
    assert refused(lambda: access.get_patient_for_user(request, personas.record_a.pk, clinical=True))


def test_it_gives_the_patient_their_own_clinical_record(personas):
    got = access.get_patient_for_user(request_by(personas.patient_a), personas.record_a.pk, clinical=True)
    event = AuditEvent.objects.get()
    assert (got, event.summary, event.actor) == (personas.record_a, "clinical record", personas.patient_a)


@pytest.mark.parametrize("pk", ["abc", None, "1.5"])
def test_it_answers_no_such_record_for_an_id_that_is_not_a_number(personas, pk):
    request = request_by(personas.director)
    assert refused(lambda: access.get_patient_for_user(request, pk))


def test_it_reads_without_writing_a_view_when_asked_not_to_audit(personas):
    access.get_patient_for_user(request_by(personas.practitioner), personas.record_b.pk, audit=False)
    assert AuditEvent.objects.count() == 0


# -- courses and sessions --------------------------------------------------------------------------


def test_it_gives_clinicians_and_the_patient_the_course_and_audits_it(personas, course_a):
    for user in (personas.practitioner, personas.director, personas.patient_a):
        assert access.get_course_for_user(request_by(user), course_a.pk) == course_a
    actors = list(AuditEvent.objects.filter(object_type="clinic.course").values_list("actor", flat=True))
    assert sorted(actors) == sorted([personas.practitioner.pk, personas.director.pk, personas.patient_a.pk])


def test_it_refuses_the_front_desk_a_course_unless_only_contact_is_needed(personas, course_a):
    request = request_by(personas.front_desk)
    assert refused(lambda: access.get_course_for_user(request, course_a.pk))
    assert access.get_course_for_user(request, course_a.pk, clinical=False) == course_a


def test_it_refuses_another_patient_the_course(personas, course_a):
    request = request_by(personas.patient_b)
    assert refused(lambda: access.get_course_for_user(request, course_a.pk, clinical=False))


def test_it_gives_the_patient_their_own_session_and_refuses_another_patient(personas, course_a):
    session = course_a.sessions.get()
    assert access.get_session_for_user(request_by(personas.patient_a), session.pk) == session
    request = request_by(personas.patient_b)
    with pytest.raises(Http404):
        access.get_session_for_user(request, session.pk)
    assert not AuditEvent.objects.filter(actor=personas.patient_b).exists()


def test_it_refuses_the_front_desk_a_session_and_writes_no_view(personas, course_a):
    session = course_a.sessions.get()
    request = request_by(personas.front_desk)
    assert refused(lambda: access.get_session_for_user(request, session.pk))


# -- the role checks -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("check", "allowed"),
    [
        (access.require_staff, {"front_desk", "practitioner", "director"}),
        (access.require_clinical, {"practitioner", "director"}),
        (access.require_medical_director, {"director"}),
    ],
)
def test_it_lets_in_only_the_roles_each_check_names(personas, check, allowed):
    let_in = set()
    for who in ("patient_a", "front_desk", "practitioner", "director"):
        try:
            check(request_by(getattr(personas, who)))
        except Http404:
            continue
        let_in.add(who)
    with pytest.raises(Http404):
        check(request_by(AnonymousUser()))
    assert let_in == allowed
