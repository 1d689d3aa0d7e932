"""The waiting list booked in one go: dates proposed for every waiting course by the batch
optimiser (greedy first-fit alongside, for the figures), then each ticked course booked on its
own, all or nothing.

Personas: patient A and B (refused: 404), front desk, practitioner and medical director (may),
anonymous (sent to sign in).

Time is frozen on Wednesday 25 November 2026, 09:00 in London (GMT). Each fixture course has
4 sessions 28-60 days apart, its first window 9 Dec 2026-10 Jan 2027; a visit is 30 minutes
numbing in a chair and 60 minutes treatment with a practitioner, a treatment room and a pen.
On Wednesday 9 December only Paula treats, so courses proposed together queue up behind her."""

import datetime as dt
from collections import defaultdict
from typing import Any

import pytest
import time_machine
from booking_helpers import LONDON, NOW, approved_course
from django.core import signing
from django.db.models import F
from django.urls import reverse
from test_services import resign

from needlepoint.audit.models import AuditEvent
from needlepoint.bookings.models import Appointment, Closure, Hold, Location
from needlepoint.bookings.services._common import CONFLICT as CONFLICT_WORDS
from needlepoint.bookings.services.book import course_book
from needlepoint.bookings.services.cancel import appointment_cancel
from needlepoint.bookings.services.preferences import Preferences
from needlepoint.bookings.services.search import PROPOSAL_SALT, course_options
from needlepoint.bookings.services.waiting_list import (
    BLOCKED,
    BOOKED,
    CONFLICT,
    PARTLY_BOOKED,
    PROPOSED,
    REFUSED,
    SKIPPED,
    UNPLACED,
    WaitingListPlan,
    waiting_list_book,
    waiting_list_count,
    waiting_list_proposals,
)
from needlepoint.bookings.services.waiting_list_placing import NO_ROOM
from needlepoint.clinic.models import VISIT_STATUSES, Course, Patient, TreatmentSession
from needlepoint.clinic.services import ServiceError

PLAN = "bookings:waiting_list_plan"
BOOK = "bookings:waiting_list_book"
BUTTON = "Propose dates for every waiting course"


@pytest.fixture(autouse=True)
def frozen() -> Any:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def waiting(personas: Any, intake_a: dict[str, Any], bookable_course: Course) -> list[Course]:
    """Five approved, consented courses waiting to be booked: patient A's and four others'."""
    others = [
        Patient.objects.create(first_name=name, last_name="Waiting", birth_date=dt.date(1990, 1, 1))
        for name in ("Cara", "Dev", "Eli", "Fay")
    ]
    return [bookable_course, *(approved_course(personas, intake_a, p) for p in others)]


def propose(actor: Any, **kwargs: Any) -> WaitingListPlan:
    return waiting_list_proposals(actor=actor, time_limit_s=5.0, **kwargs)


def tokens(plan: WaitingListPlan) -> dict[int, str]:
    return {c.course.pk: c.proposal.token for c in plan.proposed if c.proposal}


def holds(plan: WaitingListPlan) -> list[tuple[str, dt.datetime, dt.datetime]]:
    """Every resource each proposal would hold, read from its signed token."""
    out = []
    for token in tokens(plan).values():
        for session in signing.loads(token, salt=PROPOSAL_SALT)["sessions"]:
            out += [
                (h[0], dt.datetime.fromisoformat(h[4]), dt.datetime.fromisoformat(h[5]))
                for h in session["holds"]
            ]
    return out


def clashes(held: list[tuple[str, dt.datetime, dt.datetime]]) -> list[str]:
    """The resources held twice at once."""
    by: dict[str, list[tuple[dt.datetime, dt.datetime]]] = defaultdict(list)
    for resource, start, end in held:
        by[resource].append((start, end))
    return [
        r
        for r, spans in by.items()
        if any(a[1] > b[0] for a, b in zip(sorted(spans), sorted(spans)[1:], strict=False))
    ]


def counts(course: Course) -> tuple[int, int, int]:
    """(appointments, holds, scheduled sessions) of `course`."""
    return (
        Appointment.objects.filter(course=course).count(),
        Hold.objects.filter(appointment__course=course).count(),
        TreatmentSession.objects.filter(course=course, appointment__status__in=VISIT_STATUSES).count(),
    )


def take_first_room(plan: WaitingListPlan, course: Course, personas: Any, clinic: Any) -> None:
    """Book the treatment room of `course`'s first proposed session behind the proposal's back."""
    first = next(c for c in plan.proposed if c.course == course).proposal.sessions[0]
    holder = Appointment.objects.create(
        patient=personas.record_b,
        appointment_type=clinic.consultation,
        location=clinic.location,
        starts_at=first.starts_at,
        ends_at=first.ends_at,
        created_by=personas.front_desk,
    )
    Hold.objects.create(
        appointment=holder,
        resource=f"room:{first.room_id}",
        role="room",
        kind="treatment",
        step="consultation",
        starts_at=first.ends_at - dt.timedelta(minutes=5),
        ends_at=first.ends_at,
    )


# ---- proposing ----------------------------------------------------------------------------------


def test_it_proposes_every_waiting_course_inside_its_windows_without_sharing_anything(waiting, personas):
    plan = propose(personas.front_desk)

    assert [c.course for c in plan.courses] == waiting  # longest waiting first
    assert {c.state for c in plan.courses} == {PROPOSED}
    sessions = [s for c in plan.proposed for s in c.proposal.sessions]
    assert len(sessions) == plan.sessions_proposed == 20
    assert all(s.inside_window for s in sessions)
    assert all([s.number for s in c.proposal.sessions] == [1, 2, 3, 4] for c in plan.proposed)
    firsts = sorted(c.proposal.sessions[0].starts_at for c in plan.proposed)
    assert firsts[0] == dt.datetime(2026, 12, 9, 9, 0, tzinfo=dt.UTC)  # the earliest there is
    assert {f.date() for f in firsts} == {dt.date(2026, 12, 9)}  # Paula has room for all five that day
    assert len(set(firsts)) == 5  # one after another
    held = holds(plan)
    assert {r.partition(":")[0] for r, _, _ in held} == {"practitioner", "room", "device"}
    assert clashes(held) == []


def test_it_reports_the_optimiser_against_greedy(waiting, personas):
    plan = propose(personas.practitioner)
    assert plan.optimiser is not None and plan.greedy is not None
    assert (plan.optimiser.method, plan.greedy.method) == ("optimiser", "greedy")
    assert plan.optimiser.sessions_requested == plan.greedy.sessions_requested == 20
    assert plan.optimiser.sessions_inside == 20 >= plan.greedy.sessions_inside
    assert 0 < plan.optimiser.solve_seconds < 5.0 and plan.seconds >= plan.optimiser.solve_seconds


def test_it_signs_proposals_that_book_exactly_what_was_shown(waiting, personas):
    plan = propose(personas.front_desk)
    course = plan.proposed[2]
    appointments = course_book(course=course.course, actor=personas.front_desk, token=course.proposal.token)
    assert [(a.starts_at, a.practitioner_id, a.room_id) for a in appointments] == [
        (s.starts_at, s.practitioner_id, s.room_id) for s in course.proposal.sessions
    ]


def test_it_lists_a_blocked_course_with_its_reason_and_never_books_it(waiting, unconsented_course, personas):
    plan = propose(personas.front_desk)

    blocked = next(c for c in plan.courses if c.course == unconsented_course)
    assert blocked.state == BLOCKED and blocked.proposal is None
    assert blocked.reasons == (
        "The patient has not signed the consent for this course yet: they sign it in "
        "the portal or on the clinic's tablet before the course is booked.",
    )
    assert plan.blocked == [blocked] and len(plan.proposed) == 5
    forged = resign(
        plan.proposed[0].proposal.token,
        course=unconsented_course.pk,  # signed, but blocked
        version=unconsented_course.version,
    )
    chosen = {**tokens(plan), unconsented_course.pk: forged}
    outcome = waiting_list_book(actor=personas.front_desk, tokens=chosen)

    refused = next(r for r in outcome.results if r.course_id == unconsented_course.pk)
    assert refused.status == REFUSED and "has not signed the consent" in refused.message
    assert counts(unconsented_course) == (0, 0, 0)
    assert len(outcome.booked) == 5 and not outcome.every_race_lost


def test_it_leaves_a_partly_booked_course_to_its_own_page(waiting, personas):
    first = course_options(course=waiting[0], actor=personas.front_desk, preferences=Preferences()).best
    booked = course_book(course=waiting[0], actor=personas.front_desk, token=first.token)
    last = Appointment.objects.get(pk=booked[3].pk)
    appointment_cancel(
        appointment=last, actor=personas.front_desk, reason="moving away", expected_version=last.version
    )

    plan = propose(personas.front_desk)

    skipped = plan.courses[0]
    assert (skipped.course, skipped.state, skipped.reasons) == (waiting[0], SKIPPED, (PARTLY_BOOKED,))
    assert [c.course for c in plan.proposed] == waiting[1:]
    assert (
        clashes(
            holds(plan) + [(h.resource, h.starts_at, h.ends_at) for h in Hold.objects.filter(active=True)]
        )
        == []
    )


def test_it_says_why_no_dates_fit_when_the_clinic_is_closed(waiting, personas, clinic):
    Closure.objects.create(
        location=clinic.location,
        first=dt.date(2026, 11, 25),
        last=dt.date(2027, 12, 31),
        reason="refurbishment",
    )
    plan = propose(personas.front_desk)

    assert plan.proposed == [] and len(plan.unplaced) == 5
    for course in plan.unplaced:
        assert course.state == UNPLACED and course.reasons[0] == NO_ROOM and len(course.reasons) > 1
    assert plan.optimiser.sessions_inside == plan.greedy.sessions_inside == 0


def test_it_proposes_only_the_courses_asked_for_and_says_why_one_is_not_waiting(waiting, personas):
    course_book(
        course=waiting[1],
        actor=personas.front_desk,
        token=course_options(
            course=waiting[1], actor=personas.front_desk, preferences=Preferences()
        ).best.token,
    )

    plan = propose(personas.front_desk, course_ids=[waiting[4].pk, waiting[1].pk, waiting[2].pk])

    assert [(c.course, c.state) for c in plan.courses] == [
        (waiting[2], PROPOSED),
        (waiting[4], PROPOSED),
        (waiting[1], BLOCKED),
    ]
    assert "already booked" in plan.courses[2].reasons[0]


def test_it_audits_every_course_it_looked_at(waiting, unconsented_course, personas):
    propose(personas.director)
    for course in (*waiting, unconsented_course):
        assert AuditEvent.objects.filter(
            action="view",
            object_type="clinic.course",
            object_id=str(course.pk),
            patient_id=course.patient_id,
            actor=personas.director,
        ).exists()
    event = AuditEvent.objects.get(object_type="bookings.waiting_list")
    assert event.summary == "proposed dates for the waiting list: 6 courses looked at, 5 proposed"


def test_it_refuses_patients_and_says_so_plainly(waiting, personas):
    for patient in (personas.patient_a, personas.patient_b):
        with pytest.raises(ServiceError, match="Only the clinic's staff can book courses"):
            propose(patient)
        with pytest.raises(ServiceError, match="Only the clinic's staff can book courses"):
            waiting_list_book(actor=patient, tokens={waiting[0].pk: "x"})
    assert not AuditEvent.objects.filter(actor__in=[personas.patient_a, personas.patient_b]).exists()
    assert not Appointment.objects.exists()


def test_it_needs_a_location_when_the_clinic_has_several(waiting, personas, clinic):
    Location.objects.create(name="Second clinic", opening_hours="mon-fri 09:00-17:00")
    with pytest.raises(ServiceError, match="Choose the clinic location to book at"):
        propose(personas.front_desk)
    assert len(propose(personas.front_desk, location=clinic.location).proposed) == 5


# ---- booking ------------------------------------------------------------------------------------


def test_it_books_every_chosen_course_whole(waiting, personas):
    plan = propose(personas.front_desk)
    chosen = {pk: t for pk, t in tokens(plan).items() if pk != waiting[3].pk}

    outcome = waiting_list_book(actor=personas.front_desk, tokens=chosen)

    assert [(r.course, r.status) for r in outcome.results] == [
        (c, BOOKED) for c in waiting if c != waiting[3]
    ]
    for course in waiting:
        assert counts(course) == ((0, 0, 0) if course == waiting[3] else (4, 16, 4))
    first, shown = outcome.results[0], plan.proposed[0].proposal.sessions[0].starts_at.astimezone(LONDON)
    assert first.message == (
        f"Booked 4 sessions: the first on {shown:%A} {shown.day} {shown:%B %Y} at {shown:%H:%M}."
    )
    assert len(first.appointments) == 4


def test_it_refuses_a_course_whose_slot_was_taken_meanwhile_and_books_the_others(waiting, personas, clinic):
    plan = propose(personas.front_desk)
    take_first_room(plan, waiting[2], personas, clinic)

    outcome = waiting_list_book(actor=personas.front_desk, tokens=tokens(plan))

    lost = outcome.results[2]
    assert (lost.course, lost.status, lost.message) == (waiting[2], CONFLICT, CONFLICT_WORDS)
    assert counts(waiting[2]) == (0, 0, 0)
    assert [r.status for r in outcome.results] == [BOOKED, BOOKED, CONFLICT, BOOKED, BOOKED]
    assert all(counts(c) == (4, 16, 4) for c in waiting if c != waiting[2])
    assert not outcome.every_race_lost


def test_it_refuses_a_course_changed_since_the_proposal(waiting, personas):
    plan = propose(personas.front_desk)
    Course.objects.filter(pk=waiting[0].pk).update(version=F("version") + 1)

    outcome = waiting_list_book(actor=personas.front_desk, tokens=tokens(plan))

    assert outcome.results[0].status == REFUSED
    assert outcome.results[0].message.startswith("The course has changed since these dates were proposed.")
    assert [r.status for r in outcome.results[1:]] == [BOOKED] * 4


def test_it_refuses_a_missing_token_an_unknown_course_and_an_empty_choice(waiting, personas):
    outcome = waiting_list_book(actor=personas.front_desk, tokens={waiting[0].pk: "", 999999: "x"})
    assert [(r.status, r.message) for r in outcome.results] == [
        (REFUSED, "The proposed dates for this course are missing from the form: propose dates again."),
        (REFUSED, "This course no longer exists."),
    ]
    with pytest.raises(ServiceError, match="Tick at least one course to book"):
        waiting_list_book(actor=personas.front_desk, tokens={})
    assert not Appointment.objects.exists()


# ---- pages --------------------------------------------------------------------------------------


def test_it_sends_anonymous_visitors_to_sign_in(client, waiting):
    for url in (reverse(PLAN), reverse(BOOK)):
        for method in (client.get, client.post):
            response = method(url)
            assert response.status_code == 302, url
            assert response["Location"].startswith("/accounts/login/"), url


@pytest.mark.parametrize("who", ["patient_a", "patient_b"])
def test_it_answers_404_to_patients(client_for, personas, waiting, who):
    client = client_for(getattr(personas, who))
    assert client.get(reverse(PLAN)).status_code == 404
    assert client.post(reverse(PLAN)).status_code == 404
    data = {"course": [waiting[0].pk], f"token-{waiting[0].pk}": "x"}
    assert client.post(reverse(BOOK), data).status_code == 404
    assert not Appointment.objects.exists()


@pytest.mark.parametrize("who", ["front_desk", "practitioner", "director"])
def test_it_shows_staff_the_button_in_fixed_queries(
    client_for, personas, waiting, unconsented_course, django_assert_num_queries, who
):
    client = client_for(getattr(personas, who))
    with django_assert_num_queries(4):
        response = client.get(reverse(PLAN))
    assert response.status_code == 200
    assert BUTTON in response.text
    assert "6 courses waiting to be booked." in response.text
    assert response.context["plan"] is None and waiting_list_count() == 6
    assert 'name="location"' not in response.text  # one location: nothing to choose


def test_it_previews_every_course_with_a_ticked_box(client_for, personas, waiting, unconsented_course):
    response = client_for(personas.front_desk).post(reverse(PLAN))

    assert response.status_code == 200
    plan = response.context["plan"]
    text = response.text
    assert len(plan.proposed) == 5
    assert text.count('type="checkbox" name="course"') == text.count(" checked>") == 5
    for course in plan.proposed:
        assert f'value="{course.course.pk}" checked' in text
        assert f'name="token-{course.course.pk}" value="{course.proposal.token}"' in text
        assert str(course.course.patient) in text
        for s in course.proposal.sessions:
            local = s.starts_at.astimezone(LONDON)
            assert f"{local:%a} {local.day} {local:%b %Y}, {local:%H:%M}" in text
            assert s.practitioner_name in text and s.room_name in text
    assert text.count('class="badge inside"') == 20 and 'class="badge outside"' not in text
    assert "Ben Brown" in text and "has not signed the consent for this course yet" in text
    assert f'name="token-{unconsented_course.pk}"' not in text
    assert "20 of 20 sessions inside their windows, worked out in" in text
    assert "Book the ticked courses" in text


def test_it_swaps_only_the_plan_for_htmx(client_for, personas, waiting):
    response = client_for(personas.front_desk).post(reverse(PLAN), headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<div id="plan">')
    assert "<html" not in response.text and response.text.count('name="course"') == 5


def test_it_asks_for_the_location_when_there_are_several(client_for, personas, waiting, clinic):
    Location.objects.create(name="Second clinic", opening_hours="mon-fri 09:00-17:00")
    client = client_for(personas.front_desk)
    assert 'name="location"' in client.get(reverse(PLAN)).text
    response = client.post(reverse(PLAN))
    assert response.status_code == 400
    assert "Location: choose where to book." in response.text
    response = client.post(reverse(PLAN), {"location": clinic.location.pk})
    assert response.status_code == 200 and len(response.context["plan"].proposed) == 5


def test_it_books_the_ticked_courses_only(client_for, personas, waiting):
    client = client_for(personas.front_desk)
    plan = client.post(reverse(PLAN)).context["plan"]
    data: dict[str, Any] = {f"token-{pk}": t for pk, t in tokens(plan).items()}
    data["course"] = [waiting[0].pk, waiting[4].pk]  # the others unticked

    response = client.post(reverse(BOOK), data)

    assert response.status_code == 200
    assert "Booked 2 of 2 courses" in response.text
    assert response.text.count("Booked 4 sessions: the first on") == 2
    assert [counts(c)[0] for c in waiting] == [4, 0, 0, 0, 4]


def test_it_books_the_rest_when_one_course_lost_its_slots(client_for, personas, waiting, clinic):
    client = client_for(personas.front_desk)
    plan = client.post(reverse(PLAN)).context["plan"]
    take_first_room(plan, waiting[1], personas, clinic)
    data: dict[str, Any] = {f"token-{pk}": t for pk, t in tokens(plan).items()}
    data["course"] = list(tokens(plan))

    response = client.post(reverse(BOOK), data)

    assert response.status_code == 200
    assert "Booked 4 of 5 courses" in response.text
    assert CONFLICT_WORDS in response.text and "propose dates again" in response.text
    assert [counts(c)[0] for c in waiting] == [4, 0, 4, 4, 4]


def test_it_answers_409_when_every_ticked_course_lost_its_slots(client_for, personas, waiting, clinic):
    client = client_for(personas.front_desk)
    plan = client.post(reverse(PLAN)).context["plan"]
    take_first_room(plan, waiting[3], personas, clinic)

    response = client.post(
        reverse(BOOK), {"course": [waiting[3].pk], f"token-{waiting[3].pk}": tokens(plan)[waiting[3].pk]}
    )

    assert response.status_code == 409
    assert "Booked 0 of 1 course" in response.text and CONFLICT_WORDS in response.text
    assert not Appointment.objects.filter(course__in=waiting).exists()


def test_it_asks_to_tick_a_course_when_none_is(client_for, personas, waiting):
    response = client_for(personas.front_desk).post(reverse(BOOK), {"course": ["", "x"]})
    assert response.status_code == 400
    assert "Nothing was booked: Tick at least one course to book." in response.text
    assert not Appointment.objects.exists()
