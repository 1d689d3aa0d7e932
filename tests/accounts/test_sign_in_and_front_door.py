"""Signing in and out, failed sign-ins in the audit trail, the two-factor step of a returning
staff member, and the front door (each person sent to their own start page; the health check open
to anyone). Lockouts after repeated failures are in test_throttle.py.
The clock starts frozen (ticking) at Monday 23 November 2026, 09:00 in London (GMT)."""

import pytest
from django.test import override_settings
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from needlepoint.audit.models import AuditEvent

PASSWORD = "correct horse battery"


def sign_in(client, username, password, address="127.0.0.1"):
    return client.post(
        reverse("accounts:login"), {"username": username, "password": password}, REMOTE_ADDR=address
    )


def code(device):
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"


# -- failed sign-ins ------------------------------------------------------------------------------


def test_it_names_the_username_in_the_failed_sign_in_event(client, personas):
    sign_in(client, "nobody-here", "guess", address="203.0.113.5")
    event = AuditEvent.objects.get(action="login_failed")
    assert (event.summary, event.actor, event.ip) == ("failed sign-in for 'nobody-here'", None, "203.0.113.5")


def test_it_refuses_an_inactive_user_with_the_right_password(client, personas):
    personas.practitioner.is_active = False
    personas.practitioner.save()
    response = sign_in(client, "paula", PASSWORD)
    assert (response.status_code, "_auth_user_id" in client.session) == (200, False)


# -- signing in and out ----------------------------------------------------------------------------


def test_it_sends_a_signed_in_person_on_from_the_sign_in_page(client_for, personas):
    response = client_for(personas.front_desk).get(reverse("accounts:login"))
    assert (response.status_code, response["Location"]) == (302, reverse("home"))


def test_it_returns_to_the_page_asked_for_after_signing_in(client, personas):
    response = client.post(
        reverse("accounts:login") + "?next=/patients/", {"username": "frank", "password": PASSWORD}
    )
    assert response["Location"] == "/patients/"


def test_it_does_not_follow_an_offsite_next_after_signing_in(client, personas):
    response = client.post(
        reverse("accounts:login") + "?next=https://evil.example/", {"username": "frank", "password": PASSWORD}
    )
    assert response["Location"] == reverse("home")


def test_it_signs_out_and_then_asks_to_sign_in_again(client_for, personas):
    client = client_for(personas.practitioner)
    response = client.post(reverse("accounts:logout"))
    assert (response.status_code, response["Location"]) == (302, reverse("accounts:login"))
    after = client.get(reverse("clinic:dashboard"))
    assert after["Location"].startswith(reverse("accounts:login"))


# -- two-factor for a returning staff member -------------------------------------------------------


@pytest.fixture
def enrolled(personas):
    """Paula has set up her authenticator app on an earlier day."""
    return TOTPDevice.objects.create(user=personas.practitioner, name="authenticator", confirmed=True)


@override_settings(NEEDLEPOINT_REQUIRE_STAFF_2FA=True)
def test_it_asks_a_returning_staff_member_for_the_code_without_showing_the_secret(
    client_for, personas, enrolled
):
    page = client_for(personas.practitioner).get(reverse("accounts:two_factor"))
    body = page.content.decode()
    assert ("<svg" in body, "secret" in page.context, "form" in page.context) == (False, False, True)
    assert TOTPDevice.objects.filter(user=personas.practitioner).count() == 1


@override_settings(NEEDLEPOINT_REQUIRE_STAFF_2FA=True)
def test_it_lets_a_verified_staff_member_through_to_the_page_asked_for(client_for, personas, enrolled):
    client = client_for(personas.practitioner)
    response = client.post(reverse("accounts:two_factor"), {"token": code(enrolled), "next": "/patients/"})
    assert response["Location"] == "/patients/"
    assert client.get(reverse("clinic:patient_list")).status_code == 200


@override_settings(NEEDLEPOINT_REQUIRE_STAFF_2FA=True)
def test_it_explains_a_code_that_is_not_six_digits(client_for, personas, enrolled):
    response = client_for(personas.practitioner).post(reverse("accounts:two_factor"), {"token": "12ab"})
    assert "Enter the six digits your app shows." in response.content.decode()


@override_settings(NEEDLEPOINT_REQUIRE_STAFF_2FA=True)
def test_it_sends_a_staff_member_without_an_authenticator_to_their_invitation_link(client_for, personas):
    page = client_for(personas.front_desk).get(reverse("accounts:two_factor"))
    body = page.content.decode()
    assert (page.status_code, "invitation link" in body, "secret" in page.context) == (403, True, False)
    assert TOTPDevice.objects.filter(user=personas.front_desk).count() == 0


@override_settings(NEEDLEPOINT_REQUIRE_STAFF_2FA=True)
def test_it_remembers_where_an_unverified_staff_member_was_going(client_for, personas):
    response = client_for(personas.director).get(reverse("clinic:audit_search"))
    assert response["Location"] == f"{reverse('accounts:two_factor')}?next={reverse('clinic:audit_search')}"


# -- the front door --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "start"),
    [
        ("patient_a", "portal:home"),
        ("front_desk", "clinic:dashboard"),
        ("practitioner", "clinic:dashboard"),
        ("director", "clinic:dashboard"),
    ],
)
def test_it_sends_each_person_to_their_own_start_page(client_for, personas, who, start):
    response = client_for(getattr(personas, who)).get(reverse("home"))
    assert (response.status_code, response["Location"]) == (302, reverse(start))


def test_it_sends_an_anonymous_visitor_at_the_front_door_to_sign_in(client, db):
    response = client.get(reverse("home"))
    assert response["Location"].startswith(reverse("accounts:login"))


def test_it_answers_the_health_check_to_anyone_without_the_database(client):
    response = client.get(reverse("health"))  # no db fixture: a query would raise here
    assert (response.status_code, response.content, response["Content-Type"]) == (200, b"ok", "text/plain")
