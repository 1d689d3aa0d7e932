"""Storing a photo: content checked and re-encoded (`intake_file`), consent for the record
required, file and row saved together, the thumbnail queued for the worker."""

import datetime as dt

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from needlepoint.accounts.models import User
from needlepoint.audit.services import audit_record
from needlepoint.clinic.models import CheckIn, Patient, TreatmentSession
from needlepoint.clinic.services import ServiceError, require_role, validated
from needlepoint.photos.models import Photo, Purpose
from needlepoint.photos.services.consent import consent_in_force
from needlepoint.photos.services.intake_file import intake_image
from needlepoint.photos.services.quality import photo_quality


@transaction.atomic
def photo_store(
    *,
    patient: Patient,
    data: bytes,
    area: str,
    view: str,
    actor: User,
    session: TreatmentSession | None = None,
    check_in: CheckIn | None = None,
    taken_at: dt.datetime | None = None,
) -> Photo:
    """Store one photo of `patient` (of `area`, standard `view`) taken at `session` or sent
    with `check_in`. Refused without the patient's consent to photos in the record, for
    another patient's session, or when the file is not an acceptable photo."""
    _check_actor(patient=patient, actor=actor, check_in=check_in)
    _check_links(patient=patient, session=session, check_in=check_in)
    if not consent_in_force(patient)[Purpose.RECORD]:
        raise ServiceError(
            f"{patient} has not consented to photos in their clinical record. Record their photo "
            "consent first; no photo is stored without it.",
            field="file",
        )
    stored = intake_image(
        data, max_pixels=settings.NEEDLEPOINT_PHOTO_MAX_PIXELS, max_bytes=settings.NEEDLEPOINT_PHOTO_MAX_BYTES
    )
    photo = Photo(
        patient=patient,
        course=session.course if session else (check_in.session.course if check_in else None),
        session=session or (check_in.session if check_in else None),
        check_in=check_in,
        area=area.strip(),
        view=view.strip(),
        taken_at=taken_at or timezone.now(),
        uploaded_by=actor,
        sha256=stored.sha256,
        width=stored.width,
        height=stored.height,
        mime=stored.mime,
        source_format=stored.source_format,
        quality=photo_quality(stored.data),
    )
    photo.file.save(f"{stored.sha256[:16]}.jpg", ContentFile(stored.data), save=False)
    try:
        validated(photo, exclude=["file"])
        photo.save()
        audit_record(actor=actor, action="create", obj=photo, summary=f"photo {photo.area} {photo.view}")
    except BaseException:
        # The row is not written (the transaction rolls back): no file of a patient may stay
        # behind without its record, its access check and its audit trail.
        if photo.file.name:
            photo.file.storage.delete(photo.file.name)
        raise
    photo_id = photo.pk
    transaction.on_commit(lambda: thumbnail_enqueue(photo_id=photo_id))
    baseline = first_of_view(photo)
    if baseline is not None:
        baseline_id = baseline.pk
        transaction.on_commit(lambda: alignment_enqueue(earlier_id=baseline_id, later_id=photo_id))
    return photo


def first_of_view(photo: Photo) -> Photo | None:
    """The patient's first photo of the same area and view taken before `photo` (at a visit,
    not with a check-in): the baseline a later photo is aligned onto and compared with."""
    return (
        Photo.objects.filter(
            patient_id=photo.patient_id, area=photo.area, view=photo.view, check_in__isnull=True
        )
        .filter(taken_at__lt=photo.taken_at)
        .exclude(pk=photo.pk)
        .order_by("taken_at", "id")
        .first()
    )


def alignment_enqueue(*, earlier_id: int, later_id: int) -> str:
    """Queue the alignment of a later photo onto an earlier one for the worker."""
    from needlepoint.photos.tasks import align_photos

    return str(align_photos.enqueue(earlier_id, later_id).id)


def _check_actor(*, patient: Patient, actor: User, check_in: CheckIn | None) -> None:
    if actor.is_patient:
        if check_in is None or patient.user_id != actor.pk:
            raise ServiceError("You can add photos only to your own check-ins.")
        return
    require_role(actor, doing="take clinical photos", clinical=True)


def _check_links(*, patient: Patient, session: TreatmentSession | None, check_in: CheckIn | None) -> None:
    if session is not None and session.patient_id != patient.pk:
        raise ServiceError("That session belongs to another patient.", field="session")
    if check_in is not None and check_in.patient_id != patient.pk:
        raise ServiceError("That check-in belongs to another patient.", field="check_in")


def thumbnail_enqueue(*, photo_id: int) -> str:
    """Queue the thumbnail of a stored photo for the worker. Returns the task's id."""
    from needlepoint.photos.tasks import make_thumbnail

    return str(make_thumbnail.enqueue(photo_id).id)
