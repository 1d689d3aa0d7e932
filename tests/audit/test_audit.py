"""Searching the audit trail: the medical director only; filters, newest first, pages; the
search is itself audited; nothing can be changed through it.

Events are written at fixed times around the end of BST (25 October 2026, 01:00 UTC: clocks go
back to GMT), so day filters are checked in the clinic's zone across the change."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from needlepoint.audit.context import bind_request
from needlepoint.audit.models import AuditEvent
from needlepoint.audit.services import audit_record

NOW = dt.datetime(2026, 10, 26, 12, 0, tzinfo=dt.UTC)
URL = "/audit/"


@pytest.fixture
def frozen(monkeypatch):
    clock = {"now": NOW}
    monkeypatch.setattr(timezone, "now", lambda: clock["now"])
    return clock


def record_at(when, frozen, **kwargs):
    frozen["now"] = when
    try:
        return audit_record(**kwargs)
    finally:
        frozen["now"] = NOW


@pytest.fixture
def trail(personas, frozen, rf):
    """Four events: Paula views Anna (23:30 UTC on 24 Oct = 00:30 BST on 25 Oct), the front desk
    views Ben on 25 Oct, Paula changes Anna's record on 26 Oct, and an anonymous failed login."""
    request = rf.get("/", REMOTE_ADDR="203.0.113.7")
    with bind_request(request):
        a = record_at(
            dt.datetime(2026, 10, 24, 23, 30, tzinfo=dt.UTC),
            frozen,
            actor=personas.practitioner,
            action="view",
            obj=personas.record_a,
        )
    b = record_at(
        dt.datetime(2026, 10, 25, 9, 0, tzinfo=dt.UTC),
        frozen,
        actor=personas.front_desk,
        action="view",
        obj=personas.record_b,
    )
    c = record_at(
        dt.datetime(2026, 10, 26, 8, 0, tzinfo=dt.UTC),
        frozen,
        actor=personas.practitioner,
        action="change",
        obj=personas.record_a,
        summary="phone number",
    )
    d = record_at(
        dt.datetime(2026, 10, 26, 9, 0, tzinfo=dt.UTC),
        frozen,
        actor=None,
        action="login_failed",
        object_type="accounts.user",
        summary="username maria",
    )
    return {"a": a, "b": b, "c": c, "d": d}


def listed(response):
    """The ids of the events on the page, leaving out the record of this search itself."""
    return [e.pk for e in response.context["page"] if e.object_type != "audit.search"]


@pytest.mark.parametrize("who", ["practitioner", "front_desk", "patient_a", "patient_b"])
def test_it_shows_the_trail_to_the_medical_director_only(personas, trail, client_for, who):
    client = client_for(getattr(personas, who))
    assert client.get(URL).status_code == 404
    assert client.get(URL, {"patient_id": personas.record_a.pk}).status_code == 404
    assert not AuditEvent.objects.filter(object_type="audit.search").exists()


def test_it_sends_anonymous_visitors_to_sign_in(client, trail):
    assert reverse("clinic:audit_search") == URL
    response = client.get(URL)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_it_lists_who_what_when_and_from_where_newest_first(personas, trail, client_for):
    response = client_for(personas.director).get(URL)
    assert response.status_code == 200
    assert listed(response) == [trail[k].pk for k in ("d", "c", "b", "a")]
    page = response.content.decode()
    assert "paula (practitioner)" in page and "anonymous" in page
    assert "203.0.113.7" in page and "phone number" in page
    assert "25 Oct 2026, 00:30:00" in page  # 23:30 UTC shown in London (BST)
    assert "Changed clinic.patient #" in page and "Anna Alvarez" in page


def test_it_audits_the_search_itself(personas, trail, client_for):
    client_for(personas.director).get(
        URL, {"patient_id": personas.record_a.pk, "actor": "paula", "page": "1"}
    )
    event = AuditEvent.objects.get(object_type="audit.search")
    assert event.actor == personas.director and event.action == "view"
    assert event.patient_id == personas.record_a.pk
    assert event.summary == f"search patient={personas.record_a.pk} actor=paula page 1"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"actor": "PAULA"}, ["c", "a"]),
        ({"actor": "anonymous"}, ["d"]),
        ({"action": "view"}, ["b", "a"]),
        ({"object_type": "accounts.user"}, ["d"]),
        ({"date_from": "2026-10-25", "date_to": "2026-10-25"}, ["b", "a"]),  # days in London
        ({"date_from": "2026-10-26"}, ["d", "c"]),
        ({"date_to": "2026-10-24"}, []),
        ({"actor": "paula", "action": "change"}, ["c"]),
    ],
)
def test_it_filters_the_trail(personas, trail, client_for, query, expected):
    response = client_for(personas.director).get(URL, query)
    assert listed(response) == [trail[k].pk for k in expected]


def test_it_filters_by_patient(personas, trail, client_for):
    response = client_for(personas.director).get(URL, {"patient_id": personas.record_b.pk})
    assert listed(response) == [trail["b"].pk]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        (
            {"date_from": "2026-10-26", "date_to": "2026-10-25"},
            "The end day must be on or after the start day.",
        ),
        ({"patient_id": "abc"}, "Enter a whole number."),
        ({"action": "delete"}, "Select a valid choice."),
    ],
)
def test_it_explains_bad_filters_and_lists_nothing(personas, trail, client_for, query, message):
    response = client_for(personas.director).get(URL, query)
    assert response.status_code == 200 and response.context["page"] is None
    assert message in response.content.decode()
    assert not AuditEvent.objects.filter(object_type="audit.search").exists()


def test_it_pages_the_trail_and_keeps_the_filters(personas, frozen, client_for):
    for i in range(120):
        record_at(
            NOW - dt.timedelta(minutes=i),
            frozen,
            actor=personas.practitioner,
            action="view",
            obj=personas.record_a,
            summary=f"event {i}",
        )
    client = client_for(personas.director)
    response = client.get(URL, {"actor": "paula", "page": "2"})
    page = response.context["page"]
    assert page.number == 2 and page.paginator.count == 120
    assert [e.summary for e in page][:2] == ["event 50", "event 51"]
    assert "actor=paula&amp;page=3" in response.content.decode()


def test_it_renders_only_the_results_for_htmx(personas, trail, client_for):
    response = client_for(personas.director).get(URL, {"action": "view"}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert body.lstrip().startswith('<section id="results"') and "<html" not in body


def test_it_is_read_only(personas, trail, client_for):
    client = client_for(personas.director)
    for method in (client.post, client.put, client.delete):
        assert method(URL).status_code == 405
    assert client_for(personas.practitioner).post(URL).status_code == 404
    assert AuditEvent.objects.count() == 4


@pytest.mark.parametrize("events", [5, 80])
def test_it_lists_a_page_in_a_fixed_number_of_queries(
    personas, frozen, client_for, django_assert_num_queries, events
):
    for i in range(events):
        record_at(
            NOW - dt.timedelta(minutes=i),
            frozen,
            actor=personas.practitioner,
            action="view",
            obj=personas.record_a,
        )
    client = client_for(personas.director)
    # session + user, the search's own audit event, the count, the page, the page's patients
    with django_assert_num_queries(6):
        assert client.get(URL, {"actor": "paula"}).status_code == 200
