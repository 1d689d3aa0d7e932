"""Before photos: the first session of a course is charted only once the standard views it
asks for have been photographed (at that visit, or before it in the same course), unless the
medical director waived them for the patient with a reason.

The check is one of the clinic's chart checks (`clinic.services.chart_rules.CHART_CHECKS`),
added when Django starts; `NEEDLEPOINT_BEFORE_PHOTOS_REQUIRED` turns it off (the test suite's
default, where charting tests are not about photos)."""

from django.conf import settings
from django.db import transaction
from django.db.models import Q

from needlepoint.accounts.models import User
from needlepoint.audit.services import audit_record
from needlepoint.clinic.models import Patient, TreatmentSession
from needlepoint.clinic.plan_view import PlanView
from needlepoint.clinic.protocol import clinic_protocol
from needlepoint.clinic.services import Blocked, ServiceError, require_role, validated
from needlepoint.photos.models import BeforePhotoWaiver, Photo
from needlepoint.words import human_list


def missing_before_photos(session: TreatmentSession) -> list[str]:
    """The views ("face — left 45°") still to be photographed before `session` is charted;
    empty when it is not the course's first session, or when every view has its photo."""
    if session.number != 1:
        return []
    regions = clinic_protocol().photos.for_treatment_areas(PlanView.of(session.course.plan).area_codes)
    before = Photo.objects.filter(patient_id=session.patient_id, check_in__isnull=True).filter(
        Q(session=session)
        | Q(session__isnull=True, course=session.course)
        | Q(session__isnull=True, course=None)
    )
    taken = set(before.values_list("area", "view"))
    return [
        f"{area.label} — {view.label}"
        for code, area in regions.items()
        for view in area.views
        if (code, view.code) not in taken
    ]


def require_before_photos(session: TreatmentSession) -> None:
    """Raise Blocked unless the before photos of `session` are taken or waived."""
    if not settings.NEEDLEPOINT_BEFORE_PHOTOS_REQUIRED:
        return
    missing = missing_before_photos(session)
    if not missing or BeforePhotoWaiver.objects.filter(patient_id=session.patient_id).exists():
        return
    raise Blocked(
        f"Take the before photos first ({human_list(missing)}): the first session of a course is "
        "charted only with before photos, unless the medical director waives them for this patient.",
        field="photos",
    )


@transaction.atomic
def before_photos_waive(*, patient: Patient, reason: str, actor: User) -> BeforePhotoWaiver:
    """Record the medical director's waiver of before photos for `patient`, with the reason."""
    require_role(actor, doing="waive before photos", director=True)
    if not reason.strip():
        raise ServiceError("Give the reason for charting without before photos.", field="reason")
    waiver = validated(BeforePhotoWaiver(patient=patient, reason=reason.strip(), given_by=actor))
    waiver.save()
    audit_record(actor=actor, action="create", obj=waiver, summary="before photos waived")
    return waiver
