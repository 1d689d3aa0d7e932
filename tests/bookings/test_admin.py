"""The admin pages for clinic resources: only the medical director gets in; hours and time zones
are checked with the models' validators; nothing in use can be deleted; patients and clinical
records are not in the admin at all."""

import datetime as dt
from typing import Any

import pytest
from django.test import RequestFactory, override_settings
from django.urls import NoReverseMatch, reverse

from needlepoint.audit.models import AuditEvent
from needlepoint.bookings.admin import clinic_admin
from needlepoint.bookings.models import Appointment, Location, PractitionerProfile
from needlepoint.clinic.models import Room

CHANGELISTS = [
    "bookings_location",
    "bookings_practitionerprofile",
    "bookings_appointmenttype",
    "clinic_room",
    "clinic_device",
]


def _location_form(**overrides: str) -> dict[str, str]:
    data = {
        "name": "Riverside clinic",
        "address": "1 River Street",
        "time_zone": "Europe/London",
        "opening_hours": "mon-fri 09:00-18:00; sat 09:00-13:00",
        "slot_minutes": "15",
        "closures-TOTAL_FORMS": "0",
        "closures-INITIAL_FORMS": "0",
        "closures-MIN_NUM_FORMS": "0",
        "closures-MAX_NUM_FORMS": "1000",
    }
    return {**data, **overrides}


@pytest.fixture
def director(client_for: Any, personas: Any) -> Any:
    return client_for(personas.director)


@pytest.mark.parametrize("changelist", CHANGELISTS)
def test_it_lets_the_director_open_every_changelist(director, clinic, changelist):
    response = director.get(reverse(f"admin:{changelist}_changelist"))
    assert response.status_code == 200


def test_it_lists_clinic_resources_on_the_directors_admin_index(director, clinic):
    page = director.get(reverse("admin:index")).content.decode()
    for words in ("Locations", "Rooms", "Devices", "Practitioner profiles", "Appointment types"):
        assert words in page


def test_it_refuses_opening_hours_it_cannot_read_with_a_clear_message(director, clinic):
    response = director.post(
        reverse("admin:bookings_location_add"), _location_form(opening_hours="weekdays 9 till 6")
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "write hours like 'mon-fri 09:00-13:00 14:00-18:00; sat 09:00-13:00'" in errors["opening_hours"][0]
    assert not Location.objects.filter(name="Riverside clinic").exists()


def test_it_refuses_an_unknown_time_zone(director, clinic):
    response = director.post(
        reverse("admin:bookings_location_add"), _location_form(time_zone="Europe/Atlantis")
    )
    assert response.status_code == 200
    assert "'Europe/Atlantis' is not a time zone" in response.context["adminform"].form.errors["time_zone"][0]
    assert not Location.objects.filter(name="Riverside clinic").exists()


def test_it_adds_a_location_with_good_hours_and_a_closure_and_audits_it(director, personas, clinic):
    data = _location_form(
        **{
            "closures-TOTAL_FORMS": "1",
            "closures-0-first": "2027-12-24",
            "closures-0-last": "2027-12-27",
            "closures-0-reason": "Christmas",
        }
    )
    response = director.post(reverse("admin:bookings_location_add"), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    location = Location.objects.get(name="Riverside clinic")
    assert location.opening_hours == "mon-fri 09:00-18:00; sat 09:00-13:00"
    closures = [(c.first, c.last) for c in location.closures.all()]
    assert closures == [(dt.date(2027, 12, 24), dt.date(2027, 12, 27))]
    assert AuditEvent.objects.filter(
        action="create", object_type="bookings.location", object_id=str(location.pk), actor=personas.director
    ).exists()


def test_it_refuses_a_closure_that_ends_before_it_starts(director, clinic):
    data = _location_form(
        **{"closures-TOTAL_FORMS": "1", "closures-0-first": "2027-12-27", "closures-0-last": "2027-12-24"}
    )
    response = director.post(reverse("admin:bookings_location_add"), data)
    assert response.status_code == 200
    assert not Location.objects.filter(name="Riverside clinic").exists()


def test_it_refuses_working_hours_it_cannot_read_for_a_practitioner(director, clinic):
    url = reverse("admin:bookings_practitionerprofile_change", args=[clinic.paula.pk])
    response = director.post(
        url,
        {
            "user": clinic.paula.user_id,
            "location": clinic.location.pk,
            "skills": ["microneedling"],
            "working_hours": "mon 25:00-26:00",
            "active": "on",
        },
    )
    assert response.status_code == 200
    assert "write hours like" in response.context["adminform"].form.errors["working_hours"][0]
    clinic.paula.refresh_from_db()
    assert clinic.paula.working_hours == "mon-fri 09:00-17:00"


def test_it_saves_a_practitioners_skills_from_checkboxes(director, clinic):
    url = reverse("admin:bookings_practitionerprofile_change", args=[clinic.maria.pk])
    response = director.post(
        url,
        {
            "user": clinic.maria.user_id,
            "location": clinic.location.pk,
            "skills": ["microneedling", "prp_draw"],
            "working_hours": "tue,thu 09:00-13:00",
            "active": "on",
        },
    )
    assert response.status_code == 302
    clinic.maria.refresh_from_db()
    assert clinic.maria.skills == ["microneedling", "prp_draw"]


def test_it_offers_only_clinical_staff_as_practitioners(director, personas, clinic):
    PractitionerProfile.objects.all().delete()
    response = director.post(
        reverse("admin:bookings_practitionerprofile_add"),
        {
            "user": personas.front_desk.pk,
            "location": clinic.location.pk,
            "working_hours": "mon 09:00-17:00",
            "active": "on",
        },
    )
    assert response.status_code == 200
    assert "user" in response.context["adminform"].form.errors
    assert not PractitionerProfile.objects.exists()


def _book(clinic: Any, personas: Any) -> Appointment:
    start = dt.datetime(2027, 3, 29, 8, tzinfo=dt.UTC)
    return Appointment.objects.create(
        patient=personas.record_a,
        appointment_type=clinic.consultation,
        location=clinic.location,
        starts_at=start,
        ends_at=start + dt.timedelta(minutes=30),
        practitioner=personas.practitioner,
        room=clinic.consult_room,
        created_by=personas.front_desk,
    )


def test_it_refuses_to_delete_a_room_that_appointments_use_with_a_message(director, personas, clinic):
    _book(clinic, personas)
    url = reverse("admin:clinic_room_delete", args=[clinic.consult_room.pk])
    response = director.post(url, {"post": "yes"}, follow=True)
    page = response.content.decode()
    assert "“Consultation room” cannot be deleted: 1 appointment use it. Nothing was deleted." in page
    assert Room.objects.filter(pk=clinic.consult_room.pk).exists()


def test_it_refuses_to_delete_a_location_in_use_and_says_what_uses_it(director, clinic):
    response = director.post(
        reverse("admin:bookings_location_delete", args=[clinic.location.pk]), {"post": "yes"}, follow=True
    )
    page = response.content.decode()
    assert "cannot be deleted" in page and "5 rooms" in page and "add a closure instead" in page
    assert Location.objects.filter(pk=clinic.location.pk).exists()


def test_it_refuses_to_delete_a_practitioner_profile_with_appointments(director, personas, clinic):
    _book(clinic, personas)
    response = director.post(
        reverse("admin:bookings_practitionerprofile_delete", args=[clinic.paula.pk]),
        {"post": "yes"},
        follow=True,
    )
    assert "1 appointment use it" in response.content.decode()
    assert PractitionerProfile.objects.filter(pk=clinic.paula.pk).exists()


def test_it_deletes_a_room_nothing_uses(director, clinic):
    spare = Room.objects.create(name="Spare room", kind="treatment", location=clinic.location)
    response = director.post(reverse("admin:clinic_room_delete", args=[spare.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert not Room.objects.filter(pk=spare.pk).exists()


def test_it_offers_no_bulk_delete(director, clinic):
    response = director.get(reverse("admin:clinic_room_changelist"))
    assert "delete_selected" not in response.content.decode()


# ---------------------------------------------------------------------------------------------
# Who gets in
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["practitioner", "front_desk", "patient_a"])
def test_it_refuses_everyone_but_the_director(client_for, personas, clinic, who):
    c = client_for(getattr(personas, who))
    for url in (
        reverse("admin:index"),
        reverse("admin:bookings_location_changelist"),
        reverse("admin:bookings_location_add"),
        reverse("admin:clinic_room_change", args=[clinic.consult_room.pk]),
        reverse("admin:login"),
    ):
        assert c.get(url).status_code == 404, url
    response = c.post(reverse("admin:bookings_location_add"), _location_form())
    assert response.status_code == 404
    assert not Location.objects.filter(name="Riverside clinic").exists()


def test_it_sends_anonymous_visitors_to_the_applications_sign_in_page(client, clinic):
    for name in ("admin:index", "admin:login", "admin:bookings_location_changelist"):
        url = reverse(name)
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:login")), url


def test_it_has_no_admin_login_form(client, personas):
    response = client.post(reverse("admin:login"), {"username": "maria", "password": "correct horse battery"})
    assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:login"))
    assert "_auth_user_id" not in client.session


def test_it_sends_the_signed_in_director_on_from_the_admin_login(director):
    response = director.get(reverse("admin:login") + "?next=/admin/bookings/location/")
    assert response.status_code == 302 and response["Location"] == "/admin/bookings/location/"
    elsewhere = director.get(reverse("admin:login") + "?next=https://evil.example/")
    assert elsewhere["Location"] == reverse("admin:index")


def test_it_refuses_an_inactive_director(client_for, personas):
    personas.director.is_active = False
    personas.director.save()
    request = RequestFactory().get("/admin/")
    request.user = personas.director
    assert not clinic_admin.has_permission(request)


@override_settings(NEEDLEPOINT_REQUIRE_STAFF_2FA=True)
def test_it_requires_a_verified_second_factor_when_staff_two_factor_is_on(personas):
    request = RequestFactory().get("/admin/")
    request.user = personas.director
    personas.director.is_verified = lambda: False
    assert not clinic_admin.has_permission(request)
    personas.director.is_verified = lambda: True
    assert clinic_admin.has_permission(request)


@override_settings(NEEDLEPOINT_REQUIRE_STAFF_2FA=True)
def test_it_sends_an_unverified_director_to_the_second_factor_first(director):
    response = director.get(reverse("admin:index"))
    assert response.status_code == 302 and reverse("accounts:two_factor") in response["Location"]


# ---------------------------------------------------------------------------------------------
# What is not in the admin
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "model",
    [
        "clinic_patient",
        "clinic_course",
        "clinic_treatmentsession",
        "clinic_intake",
        "clinic_consent",
        "bookings_appointment",
        "bookings_feedtoken",
        "accounts_user",
        "audit_auditevent",
    ],
)
def test_it_keeps_patients_and_clinical_records_out_of_the_admin(director, model):
    with pytest.raises(NoReverseMatch):
        reverse(f"admin:{model}_changelist")
    app, name = model.split("_", 1)
    assert director.get(f"/admin/{app}/{name}/").status_code == 404


def test_it_registers_only_clinic_resources():
    names = sorted(m._meta.label_lower for m in clinic_admin._registry)
    assert names == [
        "bookings.appointmenttype",
        "bookings.location",
        "bookings.practitionerprofile",
        "clinic.device",
        "clinic.room",
    ]
