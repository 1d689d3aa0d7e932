"""Patient records: list and search, registration with an optional portal login, the record
(clinical sections for clinical roles only) and contact-detail edits with optimistic locking."""

import datetime as dt

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from needlepoint.accounts.models import Role, User
from needlepoint.audit.models import AuditEvent
from needlepoint.clinic.models import Course, Patient, TreatmentSession
from needlepoint.clinic.services import ServiceError
from needlepoint.clinic.services.patients import (
    USERNAME_TAKEN,
    patient_portal_account_create,
    patient_register,
    patient_update,
)
from needlepoint.clinic.services.screening import intake_create, screening_run
from visit_helpers import book_visit

LIST = "/patients/"
NEW = {
    "first_name": "Nora",
    "last_name": "Newman",
    "birth_date": "1985-04-03",
    "email": "nora@example.org",
    "phone": "+44 161 496 0000",
}


def _future() -> str:
    return (timezone.localdate() + dt.timedelta(days=30)).isoformat()


def _detail(patient) -> str:
    return reverse("clinic:patient_detail", args=[patient.pk])


def _edit(patient) -> str:
    return reverse("clinic:patient_edit", args=[patient.pk])


def _edit_data(patient, **changes):
    return {
        "first_name": patient.first_name,
        "last_name": patient.last_name,
        "birth_date": patient.birth_date.isoformat(),
        "email": patient.email,
        "phone": patient.phone,
        "version": patient.version,
        **changes,
    }


@pytest.fixture
def course_a(personas, intake_a):
    """Patient A with an intake, a screening, a course and two sessions (one booked)."""
    intake = intake_create(
        patient=personas.record_a, data=intake_a, source="consultation", actor=personas.practitioner
    )
    screening = screening_run(intake=intake, actor=personas.practitioner)
    course = Course.objects.create(
        patient=personas.record_a,
        screening=screening,
        goal="acne_scars",
        plan={},
        start_date=dt.date(2026, 12, 1),
        protocol_id="default",
        protocol_version="x",
        created_by=personas.practitioner,
    )
    first = TreatmentSession.objects.create(course=course, patient=personas.record_a, number=1)
    book_visit(first, dt.datetime(2026, 12, 1, 9, 30, tzinfo=dt.UTC), by=personas.front_desk)
    TreatmentSession.objects.create(course=course, patient=personas.record_a, number=2)
    return course


# ---- list ---------------------------------------------------------------------------------------


def test_it_lists_patients_for_the_front_desk_and_audits_the_view(client_for, personas):
    response = client_for(personas.front_desk).get(LIST)
    page = response.content.decode()
    assert response.status_code == 200
    assert "Alvarez, Anna" in page and "Brown, Ben" in page
    assert AuditEvent.objects.filter(
        action="view", object_type="clinic.patient", actor=personas.front_desk, summary="patient list, page 1"
    ).exists()


def test_it_refuses_the_list_to_patients_and_anonymous_visitors(client, client_for, personas):
    assert client_for(personas.patient_a).get(LIST).status_code == 404
    response = client.get(LIST)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_it_searches_by_name(client_for, personas):
    page = client_for(personas.practitioner).get(LIST, {"q": "alv"}).content.decode()
    assert "Alvarez, Anna" in page and "Brown" not in page
    page = client_for(personas.practitioner).get(LIST, {"q": "ben brown"}).content.decode()
    assert "Brown, Ben" in page and "Alvarez" not in page
    page = client_for(personas.practitioner).get(LIST, {"q": "nobody"}).content.decode()
    assert "No patient matches" in page


def test_it_pages_the_list(client_for, personas):
    for i in range(30):
        Patient.objects.create(first_name=f"P{i:02}", last_name="Zed", birth_date=dt.date(1990, 1, 1))
    staff = client_for(personas.front_desk)
    first = staff.get(LIST).content.decode()
    assert "Page 1 of 2" in first and "32 patients" in first
    second = staff.get(LIST, {"page": "2"}).content.decode()
    assert "Page 2 of 2" in second and "Zed, P29" in second and "Alvarez" not in second


def test_it_pins_the_lists_query_count(client_for, personas, django_assert_num_queries):
    staff = client_for(personas.front_desk)
    # session, user, count, page of patients, audit event
    with django_assert_num_queries(5):
        assert staff.get(LIST, {"q": "a"}).status_code == 200
    for i in range(40):
        Patient.objects.create(first_name=f"Pat{i}", last_name="Able", birth_date=dt.date(1990, 1, 1))
    with django_assert_num_queries(5):
        assert staff.get(LIST, {"q": "a"}).status_code == 200


def test_it_swaps_only_the_results_with_htmx(client_for, personas):
    response = client_for(personas.front_desk).get(LIST, {"q": "ben"}, headers={"HX-Request": "true"})
    page = response.content.decode()
    assert page.strip().startswith('<div id="patient-results">') and "<html" not in page
    assert "Brown, Ben" in page


# ---- registration -------------------------------------------------------------------------------


def test_it_lets_the_front_desk_register_a_patient(client_for, personas):
    response = client_for(personas.front_desk).post(reverse("clinic:patient_create"), NEW)
    patient = Patient.objects.get(email="nora@example.org")
    assert response.status_code == 302 and response["Location"] == _detail(patient)
    assert (patient.first_name, patient.birth_date, patient.phone, patient.user) == (
        "Nora",
        dt.date(1985, 4, 3),
        "+44 161 496 0000",
        None,
    )
    assert patient.created_by == personas.front_desk
    assert AuditEvent.objects.filter(
        action="create", object_type="clinic.patient", patient_id=patient.pk, actor=personas.front_desk
    ).exists()


def test_it_refuses_registration_to_patients(client_for, personas):
    response = client_for(personas.patient_a).post(reverse("clinic:patient_create"), NEW)
    assert response.status_code == 404
    assert not Patient.objects.filter(email="nora@example.org").exists()


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"birth_date": "FUTURE"}, "Date of birth cannot be in the future."),
        ({"birth_date": "1850-01-01"}, "Date of birth is more than 130 years ago"),
        ({"birth_date": "31/02/1990"}, "Date of birth: enter a real date."),
        ({"first_name": ""}, "First name is required."),
        ({"last_name": "   "}, "Last name is required."),
        ({"email": "nora@"}, "Email: enter a real email address."),
        ({"phone": "call me maybe"}, "Phone: use digits, spaces and + ( ) - only."),
    ],
)
def test_it_refuses_bad_input_naming_the_field_and_saves_nothing(client_for, personas, changes, message):
    data = NEW | {k: (_future() if v == "FUTURE" else v) for k, v in changes.items()}
    before = AuditEvent.objects.count()
    response = client_for(personas.front_desk).post(reverse("clinic:patient_create"), data)
    assert response.status_code == 400
    assert message in response.content.decode() and "Nothing was saved" in response.content.decode()
    assert Patient.objects.count() == 2 and AuditEvent.objects.count() == before


def test_it_refuses_a_blank_name_in_the_service_naming_the_field(personas):
    with pytest.raises(ServiceError) as refused:
        patient_register(
            first_name=" ",
            last_name="X",
            birth_date=dt.date(1990, 1, 1),
            email="",
            phone="",
            actor=personas.front_desk,
        )
    assert refused.value.field == "first_name" and refused.value.message.startswith("First name")


def test_it_creates_a_portal_login_with_the_registration(client_for, personas):
    response = client_for(personas.front_desk).post(
        reverse("clinic:patient_create"), NEW | {"portal_account": "on"}
    )
    page = response.content.decode()
    patient = Patient.objects.select_related("user").get(email="nora@example.org")
    login = patient.user
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    assert (login.username, login.role, login.has_usable_password()) == (
        "nora@example.org",
        Role.PATIENT,
        False,
    )
    assert "nora@example.org" in page and 'id="link-sent"' in page
    assert "/accounts/reset/" not in page and [m.to for m in mail.outbox] == [["nora@example.org"]]
    assert AuditEvent.objects.filter(
        action="create", object_type="accounts.user", patient_id=patient.pk
    ).exists()


def test_it_registers_nothing_when_the_portal_login_cannot_be_made(client_for, personas):
    data = NEW | {"email": "", "portal_account": "on"}
    response = client_for(personas.front_desk).post(reverse("clinic:patient_create"), data)
    assert response.status_code == 400
    assert "Add the patient&#x27;s email first" in response.content.decode()
    assert Patient.objects.count() == 2 and User.objects.filter(role=Role.PATIENT).count() == 2


def test_it_creates_a_portal_login_for_an_existing_patient_once(client_for, personas):
    patient = patient_register(
        first_name="Olga",
        last_name="Old",
        birth_date=dt.date(1970, 1, 1),
        email="Olga@Example.org",
        phone="",
        actor=personas.front_desk,
    )
    staff = client_for(personas.practitioner)
    url = reverse("clinic:patient_portal_account", args=[patient.pk])
    assert "olga@example.org" in staff.post(url).content.decode()
    again = staff.post(url, follow=True).content.decode()
    assert "This patient already has a portal login." in again
    assert User.objects.filter(username="olga@example.org").count() == 1


def test_it_refuses_a_portal_login_whose_username_is_taken(personas):
    User.objects.create_user(username="dup@example.org", role=Role.PATIENT)
    patient = patient_register(
        first_name="Dup",
        last_name="Li",
        birth_date=dt.date(1970, 1, 1),
        email="DUP@example.org",
        phone="",
        actor=personas.front_desk,
    )
    with pytest.raises(ServiceError) as refused:
        patient_portal_account_create(patient=patient, actor=personas.front_desk)
    assert (refused.value.field, refused.value.message) == ("email", USERNAME_TAKEN)
    patient.refresh_from_db()
    assert patient.user is None


def test_it_refuses_portal_logins_to_patients(client_for, personas):
    url = reverse("clinic:patient_portal_account", args=[personas.record_b.pk])
    assert client_for(personas.patient_b).post(url).status_code == 404


# ---- the record ---------------------------------------------------------------------------------


def test_it_shows_clinicians_the_clinical_record(client_for, personas, course_a):
    page = client_for(personas.practitioner).get(_detail(personas.record_a)).content.decode()
    assert "anna@example.org" in page
    assert 'id="clinical"' in page and "Intakes" in page and "Consultation" in page
    assert "Suitable" in page  # the screening's decision
    assert "Acne scars" in page and "Draft plan" in page  # the course
    assert AuditEvent.objects.filter(
        action="view", actor=personas.practitioner, patient_id=personas.record_a.pk, summary="clinical record"
    ).exists()


def test_it_shows_the_front_desk_contact_details_and_schedule_but_no_clinical_notes(
    client_for, personas, course_a
):
    page = client_for(personas.front_desk).get(_detail(personas.record_a)).content.decode()
    assert "anna@example.org" in page and "2 March 1994" in page
    assert "Tue 1 Dec 2026 09:30" in page and "not booked yet" in page and "Planned" in page
    assert 'id="clinical"' not in page and "Intakes" not in page and "Screenings" not in page
    assert "Draft plan" not in page and "Acne scars" not in page
    assert AuditEvent.objects.filter(
        action="view", actor=personas.front_desk, patient_id=personas.record_a.pk, summary="record"
    ).exists()


def test_it_sends_patients_to_the_portal_not_their_record(client_for, personas):
    assert client_for(personas.patient_a).get(_detail(personas.record_a)).status_code == 404


def test_it_refuses_patient_b_patient_as_record(client_for, personas):
    assert client_for(personas.patient_b).get(_detail(personas.record_a)).status_code == 404
    assert client_for(personas.patient_b).get(_edit(personas.record_a)).status_code == 404


def test_it_answers_404_for_a_record_that_does_not_exist(client_for, personas):
    assert client_for(personas.director).get("/patients/999999/").status_code == 404


def test_it_refuses_the_record_to_anonymous_visitors(client, personas):
    response = client.get(_detail(personas.record_a))
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


# ---- edit ---------------------------------------------------------------------------------------


def test_it_saves_new_contact_details_and_audits_the_change(client_for, personas):
    patient = personas.record_a
    response = client_for(personas.front_desk).post(_edit(patient), _edit_data(patient, phone="07700 900123"))
    assert response.status_code == 302 and response["Location"] == _detail(patient)
    patient.refresh_from_db()
    assert (patient.phone, patient.version) == ("07700 900123", 2)
    assert AuditEvent.objects.filter(
        action="change", object_type="clinic.patient", patient_id=patient.pk, summary="changed phone"
    ).exists()


def test_it_shows_the_edit_form_with_the_current_details(client_for, personas):
    page = client_for(personas.front_desk).get(_edit(personas.record_a)).content.decode()
    assert 'value="anna@example.org"' in page and 'name="version" value="1"' in page


def test_it_refuses_a_stale_edit_and_keeps_the_other_change(client_for, personas):
    patient = personas.record_a
    opened = _edit_data(patient)  # the form as the front desk opened it, at version 1
    patient_update(
        patient=Patient.objects.get(pk=patient.pk),
        expected_version=1,
        first_name="Anna",
        last_name="Alvarez",
        birth_date=patient.birth_date,
        email="anna.new@example.org",
        phone="",
        actor=personas.practitioner,
    )
    response = client_for(personas.front_desk).post(_edit(patient), opened | {"phone": "01234"})
    page = response.content.decode()
    assert response.status_code == 409
    assert "Someone else changed this record after you opened it" in page
    assert "Now on record" in page and "anna.new@example.org" in page
    assert 'value="01234"' in page  # what this user typed is kept, to make again
    patient.refresh_from_db()
    assert (patient.email, patient.phone, patient.version) == ("anna.new@example.org", "", 2)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"birth_date": "FUTURE"}, "Date of birth cannot be in the future."),
        ({"first_name": ""}, "First name is required."),
    ],
)
def test_it_refuses_a_bad_edit_and_saves_nothing(client_for, personas, changes, message):
    patient = personas.record_a
    data = _edit_data(patient, **{k: (_future() if v == "FUTURE" else v) for k, v in changes.items()})
    response = client_for(personas.front_desk).post(_edit(patient), data)
    assert response.status_code == 400 and message in response.content.decode()
    patient.refresh_from_db()
    assert (patient.first_name, patient.birth_date, patient.version) == ("Anna", dt.date(1994, 3, 2), 1)
    assert not AuditEvent.objects.filter(action="change").exists()


def test_it_refuses_edits_to_patients_even_of_their_own_record(client_for, personas):
    patient = personas.record_a
    response = client_for(personas.patient_a).post(_edit(patient), _edit_data(patient, phone="1"))
    assert response.status_code == 404
    patient.refresh_from_db()
    assert patient.phone == "" and patient.version == 1


def test_it_shows_an_intake_that_no_staff_member_entered(client_for, personas, intake_a):
    from needlepoint.clinic.models import Intake

    Intake.objects.create(
        patient=personas.record_a, number=1, data=intake_a, source="inquiry", created_by=None
    )
    response = client_for(personas.practitioner).get(f"/patients/{personas.record_a.pk}/")
    assert response.status_code == 200
    assert "—" in response.content.decode()


def test_it_labels_each_finding_with_its_code_and_the_patients_wording(client_for, personas, intake_a):
    intake_a["pregnancy"] = "pregnant"
    intake = intake_create(
        patient=personas.record_a, data=intake_a, source="consultation", actor=personas.practitioner
    )
    screening = screening_run(intake=intake, actor=personas.practitioner)
    [finding, *_] = screening.result["findings"]
    page = client_for(personas.practitioner).get(_detail(personas.record_a)).content.decode()
    assert f'<code>{finding["code"]}</code> <span class="muted">patient told:</span>' in page


def test_it_reads_neither_intake_nor_plan_documents_for_the_record(client_for, personas, course_a):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(personas.practitioner)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(_detail(personas.record_a)).status_code == 200
    sql = " ".join(q["sql"] for q in queries.captured_queries)
    assert '"clinic_course"."plan"' not in sql and '"clinic_intake"."data"' not in sql
    assert "Acne scars" in client.get(_detail(personas.record_a)).content.decode()


@pytest.mark.parametrize("sessions", [1, 12])
def test_it_builds_the_record_in_a_fixed_number_of_queries(
    client_for, personas, course_a, django_assert_num_queries, sessions
):
    for n in range(3, sessions + 3):
        TreatmentSession.objects.create(course=course_a, patient=personas.record_a, number=n)
    client = client_for(personas.practitioner)
    # session + user, the patient, the audit event, sessions, the booked ones, consultations,
    # intakes, courses, screenings
    with django_assert_num_queries(10):
        page = client.get(_detail(personas.record_a)).content.decode()
    session = TreatmentSession.objects.filter(course=course_a).order_by("-number").first()
    assert f"Session {session.number}" in page
    assert reverse("clinic:charting_chart", args=[session.pk]) not in page  # not booked yet
