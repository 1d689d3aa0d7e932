"""Capture at a visit and before photos: the capture page lists the views the visit asks for
with a ghost of the previous photo of each; the first session is charted only with its before
photos, or with the medical director's waiver for the patient.

Charting happens on the day of the visit: time is frozen at 1 December 2026, 10:00 in London
(GMT), the session booked for 09:00 that day."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from photo_helpers import give_photo_consent, jpeg

from needlepoint.audit.models import AuditEvent
from needlepoint.clinic.models import Consent, ConsentText, Course, Device, TreatmentSession
from needlepoint.clinic.services import Blocked, ServiceError
from needlepoint.clinic.services.charting import AreaRow, ChartData, chart_save, charting_refusal
from needlepoint.clinic.services.rescreen import DayOfAnswers, session_rescreen
from needlepoint.clinic.services.screening import intake_create, screening_run
from needlepoint.photos.models import BeforePhotoWaiver, Photo
from needlepoint.photos.services.before_photos import before_photos_waive, missing_before_photos
from needlepoint.photos.services.photos import photo_store
from visit_helpers import book_visit

NOW = dt.datetime(2026, 12, 1, 10, 0, tzinfo=dt.UTC)
PLAN = {
    "schema": "needlepoint.plan/1",
    "goal": "acne_scars",
    "sessions": {"count": 3, "interval_days": {"min": 28, "max": 60}},
    "areas": [{"area": "cheeks", "depth_mm": {"min": 0.5, "max": 1.5}, "ceiling_mm": 1.5}],
    "adjuncts": [],
}
FACE = ["face — front", "face — left 45°", "face — right 45°"]


@pytest.fixture
def ready(personas, intake_a, settings):
    """Session 1 of an approved, consented course, booked for 09:00 today and re-screened."""
    settings.NEEDLEPOINT_BEFORE_PHOTOS_REQUIRED = True
    with time_machine.travel(NOW, tick=False):
        intake = intake_create(
            patient=personas.record_a, data=intake_a, source="consultation", actor=personas.practitioner
        )
        course = Course.objects.create(
            patient=personas.record_a,
            screening=screening_run(intake=intake, actor=personas.practitioner),
            status="approved",
            goal="acne_scars",
            plan=PLAN,
            start_date=dt.date(2026, 12, 1),
            protocol_id="default",
            protocol_version="1",
            created_by=personas.practitioner,
            approved_at=NOW,
            approved_by=personas.director,
        )
        text = ConsentText.objects.create(version="1", title="Consent", body="...")
        Consent.objects.create(
            patient=course.patient,
            course=course,
            consent_text=text,
            typed_name="Anna Alvarez",
            channel="tablet",
            signature_png="data:image/png;base64,AA",
        )
        session = TreatmentSession.objects.create(course=course, patient=course.patient, number=1)
        book_visit(session, NOW - dt.timedelta(hours=1))
        session_rescreen(session=session, answers=DayOfAnswers(), actor=personas.practitioner)
        session.refresh_from_db()
        yield session


def _chart(session, actor):
    data = ChartData(
        device=Device.objects.get_or_create(name="Pen", kind="pen", serial="P-1")[0],
        cartridge_lot="LOT-1",
        anaesthetic_on=NOW - dt.timedelta(minutes=50),
        anaesthetic_off=NOW - dt.timedelta(minutes=15),
        areas=(AreaRow(area="cheeks", depth_mm=Decimal("1.0"), passes=3),),
    )
    return chart_save(session=session, actor=actor, expected_version=session.version, data=data)


def _photograph(session, personas, views=("front", "left_45", "right_45")):
    give_photo_consent(session.patient, personas.practitioner)
    for view in views:
        photo_store(
            patient=session.patient,
            data=jpeg(),
            area="face",
            view=view,
            actor=personas.practitioner,
            session=session,
        )


def test_it_refuses_to_chart_the_first_session_without_before_photos_naming_them(ready, personas):
    with pytest.raises(Blocked) as info:
        _chart(ready, personas.practitioner)
    assert ("Take the before photos first" in info.value.message, info.value.field) == (True, "photos")
    assert all(view in info.value.message for view in FACE)
    assert charting_refusal(ready) is not None


def test_it_names_only_the_views_still_missing(ready, personas):
    _photograph(ready, personas, views=("front",))
    assert missing_before_photos(ready) == FACE[1:]


def test_it_charts_the_first_session_once_the_before_photos_are_taken(ready, personas):
    _photograph(ready, personas)
    assert (charting_refusal(ready), _chart(ready, personas.practitioner).status) == (None, "in_progress")


def test_it_charts_without_photos_once_the_medical_director_waives_them_with_a_reason(
    ready, personas, client_for
):
    maria = client_for(personas.director)
    url = reverse("photos:waive", args=[ready.patient_id])
    response = maria.post(url, {"reason": "  "})
    assert (response.status_code, BeforePhotoWaiver.objects.count()) == (400, 0)
    response = maria.post(url, {"reason": "Patient declines photos; treatment agreed without them."})
    assert response.status_code == 302
    assert _chart(ready, personas.practitioner).status == "in_progress"
    assert AuditEvent.objects.filter(object_type="photos.beforephotowaiver", action="create").count() == 1


def test_it_lets_only_the_medical_director_waive_before_photos(ready, personas, client_for):
    with pytest.raises(ServiceError):
        before_photos_waive(patient=ready.patient, reason="busy day", actor=personas.practitioner)
    response = client_for(personas.practitioner).post(
        reverse("photos:waive", args=[ready.patient_id]), {"reason": "busy day"}
    )
    assert (response.status_code, BeforePhotoWaiver.objects.count()) == (400, 0)


def test_it_asks_no_before_photos_of_a_later_session(ready, personas):
    later = TreatmentSession.objects.create(course=ready.course, patient=ready.patient, number=2)
    assert missing_before_photos(later) == []


# ---- the capture page ---------------------------------------------------------------------------


def test_it_lists_the_views_the_visit_asks_for_with_a_camera_input(ready, personas, client_for):
    give_photo_consent(ready.patient, personas.practitioner)
    page = client_for(personas.practitioner).get(reverse("photos:capture", args=[ready.pk]))
    body = page.content.decode()
    assert page.status_code == 200
    assert [label in body for label in ("Face — front", "Face — left 45°", "Face — right 45°")] == [True] * 3
    assert body.count('accept="image/*" capture="environment"') == 3
    assert 'name="viewport" content="width=device-width' in body


def test_it_shows_the_previous_photo_of_the_view_as_a_ghost(ready, personas, client_for):
    give_photo_consent(ready.patient, personas.practitioner)
    earlier = photo_store(
        patient=ready.patient,
        data=jpeg(),
        area="face",
        view="front",
        actor=personas.practitioner,
        taken_at=NOW - dt.timedelta(days=30),
    )
    body = client_for(personas.practitioner).get(reverse("photos:capture", args=[ready.pk])).content.decode()
    assert (body.count('class="ghost"'), reverse("photos:image", args=[earlier.pk]) in body) == (1, True)


def test_it_stores_a_photo_from_the_capture_page_and_returns_to_it(ready, personas, client_for):
    give_photo_consent(ready.patient, personas.practitioner)
    paula = client_for(personas.practitioner)
    upload = SimpleUploadedFile("IMG_0001.JPG", jpeg(), content_type="image/jpeg")
    response = paula.post(
        reverse("photos:upload", args=[ready.patient_id]),
        {"session": ready.pk, "shot": "face:front", "file": upload},
    )
    photo = Photo.objects.get()
    assert (response.status_code, photo.session_id, photo.course_id) == (302, ready.pk, ready.course_id)
    assert response["Location"].startswith(reverse("photos:capture", args=[ready.pk]))


def test_it_shows_the_refusal_on_the_capture_page_so_the_photo_can_be_retaken(ready, personas, client_for):
    give_photo_consent(ready.patient, personas.practitioner)
    upload = SimpleUploadedFile("IMG_0002.JPG", b"not an image", content_type="image/jpeg")
    response = client_for(personas.practitioner).post(
        reverse("photos:upload", args=[ready.patient_id]),
        {"session": ready.pk, "shot": "face:left_45", "file": upload},
    )
    assert (response.status_code, "not a photo" in response.content.decode()) == (400, True)


def test_it_refuses_the_capture_page_to_patients_and_the_front_desk(ready, personas, client_for):
    url = reverse("photos:capture", args=[ready.pk])
    for user in (personas.patient_a, personas.front_desk):
        assert client_for(user).get(url).status_code == 404


def test_it_refuses_a_session_of_another_patient_in_the_upload(ready, personas, client_for):
    give_photo_consent(personas.record_b, personas.practitioner)
    upload = SimpleUploadedFile("x.jpg", jpeg(), content_type="image/jpeg")
    response = client_for(personas.practitioner).post(
        reverse("photos:upload", args=[personas.record_b.pk]),
        {"session": ready.pk, "shot": "face:front", "file": upload},
    )
    assert (response.status_code, Photo.objects.count()) == (404, 0)


# ---- the quality gate at capture ----------------------------------------------------------------


def _rings_jpeg(width=1200, height=900, *, level=128):
    import io

    import numpy as np
    from PIL import Image

    rows, cols = np.indices((height, width))
    rings = (np.sin(np.hypot(rows - height / 2, cols - width / 2) / 5.0) > 0).astype("float")  # sharp edges
    grey = np.clip(level + (rings - 0.5) * 100, 0, 255)
    pixels = np.repeat(grey[:, :, None], 3, axis=2).astype("uint8")
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, format="JPEG", quality=92)
    return out.getvalue()


def test_it_tells_at_once_that_a_blurred_photo_should_be_retaken(ready, personas, client_for):
    give_photo_consent(ready.patient, personas.practitioner)
    paula = client_for(personas.practitioner)
    flat = SimpleUploadedFile("IMG.JPG", jpeg(1200, 900), content_type="image/jpeg")  # one flat colour
    response = paula.post(
        reverse("photos:upload", args=[ready.patient_id]),
        {"session": ready.pk, "shot": "face:front", "file": flat},
    )
    page = paula.get(response["Location"]).content.decode()
    photo = Photo.objects.get()
    assert (photo.quality["ok"], "blurred" in photo.quality["problems"]) == (False, True)
    assert ("retake it" in page, "The photo is blurred" in page, "Retake</span>" in page) == (
        True,
        True,
        True,
    )


def test_it_passes_a_sharp_well_exposed_photo_noting_the_missing_card(ready, personas, client_for):
    give_photo_consent(ready.patient, personas.practitioner)
    photo = photo_store(
        patient=ready.patient,
        data=_rings_jpeg(),
        area="face",
        view="front",
        actor=personas.practitioner,
        session=ready,
    )
    assert (photo.quality_ok, photo.quality["problems"]) == (True, ["no_card"])
    assert photo.quality_problems == [
        "No colour card in the photo: colour is not measured (the photo is still usable)."
    ]


def test_it_flags_a_dark_photo_as_underexposed(ready, personas):
    give_photo_consent(ready.patient, personas.practitioner)
    photo = photo_store(
        patient=ready.patient,
        data=_rings_jpeg(level=10),
        area="face",
        view="front",
        actor=personas.practitioner,
        session=ready,
    )
    assert (photo.quality_ok, "underexposed" in photo.quality["problems"]) == (False, True)


def test_it_links_each_visit_of_the_patient_to_its_capture_page(ready, personas, client_for):
    body = (
        client_for(personas.practitioner)
        .get(reverse("photos:patient", args=[ready.patient_id]))
        .content.decode()
    )
    assert (
        reverse("photos:capture", args=[ready.pk]) in body,
        reverse("photos:course", args=[ready.course_id]) in body,
    ) == (
        True,
        True,
    )


def test_it_offers_the_comparison_once_the_view_is_taken_again(ready, personas, client_for):
    give_photo_consent(ready.patient, personas.practitioner)
    by = personas.practitioner
    earlier = photo_store(
        patient=ready.patient,
        data=jpeg(),
        area="face",
        view="front",
        actor=by,
        taken_at=NOW - dt.timedelta(days=30),
    )
    later = photo_store(
        patient=ready.patient, data=jpeg(), area="face", view="front", actor=by, session=ready
    )
    body = client_for(by).get(reverse("photos:capture", args=[ready.pk])).content.decode()
    compare = reverse("photos:compare", args=[ready.patient_id, "face", "front"])
    assert f"{compare}?before={earlier.pk}&amp;after={later.pk}" in body


def test_it_keeps_the_photo_and_says_so_when_its_quality_cannot_be_measured(ready, personas, monkeypatch):
    import numpy as np

    from needlepoint.photos.services import quality

    def broken(*args, **kwargs):
        raise np.linalg.LinAlgError("Singular matrix")

    monkeypatch.setattr(quality, "measure_image", broken)
    give_photo_consent(ready.patient, personas.practitioner)
    photo = photo_store(
        patient=ready.patient,
        data=jpeg(),
        area="face",
        view="front",
        actor=personas.practitioner,
        session=ready,
    )
    assert (photo.quality, "check by eye" in photo.quality_problems[0]) == (
        {"ok": True, "problems": ["not_measured"]},
        True,
    )
