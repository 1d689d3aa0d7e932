"""Portal logins made by the clinic for a patient's record: an email that cannot be a username
(longer than a username may be) is refused with the reason and no login is made; the username
is the email in lower case; the invitation page is never cached and the one-time link to
choose a password goes to the patient's email, which the patient then uses to sign in to their
own portal.

The clock is frozen (ticking) at Monday 23 November 2026, 09:00 in London (GMT)."""

import datetime as dt
import re

from django.contrib.messages import get_messages
from django.core import mail
from django.urls import reverse

from needlepoint.accounts.models import User
from needlepoint.clinic.models import Patient


def cara(email):
    return Patient.objects.create(
        first_name="Cara", last_name="Cole", birth_date=dt.date(1991, 2, 3), email=email
    )


def make_login(client, patient):
    return client.post(reverse("clinic:patient_portal_account", args=[patient.pk]))


def test_it_refuses_an_email_too_long_to_be_a_username_and_makes_no_login(client_for, personas):
    patient = cara("c" * 150 + "@example.org")
    response = make_login(client_for(personas.front_desk), patient)
    said = [str(m) for m in get_messages(response.wsgi_request)]
    patient.refresh_from_db()
    assert response["Location"] == reverse("clinic:patient_detail", args=[patient.pk])
    assert (len(said), said[0].startswith("This email cannot be a portal username ("), patient.user) == (
        1,
        True,
        None,
    )
    assert not User.objects.filter(email__startswith="ccc").exists()


def test_it_makes_the_username_the_email_in_lower_case(client_for, personas):
    patient = cara("  Cara.Cole@Example.ORG ")
    make_login(client_for(personas.front_desk), patient)
    patient.refresh_from_db()
    assert (patient.user.username, patient.user.email, patient.user.role) == (
        "cara.cole@example.org",
        "cara.cole@example.org",
        "patient",
    )
    assert patient.user.has_usable_password() is False


def test_it_never_caches_the_invitation_and_its_emailed_link_lets_the_patient_in(
    client, client_for, personas
):
    patient = cara("cara@example.org")
    response = make_login(client_for(personas.practitioner), patient)
    assert "no-cache" in response["Cache-Control"] and "no-store" in response["Cache-Control"]
    assert "/accounts/reset/" not in response.content.decode()
    link = re.search(r"https?://[^/\s]+(/accounts/reset/\S+/)", mail.outbox[-1].body).group(1)
    form_url = client.get(link, follow=True).redirect_chain[-1][0]
    chosen = {"new_password1": "a long new secret 42", "new_password2": "a long new secret 42"}
    assert client.post(form_url, chosen).status_code == 302
    signed_in = client.post(
        reverse("accounts:login"), {"username": "cara@example.org", "password": "a long new secret 42"}
    )
    assert signed_in.status_code == 302
    home = client.get(reverse("portal:home"))
    assert (home.status_code, home.context["patient"]) == (200, patient)
