"""The staff dashboard: today's patients, open flags, pending clearances, deferrals ending soon
and consents missing; the front desk sees names, times and counts only.

Time is frozen at 10 June 2026, 12:00 UTC (13:00 in London, BST)."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from needlepoint.audit.models import AuditEvent
from needlepoint.clinic.models import (
    CheckIn,
    Consent,
    ConsentText,
    Course,
    Flag,
    Intake,
    Patient,
    Screening,
    TreatmentSession,
)
from needlepoint.clinic.selectors import dashboard_for
from visit_helpers import book_visit

NOW = dt.datetime(2026, 6, 10, 12, 0, tzinfo=dt.UTC)
TODAY = dt.date(2026, 6, 10)
CLEARANCE = {
    "findings": [
        {
            "code": "anticoagulant",
            "decision": "needs_clearance",
            "cleared": False,
            "message": "Takes a blood thinner: a doctor must clear treatment.",
        }
    ]
}
DEFER = {
    "findings": [
        {
            "code": "recent_sunburn",
            "decision": "defer",
            "cleared": False,
            "message": "Sunburn: wait until the skin has healed.",
        }
    ]
}


@pytest.fixture
def frozen(monkeypatch):
    clock = {"now": NOW}
    monkeypatch.setattr(timezone, "now", lambda: clock["now"])
    return clock


def screen(patient, decision, *, earliest=None, result=None):
    number = Intake.objects.filter(patient=patient).count() + 1
    intake = Intake.objects.create(
        patient=patient, number=number, source="consultation", data={"schema": "needlepoint.intake/1"}
    )
    return Screening.objects.create(
        patient=patient,
        intake=intake,
        decision=decision,
        earliest_date=earliest,
        result=result or {},
        protocol_id="default",
        protocol_version="1",
    )


def course_for(patient, by, *, status="approved"):
    return Course.objects.create(
        patient=patient,
        screening=screen(patient, "eligible"),
        status=status,
        goal="acne_scars",
        plan={},
        start_date=TODAY,
        protocol_id="default",
        protocol_version="1",
        created_by=by,
        approved_at=None if status == "draft" else NOW,
    )


def local(hour, minute=0, day=TODAY):
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=timezone.get_default_timezone())


def timed(course, patient, number, when, *, practitioner=None):
    """A session of `course` with its appointment at `when`."""
    session = TreatmentSession.objects.create(
        course=course, patient=patient, number=number, practitioner=practitioner
    )
    book_visit(session, when, by=course.created_by)
    return session


def flagged(patient, course, by, reason="Day 1 check-in after session 1: warning sign reported: fever"):
    session = timed(course, patient, 99, NOW - dt.timedelta(days=1))
    TreatmentSession.objects.filter(pk=session.pk).update(status="signed", signed_at=NOW, signed_by=by)
    check_in = CheckIn.objects.create(
        session=session,
        patient=patient,
        day=1,
        redness=2,
        swelling=2,
        pain=2,
        warning_signs=["fever"],
        expected=False,
    )
    return Flag.objects.create(patient=patient, check_in=check_in, reason=reason)


@pytest.fixture
def clinic(personas, frozen):
    """Anna: booked today at 09:30 (London), an open flag. Ben: latest screening needs a
    clearance. Cara: deferred until 20 June. Dan: an approved course without consent."""
    a, b = personas.record_a, personas.record_b
    course_a = course_for(a, personas.practitioner)
    Consent.objects.create(
        patient=a,
        course=course_a,
        channel="portal",
        typed_name="Anna",
        signature_png="data:,",
        consent_text=ConsentText.objects.create(version="1", title="Consent", body="..."),
    )
    timed(course_a, a, 1, local(9, 30), practitioner=personas.practitioner)
    timed(course_a, a, 2, local(9, 30, TODAY + dt.timedelta(days=1)))
    flagged(a, course_a, personas.practitioner)
    screen(b, "needs_clearance", result=CLEARANCE)
    cara = Patient.objects.create(first_name="Cara", last_name="Cole", birth_date=dt.date(1990, 1, 1))
    screen(cara, "defer", earliest=TODAY + dt.timedelta(days=10), result=DEFER)
    dan = Patient.objects.create(first_name="Dan", last_name="Dorn", birth_date=dt.date(1980, 1, 1))
    course_for(dan, personas.practitioner)
    return personas


def test_it_shows_the_practitioner_everything_with_reasons(clinic, client_for):
    response = client_for(clinic.practitioner).get(reverse("clinic:dashboard"))
    assert response.status_code == 200
    page = response.content.decode()
    board = response.context["board"]
    assert [a.session.number for a in board.today.rows] == [1] and "09:30" in page
    assert "warning sign reported: fever" in page
    assert [s.patient.first_name for s in board.pending_clearances.rows] == ["Ben"]
    assert "Takes a blood thinner" in page
    assert [s.patient.first_name for s in board.deferrals.rows] == ["Cara"]
    assert "Sat 20 Jun 2026" in page and "Sunburn: wait" in page
    assert [c.patient.first_name for c in board.consents_missing.rows] == ["Dan"]
    assert AuditEvent.objects.filter(
        action="view", object_type="clinic.dashboard", actor=clinic.practitioner
    ).exists()


def test_it_shows_the_front_desk_names_times_and_counts_only(clinic, client_for):
    response = client_for(clinic.front_desk).get(reverse("clinic:dashboard"))
    assert response.status_code == 200
    page = response.content.decode()
    for shown in (
        "Anna Alvarez",
        "09:30",
        "Ben Brown",
        "Cara Cole",
        "Dan Dorn",
        "1 open flag for the clinical team",
    ):
        assert shown in page, shown
    for hidden in ("fever", "warning sign", "blood thinner", "Sunburn", "/flags/", "/summary/"):
        assert hidden not in page, hidden
    board = response.context["board"]
    assert board.open_flags.rows == [] and board.open_flags.total == 1


@pytest.mark.parametrize("who", ["patient_a", "patient_b"])
def test_it_refuses_the_dashboard_to_patients(clinic, client_for, who):
    assert client_for(getattr(clinic, who)).get(reverse("clinic:dashboard")).status_code == 404


def test_it_sends_anonymous_visitors_to_sign_in(client, clinic):
    response = client.get(reverse("clinic:dashboard"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_it_uses_the_latest_screening_only(clinic):
    ben = clinic.record_b
    screen(ben, "eligible")  # cleared since: no longer pending
    cara = Patient.objects.get(first_name="Cara")
    screen(cara, "defer", earliest=TODAY + dt.timedelta(days=20))  # deferred further: not soon
    screen(clinic.record_a, "defer", earliest=TODAY - dt.timedelta(days=1))  # already over
    board = dashboard_for(clinic.practitioner)
    assert board.pending_clearances.total == 0 and board.deferrals.total == 0


def test_it_lists_deferrals_ending_within_14_days_including_today_and_the_last_day(clinic):
    for days, name in ((0, "Today"), (14, "Last"), (15, "Late")):
        p = Patient.objects.create(first_name=name, last_name="X", birth_date=dt.date(1990, 1, 1))
        screen(p, "defer", earliest=TODAY + dt.timedelta(days=days))
    names = [s.patient.first_name for s in dashboard_for(clinic.practitioner).deferrals.rows]
    assert names == ["Today", "Cara", "Last"]


def test_it_counts_today_in_the_clinics_zone(clinic, frozen):
    # 00:30 on 11 June in London is 23:30 UTC on 10 June: that session is tomorrow's.
    course = Course.objects.filter(patient=clinic.record_a).first()
    timed(course, clinic.record_a, 3, dt.datetime(2026, 6, 10, 23, 30, tzinfo=dt.UTC))
    timed(course, clinic.record_a, 4, dt.datetime(2026, 6, 9, 23, 30, tzinfo=dt.UTC))
    assert [a.session.number for a in dashboard_for(clinic.practitioner).today.rows] == [4, 1]


def test_it_leaves_out_consents_given_and_draft_plans(clinic):
    course_for(clinic.record_b, clinic.practitioner, status="draft")
    assert [c.patient.first_name for c in dashboard_for(clinic.director).consents_missing.rows] == ["Dan"]


def test_it_shows_a_total_beyond_the_rows_it_lists(clinic):
    for i in range(4):
        p = Patient.objects.create(first_name=f"P{i}", last_name="X", birth_date=dt.date(1990, 1, 1))
        course_for(p, clinic.practitioner)
    board = dashboard_for(clinic.practitioner, limit=3)
    assert len(board.consents_missing.rows) == 3 and board.consents_missing.total == 5
    assert board.consents_missing.more == 2


def _populate(personas, n):
    """n patients, each booked today, flagged, pending a clearance, deferred, without consent."""
    for i in range(n):
        p = Patient.objects.create(first_name=f"P{i}", last_name="X", birth_date=dt.date(1990, 1, 1))
        course = course_for(p, personas.practitioner)
        timed(course, p, 1, local(8 + i % 10), practitioner=personas.practitioner)
        flagged(p, course, personas.practitioner)
        screen(
            p,
            "needs_clearance" if i % 2 else "defer",
            earliest=TODAY + dt.timedelta(days=3),
            result=CLEARANCE if i % 2 else DEFER,
        )


@pytest.mark.parametrize("who", ["practitioner", "front_desk"])
@pytest.mark.parametrize("patients", [3, 30])
def test_it_builds_the_dashboard_in_a_fixed_number_of_queries(
    personas, frozen, client_for, django_assert_num_queries, who, patients
):
    _populate(personas, patients)
    client = client_for(getattr(personas, who))
    # session + user; today, flags (or their count), clearances, deferrals, consents; the audit event
    with django_assert_num_queries(8):
        response = client.get(reverse("clinic:dashboard"))
    assert response.status_code == 200
    assert response.context["board"].today.total == patients
    assert response.context["board"].open_flags.total == patients


def test_it_lists_twenty_rows_and_links_to_the_whole_section(personas, frozen, client_for):
    _populate(personas, 25)
    client = client_for(personas.practitioner)
    response = client.get(reverse("clinic:dashboard"))
    board = response.context["board"]
    assert len(board.today.rows) == 20 and board.today.total == 25
    assert 'href="?all=today#today-heading">show all 25</a>' in response.content.decode()
    full = client.get(reverse("clinic:dashboard"), {"all": "today"}).context["board"]
    assert len(full.today.rows) == 25 and len(full.open_flags.rows) == 20


def test_it_ignores_a_section_it_does_not_know(personas, frozen, client_for):
    _populate(personas, 21)
    response = client_for(personas.practitioner).get(reverse("clinic:dashboard"), {"all": "patients"})
    assert response.status_code == 200 and len(response.context["board"].today.rows) == 20


def test_it_links_rows_to_the_same_addresses_as_reverse(clinic, client_for):
    page = client_for(clinic.practitioner).get(reverse("clinic:dashboard")).content.decode()
    dan = Patient.objects.get(first_name="Dan")
    flag = Flag.objects.get()
    for url in (
        reverse("clinic:patient_detail", args=[dan.pk]),
        reverse("clinic:patient_detail", args=[clinic.record_a.pk]),
        reverse("clinic:flag_resolve", args=[flag.pk]),
    ):
        assert f'href="{url}"' in page, url


def test_it_renders_no_address_for_a_page_that_does_not_exist():
    from django.template import engines

    template = engines["django"].from_string(
        "{% load clinic_urls %}[{% id_url 'clinic:no_such_page' 7 %}]"
        "[{% id_url 'clinic:patient_detail' 12345 %}][{% id_url 'clinic:patient_detail' 6 %}]"
    )
    assert template.render({}) == (
        f"[][{reverse('clinic:patient_detail', args=[12345])}][{reverse('clinic:patient_detail', args=[6])}]"
    )


@pytest.mark.django_db
def test_it_finds_the_latest_screenings_to_clear_through_the_partial_index(personas):
    from django.db import connection

    if connection.vendor != "sqlite":
        pytest.skip("the plan is checked on SQLite; PostgreSQL picks by table statistics")
    from needlepoint.clinic.selectors.dashboard import _latest_screenings

    sql, params = _latest_screenings("needs_clearance").order_by("created_at", "id").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
        plan = " ".join(str(row) for row in cursor.fetchall())
    assert "screening_needs_clearance" in plan
