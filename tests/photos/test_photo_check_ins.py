"""Photos with aftercare check-ins: the patient adds them to their own sent check-in in the
portal; clinical staff see them beside the check-in's scores."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from photo_helpers import course_with_session, give_photo_consent, jpeg

from needlepoint.clinic.models import CheckIn, TreatmentSession
from needlepoint.photos.models import Photo

pytestmark = pytest.mark.django_db


def _check_in(personas, patient=None) -> CheckIn:
    session = course_with_session(personas, patient, days_ago=1, status="attended")
    TreatmentSession.objects.filter(pk=session.pk).update(
        status="signed", signed_by=personas.practitioner, signed_at=session.visit_at + dt.timedelta(hours=1)
    )
    return CheckIn.objects.create(
        session=session, patient=session.patient, day=1, redness=6, swelling=3, pain=2, expected=True
    )


def _add(client, check_in, data=None, area="face"):
    upload = SimpleUploadedFile("IMG.JPG", data or jpeg(), content_type="image/jpeg")
    return client.post(reverse("photos:check_in_photo", args=[check_in.pk]), {"area": area, "file": upload})


def test_it_lets_a_patient_add_a_photo_to_their_own_check_in(personas, client_for):
    check_in = _check_in(personas)
    give_photo_consent(check_in.patient, personas.practitioner)
    anna = client_for(personas.patient_a)
    page = anna.get(reverse("portal:checkin_new", args=[check_in.session_id, 1]))
    assert 'capture="environment"' in page.content.decode()
    response = _add(anna, check_in)
    photo = Photo.objects.get()
    assert (response.status_code, photo.check_in_id, photo.session_id, photo.uploaded_by) == (
        302,
        check_in.pk,
        check_in.session_id,
        personas.patient_a,
    )


def test_it_refuses_another_patients_check_in_with_404(personas, client_for):
    check_in = _check_in(personas)
    give_photo_consent(check_in.patient, personas.practitioner)
    assert (_add(client_for(personas.patient_b), check_in).status_code, Photo.objects.count()) == (404, 0)
    assert _add(client_for(personas.practitioner), check_in).status_code == 404


def test_it_tells_the_patient_in_words_when_the_file_is_not_a_photo_or_consent_is_missing(
    personas, client_for
):
    check_in = _check_in(personas)
    anna = client_for(personas.patient_a)
    response = _add(anna, check_in)
    page = anna.get(response["Location"]).content.decode()
    assert ("has not consented to photos" in page, Photo.objects.count()) == (True, 0)
    give_photo_consent(check_in.patient, personas.practitioner)
    response = _add(anna, check_in, data=b"%PDF-1.4 not a photo")
    assert "not a photo" in anna.get(response["Location"]).content.decode()


def test_it_shows_staff_the_photos_beside_the_check_in_scores(personas, client_for):
    check_in = _check_in(personas)
    give_photo_consent(check_in.patient, personas.practitioner)
    _add(client_for(personas.patient_a), check_in)
    photo = Photo.objects.get()
    url = reverse("photos:session_check_ins", args=[check_in.session_id])
    body = client_for(personas.practitioner).get(url).content.decode()
    assert ("<dd>6/10</dd>" in body, reverse("photos:image", args=[photo.pk]) in body) == (True, True)
    for user in (personas.patient_a, personas.front_desk):
        assert client_for(user).get(url).status_code == 404
