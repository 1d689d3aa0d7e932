"""The ways into booking from the rest of the application: the main menu per role, the patient
record's link to a course's appointments, and the portal's link to a calendar feed of one's own
visits. A link shown to someone the page would refuse is a defect, and so is a missing one."""

from typing import Any

import pytest
from clinic_helpers import make_course
from django.urls import reverse

from needlepoint.clinic.models import TreatmentSession

pytestmark = pytest.mark.django_db

ADMIN = reverse("admin:index")
FEEDS = reverse("bookings:practitioner_feeds")
TO_BOOK = reverse("bookings:to_book")
CALENDAR = reverse("bookings:calendar")


def _nav(client: Any) -> str:
    html = client.get(reverse("clinic:dashboard")).content.decode()
    return html.split('<nav aria-label="Main">', 1)[1].split("</nav>", 1)[0]


def test_it_shows_clinic_resources_to_the_medical_director_only(personas: Any, client_for: Any) -> None:
    assert f'href="{ADMIN}"' in _nav(client_for(personas.director))
    for user in (personas.practitioner, personas.front_desk):
        assert f'href="{ADMIN}"' not in _nav(client_for(user))


def test_it_shows_calendar_feeds_to_clinical_staff_and_not_the_front_desk(
    personas: Any, client_for: Any
) -> None:
    assert f'href="{FEEDS}"' in _nav(client_for(personas.practitioner))
    assert f'href="{FEEDS}"' in _nav(client_for(personas.director))
    front_desk = _nav(client_for(personas.front_desk))
    assert f'href="{FEEDS}"' not in front_desk
    # ... and the page itself refuses the front desk, so the menu hides nothing it could open.
    assert client_for(personas.front_desk).get(FEEDS).status_code == 404


def test_it_shows_booking_to_every_staff_member(personas: Any, client_for: Any) -> None:
    for user in (personas.front_desk, personas.practitioner, personas.director):
        nav = _nav(client_for(user))
        assert f'href="{TO_BOOK}"' in nav
        assert f'href="{CALENDAR}"' in nav


def test_it_shows_patients_no_staff_menu(personas: Any, client_for: Any) -> None:
    html = client_for(personas.patient_a).get("/portal/").content.decode()
    for url in (ADMIN, FEEDS, TO_BOOK, CALENDAR):
        assert f'href="{url}"' not in html


def test_it_links_the_patient_record_to_each_courses_appointments(personas: Any, client_for: Any) -> None:
    course = make_course(personas)
    TreatmentSession.objects.create(course=course, patient=course.patient, number=1)
    url = reverse("bookings:course_appointments", args=[course.pk])
    page = client_for(personas.front_desk).get(reverse("clinic:patient_detail", args=[course.patient.pk]))
    assert page.status_code == 200
    assert f'href="{url}"' in page.content.decode()
    assert client_for(personas.front_desk).get(url).status_code == 200


def test_it_offers_a_patient_a_feed_of_an_approved_course_only(personas: Any, client_for: Any) -> None:
    approved = make_course(personas)
    draft = make_course(personas, status="draft")
    for course in (approved, draft):
        TreatmentSession.objects.create(course=course, patient=course.patient, number=1)
    html = client_for(personas.patient_a).get("/portal/").content.decode()
    assert f'href="{reverse("bookings:portal_course_feed", args=[approved.pk])}"' in html
    assert f'href="{reverse("bookings:portal_course_feed", args=[draft.pk])}"' not in html
    feed_page = client_for(personas.patient_a).get(reverse("bookings:portal_course_feed", args=[approved.pk]))
    assert feed_page.status_code == 200
