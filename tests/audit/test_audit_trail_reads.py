"""The audit trail of reads and how an event is written: each page that shows patient data
writes one "view" event naming who, which patient and what (the record, the clinical record,
the portal's home, the check-in list, a flag, the list with its search, the dashboard); a
refused read (404) writes no view of the record; an event carries the request's address and
the actor's name and role, or "anonymous"; the trail refuses unknown actions and is never
changed or deleted.

The clock is frozen (ticking) at Monday 23 November 2026, 09:00 in London (GMT)."""

import pytest
from django.test import RequestFactory
from django.urls import reverse

from needlepoint.audit.context import bind_request, current_ip
from needlepoint.audit.models import AuditEvent
from needlepoint.audit.services import audit_record
from needlepoint.clinic.models import Flag


def views_of(patient, **filters):
    return AuditEvent.objects.filter(action="view", patient_id=patient.pk, **filters)


# -- reads through the pages -----------------------------------------------------------------------


def test_it_audits_the_front_desk_reading_a_record_as_a_record_not_a_clinical_one(client_for, personas):
    client_for(personas.front_desk).get(reverse("clinic:patient_detail", args=[personas.record_a.pk]))
    event = views_of(personas.record_a).get()
    assert (event.actor, event.object_type, event.summary) == (
        personas.front_desk,
        "clinic.patient",
        "record",
    )


@pytest.mark.parametrize("who", ["practitioner", "director"])
def test_it_audits_a_clinician_reading_the_clinical_record(client_for, personas, who):
    client_for(getattr(personas, who)).get(reverse("clinic:patient_detail", args=[personas.record_b.pk]))
    event = views_of(personas.record_b).get()
    assert (event.actor, event.summary) == (getattr(personas, who), "clinical record")


def test_it_audits_the_edit_form_as_a_read_of_the_record(client_for, personas):
    client_for(personas.front_desk).get(reverse("clinic:patient_edit", args=[personas.record_a.pk]))
    assert views_of(personas.record_a, actor=personas.front_desk, summary="record").count() == 1


def test_it_audits_the_portal_home_as_the_patient_reading_their_own_record(client_for, personas):
    client_for(personas.patient_a).get(reverse("portal:home"))
    event = views_of(personas.record_a).get()
    assert (event.actor, event.summary, event.object_id) == (
        personas.patient_a,
        "portal home",
        str(personas.record_a.pk),
    )
    assert not views_of(personas.record_b).exists()


def test_it_audits_the_patients_check_in_list(client_for, personas):
    client_for(personas.patient_b).get(reverse("portal:checkin_list"))
    event = views_of(personas.record_b).get()
    assert (event.actor, event.object_type, event.summary) == (
        personas.patient_b,
        "clinic.checkin",
        "check-in list",
    )


def test_it_audits_a_clinician_opening_a_flag_under_its_patient(client_for, personas):
    flag = Flag.objects.create(patient=personas.record_a, reason="Warning sign reported: fever", urgent=True)
    client_for(personas.practitioner).get(reverse("clinic:flag_resolve", args=[flag.pk]))
    event = views_of(personas.record_a, object_type="clinic.flag").get()
    assert (event.actor, event.object_id) == (personas.practitioner, str(flag.pk))


def test_it_writes_no_view_when_the_front_desk_is_refused_a_flag(client_for, personas):
    flag = Flag.objects.create(patient=personas.record_a, reason="Warning sign reported: fever", urgent=True)
    response = client_for(personas.front_desk).get(reverse("clinic:flag_resolve", args=[flag.pk]))
    assert (response.status_code, views_of(personas.record_a).exists()) == (404, False)


def test_it_audits_the_patient_list_with_the_search_and_page(client_for, personas):
    client_for(personas.front_desk).get(reverse("clinic:patient_list"), {"q": "Alvarez"})
    event = AuditEvent.objects.get(action="view", object_type="clinic.patient")
    assert (event.summary, event.patient_id) == ("patient list, page 1, search 'Alvarez'", None)


def test_it_audits_the_dashboard_with_its_day_and_counts(client_for, personas):
    client_for(personas.practitioner).get(reverse("clinic:dashboard"))
    event = AuditEvent.objects.get(object_type="clinic.dashboard")
    assert (event.actor, event.summary) == (
        personas.practitioner,
        "dashboard 2026-11-23: 0 today, 0 open flags",
    )


@pytest.mark.parametrize(
    ("who", "name"),
    [("patient_b", "clinic:patient_detail"), ("patient_a", "clinic:patient_edit")],
)
def test_it_writes_no_view_of_a_record_a_patient_is_refused(client_for, personas, who, name):
    response = client_for(getattr(personas, who)).get(reverse(name, args=[personas.record_a.pk]))
    assert (response.status_code, views_of(personas.record_a).exists()) == (404, False)


def test_it_writes_no_view_for_a_record_that_does_not_exist(client_for, personas):
    response = client_for(personas.practitioner).get(reverse("clinic:patient_detail", args=[987654]))
    assert (response.status_code, AuditEvent.objects.filter(action="view").exists()) == (404, False)


def test_it_records_the_address_the_page_was_read_from(client_for, personas):
    client_for(personas.front_desk).get(
        reverse("clinic:patient_detail", args=[personas.record_a.pk]), REMOTE_ADDR="198.51.100.23"
    )
    assert views_of(personas.record_a).get().ip == "198.51.100.23"


# -- writing an event ------------------------------------------------------------------------------


def test_it_labels_the_actor_with_their_username_and_role(personas):
    event = audit_record(actor=personas.director, action="view", obj=personas.record_b)
    assert (event.actor_label, event.patient_id, event.object_id) == (
        "maria (medical_director)",
        personas.record_b.pk,
        str(personas.record_b.pk),
    )


@pytest.mark.django_db
def test_it_labels_a_visitor_or_background_job_anonymous_without_an_address():
    from django.contrib.auth.models import AnonymousUser

    for actor in (None, AnonymousUser()):
        event = audit_record(actor=actor, action="create", object_type="clinic.inquiry", object_id="4")
        assert (event.actor, event.actor_label, event.ip) == (None, "anonymous", None)


def test_it_finds_the_patient_of_an_object_that_belongs_to_one(personas):
    flag = Flag.objects.create(patient=personas.record_b, reason="Redness above the usual")
    assert (
        audit_record(actor=personas.practitioner, action="view", obj=flag).patient_id == personas.record_b.pk
    )


def test_it_keeps_a_patient_given_explicitly_over_the_objects_own(personas):
    event = audit_record(
        actor=personas.practitioner, action="create", obj=personas.practitioner, patient_id=7
    )
    assert (event.object_type, event.patient_id) == ("accounts.user", 7)


def test_it_cuts_a_long_summary_to_what_the_trail_holds(personas):
    event = audit_record(
        actor=personas.practitioner, action="change", obj=personas.record_a, summary="x" * 400
    )
    event.refresh_from_db()
    assert len(event.summary) == 300


def test_it_refuses_an_action_the_trail_does_not_know(personas):
    with pytest.raises(ValueError, match="unknown audit action 'delete'"):
        audit_record(actor=personas.practitioner, action="delete", obj=personas.record_a)
    assert AuditEvent.objects.count() == 0


def test_it_refuses_to_save_an_event_again_or_delete_it(personas):
    event = audit_record(actor=personas.practitioner, action="view", obj=personas.record_a)
    event.summary = "nothing to see"
    with pytest.raises(PermissionError, match="append-only"):
        event.save()
    with pytest.raises(PermissionError, match="append-only"):
        event.delete()
    event.refresh_from_db()
    assert event.summary == ""


def test_it_forgets_the_address_when_the_request_is_over():
    request = RequestFactory().get("/", REMOTE_ADDR="192.0.2.44")
    with bind_request(request):
        inside = current_ip()
    assert (inside, current_ip()) == ("192.0.2.44", None)
