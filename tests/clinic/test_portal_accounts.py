"""Patients' portal accounts: the one-time link to choose a password goes to the patient's email
only, never to the staff member's page; "Send the link again" is email-only and limited per
address; "Forgot your password?" on the sign-in page answers the same whatever the address, and
cannot flood an inbox; the username is the email.

The clock is frozen (ticking) at Monday 23 November 2026, 09:00 in London (GMT); links expire
after PASSWORD_RESET_TIMEOUT (3 days)."""

import datetime as dt
import re
from urllib.parse import urlsplit

import pytest
import time_machine
from django.conf import settings
from django.contrib.messages import get_messages
from django.core import mail
from django.core.cache import cache
from django.urls import reverse

from clock import FROZEN_NOW
from needlepoint.accounts.models import Role, User
from needlepoint.accounts.password_links import LINKS_PER_ADDRESS
from needlepoint.audit.models import AuditEvent
from needlepoint.clinic.models import Patient

LINK_RE = re.compile(r"(https?://\S+?/accounts/reset/([^/\s]+)/([^/\s]+)/)")
PASSWORD = "a long new secret 42"
NEW = {
    "first_name": "Nell",
    "last_name": "North",
    "birth_date": "1990-05-06",
    "email": "Nell.North@Example.org",
    "phone": "",
}


@pytest.fixture(autouse=True)
def fresh_limits(db):
    """Each test starts with no emails counted against any address (the counts live in the
    database cache)."""
    cache.clear()
    yield
    cache.clear()


def register_with_login(client):
    return client.post(reverse("clinic:patient_create"), NEW | {"portal_account": "on"})


def link_in(message):
    """Return (the link's path, its token) from an email."""
    found = LINK_RE.search(message.body)
    assert found, message.body
    return urlsplit(found.group(1)).path, found.group(3)


def choose_password(client, link_path, password=PASSWORD):
    form_url = client.get(link_path, follow=True).redirect_chain[-1][0]
    return client.post(form_url, {"new_password1": password, "new_password2": password})


def sign_in(client, username, password=PASSWORD):
    return client.post(reverse("accounts:login"), {"username": username, "password": password})


def said(response):
    """The messages a redirect carries to the next page."""
    return [str(m) for m in get_messages(response.wsgi_request)]


def post_said(client, url):
    """POST, follow to the page, and return the messages it shows."""
    return [str(m) for m in client.post(url, follow=True).context["messages"]]


def dora(email="dora@example.org", **extra):
    return Patient.objects.create(
        first_name="Dora", last_name="Dean", birth_date=dt.date(1985, 4, 5), email=email, **extra
    )


def with_login(client_for, personas, patient):
    client_for(personas.front_desk).post(reverse("clinic:patient_portal_account", args=[patient.pk]))
    patient.refresh_from_db()
    return patient.user


# ---- creating the login: the link goes by email, never to the page --------------------------------


def test_it_emails_the_link_to_the_patient_and_never_shows_it_to_the_front_desk(client_for, personas):
    response = register_with_login(client_for(personas.front_desk))
    page = response.content.decode()
    (message,) = mail.outbox
    _, token = link_in(message)
    assert (response.status_code, message.to) == (200, ["nell.north@example.org"])
    assert token not in page and "/accounts/reset/" not in page
    assert "no-store" in response["Cache-Control"]
    assert (
        "We have emailed a link to set a password to <strong>nell.north@example.org</strong> — "
        "it works once and expires in 3 days." in page
    )


def test_it_never_shows_the_link_when_staff_add_a_login_to_an_existing_record(client_for, personas):
    patient = dora()
    response = client_for(personas.practitioner).post(
        reverse("clinic:patient_portal_account", args=[patient.pk])
    )
    (message,) = mail.outbox
    _, token = link_in(message)
    assert (response.status_code, message.to) == (200, ["dora@example.org"])
    assert token not in response.content.decode()
    assert 'id="link-sent"' in response.content.decode()


def test_it_builds_the_link_on_the_clinics_own_address(client_for, personas, settings):
    settings.NEEDLEPOINT_SITE_URL = "https://clinic.example.org"
    register_with_login(client_for(personas.front_desk))
    assert (
        LINK_RE.search(mail.outbox[0].body).group(1).startswith("https://clinic.example.org/accounts/reset/")
    )


def test_it_writes_an_email_that_speaks_of_the_clinic_and_names_the_username(client_for, personas):
    register_with_login(client_for(personas.front_desk))
    (message,) = mail.outbox
    assert settings.NEEDLEPOINT_CLINIC_NAME in message.subject
    assert "Your username is your email address: nell.north@example.org" in message.body
    assert "expires in 3 days" in message.body


# ---- the patient sets a password and signs in with their email ------------------------------------


def test_it_lets_the_patient_set_a_password_from_the_email_and_sign_in_with_their_email(
    client, client_for, personas
):
    register_with_login(client_for(personas.front_desk))
    path, _ = link_in(mail.outbox[0])
    form_page = client.get(path, follow=True).content.decode()
    assert "Your username is <strong>nell.north@example.org</strong> (your email address)" in form_page
    assert choose_password(client, path).status_code == 302
    assert sign_in(client, "nell.north@example.org").status_code == 302
    home = client.get(reverse("portal:home"))
    assert (home.status_code, home.context["patient"].email) == (200, "Nell.North@Example.org")


def test_it_lets_the_link_work_once(client, client_for, personas):
    register_with_login(client_for(personas.front_desk))
    path, _ = link_in(mail.outbox[0])
    choose_password(client, path)
    again = client.get(path, follow=True).content.decode()
    assert "This link has already been used or has expired." in again
    assert 'name="new_password1"' not in again
    user = User.objects.get(username="nell.north@example.org")
    assert user.check_password(PASSWORD)


def test_it_refuses_the_link_after_three_days_and_takes_it_just_before(client, client_for, personas):
    register_with_login(client_for(personas.front_desk))
    path, _ = link_in(mail.outbox[0])
    with time_machine.travel(FROZEN_NOW + dt.timedelta(days=3, minutes=1), tick=False):
        late = client.get(path, follow=True).content.decode()
    assert "already been used or has expired" in late
    with time_machine.travel(FROZEN_NOW + dt.timedelta(days=2, hours=23), tick=False):
        assert choose_password(client, path).status_code == 302


def test_it_audits_the_login_the_link_and_the_password_without_the_token(client, client_for, personas):
    register_with_login(client_for(personas.front_desk))
    path, token = link_in(mail.outbox[0])
    choose_password(client, path)
    patient = Patient.objects.get(email="Nell.North@Example.org")
    events = AuditEvent.objects.filter(patient_id=patient.pk, object_type="accounts.user").order_by("id")
    assert [(e.action, e.actor_label, e.summary) for e in events] == [
        ("create", "frank (front_desk)", "portal login created, username nell.north@example.org"),
        (
            "create",
            "frank (front_desk)",
            "one-time link to set a password emailed to nell.north@example.org (invitation)",
        ),
        ("change", "nell.north@example.org (patient)", "password set from the emailed one-time link"),
    ]
    assert not AuditEvent.objects.filter(summary__contains=token).exists()


# ---- send the link again ------------------------------------------------------------------------


def test_it_sends_the_link_again_by_email_only(client_for, personas):
    patient = dora()
    with_login(client_for, personas, patient)
    desk = client_for(personas.front_desk)
    response = desk.post(reverse("clinic:patient_portal_link", args=[patient.pk]), follow=True)
    _, token = link_in(mail.outbox[-1])
    page = response.content.decode()
    assert (len(mail.outbox), mail.outbox[-1].to) == (2, ["dora@example.org"])
    assert token not in page and "/accounts/reset/" not in page
    assert "We have emailed a new link to set a password to dora@example.org. It works once" in page
    assert AuditEvent.objects.filter(
        patient_id=patient.pk, summary="one-time link to set a password emailed to dora@example.org (again)"
    ).exists()


def test_it_sends_the_link_to_the_logins_email_not_an_email_staff_typed_later(client_for, personas):
    patient = dora()
    with_login(client_for, personas, patient)
    Patient.objects.filter(pk=patient.pk).update(email="someone.else@example.org")
    client_for(personas.front_desk).post(reverse("clinic:patient_portal_link", args=[patient.pk]))
    assert [m.to for m in mail.outbox] == [["dora@example.org"], ["dora@example.org"]]


def test_it_limits_the_emails_to_one_address_and_says_when_the_next_may_go(client_for, personas):
    patient = dora()
    with_login(client_for, personas, patient)
    desk = client_for(personas.front_desk)
    url = reverse("clinic:patient_portal_link", args=[patient.pk])
    answers = [post_said(desk, url) for _ in range(LINKS_PER_ADDRESS)]
    assert len(mail.outbox) == LINKS_PER_ADDRESS
    assert answers[-1] == [
        f"dora@example.org has had {LINKS_PER_ADDRESS} emails with a link in the last hour: the next "
        "can be sent from Monday 23 November 2026 at 10:00. The link already sent works until it is used."
    ]
    assert AuditEvent.objects.filter(action="deny", patient_id=patient.pk).count() == 1
    with time_machine.travel(FROZEN_NOW + dt.timedelta(hours=1, minutes=1), tick=False):
        assert post_said(desk, url)[0].startswith("We have emailed a new link")
    assert len(mail.outbox) == LINKS_PER_ADDRESS + 1


def test_it_refuses_sending_a_link_to_patients_and_anonymous_visitors(client, client_for, personas):
    patient = dora()
    with_login(client_for, personas, patient)
    url = reverse("clinic:patient_portal_link", args=[patient.pk])
    own = reverse("clinic:patient_portal_link", args=[personas.record_b.pk])
    assert client_for(personas.patient_b).post(own).status_code == 404
    assert client_for(personas.patient_b).post(url).status_code == 404
    assert client.post(url)["Location"].startswith("/accounts/login/")
    assert len(mail.outbox) == 1  # the invitation only
    assert client_for(personas.director).post(url).status_code == 302
    assert len(mail.outbox) == 2


def test_it_says_a_patient_without_a_login_needs_one_first(client_for, personas):
    patient = dora()
    response = client_for(personas.front_desk).post(reverse("clinic:patient_portal_link", args=[patient.pk]))
    assert said(response) == ["This patient has no portal login yet: create one first."]
    assert mail.outbox == []


def test_it_says_so_when_the_mail_server_does_not_take_the_invitation(client_for, personas, monkeypatch):
    def refuse(self, *args, **kwargs):
        raise OSError("connection refused")

    monkeypatch.setattr("needlepoint.accounts.password_links.EmailMultiAlternatives.send", refuse)
    response = register_with_login(client_for(personas.front_desk))
    page = response.content.decode()
    assert 'id="link-not-sent"' in page and "could not be sent" in page
    assert User.objects.filter(username="nell.north@example.org").exists()


# ---- who can have a login -----------------------------------------------------------------------


def test_it_refuses_a_portal_login_without_an_email_and_says_why(client_for, personas):
    patient = dora(email="")
    desk = client_for(personas.front_desk)
    detail = desk.get(reverse("clinic:patient_detail", args=[patient.pk])).content.decode()
    response = desk.post(reverse("clinic:patient_portal_account", args=[patient.pk]))
    patient.refresh_from_db()
    assert "No portal login: a portal login needs the patient\u2019s email." in detail
    assert said(response) == [
        "Add the patient's email first: a portal login needs one, as the patient's username and as "
        "the only place the link to set a password is sent."
    ]
    assert (patient.user, mail.outbox) == (None, [])


def test_it_explains_an_email_already_used_as_a_username(client_for, personas):
    User.objects.create_user(username="dora@example.org", role=Role.PATIENT)
    patient = dora(email="Dora@Example.org")
    response = client_for(personas.front_desk).post(
        reverse("clinic:patient_portal_account", args=[patient.pk])
    )
    patient.refresh_from_db()
    assert said(response)[0].startswith("Another login already uses this email as its username")
    assert (patient.user, mail.outbox) == (None, [])


# ---- forgot your password? ----------------------------------------------------------------------


def patient_with_password(email="pia@example.org"):
    user = User.objects.create_user(
        username=email, email=email, password="an old secret 42 x", role="patient"
    )
    dora(email=email, user=user)
    return user


def forgot(client, email):
    return client.post(reverse("accounts:password_reset"), {"email": email})


def test_it_offers_forgot_password_and_says_the_username_is_the_email_on_the_sign_in_page(client):
    page = client.get(reverse("accounts:login")).content.decode()
    assert f'href="{reverse("accounts:password_reset")}"' in page and "Forgot your password?" in page
    assert "your username is your email address" in page


def test_it_emails_a_forgotten_password_link_that_lets_the_patient_back_in(client, personas):
    user = patient_with_password()
    response = forgot(client, "PIA@example.org")
    (message,) = mail.outbox
    path, token = link_in(message)
    assert (response.status_code, response["Location"], message.to) == (
        302,
        reverse("accounts:password_reset_done"),
        ["pia@example.org"],
    )
    assert "Someone (we hope you) asked for a new password" in message.body
    assert choose_password(client, path, "a brand new secret 77").status_code == 302
    assert sign_in(client, "pia@example.org", "a brand new secret 77").status_code == 302
    assert AuditEvent.objects.filter(
        object_id=str(user.pk), summary__startswith="link to set a password emailed (forgotten password"
    ).exists()
    assert not AuditEvent.objects.filter(summary__contains=token).exists()


def test_it_answers_the_same_for_an_unknown_email(client, personas):
    patient_with_password()
    known, unknown = forgot(client, "pia@example.org"), forgot(client, "nobody@example.org")
    assert (known.status_code, known["Location"]) == (unknown.status_code, unknown["Location"])
    assert len(mail.outbox) == 1
    done = client.get(known["Location"]).content.decode()
    assert "If an account here uses that email address, we have sent it a link" in done


def test_it_stops_the_forgot_password_form_flooding_an_inbox(client, personas):
    patient_with_password()
    answers = {forgot(client, "pia@example.org")["Location"] for _ in range(LINKS_PER_ADDRESS + 3)}
    assert (answers, len(mail.outbox)) == ({reverse("accounts:password_reset_done")}, LINKS_PER_ADDRESS)


def test_it_counts_the_front_desks_links_and_forgotten_password_links_together(client, client_for, personas):
    patient = dora()
    with_login(client_for, personas, patient)
    for _ in range(LINKS_PER_ADDRESS + 1):
        forgot(client, "dora@example.org")
    assert len(mail.outbox) == LINKS_PER_ADDRESS


def test_it_sends_a_forgotten_password_link_to_a_patient_who_never_chose_one(client, client_for, personas):
    patient = dora()
    with_login(client_for, personas, patient)
    forgot(client, "dora@example.org")
    assert [m.to for m in mail.outbox] == [["dora@example.org"], ["dora@example.org"]]


def test_it_sends_staff_a_link_but_not_switched_off_or_never_enrolled_accounts(client, personas):
    staff = User.objects.create_user(
        username="sam", email="sam@example.org", password="an old secret 42 x", role=Role.PRACTITIONER
    )
    User.objects.create_user(username="gone", email="gone@example.org", password="x" * 12, is_active=False)
    User.objects.create_user(username="new", email="new@example.org", role=Role.FRONT_DESK)
    for email in ("sam@example.org", "gone@example.org", "new@example.org"):
        forgot(client, email)
    assert [m.to for m in mail.outbox] == [["sam@example.org"]]
    assert "Your username is your email address: sam" not in mail.outbox[0].body
    assert staff.get_username() in mail.outbox[0].body


def test_it_refuses_a_malformed_email_with_a_message(client):
    response = forgot(client, "not an email")
    assert response.status_code == 200 and "Enter a valid email address." in response.content.decode()
    assert mail.outbox == []


def test_it_keeps_the_link_usable_after_a_refused_password(client, client_for, personas):
    register_with_login(client_for(personas.front_desk))
    path, _ = link_in(mail.outbox[0])
    refused = choose_password(client, path, "short")
    assert refused.status_code == 200 and "This password is too short." in refused.content.decode()
    assert choose_password(client, path).status_code == 302


def test_it_sends_no_link_to_a_switched_off_login(client_for, personas):
    patient = dora()
    user = with_login(client_for, personas, patient)
    User.objects.filter(pk=user.pk).update(is_active=False)
    response = client_for(personas.front_desk).post(reverse("clinic:patient_portal_link", args=[patient.pk]))
    assert said(response) == ["This patient's portal login is switched off."]
    assert len(mail.outbox) == 1  # the invitation only
