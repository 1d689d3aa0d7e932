"""Sign-in lockouts (django-axes, accounts/signin.py): the guesser is refused and the clinic's
people still sign in.

Failures count per (account, client address): 5 lock that account at that address only. An
address alone is locked after 40 failures across accounts. Each lock lifts by itself 15 minutes
after the failures, or at once when the medical director lifts it. The client address is
REMOTE_ADDR, or with N trusted proxies the Nth entry from the right of X-Forwarded-For.
The clock starts frozen (ticking) at Monday 23 November 2026, 09:00 in London (GMT, so UTC)."""

import datetime as dt

import pytest
from axes.models import AccessAttempt
from django.core.exceptions import ImproperlyConfigured
from django.test import RequestFactory, override_settings
from django.urls import reverse

from clock import FROZEN_NOW
from needlepoint.audit.context import client_ip
from needlepoint.audit.models import AuditEvent
from needlepoint.web.settings import base as base_settings

PASSWORD = "correct horse battery"
LOCKED = "Too many failed sign-in attempts"
ATTACKER, OFFICE, HOME = "203.0.113.9", "198.51.100.4", "192.0.2.77"
PROXY = "10.0.0.2"
LOCKS = reverse("accounts:lockouts")


def sign_in(client, username, password, address=ATTACKER, **headers):
    return client.post(
        reverse("accounts:login"),
        {"username": username, "password": password},
        REMOTE_ADDR=address,
        **headers,
    )


def fail(client, username, times, address=ATTACKER, **headers):
    for _ in range(times):
        assert sign_in(client, username, "guess", address, **headers).status_code in (200, 429)


def signed_in(response):
    return response.status_code == 302


# -- one account from one address ----------------------------------------------------------------


def test_it_locks_an_account_at_the_address_after_five_wrong_passwords(client, personas):
    fail(client, "paula", 4)
    assert signed_in(sign_in(client, "paula", PASSWORD)), "four typos still let her in"
    client.logout()
    fail(client, "paula", 5)
    refused = sign_in(client, "paula", PASSWORD)
    assert (refused.status_code, LOCKED in refused.content.decode()) == (429, True)
    assert "_auth_user_id" not in client.session


def test_it_still_lets_the_same_person_in_from_another_address(client, personas):
    fail(client, "paula", 5)
    assert signed_in(sign_in(client, "paula", PASSWORD, address=OFFICE))


def test_it_still_lets_other_people_at_the_same_address_in(client, personas):
    fail(client, "paula", 5)
    assert signed_in(sign_in(client, "frank", PASSWORD, address=ATTACKER))


def test_it_counts_an_account_in_any_case(client, personas):
    for name in ("PAULA", "Paula", "paula", "pAula", "paulA"):
        sign_in(client, name, "guess")
    assert sign_in(client, "paula", PASSWORD).status_code == 429


def test_it_says_until_when_and_who_can_lift_the_lock(client, personas):
    fail(client, "paula", 5)
    page = sign_in(client, "paula", PASSWORD).content.decode()
    assert "paused until Monday 23 November 2026 at 09:15" in page
    assert "The medical director can lift the pause sooner" in page


def test_it_shows_the_message_on_the_attempt_that_reaches_the_limit(client, personas):
    fail(client, "paula", 4)
    fifth = sign_in(client, "paula", "guess")
    assert (fifth.status_code, LOCKED in fifth.content.decode()) == (429, True)


def test_it_neither_checks_nor_counts_the_password_while_locked_but_audits_it(client, personas):
    fail(client, "paula", 5)
    sign_in(client, "paula", PASSWORD)
    sign_in(client, "paula", "guess")
    attempts = sum(a.failures_since_start for a in AccessAttempt.objects.all())
    events = AuditEvent.objects.filter(action="login_failed").count()
    assert (attempts, events, AuditEvent.objects.filter(action="login").count()) == (5, 7, 0)


def test_it_lifts_the_lock_by_itself_after_the_cool_off(client, personas, frozen_clock):
    fail(client, "paula", 5)
    frozen_clock.move_to(FROZEN_NOW + dt.timedelta(minutes=14))
    assert sign_in(client, "paula", PASSWORD).status_code == 429
    frozen_clock.move_to(FROZEN_NOW + dt.timedelta(minutes=16))
    assert signed_in(sign_in(client, "paula", PASSWORD))


def test_it_forgets_an_accounts_failures_once_she_signs_in(client, personas):
    fail(client, "paula", 4)
    assert signed_in(sign_in(client, "paula", PASSWORD))
    client.logout()
    fail(client, "paula", 4)
    assert signed_in(sign_in(client, "paula", PASSWORD))


# -- one address against many accounts -----------------------------------------------------------


def test_it_locks_an_address_that_guesses_across_many_accounts(client, personas):
    for n in range(10):
        fail(client, f"user{n}", 4)  # 40 failures, no account at its own limit
    refused = sign_in(client, "paula", PASSWORD)
    assert (refused.status_code, "attempts from your connection" in refused.content.decode()) == (429, True)
    assert signed_in(sign_in(client, "paula", PASSWORD, address=OFFICE))


def test_it_does_not_lock_an_address_below_its_bar(client, personas):
    fail(client, "paula", 3)
    for n in range(9):
        fail(client, f"user{n}", 4)  # 39 failures
    assert signed_in(sign_in(client, "frank", PASSWORD))


def test_it_sets_the_address_bar_far_above_one_accounts_limit(settings):
    assert (settings.AXES_FAILURE_LIMIT, settings.NEEDLEPOINT_ADDRESS_FAILURE_LIMIT) == (5, 40)


# -- the client address ---------------------------------------------------------------------------


def test_it_ignores_a_forged_forwarded_for_without_trusted_proxies(client, personas):
    for n in range(5):
        sign_in(client, "paula", "guess", HTTP_X_FORWARDED_FOR=f"192.0.2.{n}")
    assert sign_in(client, "paula", PASSWORD, HTTP_X_FORWARDED_FOR="192.0.2.99").status_code == 429
    assert set(AuditEvent.objects.values_list("ip", flat=True)) == {ATTACKER}


def test_it_lets_nobody_frame_another_address_without_trusted_proxies(client, personas):
    fail(client, "paula", 5, HTTP_X_FORWARDED_FOR=OFFICE)
    assert signed_in(sign_in(client, "paula", PASSWORD, address=OFFICE))


@override_settings(NEEDLEPOINT_TRUSTED_PROXIES=1)
def test_it_takes_the_address_the_proxy_saw_behind_one_proxy(client, personas):
    # The client wrote the left entries; the proxy appended the address it saw.
    for n in range(5):
        sign_in(client, "paula", "guess", address=PROXY, HTTP_X_FORWARDED_FOR=f"192.0.2.{n}, {ATTACKER}")
    refused = sign_in(client, "paula", PASSWORD, address=PROXY, HTTP_X_FORWARDED_FOR=ATTACKER)
    assert refused.status_code == 429
    assert signed_in(sign_in(client, "paula", PASSWORD, address=PROXY, HTTP_X_FORWARDED_FOR=OFFICE))
    assert (AccessAttempt.objects.get().ip_address, AuditEvent.objects.first().ip) == (ATTACKER, OFFICE)


@override_settings(NEEDLEPOINT_TRUSTED_PROXIES=1)
def test_it_does_not_lock_everyone_behind_the_proxy(client, personas):
    fail(client, "paula", 5, address=PROXY, HTTP_X_FORWARDED_FOR=ATTACKER)
    fail(client, "frank", 5, address=PROXY, HTTP_X_FORWARDED_FOR=ATTACKER)
    assert signed_in(sign_in(client, "paula", PASSWORD, address=PROXY, HTTP_X_FORWARDED_FOR=HOME))


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (0, "192.0.2.1", "127.0.0.9"),
        (1, "192.0.2.1, 198.51.100.4", "198.51.100.4"),
        (2, "192.0.2.1, 198.51.100.4, 10.0.0.1", "198.51.100.4"),
        (2, "198.51.100.4", "127.0.0.9"),  # fewer hops than proxies: not through them as configured
        (1, "", "127.0.0.9"),
        (1, "not-an-address", "127.0.0.9"),
        (1, " 2001:db8::1 ", "2001:db8::1"),
    ],
)
def test_it_reads_the_client_address_per_trusted_proxy_count(proxies, forwarded, expected, settings):
    settings.NEEDLEPOINT_TRUSTED_PROXIES = proxies
    request = RequestFactory().get("/", REMOTE_ADDR="127.0.0.9", HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip(request) == expected


@pytest.mark.parametrize("bad", [-1, "1", True, None])
def test_it_refuses_a_trusted_proxy_setting_that_is_not_a_count(bad, settings):
    settings.NEEDLEPOINT_TRUSTED_PROXIES = bad
    with pytest.raises(ImproperlyConfigured, match="NEEDLEPOINT_TRUSTED_PROXIES"):
        client_ip(RequestFactory().get("/"))


@pytest.mark.parametrize("raw", ["one", "-1", "1.5", "99"])
def test_it_refuses_a_trusted_proxy_environment_value_that_is_not_a_count(raw, monkeypatch):
    monkeypatch.setenv("NEEDLEPOINT_TRUSTED_PROXIES", raw)
    with pytest.raises(ImproperlyConfigured, match="number of reverse proxies"):
        base_settings._trusted_proxies()


def test_it_reads_the_trusted_proxy_count_from_the_environment(monkeypatch):
    monkeypatch.setenv("NEEDLEPOINT_TRUSTED_PROXIES", "2")
    assert base_settings._trusted_proxies() == 2
    monkeypatch.delenv("NEEDLEPOINT_TRUSTED_PROXIES")
    assert base_settings._trusted_proxies() == 0


# -- the medical director's page --------------------------------------------------------------------


def test_it_lists_the_locks_for_the_medical_director(client, client_for, personas, django_assert_num_queries):
    fail(client, "paula", 5)
    director = client_for(personas.director)
    with django_assert_num_queries(3):  # session, user, failures
        page = director.get(LOCKS)
    rows = [(lock.username, lock.address, lock.failures) for lock in page.context["lockouts"]]
    assert (page.status_code, rows) == (200, [("paula", ATTACKER, 5)])
    assert "23 Nov 2026 09:15" in page.content.decode()


def test_it_links_the_page_for_the_medical_director_only(client_for, personas):
    assert LOCKS in client_for(personas.director).get(reverse("clinic:dashboard")).content.decode()
    assert LOCKS not in client_for(personas.practitioner).get(reverse("clinic:dashboard")).content.decode()


def test_it_lifts_a_lock_and_the_person_signs_in_at_once(client, client_for, personas):
    fail(client, "paula", 5)
    lifted = client_for(personas.director).post(LOCKS, {"username": "paula", "address": ATTACKER})
    assert (lifted.status_code, lifted["Location"]) == (302, LOCKS)
    event = AuditEvent.objects.get(action="change", object_type="accounts.user")
    assert (event.actor, event.object_id) == (personas.director, str(personas.practitioner.pk))
    assert event.summary == f"lifted the sign-in lock of 'paula' from {ATTACKER}"
    assert signed_in(sign_in(client, "paula", PASSWORD))


def test_it_lifts_an_address_wide_lock(client, client_for, personas):
    for n in range(10):
        fail(client, f"user{n}", 4)
    director = client_for(personas.director)
    [lock] = director.get(LOCKS).context["lockouts"]
    assert (lock.username, lock.failures) == (None, 40)
    director.post(LOCKS, {"username": "", "address": ATTACKER})
    assert (director.get(LOCKS).context["lockouts"], AccessAttempt.objects.count()) == ([], 0)
    assert signed_in(sign_in(client, "paula", PASSWORD))


def test_it_refuses_an_address_that_is_not_one(client_for, personas):
    page = client_for(personas.director).post(LOCKS, {"username": "paula", "address": "10.0.0.x"})
    assert (page.status_code, "not an IP address" in page.content.decode()) == (400, True)
    assert not AuditEvent.objects.filter(action="change").exists()


@pytest.mark.parametrize("who", ["practitioner", "front_desk", "patient_a"])
def test_it_refuses_the_page_and_the_lift_to_everyone_else(who, client, client_for, personas):
    fail(client, "paula", 5)
    other = client_for(getattr(personas, who))
    assert other.get(LOCKS).status_code == 404
    assert other.post(LOCKS, {"username": "paula", "address": ATTACKER}).status_code == 404
    assert sign_in(client, "paula", PASSWORD).status_code == 429


def test_it_sends_an_anonymous_visitor_to_sign_in(client, db):
    response = client.get(LOCKS)
    assert (response.status_code, response["Location"].startswith(reverse("accounts:login"))) == (302, True)
