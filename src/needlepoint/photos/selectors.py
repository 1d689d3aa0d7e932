"""Reads of the photos app: which photos a user may see, a patient's photos by visit, the
photos a use (teaching, marketing) may show, and the consent history."""

from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.db.models import OuterRef, QuerySet, Subquery

from needlepoint.accounts.models import User
from needlepoint.clinic.models import Patient, TreatmentSession
from needlepoint.clinical.protocol import PhotoArea
from needlepoint.photos.models import Photo, PhotoConsent, Purpose


def sees_clinical_photos(user: User | AnonymousUser) -> bool:
    """The medical director and practitioners; the front desk only when the clinic allows it
    (NEEDLEPOINT_FRONT_DESK_SEES_PHOTOS)."""
    if not (user.is_authenticated and user.is_clinic_staff):
        return False
    return user.is_clinical or bool(settings.NEEDLEPOINT_FRONT_DESK_SEES_PHOTOS)


def visible_photos(user: User | AnonymousUser) -> QuerySet[Photo]:
    """The photos `user` may open: every photo for staff who see clinical photos, a patient's
    own photos for that patient, none otherwise."""
    if sees_clinical_photos(user):
        return Photo.objects.all()
    if user.is_authenticated and user.is_patient:
        return Photo.objects.filter(patient__user=user)
    return Photo.objects.none()


def photos_for_use(purpose: str) -> QuerySet[Photo]:
    """The photos whose patient's consent for `purpose` is in force now (latest decision
    given): withdrawing it hides their photos from this list at once."""
    latest = PhotoConsent.objects.filter(patient=OuterRef("patient"), purpose=purpose).order_by(
        "-recorded_at", "-id"
    )
    return (
        Photo.objects.annotate(consent_given=Subquery(latest.values("given")[:1]))
        .filter(consent_given=True)
        .select_related("patient")
    )


def patient_photos(patient: Patient) -> list[Photo]:
    """The patient's photos, newest first, with their session and check-in."""
    return list(
        Photo.objects.filter(patient=patient)
        .select_related("session", "check_in", "course")
        .order_by("-taken_at", "-id")
    )


def consent_history(patient: Patient) -> list[PhotoConsent]:
    return list(PhotoConsent.objects.filter(patient=patient).select_related("recorded_by"))


USES = (Purpose.TEACHING.value, Purpose.MARKETING.value)


@dataclass(frozen=True)
class Shot:
    """One standard view a visit asks for: the photo taken at this visit (if any) and the
    latest earlier photo of the same view (the ghost to match pose and distance)."""

    area: str
    area_label: str
    view: str
    view_label: str
    taken: Photo | None
    previous: Photo | None

    @property
    def value(self) -> str:
        return f"{self.area}:{self.view}"


def visit_shots(session: TreatmentSession, regions: dict[str, PhotoArea]) -> list[Shot]:
    """The views `session` asks for (the protocol's `regions` for its treated areas), each with
    this visit's photo and the previous one of the same view. Two queries."""
    here = {(p.area, p.view): p for p in Photo.objects.filter(session=session).order_by("taken_at", "id")}
    earlier: dict[tuple[str, str], Photo] = {}
    before = Photo.objects.filter(patient_id=session.patient_id).exclude(session=session)
    for p in before.order_by("taken_at", "id"):
        earlier[(p.area, p.view)] = p
    return [
        Shot(code, area.label, v.code, v.label, here.get((code, v.code)), earlier.get((code, v.code)))
        for code, area in regions.items()
        for v in area.views
    ]
