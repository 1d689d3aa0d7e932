"""Staff accounts run from the browser by the medical director: invitations by a one-time
emailed link (choose a password, enrol the authenticator, see ten backup codes), enrolment
only from such a link, backup codes that work once, deactivation and role changes that sign
the person out at once, the last medical director protected, everyone else refused; and the
`create_medical_director` command of a fresh install.

The clock starts frozen (ticking) at Monday 23 November 2026, 09:00 in London (GMT); links last
NEEDLEPOINT_STAFF_INVITATION_HOURS (72 hours), so one sent then expires on Thursday 26 November
at 09:00."""

import datetime as dt
import re

import pytest
from django.contrib.sessions.models import Session
from django.core import mail
from django.core.management import CommandError, call_command
from django.test import Client, override_settings
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from clock import FROZEN_NOW
from needlepoint.accounts.models import Role, StaffInvitation, User
from needlepoint.accounts.services.invitations import token_hash
from needlepoint.audit.models import AuditEvent
from needlepoint.bookings.models import Location, PractitionerProfile

PASSWORD = "a long new secret 42"
HOURS = "mon-fri 09:00-17:00"
LINK = re.compile(r"http://testserver(/accounts/invitation/[^/\s]+/)")


@pytest.fixture
def location(db):
    return Location.objects.create(name="Harley Street", opening_hours="mon-sat 08:00-20:00")


@pytest.fixture
def director(client_for, personas):
    return client_for(personas.director)


def code(device):
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"


def invite(director, site, **changes):
    data = {
        "first_name": "Nadia",
        "last_name": "Novak",
        "email": "Nadia@Example.org",
        "role": Role.PRACTITIONER,
        "location": site.pk,
        "working_hours": HOURS,
    } | changes
    return director.post(reverse("accounts:staff_invite"), data)


def emailed_link():
    """The path of the invitation link in the last email sent."""
    found = LINK.search(mail.outbox[-1].body)
    assert found, mail.outbox[-1].body
    return found.group(1)


def enrol(client, link, password=PASSWORD):
    """Open the link, read the device it enrols and post the password with its current code."""
    client.get(link)
    device = TOTPDevice.objects.get(user__email="nadia@example.org", confirmed=False)
    data = {"new_password1": password, "new_password2": password, "token": code(device)}
    return client.post(link, data), device


def sign_in(client, username, password=PASSWORD):
    return client.post(reverse("accounts:login"), {"username": username, "password": password})


@pytest.fixture
def site_url(settings):
    settings.NEEDLEPOINT_SITE_URL = "http://testserver"


# -- inviting and enrolling -------------------------------------------------------------------------


def test_it_invites_a_practitioner_who_enrols_from_the_link_and_signs_in(
    director, location, site_url, client, settings, frozen_clock
):
    assert invite(director, location)["Location"] == reverse("accounts:staff_list")
    settings.NEEDLEPOINT_REQUIRE_STAFF_2FA = True
    nadia = User.objects.get(username="nadia@example.org")
    assert (nadia.role, nadia.has_usable_password(), nadia.practitioner_profile.location) == (
        Role.PRACTITIONER,
        False,
        location,
    )
    assert (mail.outbox[-1].to, "nadia@example.org" in mail.outbox[-1].body) == (["nadia@example.org"], True)
    page, device = enrol(client, emailed_link())
    assert (page.status_code, len(page.context["codes"])) == (200, 10)
    assert client.get(reverse("clinic:patient_list")).status_code == 200  # signed in and verified
    frozen_clock.shift(dt.timedelta(seconds=30))  # a code is accepted once: the next one
    fresh = Client()
    sign_in(fresh, "nadia@example.org")
    device.refresh_from_db()
    assert fresh.get(reverse("clinic:patient_list"))["Location"].startswith(reverse("accounts:two_factor"))
    fresh.post(reverse("accounts:two_factor"), {"token": code(device)})
    assert fresh.get(reverse("clinic:patient_list")).status_code == 200


def test_it_stores_only_a_hash_of_the_link(director, location, site_url):
    invite(director, location)
    token = emailed_link().rstrip("/").rsplit("/", 1)[-1]
    stored = StaffInvitation.objects.get()
    assert (stored.token_hash, token in stored.token_hash) == (token_hash(token), False)


def test_it_refuses_a_link_used_once_already(director, location, site_url, client):
    invite(director, location)
    link = emailed_link()
    enrol(client, link)
    again = Client().get(link)
    assert (again.status_code, "already been used" in again.content.decode()) == (410, True)


def test_it_refuses_an_expired_link_and_the_director_can_send_a_new_one(
    director, location, site_url, client, frozen_clock, client_for, personas
):
    invite(director, location)
    link = emailed_link()
    frozen_clock.move_to(FROZEN_NOW + dt.timedelta(hours=72, minutes=1))
    expired = client.get(link)
    body = expired.content.decode()
    assert (expired.status_code, "expired on Thursday 26 November 2026 at 09:00" in body) == (410, True)
    nadia = User.objects.get(username="nadia@example.org")
    director = client_for(personas.director)  # the earlier session has expired too
    assert "Invitation expired" in director.get(reverse("accounts:staff_list")).content.decode()
    director.post(reverse("accounts:staff_link_send", args=[nadia.pk]))
    new_link = emailed_link()
    assert (new_link != link, enrol(client, new_link)[0].status_code) == (True, 200)


def test_it_voids_the_older_link_when_a_new_one_is_sent(director, location, site_url):
    invite(director, location)
    first = emailed_link()
    director.post(
        reverse("accounts:staff_link_send", args=[User.objects.get(username="nadia@example.org").pk])
    )
    assert Client().get(first).status_code == 410


def test_it_keeps_the_link_usable_after_a_wrong_code(director, location, site_url, client, frozen_clock):
    invite(director, location)
    link = emailed_link()
    client.get(link)
    wrong = client.post(link, {"new_password1": PASSWORD, "new_password2": PASSWORD, "token": "000000"})
    password_set = User.objects.get(email="nadia@example.org").has_usable_password()
    assert ("not right" in wrong.content.decode(), password_set) == (True, False)
    frozen_clock.shift(dt.timedelta(seconds=30))  # past django-otp's pause after a wrong code
    assert enrol(client, link)[0].status_code == 200


def test_it_refuses_a_weak_password_on_the_link_and_keeps_it_usable(director, location, site_url, client):
    invite(director, location)
    link = emailed_link()
    weak, _ = enrol(client, link, password="password123")
    assert (weak.status_code, StaffInvitation.objects.get().used_at) == (400, None)


def test_it_answers_an_unknown_link_with_a_clear_message(client, db):
    response = client.get(reverse("accounts:invitation", args=["not-a-real-token"]))
    assert (response.status_code, "Ask the medical director" in response.content.decode()) == (410, True)


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"email": "paula@example.org"}, "email", "already signs in"),
        ({"working_hours": ""}, "working_hours", "working hours"),
        ({"working_hours": "sometimes"}, "working_hours", "write hours like"),
        ({"location": ""}, "location", "where this practitioner works"),
        ({"role": Role.PATIENT}, "role", "valid choice"),
    ],
)
def test_it_explains_a_bad_invitation_and_saves_nothing(
    director, location, personas, changes, field, message
):
    User.objects.filter(pk=personas.practitioner.pk).update(email="paula@example.org")
    response = invite(director, location, **changes)
    assert (response.status_code, message in str(response.context["form"].errors[field])) == (400, True)
    assert (User.objects.filter(first_name="Nadia").exists(), len(mail.outbox)) == (False, 0)


def test_it_invites_front_desk_without_a_location(director, location, site_url):
    invite(director, location, role=Role.FRONT_DESK, location="", working_hours="")
    nadia = User.objects.get(username="nadia@example.org")
    assert (nadia.role, PractitionerProfile.objects.filter(user=nadia).exists()) == (Role.FRONT_DESK, False)


# -- enrolment needs the link -----------------------------------------------------------------------


@override_settings(NEEDLEPOINT_REQUIRE_STAFF_2FA=True)
def test_it_does_not_let_a_password_alone_enrol_an_authenticator(client, personas):
    sign_in(client, "paula", "correct horse battery")
    page = client.get(reverse("accounts:two_factor"))
    body = page.content.decode()
    assert (page.status_code, "invitation link" in body, "<svg" in body) == (403, True, False)
    client.post(reverse("accounts:two_factor"), {"token": "123456"})
    assert TOTPDevice.objects.filter(user=personas.practitioner).count() == 0
    assert client.get(reverse("clinic:patient_list"))["Location"].startswith(reverse("accounts:two_factor"))


@override_settings(NEEDLEPOINT_REQUIRE_STAFF_2FA=True)
def test_it_asks_for_the_second_factor_on_the_staff_pages_too(client_for, personas):
    response = client_for(personas.director).get(reverse("accounts:staff_list"))
    assert response["Location"].startswith(reverse("accounts:two_factor"))


# -- backup codes -----------------------------------------------------------------------------------


def test_it_accepts_a_backup_code_once_and_only_once(director, location, site_url, client, settings):
    invite(director, location)
    settings.NEEDLEPOINT_REQUIRE_STAFF_2FA = True
    page, _ = enrol(client, emailed_link())
    backup = page.context["codes"][0]
    first = Client()
    sign_in(first, "nadia@example.org")
    assert first.post(reverse("accounts:two_factor"), {"token": backup.upper()})["Location"] == "/"
    assert first.get(reverse("clinic:patient_list")).status_code == 200
    second = Client()
    sign_in(second, "nadia@example.org")
    refused = second.post(reverse("accounts:two_factor"), {"token": backup})
    assert (refused.status_code, "not right" in refused.content.decode()) == (200, True)
    assert second.get(reverse("clinic:patient_list"))["Location"].startswith(reverse("accounts:two_factor"))


def test_it_makes_a_fresh_set_of_backup_codes_that_voids_the_old(director, location, site_url, client):
    invite(director, location)
    old = enrol(client, emailed_link())[0].context["codes"]
    assert "10 unused backup codes" in client.get(reverse("accounts:backup_codes")).content.decode()
    new = client.post(reverse("accounts:backup_codes")).context["codes"]
    stored = set(
        StaticToken.objects.filter(device__user__email="nadia@example.org").values_list("token", flat=True)
    )
    assert (len(new), stored, set(old) & stored) == (10, set(new), set())


def test_it_shows_backup_codes_to_staff_only(client_for, personas):
    assert client_for(personas.patient_a).get(reverse("accounts:backup_codes")).status_code == 404


# -- deactivating, reactivating, roles --------------------------------------------------------------


def test_it_signs_a_deactivated_person_out_at_once_and_keeps_their_name(director, personas, client):
    sign_in(client, "paula", "correct horse battery")
    assert client.get(reverse("clinic:patient_list")).status_code == 200
    key = client.session.session_key
    response = director.post(reverse("accounts:staff_deactivate", args=[personas.practitioner.pk]))
    assert (response.status_code, Session.objects.filter(session_key=key).exists()) == (302, False)
    assert client.get(reverse("clinic:patient_list"))["Location"].startswith(reverse("accounts:login"))
    paula = User.objects.get(pk=personas.practitioner.pk)
    assert (paula.is_active, paula.get_full_name()) == (False, "Paula")
    assert sign_in(client, "paula", "correct horse battery").status_code == 200  # refused
    event = AuditEvent.objects.filter(object_id=str(paula.pk), action="change").get()
    assert (event.actor, event.summary) == (personas.director, "deactivated; sessions ended")


def test_it_ends_only_the_deactivated_persons_sessions(director, personas, client_for):
    other = client_for(personas.front_desk)
    paula = client_for(personas.practitioner)
    director.post(reverse("accounts:staff_deactivate", args=[personas.practitioner.pk]))
    assert (other.get(reverse("clinic:patient_list")).status_code, Session.objects.count()) == (200, 2)
    assert paula.get(reverse("clinic:patient_list")).status_code == 302


def test_it_takes_a_deactivated_practitioner_off_the_calendar_and_back(director, personas, location):
    profile = PractitionerProfile.objects.create(
        user=personas.practitioner, location=location, working_hours=HOURS
    )
    director.post(reverse("accounts:staff_deactivate", args=[personas.practitioner.pk]))
    profile.refresh_from_db()
    assert profile.active is False
    director.post(reverse("accounts:staff_reactivate", args=[personas.practitioner.pk]))
    profile.refresh_from_db()
    assert (profile.active, User.objects.get(pk=personas.practitioner.pk).is_active) == (True, True)
    assert sign_in(Client(), "paula", "correct horse battery").status_code == 302


def test_it_changes_a_role_and_signs_the_person_out(director, personas, client_for, location):
    profile = PractitionerProfile.objects.create(
        user=personas.practitioner, location=location, working_hours=HOURS
    )
    paula = client_for(personas.practitioner)
    director.post(reverse("accounts:staff_role", args=[personas.practitioner.pk]), {"role": Role.FRONT_DESK})
    profile.refresh_from_db()
    assert (User.objects.get(pk=personas.practitioner.pk).role, profile.active) == (Role.FRONT_DESK, False)
    assert paula.get(reverse("clinic:patient_list"))["Location"].startswith(reverse("accounts:login"))
    event = AuditEvent.objects.get(object_id=str(personas.practitioner.pk), action="change")
    assert event.summary == "role changed from Practitioner to Front desk"


def test_it_resets_a_second_factor_and_emails_a_new_link(director, personas, site_url, client_for):
    TOTPDevice.objects.create(user=personas.practitioner, name="authenticator", confirmed=True)
    personas.practitioner.email = "paula@example.org"
    personas.practitioner.save()
    paula = client_for(personas.practitioner)
    director.post(reverse("accounts:staff_link_send", args=[personas.practitioner.pk]))
    assert TOTPDevice.objects.filter(user=personas.practitioner).count() == 0
    assert paula.get(reverse("clinic:patient_list")).status_code == 302
    assert "authenticator app again" in mail.outbox[-1].subject
    assert StaffInvitation.objects.get(user=personas.practitioner).purpose == "reset"


def test_it_protects_the_last_active_medical_director(director, personas):
    other = User.objects.create_user(username="otto", role=Role.MEDICAL_DIRECTOR, first_name="Otto")
    itself = director.post(reverse("accounts:staff_deactivate", args=[personas.director.pk]))
    assert (itself.status_code, "cannot deactivate yourself" in itself.content.decode()) == (400, True)
    own_role = director.post(
        reverse("accounts:staff_role", args=[personas.director.pk]), {"role": Role.FRONT_DESK}
    )
    assert "cannot change your own role" in own_role.content.decode()
    assert (
        director.post(
            reverse("accounts:staff_role", args=[other.pk]), {"role": Role.PRACTITIONER}
        ).status_code
        == 302
    )
    assert User.objects.get(pk=other.pk).role == Role.PRACTITIONER
    User.objects.filter(pk=other.pk).update(role=Role.MEDICAL_DIRECTOR)
    otto = Client()
    otto.force_login(User.objects.get(pk=other.pk))
    last = otto.post(reverse("accounts:staff_deactivate", args=[personas.director.pk]))
    assert last.status_code == 302  # two directors: one may go
    maria = Client()
    maria.force_login(User.objects.get(pk=personas.director.pk))
    assert maria.get(reverse("accounts:staff_list")).status_code == 302  # deactivated: signed out


def test_it_refuses_to_demote_the_last_active_medical_director(personas):
    from needlepoint.accounts.services.staff import staff_deactivate, staff_role_change
    from needlepoint.clinic.services import ServiceError

    otto = User.objects.create_user(username="otto", role=Role.MEDICAL_DIRECTOR)
    staff_deactivate(actor=otto, user=personas.director)
    User.objects.filter(pk=personas.director.pk).update(is_active=True)
    maria = User.objects.get(pk=personas.director.pk)
    User.objects.filter(pk=otto.pk).update(is_active=False)
    with pytest.raises(ServiceError, match="at least one active medical director"):
        staff_role_change(actor=otto, user=maria, role=Role.PRACTITIONER)


def test_it_lists_staff_with_their_state_in_a_fixed_number_of_queries(
    director, personas, location, django_assert_num_queries
):
    PractitionerProfile.objects.create(user=personas.practitioner, location=location, working_hours=HOURS)
    TOTPDevice.objects.create(user=personas.practitioner, name="authenticator", confirmed=True)
    from needlepoint.accounts import selectors

    with django_assert_num_queries(2):
        rows = {r.user.username: (r.location, r.enrolled) for r in selectors.staff_rows()}
    assert rows == {"paula": ("Harley Street", True), "frank": ("", False), "maria": ("", False)}
    page = director.get(reverse("accounts:staff_list")).content.decode()
    assert ("Harley Street" in page, "anna" in page) == (True, False)


# -- who may -----------------------------------------------------------------------------------------


STAFF_URLS = [
    ("get", "accounts:staff_list", False),
    ("get", "accounts:staff_invite", False),
    ("post", "accounts:staff_invite", False),
    ("get", "accounts:staff_detail", True),
    ("post", "accounts:staff_link_send", True),
    ("post", "accounts:staff_deactivate", True),
    ("post", "accounts:staff_reactivate", True),
    ("post", "accounts:staff_role", True),
]


@pytest.mark.parametrize("who", ["practitioner", "front_desk", "patient_a"])
@pytest.mark.parametrize(("method", "name", "takes_pk"), STAFF_URLS)
def test_it_refuses_everyone_but_the_medical_director(
    client_for, personas, location, who, method, name, takes_pk
):
    url = reverse(name, args=[personas.front_desk.pk] if takes_pk else [])
    data = {"role": Role.MEDICAL_DIRECTOR, "email": "x@example.org", "first_name": "X", "last_name": "Y"}
    response = getattr(client_for(getattr(personas, who)), method)(url, data)
    assert response.status_code == 404
    frank = User.objects.get(pk=personas.front_desk.pk)
    assert (frank.role, frank.is_active, User.objects.count(), len(mail.outbox)) == (
        Role.FRONT_DESK,
        True,
        5,
        0,
    )


@pytest.mark.parametrize(("method", "name", "takes_pk"), STAFF_URLS)
def test_it_sends_anonymous_visitors_to_sign_in(client, personas, method, name, takes_pk):
    url = reverse(name, args=[personas.front_desk.pk] if takes_pk else [])
    assert getattr(client, method)(url)["Location"].startswith(reverse("accounts:login"))


def test_it_shows_the_staff_link_to_the_medical_director_only(director, client_for, personas):
    staff = reverse("accounts:staff_list")
    assert f'href="{staff}"' in director.get(reverse("clinic:dashboard")).content.decode()
    assert (
        f'href="{staff}"'
        not in client_for(personas.practitioner).get(reverse("clinic:dashboard")).content.decode()
    )


def test_it_answers_404_for_someone_not_on_the_staff(director, personas):
    assert director.get(reverse("accounts:staff_detail", args=[personas.patient_a.pk])).status_code == 404


# -- the first medical director ----------------------------------------------------------------------


def test_it_creates_the_first_medical_director_with_a_one_time_link(db, site_url, capsys, client):
    call_command("create_medical_director", email="Mo@Example.org", first_name="Mo", last_name="Reyes")
    out = capsys.readouterr().out
    mo = User.objects.get(username="mo@example.org")
    assert (mo.role, mo.has_usable_password(), mo.is_active) == (Role.MEDICAL_DIRECTOR, False, True)
    link = LINK.search(out).group(1)
    assert (link in mail.outbox[-1].body, "Also emailed" in out) == (True, True)
    client.get(link)
    device = TOTPDevice.objects.get(user=mo, confirmed=False)
    client.post(link, {"new_password1": PASSWORD, "new_password2": PASSWORD, "token": code(device)})
    assert client.get(reverse("accounts:staff_list")).status_code == 200


def test_it_refuses_a_second_account_with_the_same_email_from_the_command(personas):
    User.objects.filter(pk=personas.director.pk).update(email="maria@example.org")
    with pytest.raises(CommandError, match="already exists"):
        call_command("create_medical_director", email="maria@example.org", first_name="M", last_name="R")


def test_it_sends_an_existing_medical_director_a_new_link_from_the_command(personas, site_url, capsys):
    User.objects.filter(pk=personas.director.pk).update(email="maria@example.org")
    TOTPDevice.objects.create(user=personas.director, name="authenticator", confirmed=True)
    call_command("create_medical_director", email="maria@example.org", new_link=True)
    assert (
        TOTPDevice.objects.filter(user=personas.director).count(),
        "/accounts/invitation/" in capsys.readouterr().out,
    ) == (0, True)
    with pytest.raises(CommandError, match="No medical director"):
        call_command("create_medical_director", email="anna@example.org", new_link=True)


def test_it_makes_createsuperuser_a_medical_director_never_a_patient(db):
    call_command("createsuperuser", username="root", email="root@example.org", interactive=False, verbosity=0)
    assert User.objects.get(username="root").role == Role.MEDICAL_DIRECTOR
