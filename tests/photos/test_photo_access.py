"""Who sees which photo: clinical staff see clinical photos, the front desk none unless the
clinic allows it, a patient only their own (another patient's photo: 404). Every file is served
with no-store and written to the audit trail; photo consent is recorded and withdrawn with its
history, and withdrawing teaching or marketing consent hides the photos from that use at once."""

import pytest
from django.urls import reverse
from photo_helpers import give_photo_consent, jpeg

from needlepoint.audit.models import AuditEvent
from needlepoint.photos.models import Photo, PhotoConsent
from needlepoint.photos.services.photos import photo_store

pytestmark = pytest.mark.django_db


def _photo(personas, patient=None) -> Photo:
    patient = patient or personas.record_a
    give_photo_consent(patient, personas.practitioner)
    return photo_store(patient=patient, data=jpeg(), area="face", view="front", actor=personas.practitioner)


def _image(photo: Photo) -> str:
    return reverse("photos:image", args=[photo.pk])


def test_it_serves_the_photo_to_clinical_staff_with_no_store_and_an_audit_row(personas, client_for):
    photo = _photo(personas)
    for user in (personas.practitioner, personas.director):
        response = client_for(user).get(_image(photo))
        cache = response["Cache-Control"]
        assert (response.status_code, response["Content-Type"], "no-store" in cache, "private" in cache) == (
            200,
            "image/jpeg",
            True,
            True,
        )
        assert b"".join(response)[:2] == b"\xff\xd8"
        event = AuditEvent.objects.filter(action="view", object_type="photos.photo", actor=user).get()
        assert (event.object_id, event.patient_id, event.summary) == (
            str(photo.pk),
            photo.patient_id,
            "photo image",
        )


def test_it_refuses_the_front_desk_unless_the_clinic_allows_it(personas, client_for, settings):
    photo = _photo(personas)
    desk = client_for(personas.front_desk)
    assert desk.get(_image(photo)).status_code == 404
    assert desk.get(reverse("photos:patient", args=[personas.record_a.pk])).status_code == 404
    settings.NEEDLEPOINT_FRONT_DESK_SEES_PHOTOS = True
    assert desk.get(_image(photo)).status_code == 200


def test_it_serves_a_patient_their_own_photo_and_404_for_anothers(personas, client_for):
    own, other = _photo(personas), _photo(personas, personas.record_b)
    anna = client_for(personas.patient_a)
    assert (anna.get(_image(own)).status_code, anna.get(_image(other)).status_code) == (200, 404)
    assert client_for(personas.patient_b).get(_image(own)).status_code == 404
    assert (
        AuditEvent.objects.filter(object_type="photos.photo", object_id=str(other.pk), action="view").count()
        == 0
    )


def test_it_answers_404_for_a_missing_photo_and_a_thumbnail_not_ready(personas, client_for):
    photo = _photo(personas)
    paula = client_for(personas.practitioner)
    assert paula.get(reverse("photos:image", args=[photo.pk + 99])).status_code == 404
    assert paula.get(reverse("photos:thumbnail", args=[photo.pk])).status_code == 404


def test_it_shows_preparing_until_the_thumbnail_is_made(personas, client_for):
    from needlepoint.photos.tasks import make_thumbnail

    photo = _photo(personas)
    paula = client_for(personas.practitioner)
    page = paula.get(reverse("photos:patient", args=[personas.record_a.pk]))
    assert "Preparing the preview" in page.content.decode()
    make_thumbnail.call(photo.pk)
    page = paula.get(reverse("photos:patient", args=[personas.record_a.pk]))
    assert (
        "Preparing the preview" in page.content.decode(),
        reverse("photos:thumbnail", args=[photo.pk]) in page.content.decode(),
    ) == (False, True)
    assert paula.get(reverse("photos:thumbnail", args=[photo.pk])).status_code == 200


def test_it_never_gives_a_photo_a_media_or_static_address(personas, client_for):
    photo = _photo(personas)
    page = client_for(personas.practitioner).get(reverse("photos:patient", args=[personas.record_a.pk]))
    assert (photo.file.name in page.content.decode(), "/media/" in page.content.decode()) == (False, False)


def test_it_refuses_patients_on_the_staff_photo_pages(personas, client_for):
    anna = client_for(personas.patient_a)
    for url in (
        reverse("photos:patient", args=[personas.record_a.pk]),
        reverse("photos:library", args=["teaching"]),
    ):
        assert anna.get(url).status_code == 404


def test_it_uploads_through_the_page_and_refuses_a_text_file_with_words(personas, client_for):
    from django.core.files.uploadedfile import SimpleUploadedFile

    give_photo_consent(personas.record_a, personas.practitioner)
    paula = client_for(personas.practitioner)
    url = reverse("photos:upload", args=[personas.record_a.pk])
    bad = SimpleUploadedFile("face.jpg", b"plain text", content_type="image/jpeg")
    response = paula.post(url, {"shot": "face:front", "file": bad})
    assert (response.status_code, "not a photo" in response.content.decode(), Photo.objects.count()) == (
        400,
        True,
        0,
    )
    good = SimpleUploadedFile("face.jpg", jpeg(), content_type="image/jpeg")
    response = paula.post(url, {"shot": "face:left_45", "file": good})
    assert (response.status_code, list(Photo.objects.values_list("area", "view"))) == (
        302,
        [("face", "left_45")],
    )


def test_it_refuses_an_upload_without_photo_consent_with_words(personas, client_for):
    from django.core.files.uploadedfile import SimpleUploadedFile

    paula = client_for(personas.practitioner)
    good = SimpleUploadedFile("face.jpg", jpeg(), content_type="image/jpeg")
    response = paula.post(
        reverse("photos:upload", args=[personas.record_a.pk]), {"shot": "face:front", "file": good}
    )
    assert (response.status_code, "has not consented" in response.content.decode()) == (400, True)


# ---- photo consent ------------------------------------------------------------------------------


def test_it_records_consent_keeping_the_history_and_auditing_it(personas, client_for):
    paula = client_for(personas.practitioner)
    url = reverse("photos:consent_record", args=[personas.record_a.pk])
    for decision in ("given", "withdrawn", "given"):
        assert paula.post(url, {"purpose": "teaching", "decision": decision}).status_code == 302
    rows = list(
        PhotoConsent.objects.filter(patient=personas.record_a).order_by("id").values_list("given", flat=True)
    )
    assert rows == [True, False, True]
    assert AuditEvent.objects.filter(object_type="photos.photoconsent", action="change").count() == 3


def test_it_refuses_withdrawing_consent_for_the_record_with_words(personas, client_for):
    paula = client_for(personas.practitioner)
    url = reverse("photos:consent_record", args=[personas.record_a.pk])
    response = paula.post(url, {"purpose": "record", "decision": "withdrawn"})
    assert (response.status_code, "cannot be withdrawn here" in response.content.decode()) == (400, True)


def test_it_hides_a_photo_from_teaching_at_once_when_consent_is_withdrawn(personas, client_for):
    photo = _photo(personas)
    give_photo_consent(personas.record_a, personas.practitioner, "teaching")
    paula = client_for(personas.practitioner)
    use_url = reverse("photos:use_image", args=["teaching", photo.pk])
    library = reverse("photos:library", args=["teaching"])
    assert (paula.get(use_url).status_code, use_url in paula.get(library).content.decode()) == (200, True)
    anna = client_for(personas.patient_a)
    assert anna.post(reverse("photos:withdraw"), {"purpose": "teaching"}).status_code == 302
    assert (paula.get(use_url).status_code, use_url in paula.get(library).content.decode()) == (404, False)
    assert paula.get(_image(photo)).status_code == 200  # still in the clinical record


def test_it_never_shows_photos_for_marketing_without_that_consent(personas, client_for):
    photo = _photo(personas)
    give_photo_consent(personas.record_a, personas.practitioner, "teaching")
    paula = client_for(personas.practitioner)
    assert paula.get(reverse("photos:use_image", args=["marketing", photo.pk])).status_code == 404


def test_it_lets_a_patient_withdraw_only_their_own_optional_consent(personas, client_for):
    from needlepoint.clinic.services import ServiceError
    from needlepoint.photos.services.consent import photo_consent_record

    give_photo_consent(personas.record_b, personas.practitioner, "record", "marketing")
    with pytest.raises(ServiceError):
        photo_consent_record(
            patient=personas.record_b, purpose="marketing", given=False, actor=personas.patient_a
        )
    with pytest.raises(ServiceError):
        photo_consent_record(
            patient=personas.record_a, purpose="teaching", given=True, actor=personas.patient_a
        )


def test_it_shows_a_patient_their_own_photos_in_the_portal_and_refuses_staff(personas, client_for):
    photo = _photo(personas)
    _photo(personas, personas.record_b)
    page = client_for(personas.patient_a).get(reverse("photos:my_photos"))
    body = page.content.decode()
    assert (page.status_code, f"/photos/{photo.pk}/image/" in body, body.count("<li>")) == (200, True, 1 + 3)
    assert client_for(personas.practitioner).get(reverse("photos:my_photos")).status_code == 404


def test_it_reads_the_patients_photo_page_in_a_fixed_number_of_queries(
    personas, client_for, django_assert_num_queries
):
    paula = client_for(personas.practitioner)
    url = reverse("photos:patient", args=[personas.record_a.pk])
    _photo(personas)
    paula.get(url)  # warm the session and the protocol cache
    with django_assert_num_queries(QUERIES_PATIENT_PAGE):
        paula.get(url)
    for _ in range(3):
        photo_store(
            patient=personas.record_a, data=jpeg(), area="face", view="front", actor=personas.practitioner
        )
    with django_assert_num_queries(QUERIES_PATIENT_PAGE):
        assert paula.get(url).status_code == 200


def test_it_reads_the_teaching_library_in_a_fixed_number_of_queries(
    personas, client_for, django_assert_num_queries
):
    paula = client_for(personas.practitioner)
    url = reverse("photos:library", args=["teaching"])
    for patient in (personas.record_a, personas.record_b):
        _photo(personas, patient)
        give_photo_consent(patient, personas.practitioner, "teaching")
    paula.get(url)
    with django_assert_num_queries(QUERIES_LIBRARY):
        assert paula.get(url).status_code == 200


QUERIES_PATIENT_PAGE = 9
QUERIES_LIBRARY = 4
