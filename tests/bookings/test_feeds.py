"""Calendar feeds (RFC 5545): what the practitioner's and the patient's feeds contain, read with a
standard iCalendar parser; the token (random, stored hashed, revocable); who may make and revoke
an address; the audit trail of every read.

Clock change used below: in Europe/London summer time began at 01:00 UTC on Sunday
28 March 2027, so 09:00 local is 09:00 UTC on Friday 26 March and 08:00 UTC on Monday 29 March."""

import datetime as dt
import hashlib
from typing import Any

import pytest
import time_machine
from django.urls import reverse
from icalendar import Calendar

from needlepoint.audit.models import AuditEvent
from needlepoint.bookings.models import Appointment, FeedToken
from needlepoint.bookings.services import feeds
from needlepoint.clinic.services import ServiceError

NOW = dt.datetime(2027, 3, 1, 12, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def frozen_clock() -> Any:
    with time_machine.travel(NOW, tick=False):
        yield


def _london(y: int, m: int, d: int, h: int, mi: int = 0) -> dt.datetime:
    import zoneinfo

    return dt.datetime(y, m, d, h, mi, tzinfo=zoneinfo.ZoneInfo("Europe/London"))


def _visit(
    clinic: Any,
    personas: Any,
    course: Any,
    *,
    number: int | None,
    starts_at: dt.datetime,
    practitioner: Any = None,
    room: int = 0,
) -> Appointment:
    session = course.sessions.get(number=number) if number else None
    return Appointment.objects.create(
        patient=course.patient,
        course=course,
        session=session,
        appointment_type=clinic.treatment,
        location=clinic.location,
        starts_at=starts_at,
        ends_at=starts_at + dt.timedelta(minutes=90),
        practitioner=practitioner or personas.practitioner,
        room=clinic.treatment_rooms[room],
        created_by=personas.front_desk,
    )


def _read(client: Any, raw: str) -> Calendar:
    response = client.get(reverse("bookings:feed", args=[raw]))
    assert response.status_code == 200, response.content
    return Calendar.from_ical(response.content)


def _events(cal: Calendar) -> dict[str, Any]:
    return {str(e["uid"]): e for e in cal.events}


def _uid(a: Appointment) -> str:
    return f"{a.uid}@needlepoint"


@pytest.fixture
def course_feed(personas: Any, bookable_course: Any) -> str:
    _, raw = feeds.feed_token_create(actor=personas.patient_a, course=bookable_course)
    return raw


@pytest.fixture
def paula_feed(personas: Any, clinic: Any) -> str:
    _, raw = feeds.feed_token_create(actor=personas.practitioner, practitioner=personas.practitioner)
    return raw


# ---------------------------------------------------------------------------------------------
# What a feed says
# ---------------------------------------------------------------------------------------------


def test_it_publishes_a_named_calendar(client, clinic, personas, bookable_course, course_feed):
    _visit(clinic, personas, bookable_course, number=1, starts_at=_london(2027, 3, 26, 9))
    cal = _read(client, course_feed)
    assert str(cal["version"]) == "2.0"
    assert str(cal["method"]) == "PUBLISH"
    assert "Needlepoint" in str(cal["prodid"])
    assert str(cal["x-wr-calname"]).endswith("my microneedling course")
    assert str(cal["x-published-ttl"]) == "PT1H"


def test_it_keeps_the_uid_and_raises_the_sequence_when_a_visit_moves(
    client, clinic, personas, bookable_course, course_feed
):
    visit = _visit(clinic, personas, bookable_course, number=2, starts_at=_london(2027, 4, 20, 10))
    before = _events(_read(client, course_feed))[_uid(visit)]
    Appointment.objects.filter(pk=visit.pk).update(
        starts_at=_london(2027, 4, 22, 14), ends_at=_london(2027, 4, 22, 15, 30), sequence=1
    )

    events = _events(_read(client, course_feed))
    assert list(events) == [_uid(visit)]
    after = events[_uid(visit)]
    assert int(before["sequence"]) == 0 and int(after["sequence"]) == 1
    assert after["dtstart"].dt == dt.datetime(2027, 4, 22, 13, 0, tzinfo=dt.UTC)  # BST: UTC+1


def test_it_sends_a_cancelled_visit_as_a_cancelled_event(
    client, clinic, personas, bookable_course, course_feed
):
    kept = _visit(clinic, personas, bookable_course, number=1, starts_at=_london(2027, 3, 26, 9))
    cancelled = _visit(clinic, personas, bookable_course, number=2, starts_at=_london(2027, 4, 27, 9))
    Appointment.objects.filter(pk=cancelled.pk).update(status="cancelled", cancelled_at=NOW, sequence=2)

    events = _events(_read(client, course_feed))
    assert str(events[_uid(cancelled)]["status"]) == "CANCELLED"
    assert int(events[_uid(cancelled)]["sequence"]) == 2
    assert str(events[_uid(cancelled)]["summary"]).startswith("Cancelled: ")
    assert str(events[_uid(kept)]["status"]) == "CONFIRMED"


def test_it_gives_times_in_utc_right_across_the_spring_clock_change(
    client, clinic, personas, bookable_course, course_feed
):
    # Summer time began 28 March 2027, 01:00 UTC: 09:00 in London is 09:00Z before, 08:00Z after.
    friday = _visit(clinic, personas, bookable_course, number=1, starts_at=_london(2027, 3, 26, 9))
    monday = _visit(clinic, personas, bookable_course, number=2, starts_at=_london(2027, 3, 29, 9))
    response = client.get(reverse("bookings:feed", args=[course_feed]))
    assert b"DTSTART:20270326T090000Z" in response.content
    assert b"DTSTART:20270329T080000Z" in response.content
    events = _events(Calendar.from_ical(response.content))
    assert events[_uid(friday)]["dtstart"].dt == dt.datetime(2027, 3, 26, 9, tzinfo=dt.UTC)
    assert events[_uid(monday)]["dtstart"].dt == dt.datetime(2027, 3, 29, 8, tzinfo=dt.UTC)
    assert events[_uid(monday)]["dtend"].dt == dt.datetime(2027, 3, 29, 9, 30, tzinfo=dt.UTC)


def test_it_shows_the_patient_only_their_own_course_in_plain_words(
    client, clinic, personas, bookable_course, unconsented_course, course_feed
):
    own = _visit(clinic, personas, bookable_course, number=2, starts_at=_london(2027, 3, 29, 9))
    other = _visit(clinic, personas, unconsented_course, number=1, starts_at=_london(2027, 3, 29, 11))
    response = client.get(reverse("bookings:feed", args=[course_feed]))

    events = _events(Calendar.from_ical(response.content))
    assert list(events) == [_uid(own)]
    assert _uid(other).encode() not in response.content
    assert b"Ben" not in response.content and b"Brown" not in response.content
    event = events[_uid(own)]
    assert str(event["summary"]) == "Microneedling session 2 of 4"
    assert "Main clinic" in str(event["location"])
    description = str(event["description"])
    assert "Preparation starts 14 days before this session (from Monday 15 March 2027)" in description


def test_it_shows_the_practitioner_only_their_own_appointments_with_patient_names(
    client, clinic, personas, bookable_course, unconsented_course, paula_feed
):
    anna = _visit(clinic, personas, bookable_course, number=2, starts_at=_london(2027, 3, 29, 9))
    ben = _visit(clinic, personas, unconsented_course, number=1, starts_at=_london(2027, 3, 29, 11), room=1)
    marias = _visit(
        clinic,
        personas,
        bookable_course,
        number=3,
        starts_at=_london(2027, 4, 27, 9),
        practitioner=personas.director,
    )

    events = _events(_read(client, paula_feed))
    assert set(events) == {_uid(anna), _uid(ben)}
    assert _uid(marias) not in events
    assert str(events[_uid(anna)]["summary"]) == "Anna Alvarez: microneedling session 2 of 4"
    assert "Ben Brown" in str(events[_uid(ben)]["summary"])
    assert "Treatment room 2" in str(events[_uid(ben)]["location"])


def test_it_leaves_out_visits_older_than_sixty_days(client, clinic, personas, bookable_course, course_feed):
    old = _visit(clinic, personas, bookable_course, number=1, starts_at=NOW - dt.timedelta(days=61))
    recent = _visit(clinic, personas, bookable_course, number=2, starts_at=NOW - dt.timedelta(days=59))
    events = _events(_read(client, course_feed))
    assert _uid(recent) in events and _uid(old) not in events


def test_it_serves_text_calendar_that_nobody_caches(client, clinic, personas, bookable_course, course_feed):
    response = client.get(reverse("bookings:feed", args=[course_feed]))
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]


def test_it_reads_a_feed_in_a_fixed_number_of_queries(
    client, clinic, personas, bookable_course, course_feed, django_assert_num_queries
):
    for n in (1, 2, 3, 4):
        _visit(clinic, personas, bookable_course, number=n, starts_at=_monthly(n))
    # token lookup, appointments, last-used update, audit event (plus the savepoint pair)
    with django_assert_num_queries(6):
        response = client.get(reverse("bookings:feed", args=[course_feed]))
    assert len(Calendar.from_ical(response.content).events) == 4


def _monthly(n: int) -> dt.datetime:
    return _london(2027, 3, 1, 9) + dt.timedelta(days=30 * n)


# ---------------------------------------------------------------------------------------------
# The token
# ---------------------------------------------------------------------------------------------


def test_it_answers_404_for_an_unknown_token(client, clinic):
    response = client.get(reverse("bookings:feed", args=["not-a-real-token"]))
    assert response.status_code == 404


def test_it_answers_a_revoked_token_exactly_like_an_unknown_one(client, personas, bookable_course):
    token, raw = feeds.feed_token_create(actor=personas.front_desk, course=bookable_course)
    assert client.get(reverse("bookings:feed", args=[raw])).status_code == 200
    feeds.feed_token_revoke(actor=personas.patient_a, token=token)

    revoked = client.get(reverse("bookings:feed", args=[raw]))
    unknown = client.get(reverse("bookings:feed", args=["x" * len(raw)]))
    assert revoked.status_code == unknown.status_code == 404
    assert revoked.content == unknown.content


def test_it_stores_only_a_hash_of_the_token(personas, bookable_course):
    token, raw = feeds.feed_token_create(actor=personas.front_desk, course=bookable_course)
    token.refresh_from_db()
    assert len(raw) >= 43  # 32 random bytes, URL-safe base64
    assert token.token_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert not FeedToken.objects.filter(token_hash=raw).exists()
    assert raw not in str(list(FeedToken.objects.values_list()))
    assert feeds.feed_for_token(raw) == token


def test_it_makes_a_different_token_each_time(personas, bookable_course):
    _, first = feeds.feed_token_create(actor=personas.front_desk, course=bookable_course)
    _, second = feeds.feed_token_create(actor=personas.front_desk, course=bookable_course)
    assert first != second


def test_it_stops_a_practitioner_feed_when_the_practitioner_leaves(client, personas, paula_feed):
    personas.practitioner.is_active = False
    personas.practitioner.save()
    assert client.get(reverse("bookings:feed", args=[paula_feed])).status_code == 404


def test_it_notes_when_a_feed_was_last_read(client, personas, bookable_course, course_feed):
    client.get(reverse("bookings:feed", args=[course_feed]))
    assert FeedToken.objects.get().last_used_at == NOW


# ---------------------------------------------------------------------------------------------
# Who may make and revoke addresses (services)
# ---------------------------------------------------------------------------------------------


def test_it_lets_practitioners_make_only_their_own_feed(personas, clinic):
    with pytest.raises(ServiceError, match="only for your own appointments"):
        feeds.feed_token_create(actor=personas.practitioner, practitioner=personas.director)
    token, _ = feeds.feed_token_create(actor=personas.director, practitioner=personas.practitioner)
    assert token.practitioner == personas.practitioner and token.created_by == personas.director


@pytest.mark.parametrize("who", ["front_desk", "patient_a"])
def test_it_refuses_a_practitioner_feed_to_non_clinical_users(personas, clinic, who):
    with pytest.raises(ServiceError):
        feeds.feed_token_create(actor=getattr(personas, who), practitioner=personas.practitioner)
    assert not FeedToken.objects.exists()


def test_it_refuses_a_course_feed_to_another_patient(personas, bookable_course):
    with pytest.raises(ServiceError, match="may not make a calendar feed for this course"):
        feeds.feed_token_create(actor=personas.patient_b, course=bookable_course)
    assert not FeedToken.objects.exists()


def test_it_refuses_revoking_to_someone_who_may_not_manage_the_feed(personas, bookable_course, course_feed):
    token = FeedToken.objects.get()
    with pytest.raises(ServiceError, match="may not revoke"):
        feeds.feed_token_revoke(actor=personas.patient_b, token=token)
    assert feeds.feed_for_token(course_feed) is not None


def test_it_says_so_when_a_feed_was_already_revoked(personas, bookable_course, course_feed):
    token = FeedToken.objects.get()
    feeds.feed_token_revoke(actor=personas.front_desk, token=token)
    with pytest.raises(ServiceError, match="already revoked"):
        feeds.feed_token_revoke(actor=personas.front_desk, token=token)


def test_it_asks_whose_calendar_the_feed_is(personas, bookable_course):
    with pytest.raises(ServiceError, match="a practitioner or a course"):
        feeds.feed_token_create(actor=personas.director)
    with pytest.raises(ServiceError, match="a practitioner or a course"):
        feeds.feed_token_create(
            actor=personas.director, practitioner=personas.director, course=bookable_course
        )


# ---------------------------------------------------------------------------------------------
# Audit trail
# ---------------------------------------------------------------------------------------------


def test_it_audits_making_and_revoking_a_course_address(personas, bookable_course):
    token, _ = feeds.feed_token_create(actor=personas.patient_a, course=bookable_course)
    feeds.feed_token_revoke(actor=personas.front_desk, token=token)
    events = AuditEvent.objects.filter(object_type="bookings.feedtoken", object_id=str(token.pk))
    assert {(e.action, e.actor, e.patient_id) for e in events} == {
        ("create", personas.patient_a, personas.record_a.pk),
        ("change", personas.front_desk, personas.record_a.pk),
    }


def test_it_audits_a_course_feed_read_as_its_patient(client, clinic, personas, bookable_course, course_feed):
    _visit(clinic, personas, bookable_course, number=1, starts_at=_london(2027, 3, 26, 9))
    client.get(reverse("bookings:feed", args=[course_feed]))
    event = AuditEvent.objects.filter(action="view", object_type="clinic.course").get()
    assert event.actor == personas.patient_a
    assert event.patient_id == personas.record_a.pk
    assert "calendar feed" in event.summary and "1 appointment)" in event.summary


def test_it_audits_a_practitioner_feed_read_once_per_patient_shown(
    client, clinic, personas, bookable_course, unconsented_course, paula_feed
):
    _visit(clinic, personas, bookable_course, number=1, starts_at=_london(2027, 3, 26, 9))
    _visit(clinic, personas, bookable_course, number=2, starts_at=_london(2027, 4, 26, 9))
    _visit(clinic, personas, unconsented_course, number=1, starts_at=_london(2027, 3, 26, 11), room=1)
    client.get(reverse("bookings:feed", args=[paula_feed]))

    reads = AuditEvent.objects.filter(action="view", object_type="bookings.feedtoken")
    assert sorted(reads.values_list("patient_id", flat=True)) == sorted(
        [personas.record_a.pk, personas.record_b.pk]
    )
    assert {e.actor for e in reads} == {personas.practitioner}
    assert "2 appointments of this patient" in reads.get(patient_id=personas.record_a.pk).summary


# ---------------------------------------------------------------------------------------------
# Pages
# ---------------------------------------------------------------------------------------------


def test_it_shows_a_new_address_once_on_the_portal_page(client, client_for, personas, bookable_course):
    c = client_for(personas.patient_a)
    url = reverse("bookings:portal_course_feed", args=[bookable_course.pk])
    made = c.post(url)
    assert made.status_code == 200
    raw = made.context["new_address"]["https"].rsplit("/", 1)[1].removesuffix(".ics")
    assert "webcal://" in made.content.decode()
    assert client.get(reverse("bookings:feed", args=[raw])).status_code == 200

    again = c.get(url)
    assert again.status_code == 200
    assert raw not in again.content.decode()
    assert len(again.context["tokens"]) == 1


def test_it_refuses_the_portal_page_for_another_patients_course(client_for, personas, bookable_course):
    c = client_for(personas.patient_b)
    url = reverse("bookings:portal_course_feed", args=[bookable_course.pk])
    assert c.get(url).status_code == 404
    assert c.post(url).status_code == 404
    assert not FeedToken.objects.exists()


def test_it_refuses_the_portal_page_to_staff(client_for, personas, bookable_course):
    url = reverse("bookings:portal_course_feed", args=[bookable_course.pk])
    assert client_for(personas.front_desk).get(url).status_code == 404


def test_it_refuses_revoking_another_patients_address_through_the_portal(
    client_for, personas, bookable_course, course_feed
):
    token = FeedToken.objects.get()
    url = reverse("bookings:portal_course_feed_revoke", args=[bookable_course.pk, token.pk])
    assert client_for(personas.patient_b).post(url).status_code == 404
    assert feeds.feed_for_token(course_feed) is not None


def test_it_revokes_an_address_from_the_staff_course_page(
    client, client_for, personas, bookable_course, course_feed
):
    token = FeedToken.objects.get()
    c = client_for(personas.front_desk)
    page = c.get(reverse("bookings:course_feed", args=[bookable_course.pk]))
    assert page.status_code == 200 and len(page.context["tokens"]) == 1
    revoke = reverse("bookings:course_feed_revoke", args=[bookable_course.pk, token.pk])
    response = c.post(revoke, follow=True)
    assert "was revoked" in response.content.decode()
    assert client.get(reverse("bookings:feed", args=[course_feed])).status_code == 404
    again = c.post(revoke, follow=True)
    assert "already revoked" in again.content.decode()


def test_it_refuses_the_staff_course_page_to_patients(client_for, personas, bookable_course):
    url = reverse("bookings:course_feed", args=[bookable_course.pk])
    assert client_for(personas.patient_a).get(url).status_code == 404


def test_it_refuses_revoking_a_token_of_another_course_through_this_course(
    client_for, personas, bookable_course, unconsented_course
):
    token, raw = feeds.feed_token_create(actor=personas.front_desk, course=unconsented_course)
    url = reverse("bookings:course_feed_revoke", args=[bookable_course.pk, token.pk])
    assert client_for(personas.front_desk).post(url).status_code == 404
    assert feeds.feed_for_token(raw) is not None


def test_it_lets_a_practitioner_make_their_own_feed_on_their_page(client_for, personas, clinic):
    c = client_for(personas.practitioner)
    assert c.get(reverse("bookings:practitioner_feeds")).url == reverse(
        "bookings:practitioner_feed", args=[personas.practitioner.pk]
    )
    made = c.post(reverse("bookings:practitioner_feed", args=[personas.practitioner.pk]))
    assert made.status_code == 200 and made.context["new_address"]
    assert "no-store" in made["Cache-Control"] or "no-cache" in made["Cache-Control"]
    assert FeedToken.objects.get().practitioner == personas.practitioner


def test_it_refuses_a_practitioner_the_directors_feed_page(client_for, personas, clinic):
    c = client_for(personas.practitioner)
    url = reverse("bookings:practitioner_feed", args=[personas.director.pk])
    assert c.get(url).status_code == 404
    assert c.post(url).status_code == 404
    assert not FeedToken.objects.exists()


@pytest.mark.parametrize("who", ["front_desk", "patient_a"])
def test_it_refuses_practitioner_feed_pages_to_non_clinical_users(client_for, personas, clinic, who):
    c = client_for(getattr(personas, who))
    assert c.get(reverse("bookings:practitioner_feeds")).status_code == 404
    assert c.get(reverse("bookings:practitioner_feed", args=[personas.practitioner.pk])).status_code == 404


def test_it_lets_the_director_manage_any_practitioners_feed(client_for, personas, clinic):
    c = client_for(personas.director)
    listing = c.get(reverse("bookings:practitioner_feeds"))
    assert listing.status_code == 200 and "Paula" in listing.content.decode()
    made = c.post(reverse("bookings:practitioner_feed", args=[personas.practitioner.pk]))
    assert made.status_code == 200
    token = FeedToken.objects.get()
    revoke = reverse("bookings:practitioner_feed_revoke", args=[personas.practitioner.pk, token.pk])
    assert c.post(revoke).status_code == 302
    token.refresh_from_db()
    assert token.revoked_at == NOW


def test_it_refuses_a_feed_page_for_a_user_who_is_not_a_practitioner(client_for, personas, clinic):
    url = reverse("bookings:practitioner_feed", args=[personas.front_desk.pk])
    assert client_for(personas.director).get(url).status_code == 404
