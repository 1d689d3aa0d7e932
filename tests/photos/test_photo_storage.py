"""Storing a photo: checked by content, pixel limit before decoding, orientation applied,
metadata removed from what is stored, SHA-256 recorded, consent for the record required, the
thumbnail made by the worker."""

import hashlib
import io

import pytest
from photo_helpers import GPS_IFD, give_photo_consent, jpeg, png, png_claiming
from PIL import Image

from needlepoint.audit.models import AuditEvent
from needlepoint.clinic.services import ServiceError
from needlepoint.photos.models import Photo
from needlepoint.photos.services.photos import photo_store
from needlepoint.photos.tasks import make_thumbnail

pytestmark = pytest.mark.django_db


def _store(personas, data: bytes, **kwargs) -> Photo:
    return photo_store(
        patient=personas.record_a, data=data, area="face", view="front", actor=personas.practitioner, **kwargs
    )


def _stored_image(photo: Photo) -> Image.Image:
    with photo.file.open("rb") as fh:
        image = Image.open(io.BytesIO(fh.read()))
        image.load()
    return image


def test_it_removes_exif_and_gps_from_the_stored_file(personas):
    give_photo_consent(personas.record_a, personas.practitioner)
    upload = jpeg(gps=True)
    assert Image.open(io.BytesIO(upload)).getexif().get_ifd(GPS_IFD)  # the upload has a position
    photo = _store(personas, upload)
    stored = _stored_image(photo)
    assert (dict(stored.getexif()), "exif" in stored.info, stored.format) == ({}, False, "JPEG")


def test_it_stores_the_sha256_of_the_stored_bytes(personas):
    give_photo_consent(personas.record_a, personas.practitioner)
    photo = _store(personas, jpeg())
    with photo.file.open("rb") as fh:
        data = fh.read()
    assert (photo.sha256, len(photo.sha256), photo.mime) == (
        hashlib.sha256(data).hexdigest(),
        64,
        "image/jpeg",
    )


def test_it_applies_the_cameras_orientation(personas):
    give_photo_consent(personas.record_a, personas.practitioner)
    photo = _store(personas, jpeg(64, 32, orientation=6))  # 6: the camera was turned a quarter
    assert (photo.width, photo.height, _stored_image(photo).size) == (32, 64, (32, 64))


def test_it_accepts_a_png_and_records_its_source_format(personas):
    give_photo_consent(personas.record_a, personas.practitioner)
    photo = _store(personas, png())
    assert (photo.source_format, photo.mime, _stored_image(photo).format) == ("PNG", "image/jpeg", "JPEG")


def test_it_refuses_a_text_file_named_jpg_by_its_content(personas):
    give_photo_consent(personas.record_a, personas.practitioner)
    with pytest.raises(ServiceError) as info:
        _store(personas, b"This is not a photo, whatever its name (notes.jpg) says.\n")
    assert ("not a photo" in info.value.message, info.value.field, Photo.objects.count()) == (True, "file", 0)


def test_it_refuses_a_decompression_bomb_without_decoding_it(personas):
    give_photo_consent(personas.record_a, personas.practitioner)
    with pytest.raises(ServiceError) as info:
        _store(personas, png_claiming(100_000, 100_000))
    assert ("too large" in info.value.message, Photo.objects.count()) == (True, 0)


def test_it_refuses_dimensions_over_the_clinics_pixel_limit_naming_them(personas, settings):
    settings.NEEDLEPOINT_PHOTO_MAX_PIXELS = 1_000_000
    give_photo_consent(personas.record_a, personas.practitioner)
    with pytest.raises(ServiceError) as info:
        _store(personas, png_claiming(2000, 1000))
    assert "2000 by 1000 pixels" in info.value.message
    assert "1 megapixels" in info.value.message


def test_it_refuses_a_file_over_the_size_limit(personas, settings):
    settings.NEEDLEPOINT_PHOTO_MAX_BYTES = 100
    give_photo_consent(personas.record_a, personas.practitioner)
    with pytest.raises(ServiceError) as info:
        _store(personas, jpeg())
    assert "MB" in info.value.message


def test_it_refuses_a_damaged_photo(personas):
    give_photo_consent(personas.record_a, personas.practitioner)
    data = jpeg(256, 256)
    with pytest.raises(ServiceError) as info:
        _store(personas, data[: len(data) // 3])
    assert "damaged" in info.value.message


def test_it_refuses_a_photo_without_consent_for_the_record_in_words(personas):
    give_photo_consent(personas.record_a, personas.practitioner, "teaching")  # not the record
    with pytest.raises(ServiceError) as info:
        _store(personas, jpeg())
    assert (
        "has not consented to photos in their clinical record" in info.value.message,
        Photo.objects.count(),
    ) == (
        True,
        0,
    )


def test_it_refuses_the_front_desk_and_patients_taking_clinical_photos(personas):
    give_photo_consent(personas.record_a, personas.practitioner)
    for actor in (personas.front_desk, personas.patient_a):
        with pytest.raises(ServiceError):
            photo_store(patient=personas.record_a, data=jpeg(), area="face", view="front", actor=actor)
    assert Photo.objects.count() == 0


def test_it_writes_the_creation_to_the_audit_trail(personas):
    give_photo_consent(personas.record_a, personas.practitioner)
    photo = _store(personas, jpeg())
    event = AuditEvent.objects.get(action="create", object_type="photos.photo")
    assert (event.object_id, event.patient_id, event.actor) == (
        str(photo.pk),
        personas.record_a.pk,
        personas.practitioner,
    )


def test_it_queues_the_thumbnail_for_the_worker_and_the_worker_makes_it(
    personas, django_capture_on_commit_callbacks
):
    from django_tasks_db.models import DBTaskResult

    give_photo_consent(personas.record_a, personas.practitioner)
    with django_capture_on_commit_callbacks(execute=True):
        photo = _store(personas, jpeg(1200, 800))
    queued = DBTaskResult.objects.get(task_path="needlepoint.photos.tasks.make_thumbnail")
    assert (photo.thumbnail.name, queued.args_kwargs["args"]) == ("", [photo.pk])
    assert make_thumbnail.call(photo.pk) == "made"
    photo.refresh_from_db()
    with photo.thumbnail.open("rb") as fh:
        small = Image.open(io.BytesIO(fh.read()))
    assert (max(small.size), make_thumbnail.call(photo.pk)) == (480, "exists")


def _all_files(storage, folder: str = "") -> set[str]:
    if folder and not storage.exists(folder):
        return set()
    dirs, files = storage.listdir(folder)
    found = {f"{folder}{name}" for name in files}
    for d in dirs:
        found |= _all_files(storage, f"{folder}{d}/")
    return found


def test_it_leaves_no_file_behind_when_the_record_cannot_be_written(personas, monkeypatch):
    """A failure after the file is saved (here: the audit trail refusing) rolls the row back and
    deletes the file: no patient photo stays in storage without its record."""
    from django.core.files.storage import storages

    from needlepoint.photos.services import photos as service

    def refuse(**kwargs):
        raise RuntimeError("the audit trail is unavailable")

    give_photo_consent(personas.record_a, personas.practitioner)
    storage = storages["photos"]
    kept = _store(personas, jpeg())  # a photo stored normally shows the walk sees the files
    assert kept.file.name in _all_files(storage)
    monkeypatch.setattr(service, "audit_record", refuse)
    before = _all_files(storage)
    with pytest.raises(RuntimeError):
        _store(personas, jpeg(colour=(200, 120, 90)))
    assert (Photo.objects.count(), _all_files(storage) - before) == (1, set())
