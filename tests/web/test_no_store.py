"""No page of the application stays in a browser's or a proxy's cache: every answer of a view
(staff pages, the patient portal, htmx fragments, refusals and the public pages) says
`Cache-Control: no-store, private` and varies by cookie, so Back on a shared computer after
signing out shows nothing and no proxy hands one person's page to another. Static files keep
their own caching (they hold no patient data).

Personas: patient A, practitioner, front desk, medical director and an anonymous visitor."""

import pytest
from django.urls import reverse

HTMX = {"HTTP_HX_REQUEST": "true"}


def assert_not_stored(response):
    directives = {d.strip() for d in response["Cache-Control"].split(",")}
    vary = {v.strip().lower() for v in response.get("Vary", "").split(",")}
    assert ({"no-store", "private"} <= directives, "cookie" in vary) == (True, True), (
        response["Cache-Control"],
        response.get("Vary"),
    )


@pytest.mark.parametrize(
    ("who", "name", "args", "extra"),
    [
        ("practitioner", "clinic:dashboard", [], {}),
        ("front_desk", "clinic:patient_list", [], {}),
        ("front_desk", "clinic:patient_list", [], HTMX),  # the live search's fragment
        ("practitioner", "clinic:patient_detail", ["record_a"], {}),
        ("director", "clinic:audit_search", [], HTMX),
        ("front_desk", "bookings:calendar", [], {}),
        ("patient_a", "portal:home", [], {}),
    ],
)
def test_it_marks_every_page_with_patient_data_not_to_be_stored(client_for, personas, who, name, args, extra):
    url = reverse(name, args=[getattr(personas, a).pk for a in args])
    response = client_for(getattr(personas, who)).get(url, **extra)
    assert response.status_code == 200  # the real user is served
    assert_not_stored(response)


def test_it_marks_a_refusal_and_the_public_pages_too(client_for, client, personas):
    url = reverse("clinic:patient_detail", args=[personas.record_a.pk])
    refused = client_for(personas.patient_b).get(url)
    assert refused.status_code == 404
    assert_not_stored(refused)
    for url in (reverse("accounts:login"), reverse("clinic:inquiry")):
        response = client.get(url)
        assert response.status_code == 200
        assert_not_stored(response)


def test_it_leaves_static_files_cacheable(client, personas):
    response = client.get("/static/needlepoint/needlepoint.css")
    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")
