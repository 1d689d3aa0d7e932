"""Consent texts the clinic owns: the medical director drafts, edits (a stale edit is refused),
previews and publishes a version; other roles are refused; the database refuses to change or
delete a published text (raw SQL, on the test database); new consents use the latest published
version; each signed consent keeps a copy of the text and plan shown, whose SHA-256 is checked
on the signed record (staff and portal) and would expose a changed copy."""

import hashlib
import json

import pytest
from clinic_helpers import SIGNATURE, make_course
from django.db import DatabaseError, connection, transaction
from django.urls import reverse

from needlepoint.audit.models import AuditEvent
from needlepoint.clinic.consent_copy import canonical, content_sha256
from needlepoint.clinic.models import Consent, ConsentText
from needlepoint.clinic.services import ServiceError, StaleEdit
from needlepoint.clinic.services.consent import consent_sign, current_consent_text
from needlepoint.clinic.services.consent_texts import (
    consent_draft_create,
    consent_draft_edit,
    consent_draft_publish,
    ensure_default_consent_text,
)

PLAN = {
    "sessions": {"count": 3, "interval_days": {"min": 28, "max": 42}},
    "areas": [
        {"area": "cheeks", "depth_mm": {"min": 1.0, "max": 1.5}},
        {"area": "forehead", "depth_mm": {"min": 0.5, "max": 0.5}},
    ],
    "adjuncts": [
        {"code": "prp", "name": "Platelet-rich plasma (PRP)", "selected": True},
        {"code": "prf", "name": "PRF", "selected": False},
    ],
}
PLAN_LINES = [
    "What the course is for: Acne scars.",
    "3 sessions, 4 to 6 weeks apart.",
    "Cheeks: needles 1 to 1.5 mm deep.",
    "Forehead: needles 0.5 mm deep.",
    "Also used: Platelet-rich plasma (PRP).",
]
LIST = "/consent-texts/"


@pytest.fixture
def text(db):
    return ensure_default_consent_text()


@pytest.fixture
def course(personas):
    return make_course(personas, plan=PLAN)


def draft(personas, version="2", body="New wording, version 2."):
    return consent_draft_create(
        treatment="microneedling",
        version=version,
        title="Consent v" + version,
        body=body,
        actor=personas.director,
    )


# -- the director's pages ----------------------------------------------------------------------------


def test_it_lets_the_director_draft_edit_preview_and_publish_a_version(client_for, personas, text):
    client = client_for(personas.director)
    assert client.get(LIST).status_code == 200
    response = client.post(
        "/consent-texts/new/", {"version": "2", "title": "Consent v2", "body": "First wording."}
    )
    new = ConsentText.objects.get(version="2")
    assert (response.status_code, response["Location"], new.is_published) == (
        302,
        reverse("clinic:consent_text_edit", args=[new.pk]),
        False,
    )
    edit = client.post(
        f"/consent-texts/{new.pk}/",
        {"version": "2", "title": "Consent v2", "body": "Better wording.", "revision": 1},
    )
    assert edit.status_code == 302
    preview = client.get(f"/consent-texts/{new.pk}/preview/").content.decode()
    assert ("Better wording." in preview, "Publish version 2" in preview) == (True, True)
    assert current_consent_text().pk == text.pk  # a draft is not used yet
    published = client.post(f"/consent-texts/{new.pk}/publish/", {"revision": 2})
    assert (published.status_code, current_consent_text().pk) == (302, new.pk)
    page = client.get(LIST).content.decode()
    assert "Consent v2" in page.split("Drafts")[0]
    summaries = list(
        AuditEvent.objects.filter(object_type="clinic.consenttext", object_id=str(new.pk))
        .order_by("id")
        .values_list("summary", flat=True)
    )
    assert [s.split(" ")[-1] for s in summaries if "preview" not in s] == ["drafted", "edited", "published"]


def test_it_lists_the_versions_in_a_fixed_number_of_queries(
    client_for, personas, text, django_assert_num_queries
):
    for n in range(2, 6):
        draft(personas, version=str(n))
    client = client_for(personas.director)
    with django_assert_num_queries(3):  # session, user, the texts with their authors
        page = client.get(LIST).content.decode()
    assert (page.count("preview and publish"), "Consent texts" in page) == (4, True)


def test_it_refuses_a_stale_edit_of_a_draft_with_409(client_for, personas, text):
    new = draft(personas)
    client = client_for(personas.director)
    first = client.post(
        f"/consent-texts/{new.pk}/", {"version": "2", "title": "A", "body": "Mine.", "revision": 1}
    )
    stale = client.post(
        f"/consent-texts/{new.pk}/", {"version": "2", "title": "B", "body": "Theirs.", "revision": 1}
    )
    assert (first.status_code, stale.status_code) == (302, 409)
    assert "Someone else changed this draft" in stale.content.decode()
    assert ConsentText.objects.get(pk=new.pk).body == "Mine."


def test_it_refuses_to_publish_a_draft_changed_since_the_preview(personas, text):
    new = draft(personas)
    consent_draft_edit(
        text=new, version="2", title="T", body="Changed.", actor=personas.director, expected_revision=1
    )
    with pytest.raises(StaleEdit):
        consent_draft_publish(text=new, actor=personas.director, expected_revision=1)
    assert not ConsentText.objects.get(pk=new.pk).is_published


def test_it_refuses_to_edit_a_published_text_through_the_service(personas, text):
    with pytest.raises(StaleEdit) as exc:
        consent_draft_edit(
            text=text, version="1", title="T", body="Changed.", actor=personas.director, expected_revision=1
        )
    assert "published" in exc.value.message
    assert ConsentText.objects.get(pk=text.pk).body == text.body


def test_it_refuses_a_version_label_already_used(client_for, personas, text):
    response = client_for(personas.director).post(
        "/consent-texts/new/", {"version": "1", "title": "T", "body": "B"}
    )
    assert response.status_code == 400
    assert "already exists" in response.content.decode()
    assert ConsentText.objects.count() == 1


def test_it_refuses_other_roles_the_consent_text_pages(client_for, personas, text):
    new = draft(personas)
    urls = [LIST, "/consent-texts/new/", f"/consent-texts/{new.pk}/", f"/consent-texts/{new.pk}/preview/"]
    for user in (personas.practitioner, personas.front_desk, personas.patient_a):
        client = client_for(user)
        assert [client.get(u).status_code for u in urls] == [404] * 4
        assert client.post(f"/consent-texts/{new.pk}/publish/", {"revision": 1}).status_code == 404
    assert not ConsentText.objects.get(pk=new.pk).is_published
    with pytest.raises(ServiceError):
        consent_draft_create(
            treatment="microneedling", version="3", title="T", body="B", actor=personas.practitioner
        )
    assert client_for(personas.director).get(LIST).status_code == 200


# -- the database refuses changes to a published text ----------------------------------------------


def test_it_refuses_a_raw_update_of_a_published_text_in_the_database(text):
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE clinic_consenttext SET body = %s WHERE id = %s", ["tampered", text.pk])
    assert ConsentText.objects.get(pk=text.pk).body == text.body
    with pytest.raises(PermissionError):
        text.delete()


def test_it_refuses_a_raw_delete_of_a_published_text_in_the_database(text):
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM clinic_consenttext WHERE id = %s", [text.pk])
    assert ConsentText.objects.filter(pk=text.pk).exists()


def test_it_lets_the_database_change_a_draft(personas, text):
    new = draft(personas)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE clinic_consenttext SET body = %s WHERE id = %s", ["still writing", new.pk])
    assert ConsentText.objects.get(pk=new.pk).body == "still writing"


# -- which version a consent uses, and the copy it keeps -------------------------------------------


def test_it_has_new_consents_use_the_newly_published_version(client_for, personas, course, text):
    new = draft(personas)
    consent_draft_publish(text=new, actor=personas.director, expected_revision=1)
    page = (
        client_for(personas.patient_a).get(reverse("portal:consent_sign", args=[course.pk])).content.decode()
    )
    assert "New wording, version 2." in page
    consent = consent_sign(
        course=course,
        consent_text=new,
        typed_name="Anna Alvarez",
        signature_png=SIGNATURE,
        channel="portal",
        actor=personas.patient_a,
    )
    assert (consent.consent_text_id, consent.text_shown["version"]) == (new.pk, "2")
    with pytest.raises(ServiceError):  # the old version is no longer signed
        consent_sign(
            course=make_course(personas, plan=PLAN),
            consent_text=text,
            typed_name="Anna Alvarez",
            signature_png=SIGNATURE,
            channel="portal",
            actor=personas.patient_a,
        )


def test_it_shows_the_patient_the_plan_in_plain_words_before_they_sign(client_for, personas, course, text):
    page = (
        client_for(personas.patient_a).get(reverse("portal:consent_sign", args=[course.pk])).content.decode()
    )
    for line in PLAN_LINES:
        assert line in page
    assert page.index("Your treatment plan") < page.index('name="typed_name"')


def test_it_keeps_a_copy_of_exactly_what_was_shown_with_its_hash(client_for, personas, course, text):
    client = client_for(personas.patient_a)
    url = reverse("portal:consent_sign", args=[course.pk])
    shown = client.get(url)
    digest = shown.context["shown_sha256"]
    response = client.post(
        url,
        {
            "consent_text": text.pk,
            "typed_name": "Anna Alvarez",
            "signature_png": SIGNATURE,
            "shown_sha256": digest,
        },
    )
    assert response.status_code == 302
    consent = Consent.objects.get()
    assert (consent.plan_shown["lines"], consent.text_shown["body"], consent.copy_reconstructed) == (
        PLAN_LINES,
        text.body,
        False,
    )
    recomputed = hashlib.sha256(
        json.dumps(
            {"plan": consent.plan_shown, "text": consent.text_shown},
            sort_keys=True,
            separators=(",", ":"),
            ensure_ascii=False,
        ).encode()
    ).hexdigest()
    assert consent.content_sha256 == recomputed == digest
    assert consent.copy_intact


def test_it_refuses_to_sign_when_the_plan_changed_after_the_page_was_shown(
    client_for, personas, course, text
):
    client = client_for(personas.patient_a)
    url = reverse("portal:consent_sign", args=[course.pk])
    digest = client.get(url).context["shown_sha256"]
    course.plan = PLAN | {"sessions": {"count": 6, "interval_days": {"min": 28, "max": 42}}}
    course.save()
    response = client.post(
        url,
        {
            "consent_text": text.pk,
            "typed_name": "Anna Alvarez",
            "signature_png": SIGNATURE,
            "shown_sha256": digest,
        },
    )
    assert (response.status_code, Consent.objects.exists()) == (409, False)
    assert "changed after this page was opened" in response.content.decode()


def test_it_would_detect_a_tampered_copy(personas, course, text):
    consent = consent_sign(
        course=course,
        consent_text=text,
        typed_name="Anna Alvarez",
        signature_png=SIGNATURE,
        channel="portal",
        actor=personas.patient_a,
    )
    # The database refuses an UPDATE of the consent, so the tampering is simulated in memory.
    consent.plan_shown = consent.plan_shown | {"sessions": 6}
    assert (
        consent.copy_intact,
        content_sha256(consent.text_shown, consent.plan_shown) == consent.content_sha256,
    ) == (
        False,
        False,
    )
    assert canonical({"b": 1, "a": "é"}, {}) == '{"plan":{},"text":{"a":"é","b":1}}'.encode()


def test_it_shows_the_stored_copy_and_its_check_on_the_signed_record(client_for, personas, course, text):
    consent = consent_sign(
        course=course,
        consent_text=text,
        typed_name="Anna Alvarez",
        signature_png=SIGNATURE,
        channel="portal",
        actor=personas.patient_a,
    )
    staff = client_for(personas.practitioner).get(reverse("clinic:consent_detail", args=[consent.pk]))
    portal = client_for(personas.patient_a).get(reverse("portal:consent_sign", args=[course.pk]))
    for response in (staff, portal):
        page = response.content.decode()
        assert (
            consent.content_sha256 in page,
            "still matches its SHA-256" in page,
            PLAN_LINES[1] in page,
        ) == (
            True,
            True,
            True,
        )
        assert "no-store" in response["Cache-Control"]
    other = client_for(personas.patient_b).get(reverse("portal:consent_sign", args=[course.pk]))
    assert other.status_code == 404


@pytest.mark.parametrize(
    ("doc", "lines"),
    [
        (
            {"sessions": {"count": 1}, "areas": [{"area": "upper_lip"}]},
            ["1 session.", "Upper lip: needles at a depth the practitioner sets on the day."],
        ),
        (
            {"sessions": {"count": 2, "interval_days": {"min": 30, "max": 45}}, "areas": []},
            ["2 sessions, 30 to 45 days apart."],
        ),
    ],
)
def test_it_words_the_plan_plainly_where_parts_are_missing(doc, lines):
    from needlepoint.clinic.consent_copy import plan_shown
    from needlepoint.clinic.plan_view import PlanView

    shown = plan_shown(PlanView.of(doc), goal="Texture")["lines"]
    assert shown[1:-1] == lines
