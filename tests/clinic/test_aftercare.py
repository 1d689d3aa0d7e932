"""Aftercare and follow-up: patient check-ins on days 1, 3 and 7 compared with the expected
recovery, flags and their resolution, outcomes validated by the scales, the course summary with
its SVG chart, and completing a course.

Time is frozen at 10 June 2026, 12:00 UTC (13:00 in London, BST) unless a test moves it; the
DST test uses the real change of 29 March 2026 (01:00 UTC, clocks go forward to BST)."""

import datetime as dt
import re
from decimal import Decimal

import pytest
import time_machine
from clinic_helpers import make_course
from django.urls import reverse

from needlepoint.audit.models import AuditEvent
from needlepoint.clinic.models import (
    AdverseEvent,
    AreaTreatment,
    Assessment,
    CheckIn,
    Flag,
    Outcome,
    TreatmentSession,
)
from needlepoint.clinic.selectors import check_in_schedule, course_summary
from needlepoint.clinic.services import ServiceError
from needlepoint.clinic.services.aftercare import check_in_submit, flag_resolve, review_recovery
from needlepoint.clinic.services.outcomes import course_complete, outcome_record
from visit_helpers import book_visit

NOW = dt.datetime(2026, 6, 10, 12, 0, tzinfo=dt.UTC)
PLAN = {
    "areas": [{"area": "cheeks"}, {"area": "forehead"}],
    "care": [
        {"offset_days": -14, "code": "sun_avoidance", "text": "Avoid the sun before."},
        {"offset_days": 0, "code": "topical_anaesthetic", "text": "Numbing cream."},
        {
            "offset_days": 0,
            "duration_days": 2,
            "code": "no_makeup",
            "text": "No make-up for 48 hours after treatment.",
        },
        {"offset_days": 1, "code": "check_in", "text": "Day 1 check-in."},
        {
            "offset_days": 1,
            "duration_days": 14,
            "code": "sunscreen",
            "text": "Use SPF 50+ every morning for 2 weeks.",
        },
    ],
}
# The courses here: the plan above, started on 1 May 2026 and approved two months before NOW.
COURSE = {"plan": PLAN, "start_date": dt.date(2026, 5, 1), "approved_at": NOW - dt.timedelta(days=60)}
CLEAN = {"redness": "6", "swelling": "5", "pain": "4", "note": ""}


@pytest.fixture
def frozen():
    """Stop the clock at NOW; a test moves it with `frozen.move_to(...)`."""
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def make_session(course, number, when, by, *, signed=True, areas=(), events=(), status=None):
    """Session `number` of `course`, booked for `when` (its appointment), signed an hour later
    unless `signed` is False."""
    s = TreatmentSession.objects.create(course=course, patient=course.patient, number=number, practitioner=by)
    if when is not None:
        visit = "attended" if signed else "cancelled" if status == "cancelled" else "booked"
        book_visit(s, when, status=visit, by=by)
    for area, depth, passes in areas:
        AreaTreatment.objects.create(session=s, area=area, depth_mm=depth, passes=passes)
    for kind, severity in events:
        AdverseEvent.objects.create(
            session=s, kind=kind, severity=severity, action="cool compress", noted_by=by
        )
    if signed:
        TreatmentSession.objects.filter(pk=s.pk).update(
            status="signed", signed_by=by, signed_at=when + dt.timedelta(hours=1)
        )
    elif status:
        TreatmentSession.objects.filter(pk=s.pk).update(status=status)
    s.refresh_from_db()
    return s


def days_ago(n):
    return NOW - dt.timedelta(days=n)


@pytest.fixture
def course_a(personas, frozen):
    return make_course(personas, personas.record_a, **COURSE)


def checkin_url(session, day):
    return reverse("portal:checkin_new", args=[session.pk, day])


def post_check_in(client, session, day, **changes):
    return client.post(checkin_url(session, day), {**CLEAN, **changes})


# ---- the recovery rule (pure) -----------------------------------------------------------------

S = {"redness": 2, "swelling": 2, "pain": 2}


@pytest.mark.parametrize(
    ("day", "scores", "signs", "previous", "expected"),
    [
        (1, {"redness": 6, "swelling": 5, "pain": 4}, [], None, True),  # day 1: strong redness is usual
        (1, {"redness": 10, "swelling": 10, "pain": 3}, [], None, True),  # no day-1 threshold [S40]
        (1, {"redness": 1, "swelling": 1, "pain": 1}, ["fever"], None, False),  # any warning sign
        (
            3,
            {"redness": 6, "swelling": 6, "pain": 2},
            [],
            {"day": 1, **S, "redness": 7, "swelling": 7},
            True,
        ),  # settling
        (3, {"redness": 7, "swelling": 1, "pain": 1}, [], None, False),  # ≥ 7 on day 3
        (3, {"redness": 1, "swelling": 7, "pain": 1}, [], None, False),
        (7, {"redness": 3, "swelling": 3, "pain": 5}, [], None, True),  # < 4 on day 7
        (7, {"redness": 4, "swelling": 0, "pain": 0}, [], None, False),  # ≥ 4 on day 7
        (3, {"redness": 3, "swelling": 2, "pain": 2}, [], {"day": 1, **S}, False),  # worse
        (7, {"redness": 2, "swelling": 2, "pain": 3}, [], {"day": 3, **S}, False),  # pain worse
        (7, {"redness": 2, "swelling": 2, "pain": 2}, [], {"day": 3, **S}, True),  # the same
    ],
)
def test_it_compares_a_check_in_with_the_expected_recovery(day, scores, signs, previous, expected):
    review = review_recovery(day=day, scores=scores, warning_signs=signs, previous=previous)
    assert review.expected is expected
    assert bool(review.reasons) is not expected
    assert review.urgent is bool(signs)


def test_it_says_why_in_plain_words():
    review = review_recovery(
        day=3,
        scores={"redness": 8, "swelling": 3, "pain": 2},
        warning_signs=["spreading_redness", "pus"],
        previous={"day": 1, "redness": 5, "swelling": 3, "pain": 2},
    )
    assert review.reasons == (
        "warning sign reported: pus and redness that is spreading",
        "redness 8/10 on day 3 (expected to be settling; flagged from 7/10)",
        "redness worse than at the day 1 check-in (5/10 → 8/10)",
    )


# ---- portal: check-ins ------------------------------------------------------------------------


def test_it_flags_a_day_1_fever_and_the_practitioners_dashboard_shows_it(personas, course_a, client_for):
    session = make_session(course_a, 1, days_ago(1), personas.practitioner)
    patient = client_for(personas.patient_a)
    response = post_check_in(patient, session, 1, warning_signs=["fever"])
    assert (response.status_code, response["Location"]) == (302, checkin_url(session, 1))

    page = patient.get(checkin_url(session, 1)).content.decode()
    assert "Contact the clinic now" in page
    assert "fever" in page
    check_in = CheckIn.objects.get(session=session, day=1)
    assert check_in.expected is False
    assert check_in.warning_signs == ["fever"]
    flag = Flag.objects.get(check_in=check_in)
    assert (flag.patient, flag.resolved_at) == (personas.record_a, None)
    assert flag.reason == "Day 1 check-in after session 1: warning sign reported: fever"
    assert AuditEvent.objects.filter(
        action="create", object_type="clinic.checkin", object_id=str(check_in.pk), actor=personas.patient_a
    ).exists()
    assert AuditEvent.objects.filter(
        action="create", object_type="clinic.flag", patient_id=personas.record_a.pk
    ).exists()

    board = client_for(personas.practitioner).get(reverse("clinic:dashboard")).content.decode()
    assert "warning sign reported: fever" in board
    assert reverse("clinic:flag_resolve", args=[flag.pk]) in board


def test_it_does_not_flag_the_expected_recovery(personas, course_a, client_for):
    session = make_session(course_a, 1, days_ago(1), personas.practitioner)
    patient = client_for(personas.patient_a)
    assert post_check_in(patient, session, 1).status_code == 302
    check_in = CheckIn.objects.get(session=session)
    assert (check_in.redness, check_in.swelling, check_in.pain) == (6, 5, 4)
    assert check_in.expected is True
    assert not Flag.objects.exists()
    assert "within the usual recovery" in patient.get(checkin_url(session, 1)).content.decode()


def test_it_flags_a_recovery_that_gets_worse(personas, course_a, client_for):
    session = make_session(course_a, 1, days_ago(3), personas.practitioner)
    patient = client_for(personas.patient_a)
    post_check_in(patient, session, 1, redness="3", swelling="2", pain="2")
    post_check_in(patient, session, 3, redness="5", swelling="2", pain="1")
    flag = Flag.objects.get()
    assert flag.check_in.day == 3
    assert "redness worse than at the day 1 check-in (3/10 → 5/10)" in flag.reason
    page = patient.get(checkin_url(session, 3)).content.decode()
    assert "not settling as quickly" in page
    assert "will contact you" in page
    assert "Contact the clinic now:" not in page


def test_it_refuses_patient_b_on_patient_as_session(personas, course_a, client_for):
    session = make_session(course_a, 1, days_ago(1), personas.practitioner)
    other = client_for(personas.patient_b)
    assert other.get(checkin_url(session, 1)).status_code == 404
    assert post_check_in(other, session, 1, warning_signs=["fever"]).status_code == 404
    assert not CheckIn.objects.exists()
    assert not Flag.objects.exists()


def test_it_refuses_patient_b_in_the_service_too(personas, course_a):
    session = make_session(course_a, 1, days_ago(1), personas.practitioner)
    with pytest.raises(ServiceError) as exc:
        check_in_submit(
            session=session,
            day=1,
            redness=1,
            swelling=1,
            pain=1,
            warning_signs=[],
            note="",
            actor=personas.patient_b,
        )
    assert exc.value.field == "session"
    assert not CheckIn.objects.exists()


@pytest.mark.parametrize("who", ["practitioner", "front_desk", "director"])
def test_it_keeps_staff_out_of_the_portal_check_ins(personas, course_a, client_for, who):
    session = make_session(course_a, 1, days_ago(1), personas.practitioner)
    client = client_for(getattr(personas, who))
    assert client.get(reverse("portal:checkin_list")).status_code == 404
    assert post_check_in(client, session, 1).status_code == 404
    assert not CheckIn.objects.exists()


def test_it_refuses_anonymous_visitors(client, personas, course_a):
    session = make_session(course_a, 1, days_ago(1), personas.practitioner)
    response = post_check_in(client, session, 1)
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_it_refuses_the_day_3_check_in_before_day_3(personas, course_a, client_for):
    session = make_session(course_a, 1, days_ago(1), personas.practitioner)
    patient = client_for(personas.patient_a)
    assert "opens on" in patient.get(checkin_url(session, 3)).content.decode()
    response = post_check_in(patient, session, 3)
    assert response.status_code == 400
    assert "Your day-3 check-in opens on Friday 12 June" in response.content.decode()
    assert not CheckIn.objects.exists()


def test_it_refuses_a_second_check_in_for_the_same_day(personas, course_a, client_for):
    session = make_session(course_a, 1, days_ago(1), personas.practitioner)
    patient = client_for(personas.patient_a)
    post_check_in(patient, session, 1)
    again = post_check_in(patient, session, 1, redness="9", warning_signs=["pus"])
    assert again.status_code == 200
    assert "within the usual recovery" in again.content.decode()
    assert CheckIn.objects.get().redness == 6
    assert not Flag.objects.exists()
    with pytest.raises(ServiceError, match="already sent your day-1 check-in") as exc:
        check_in_submit(
            session=session,
            day=1,
            redness=1,
            swelling=1,
            pain=1,
            warning_signs=[],
            note="",
            actor=personas.patient_a,
        )
    assert (exc.value.field, CheckIn.objects.count()) == ("day", 1)


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"redness": "11"}, "redness", "Choose your redness from 0 (none) to 10 (worst), got 11."),
        ({"pain": "-1"}, "pain", "Choose your pain from 0 (none) to 10 (worst), got -1."),
        ({"swelling": ""}, "swelling", "Choose a number from 0 to 10."),
        ({"warning_signs": ["rash"]}, "warning_signs", "Select a valid choice."),
    ],
)
def test_it_refuses_bad_answers_with_a_clear_message(personas, course_a, client_for, changes, field, message):
    session = make_session(course_a, 1, days_ago(1), personas.practitioner)
    response = post_check_in(client_for(personas.patient_a), session, 1, **changes)
    assert response.status_code == 400
    assert message in response.context["form"].errors[field][0]
    assert not CheckIn.objects.exists()
    assert not Flag.objects.exists()


def test_it_has_no_check_ins_for_an_unsigned_session_or_another_day(personas, course_a, client_for):
    planned = make_session(course_a, 1, days_ago(1), personas.practitioner, signed=False)
    signed = make_session(course_a, 2, days_ago(1), personas.practitioner)
    patient = client_for(personas.patient_a)
    assert patient.get(checkin_url(planned, 1)).status_code == 404
    assert patient.get(checkin_url(signed, 2)).status_code == 404
    with pytest.raises(ServiceError, match="completed and signed"):
        check_in_submit(
            session=planned,
            day=1,
            redness=1,
            swelling=1,
            pain=1,
            warning_signs=[],
            note="",
            actor=personas.patient_a,
        )


def test_it_closes_check_ins_two_weeks_after_the_session(personas, course_a, client_for):
    session = make_session(course_a, 1, days_ago(20), personas.practitioner)
    response = post_check_in(client_for(personas.patient_a), session, 7)
    assert "closed" in response.content.decode()
    assert not CheckIn.objects.exists()


def test_it_counts_days_in_the_clinics_zone_across_the_dst_change(personas, course_a, frozen):
    # 29 March 2026 01:00 UTC: London goes from GMT to BST. A session at 23:30 UTC on 29 March is
    # at 00:30 on 30 March in London, so day 1 is 31 March (not 30 March, as UTC would say).
    session = make_session(
        course_a, 1, dt.datetime(2026, 3, 29, 23, 30, tzinfo=dt.UTC), personas.practitioner
    )
    frozen.move_to(dt.datetime(2026, 3, 30, 22, 30, tzinfo=dt.UTC))  # 23:30 BST, 30 March
    args = {
        "session": session,
        "day": 1,
        "redness": 2,
        "swelling": 2,
        "pain": 1,
        "warning_signs": [],
        "note": "",
        "actor": personas.patient_a,
    }
    with pytest.raises(ServiceError, match="opens on Tuesday 31 March"):
        check_in_submit(**args)
    frozen.move_to(dt.datetime(2026, 3, 30, 23, 30, tzinfo=dt.UTC))  # 00:30 BST, 31 March
    assert check_in_submit(**args).day == 1


def test_it_lists_the_patients_check_ins_with_their_state(personas, course_a, client_for):
    old = make_session(course_a, 1, days_ago(30), personas.practitioner)
    recent = make_session(course_a, 2, days_ago(3), personas.practitioner)
    make_session(make_course(personas, personas.record_b, **COURSE), 1, days_ago(3), personas.practitioner)
    check_in_submit(
        session=recent,
        day=1,
        redness=5,
        swelling=4,
        pain=3,
        warning_signs=[],
        note="",
        actor=personas.patient_a,
    )
    response = client_for(personas.patient_a).get(reverse("portal:checkin_list"))
    assert response.status_code == 200
    states = {(item.session.pk, s.day): s.state for item in response.context["schedule"] for s in item.slots}
    assert states == {
        (recent.pk, 1): "done",
        (recent.pk, 3): "due",
        (recent.pk, 7): "upcoming",
        (old.pk, 1): "closed",
        (old.pk, 3): "closed",
        (old.pk, 7): "closed",
    }
    page = response.content.decode()
    assert "Check in for day 3" in page
    assert "Use SPF 50+ every morning" in page
    assert "No make-up for 48 hours" in page
    assert "Numbing cream" not in page
    assert "Avoid the sun before" not in page
    assert AuditEvent.objects.filter(
        object_type="clinic.checkin", action="view", patient_id=personas.record_a.pk
    ).exists()


def test_it_marks_a_check_in_overdue_after_its_day_and_the_next(personas, course_a):
    session = make_session(course_a, 1, days_ago(4), personas.practitioner)
    [item] = check_in_schedule(personas.record_a)
    assert [s.state for s in item.slots] == ["overdue", "due", "upcoming"]
    assert [s.due_on for s in item.slots] == [dt.date(2026, 6, 7), dt.date(2026, 6, 9), dt.date(2026, 6, 13)]
    assert session.pk == item.session.pk


@pytest.mark.parametrize("sessions", [1, 8])
def test_it_lists_check_ins_in_a_fixed_number_of_queries(
    personas, course_a, client_for, django_assert_num_queries, sessions
):
    for n in range(1, sessions + 1):
        s = make_session(course_a, n, days_ago(n), personas.practitioner)
        CheckIn.objects.create(session=s, patient=personas.record_a, day=1, redness=1, swelling=1, pain=1)
    client = client_for(personas.patient_a)
    # session + user, the patient, sessions, their check-ins, the audit event
    with django_assert_num_queries(6):
        assert client.get(reverse("portal:checkin_list")).status_code == 200


# ---- staff: flags -----------------------------------------------------------------------------


@pytest.fixture
def flag(personas, course_a):
    session = make_session(course_a, 1, days_ago(1), personas.practitioner)
    check_in_submit(
        session=session,
        day=1,
        redness=3,
        swelling=3,
        pain=3,
        warning_signs=["pus", "fever"],
        note="Feels hot",
        actor=personas.patient_a,
    )
    return Flag.objects.get()


def test_it_lets_a_practitioner_resolve_a_flag(personas, flag, client_for):
    client = client_for(personas.practitioner)
    url = reverse("clinic:flag_resolve", args=[flag.pk])
    page = client.get(url).content.decode()
    assert "pus and fever" in page
    assert "Feels hot" in page
    assert "anna@example.org" in page
    response = client.post(url, {"resolution": "Called Anna; seen same day, antibiotics."})
    assert response.status_code == 302
    flag.refresh_from_db()
    assert (flag.resolved_by, flag.resolved_at) == (personas.practitioner, NOW)
    assert flag.resolution == "Called Anna; seen same day, antibiotics."
    assert AuditEvent.objects.filter(
        action="change", object_type="clinic.flag", object_id=str(flag.pk)
    ).exists()
    board = client.get(reverse("clinic:dashboard")).content.decode()
    assert "warning sign reported" not in board


@pytest.mark.parametrize("who", ["front_desk", "patient_a", "patient_b"])
def test_it_refuses_flags_to_everyone_but_clinical_staff(personas, flag, client_for, who):
    client = client_for(getattr(personas, who))
    url = reverse("clinic:flag_resolve", args=[flag.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, {"resolution": "done"}).status_code == 404
    flag.refresh_from_db()
    assert flag.resolved_at is None


def test_it_asks_what_was_done_before_resolving(personas, flag, client_for):
    response = client_for(personas.director).post(
        reverse("clinic:flag_resolve", args=[flag.pk]), {"resolution": "   "}
    )
    assert "Say what was done" in response.content.decode()
    flag.refresh_from_db()
    assert flag.resolved_at is None


def test_it_resolves_a_flag_only_once(personas, flag):
    stale = Flag.objects.get(pk=flag.pk)
    flag_resolve(flag=flag, resolution="Called", actor=personas.practitioner)
    with pytest.raises(ServiceError, match="already been resolved"):
        flag_resolve(flag=stale, resolution="Also called", actor=personas.director)
    assert Flag.objects.get().resolution == "Called"
    with pytest.raises(ServiceError, match="medical director or a practitioner"):
        flag_resolve(flag=Flag.objects.get(), resolution="x", actor=personas.front_desk)


# ---- staff: outcomes --------------------------------------------------------------------------


def outcome_post(client, course, **data):
    return client.post(
        reverse("clinic:outcome_new", args=[course.pk]),
        {"kind": "visit", "session": "", "goodman_baron_grade": "", "mmasi": "", "gais": "", **data},
    )


def test_it_records_an_outcome_with_scar_counts(personas, course_a, client_for):
    session = make_session(course_a, 1, days_ago(1), personas.practitioner)
    client = client_for(personas.practitioner)
    page = client.get(reverse("clinic:outcome_new", args=[course_a.pk])).content.decode()
    assert "scar-cheeks-icepick" in page
    assert "2 — mild" in page
    assert "very much improved" in page
    response = outcome_post(
        client,
        course_a,
        session=str(session.pk),
        goodman_baron_grade="2",
        mmasi="3.5",
        gais="2",
        **{"scar-cheeks-boxcar": "4", "scar-cheeks-rolling": "6"},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("clinic:course_summary", args=[course_a.pk])
    outcome = Outcome.objects.get()
    assert (outcome.goodman_baron_grade, outcome.mmasi, outcome.gais) == (2, 3.5, 2)
    assert (outcome.session, outcome.patient) == (session, personas.record_a)
    # the types left blank are "not counted" (None), never 0; the forehead was not counted at all
    assert outcome.scar_counts == {
        "cheeks": {"icepick": None, "boxcar": 4, "rolling": 6, "hypertrophic": None}
    }
    assert outcome.taken_on == dt.date(2026, 6, 9)  # the day of session 1's visit
    event = AuditEvent.objects.get(action="create", object_type="clinic.outcome")
    assert event.summary == ("at a visit (9 June 2026): G&B 2, mMASI 3.5, GAIS 2, scar counts for 1 area(s)")


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"goodman_baron_grade": "5"}, "goodman_baron_grade", "Goodman & Baron grade must be 1-4, got 5."),
        ({"gais": "0"}, "gais", "GAIS score must be 1-5, got 0."),
        ({"mmasi": "25"}, "mmasi", "mMASI must be a number from 0 to 24, got 25.0."),
        ({"kind": "later"}, "kind", "Select a valid choice."),
        ({}, None, "Enter at least one score."),
    ],
)
def test_it_refuses_an_invalid_outcome_with_a_clear_message(
    personas, course_a, client_for, data, field, message
):
    response = outcome_post(client_for(personas.practitioner), course_a, **data)
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert message in (errors[field][0] if field else errors["__all__"][0])
    assert not Outcome.objects.exists()


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("-2", "Scar count for boxcar in cheeks must be a non-negative integer, got -2."),
        ("two", "Scar count for boxcar in the cheeks must be a whole number, got 'two'."),
    ],
)
def test_it_refuses_bad_scar_counts(personas, course_a, client_for, value, message):
    response = outcome_post(
        client_for(personas.practitioner), course_a, gais="3", **{"scar-cheeks-boxcar": value}
    )
    assert response.context["grid"].error == message
    assert message.replace("'", "&#x27;") in response.content.decode()
    assert not Outcome.objects.exists()


def test_it_refuses_outcomes_for_a_draft_or_for_someone_elses_session(personas, course_a):
    draft = make_course(personas, personas.record_a, status="draft", **COURSE)
    with pytest.raises(ServiceError, match="draft plan"):
        outcome_record(
            course=draft,
            kind="visit",
            goodman_baron_grade=2,
            scar_counts=None,
            mmasi=None,
            gais=None,
            actor=personas.practitioner,
        )
    other = make_session(
        make_course(personas, personas.record_b, **COURSE), 1, days_ago(1), personas.practitioner
    )
    with pytest.raises(ServiceError, match="another course"):
        outcome_record(
            course=course_a,
            session=other,
            kind="visit",
            goodman_baron_grade=2,
            scar_counts=None,
            mmasi=None,
            gais=None,
            actor=personas.practitioner,
        )
    with pytest.raises(ServiceError, match="medical director or a practitioner"):
        outcome_record(
            course=course_a,
            kind="visit",
            goodman_baron_grade=2,
            scar_counts=None,
            mmasi=None,
            gais=None,
            actor=personas.front_desk,
        )
    assert not Outcome.objects.exists()


@pytest.mark.parametrize("who", ["front_desk", "patient_a", "patient_b"])
def test_it_refuses_outcome_pages_to_non_clinical_users(personas, course_a, client_for, who):
    client = client_for(getattr(personas, who))
    assert client.get(reverse("clinic:outcome_new", args=[course_a.pk])).status_code == 404
    assert outcome_post(client, course_a, gais="2").status_code == 404
    assert client.get(reverse("clinic:course_summary", args=[course_a.pk])).status_code == 404
    assert client.post(reverse("clinic:course_complete", args=[course_a.pk])).status_code == 404
    assert not Outcome.objects.exists()


# ---- staff: the course summary ----------------------------------------------------------------


@pytest.fixture
def treated(personas, frozen):
    """A course of two signed sessions with a baseline, check-ins and three outcomes."""
    baseline = Assessment.objects.create(
        patient=personas.record_a, assessed_by=personas.director, goodman_baron_grade=3, mmasi=8.4
    )
    Assessment.objects.filter(pk=baseline.pk).update(assessed_at=days_ago(70))
    course = make_course(personas, personas.record_a, assessment=baseline, **COURSE)
    s1 = make_session(
        course, 1, days_ago(60), personas.practitioner, areas=[("cheeks", "1.00", 4), ("forehead", "0.50", 2)]
    )
    s2 = make_session(
        course,
        2,
        days_ago(30),
        personas.practitioner,
        areas=[("cheeks", "1.50", 4)],
        events=[("bruising", "mild")],
    )
    CheckIn.objects.create(session=s1, patient=personas.record_a, day=1, redness=5, swelling=4, pain=3)
    bad = CheckIn.objects.create(
        session=s2,
        patient=personas.record_a,
        day=1,
        redness=2,
        swelling=2,
        pain=2,
        warning_signs=["cold_sore"],
        expected=False,
    )
    Flag.objects.create(patient=personas.record_a, check_in=bad, reason="Day 1: cold sore")
    for when, session, grade, gais in ((days_ago(30), s1, 3, 3), (days_ago(1), s2, 2, 2)):
        frozen.move_to(when)  # recorded later than the visits: dated by the visits all the same
        outcome_record(
            course=course,
            session=session,
            kind="visit",
            goodman_baron_grade=grade,
            scar_counts=None,
            mmasi=5.0 if grade == 3 else 3.2,
            gais=gais,
            actor=personas.practitioner,
        )
    frozen.move_to(NOW)
    return course


def test_it_summarises_the_course_in_plain_words(treated):
    summary = course_summary(treated)
    assert summary.sentences == [
        "2 of 2 sessions done.",
        "Goodman & Baron grade went from 3 (moderate) to 2 (mild) over 2 sessions.",
        "mMASI went from 8.4 to 3.2 over 2 sessions.",
        "Latest patient-rated improvement (GAIS, 11 May 2026): 2, much improved.",
        "1 adverse event recorded (1 mild).",
        "2 check-ins received, 1 outside the expected recovery (1 flag still open).",
    ]
    assert [p.value for p in summary.series["goodman_baron"]] == [3, 3, 2]
    assert summary.series["goodman_baron"][0].label == "baseline"
    # plotted on the days of the visits (11 April, 11 May), not the days they were recorded
    assert [p.date for p in summary.series["goodman_baron"]] == [
        dt.date(2026, 4, 1),
        dt.date(2026, 4, 11),
        dt.date(2026, 5, 11),
    ]
    assert summary.depths == [
        ("cheeks", [summary.sessions[0].areas.all()[0], summary.sessions[1].areas.all()[0]]),
        ("forehead", [summary.sessions[0].areas.all()[1], None]),
    ]


def test_it_shows_the_course_summary_with_an_svg_chart(
    personas, treated, client_for, django_assert_max_num_queries
):
    client = client_for(personas.practitioner)
    with django_assert_max_num_queries(14):
        response = client.get(reverse("clinic:course_summary", args=[treated.pk]))
    page = response.content.decode()
    svg = page[page.index("<svg") : page.index("</svg>")]
    assert len(re.findall(r'<circle class="point"', svg)) == 3 + 3 + 2  # G&B, mMASI, GAIS
    assert svg.count("<polyline") == 3
    for label in (
        "Goodman &amp; Baron grade",
        "mMASI",
        "GAIS (patient-rated)",
        "3 moderate",
        "2 mild",
        "1 very much improved",
        "1 Apr 2026",
        "11 Apr 2026",
        "11 May 2026",
        "Goodman &amp; Baron grade 2 on 11 May 2026 (session 2)",
    ):
        assert label in svg, label
    assert "Goodman &amp; Baron grade went from 3 (moderate) to 2 (mild) over 2 sessions." in page
    times = "\N{MULTIPLICATION SIGN}"
    assert f"1 mm {times} 4" in page
    assert f"1.5 mm {times} 4" in page
    assert "bruising" in page
    assert "a cold sore" in page
    assert "Day 1: cold sore" in page
    assert AuditEvent.objects.filter(
        action="view", object_type="clinic.course", object_id=str(treated.pk)
    ).exists()


# ---- completing a course ----------------------------------------------------------------------


def test_it_completes_a_course_and_stores_its_summary(personas, treated, client_for):
    make_session(treated, 3, days_ago(-10), personas.practitioner, signed=False, status="cancelled")
    client = client_for(personas.practitioner)
    response = client.post(reverse("clinic:course_complete", args=[treated.pk]))
    assert response.status_code == 302
    treated.refresh_from_db()
    assert (treated.status, treated.version) == ("completed", 2)
    assert treated.summary["sessions"] == {"signed": 2, "cancelled": 1, "total": 3, "took_place": [1, 2]}
    assert treated.summary["depths_mm"] == {"cheeks": ["1", "1.5"], "forehead": ["0.5", None]}
    assert treated.summary["text"][1].startswith("Goodman & Baron grade went from 3")
    assert treated.summary["completed_by"] == "paula"
    assert AuditEvent.objects.filter(
        action="change", object_type="clinic.course", summary="course completed"
    ).exists()
    page = client.get(reverse("clinic:course_summary", args=[treated.pk])).content.decode()
    assert "Complete the course" not in page


def test_it_refuses_to_complete_a_course_with_an_open_session(personas, treated, client_for):
    make_session(treated, 3, days_ago(-10), personas.practitioner, signed=False)
    client = client_for(personas.director)
    response = client.post(reverse("clinic:course_complete", args=[treated.pk]), follow=True)
    assert "Sign or cancel every session first; still open: session 3." in response.content.decode()
    treated.refresh_from_db()
    assert (treated.status, treated.summary) == ("approved", None)


def test_it_refuses_to_complete_a_course_twice_or_without_a_signed_session(personas, course_a, client_for):
    with pytest.raises(ServiceError, match="No session of this course was signed"):
        course_complete(course=course_a, actor=personas.practitioner)
    make_session(course_a, 1, days_ago(5), personas.practitioner)
    course_complete(course=course_a, actor=personas.practitioner)
    with pytest.raises(ServiceError, match="this one is completed"):
        course_complete(course=course_a, actor=personas.practitioner)
    url = reverse("clinic:course_complete", args=[course_a.pk])
    assert client_for(personas.practitioner).get(url).status_code == 405


# ---- outcomes that mean what they say ---------------------------------------------------------


def test_it_refuses_outcomes_for_a_session_that_has_not_taken_place(personas, course_a, client_for):
    ahead = make_session(course_a, 1, days_ago(-14), personas.practitioner, signed=False)
    scores = {
        "goodman_baron_grade": 2,
        "scar_counts": None,
        "mmasi": None,
        "gais": 2,
        "actor": personas.practitioner,
    }
    with pytest.raises(ServiceError) as refused:  # the safety gate: the visit's day has not come
        outcome_record(course=course_a, session=ahead, kind="visit", **scores)
    assert "cannot be given outcomes before that day" in refused.value.message
    missed = make_session(course_a, 2, days_ago(3), personas.practitioner, signed=False)
    with pytest.raises(ServiceError) as refused:  # its day has passed, but nothing was given
        outcome_record(course=course_a, session=missed, kind="visit", **scores)
    assert refused.value.field == "session"
    assert refused.value.message.startswith("Session 2 has not taken place yet (its chart is not signed)")
    with pytest.raises(ServiceError, match="Choose the visit"):
        outcome_record(course=course_a, kind="visit", **scores)
    with pytest.raises(ServiceError, match="No session of this course has taken place yet"):
        outcome_record(course=course_a, kind="course_end", **scores)

    client = client_for(personas.practitioner)
    page = client.get(reverse("clinic:outcome_new", args=[course_a.pk]))
    assert [c for c, _ in page.context["form"].fields["session"].choices] == [""]
    assert "No session of this course has taken place yet" in page.content.decode()
    response = outcome_post(client, course_a, session=str(ahead.pk), gais="2")
    assert "Choose a session that has taken place" in response.content.decode()
    assert not Outcome.objects.exists()


def test_it_dates_visit_scores_by_the_visit_and_course_end_scores_by_the_day_recorded(
    personas, course_a, frozen
):
    session = make_session(course_a, 1, days_ago(20), personas.practitioner)
    at_visit = outcome_record(
        course=course_a,
        session=session,
        kind="visit",
        goodman_baron_grade=3,
        scar_counts=None,
        mmasi=None,
        gais=None,
        actor=personas.practitioner,
    )
    after = outcome_record(
        course=course_a,
        kind="course_end",
        goodman_baron_grade=2,
        scar_counts=None,
        mmasi=None,
        gais=2,
        actor=personas.practitioner,
    )
    assert at_visit.taken_on == dt.date(2026, 5, 21)  # recorded on 10 June, taken at the visit
    assert after.taken_on == dt.date(2026, 6, 10)
    series = course_summary(course_a).series["goodman_baron"]
    assert [(p.date, p.label) for p in series] == [
        (dt.date(2026, 5, 21), "session 1"),
        (dt.date(2026, 6, 10), "after the course"),
    ]


def test_it_stores_blank_scar_counts_as_not_counted_and_shows_them_so(personas, course_a, client_for):
    session = make_session(course_a, 1, days_ago(1), personas.practitioner)
    client = client_for(personas.practitioner)
    outcome_post(
        client,
        course_a,
        session=str(session.pk),
        **{"scar-cheeks-boxcar": "0", "scar-cheeks-rolling": "5", "scar-forehead-icepick": ""},
    )
    outcome_post(client, course_a, session=str(session.pk), gais="3")
    counted, scored = Outcome.objects.order_by("pk")
    assert counted.scar_counts == {
        "cheeks": {"icepick": None, "boxcar": 0, "rolling": 5, "hypertrophic": None}
    }  # a typed 0 stays 0
    assert scored.scar_counts == {}
    page = client.get(reverse("clinic:course_summary", args=[course_a.pk])).content.decode()
    assert "cheeks: icepick not counted, boxcar 0, rolling 5, hypertrophic not counted" in page
    assert page.count("<td>not counted</td>") == 1  # the GAIS-only outcome counted no scar


def test_it_refuses_a_scar_count_of_an_unknown_type_even_when_blank(personas, course_a):
    session = make_session(course_a, 1, days_ago(1), personas.practitioner)
    with pytest.raises(ServiceError, match=r"Unknown scar type\(s\) in cheeks: pitted\."):
        outcome_record(
            course=course_a,
            session=session,
            kind="visit",
            goodman_baron_grade=None,
            scar_counts={"cheeks": {"pitted": None, "boxcar": 2}},
            mmasi=None,
            gais=None,
            actor=personas.practitioner,
        )
    assert not Outcome.objects.exists()


def test_it_counts_only_sessions_that_took_place_in_the_summary(personas, course_a, client_for):
    make_session(course_a, 1, days_ago(40), personas.practitioner, areas=[("cheeks", "1.00", 4)])
    make_session(
        course_a,
        2,
        days_ago(0),
        personas.practitioner,
        signed=False,
        status="in_progress",
        areas=[("cheeks", "1.50", 4), ("forehead", "0.50", 2)],
        events=[("bruising", "mild")],
    )
    make_session(course_a, 3, days_ago(-30), personas.practitioner, signed=False)
    summary = course_summary(course_a)
    assert summary.sentences[0] == "1 of 3 sessions done."
    assert summary.sentences[-2] == "No adverse events recorded."  # session 2 is not signed yet
    assert [(area, [c and c.depth_mm for c in cells]) for area, cells in summary.depths] == [
        ("cheeks", [Decimal("1.00")]),
        ("forehead", [None]),
    ]
    assert summary.as_json()["sessions"]["took_place"] == [1]
    page = (
        client_for(personas.practitioner)
        .get(reverse("clinic:course_summary", args=[course_a.pk]))
        .content.decode()
    )
    assert "Not taken place: session 2 (being charted), session 3 (planned)." in page
    table = page[page.index('id="sessions-heading"') : page.index('id="ae-heading"')]
    assert "Session 1<br>" in table
    assert "Session 2<br>" not in table
    assert "1.5 mm" not in table


def test_the_aftercare_services_read_the_clinic_protocols_recovery_rules():
    from needlepoint.clinic.protocol import clinic_protocol
    from needlepoint.clinic.services import aftercare
    from needlepoint.clinical.recovery import RecoveryRules

    rules = RecoveryRules.of(clinic_protocol())
    assert rules == aftercare.RULES
    assert aftercare.CHECK_IN_DAYS == rules.check_in_days == clinic_protocol().check_in_days
    assert tuple(rules.warning_signs) == aftercare.WARNING_SIGNS
