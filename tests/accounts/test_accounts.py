"""Sign-in, throttling and staff two-factor."""

import pytest
from axes.models import AccessAttempt
from django.test import override_settings
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from needlepoint.audit.models import AuditEvent


def _login(client, username, password):
    return client.post(reverse("accounts:login"), {"username": username, "password": password})


def test_it_signs_in_with_the_right_password_and_audits_it(client, personas):
    response = _login(client, "paula", "correct horse battery")
    assert response.status_code == 302
    assert AuditEvent.objects.filter(action="login", actor=personas.practitioner).exists()


def test_it_refuses_a_wrong_password_and_records_the_failure(client, personas):
    response = _login(client, "paula", "wrong")
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    assert AccessAttempt.objects.get(username="paula").failures_since_start == 1
    assert AuditEvent.objects.filter(action="login_failed").count() == 1


@override_settings(AXES_FAILURE_LIMIT=3)
def test_it_throttles_after_repeated_failures_even_with_the_right_password(client, personas):
    for _ in range(3):
        _login(client, "paula", "wrong")
    response = _login(client, "paula", "correct horse battery")
    assert response.status_code == 429
    assert "Too many failed sign-in attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_it_clears_failures_after_a_successful_sign_in(client, personas):
    _login(client, "paula", "wrong")
    assert _login(client, "paula", "correct horse battery").status_code == 302
    assert AccessAttempt.objects.filter(username="paula").count() == 0


@override_settings(NEEDLEPOINT_REQUIRE_STAFF_2FA=True)
def test_it_sends_staff_to_two_factor_before_anything_else(client, personas):
    client.force_login(personas.practitioner)
    response = client.get("/dashboard/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:two_factor"))


def _enrolled(user):
    """A confirmed authenticator, as an invitation link leaves it (tests/accounts/test_staff.py)."""
    return TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)


@override_settings(NEEDLEPOINT_REQUIRE_STAFF_2FA=True)
def test_it_verifies_an_enrolled_totp_device(client, personas):
    client.force_login(personas.practitioner)
    device = _enrolled(personas.practitioner)
    page = client.get(reverse("accounts:two_factor"))
    assert (page.status_code, "<svg" in page.content.decode()) == (200, False)
    code = f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"
    response = client.post(reverse("accounts:two_factor") + "?next=/patients/", {"token": code})
    assert (response.status_code, response["Location"]) == (302, "/patients/")


@override_settings(NEEDLEPOINT_REQUIRE_STAFF_2FA=True)
def test_it_refuses_a_wrong_code_and_stays_unverified(client, personas):
    client.force_login(personas.practitioner)
    _enrolled(personas.practitioner)
    wrong = client.post(reverse("accounts:two_factor"), {"token": "000000"})
    assert "not right" in wrong.content.decode()
    assert client.get("/patients/")["Location"].startswith(reverse("accounts:two_factor"))


@override_settings(NEEDLEPOINT_REQUIRE_STAFF_2FA=True)
def test_it_does_not_ask_patients_for_two_factor(client, personas):
    client.force_login(personas.patient_a)
    response = client.get("/portal/")
    assert response.status_code == 200
    assert "Anna Alvarez" in response.content.decode()


@override_settings(NEEDLEPOINT_REQUIRE_STAFF_2FA=True)
def test_it_refuses_an_offsite_next_after_two_factor(client, personas):
    client.force_login(personas.practitioner)
    device = _enrolled(personas.practitioner)
    code = f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"
    response = client.post(reverse("accounts:two_factor") + "?next=https://evil.example/", {"token": code})
    assert response["Location"] == "/"


@pytest.mark.parametrize("password", ["short", "password123", "1234567890"])
def test_it_rejects_weak_passwords(password, personas):
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        validate_password(password, personas.practitioner)


def test_it_lets_a_new_portal_user_choose_a_password_once(client, personas):
    from django.contrib.auth.tokens import default_token_generator
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    user = personas.patient_a
    user.set_unusable_password()
    user.save()
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    link = reverse("accounts:password_reset_confirm", args=[uid, default_token_generator.make_token(user)])
    form_url = client.get(link, follow=True).redirect_chain[-1][0]
    response = client.post(
        form_url, {"new_password1": "a long new secret 42", "new_password2": "a long new secret 42"}
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("a long new secret 42")
    assert "expired" in client.get(link, follow=True).content.decode()
