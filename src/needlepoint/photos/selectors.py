"""Reads of the photos app: which photos a user may see, a patient's photos by visit, the
photos a use (teaching, marketing) may show, and the consent history."""

from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.db.models import OuterRef, QuerySet, Subquery

from needlepoint.accounts.models import User
from needlepoint.clinic.models import Course, Patient, TreatmentSession
from needlepoint.clinical.protocol import PhotoArea
from needlepoint.photos.models import Alignment, Photo, PhotoConsent, PhotoMeasurement, Purpose


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


@dataclass(frozen=True)
class Pair:
    """Two photos of one view to compare (earlier, later) and the later one aligned onto the
    earlier when the worker has done it (None: not yet, or not at all)."""

    area: str
    view: str
    earlier: Photo
    later: Photo
    alignment: Alignment | None


def view_photos(patient: Patient, area: str, view: str) -> list[Photo]:
    """The patient's visit photos of one view, oldest first (the choices to compare)."""
    return list(
        Photo.objects.filter(patient=patient, area=area, view=view, check_in__isnull=True)
        .select_related("session")
        .order_by("taken_at", "id")
    )


def pair_of(earlier: Photo, later: Photo) -> Pair:
    alignment = Alignment.objects.filter(earlier=earlier, later=later).order_by("-created_at", "-id").first()
    return Pair(earlier.area, earlier.view, earlier, later, alignment)


def course_visit_photos(course: Course) -> list[Photo]:
    """The course's visit photos (not check-in photos), by view and then oldest first."""
    return list(
        Photo.objects.filter(course=course, check_in__isnull=True)
        .select_related("session")
        .order_by("area", "view", "taken_at", "id")
    )


def course_pairs(course: Course, photos: list[Photo] | None = None) -> list[Pair]:
    """For each view photographed in the course, its first and latest visit photos (when they
    differ), with their alignment: the before/after of the course summary. `photos` are the
    course's visit photos when already read (`course_visit_photos`)."""
    photos = course_visit_photos(course) if photos is None else photos
    ends: dict[tuple[str, str], list[Photo]] = {}
    for photo in photos:
        ends.setdefault((photo.area, photo.view), []).append(photo)
    pairs = [(found[0], found[-1]) for found in ends.values() if len(found) > 1]
    aligned = {
        (a.earlier_id, a.later_id): a
        for a in Alignment.objects.filter(later__course=course).order_by("created_at", "id")
    }
    return [Pair(e.area, e.view, e, lt, aligned.get((e.pk, lt.pk))) for e, lt in pairs]


def photo_measurements(photo: Photo) -> list[PhotoMeasurement]:
    """Every colour measurement of the photo, newest first (re-measuring adds rows)."""
    return list(PhotoMeasurement.objects.filter(photo=photo).select_related("measured_by"))


@dataclass(frozen=True)
class ColourRow:
    """The latest measurement of one region on one visit photo of the course."""

    photo: Photo
    measurement: PhotoMeasurement

    @property
    def visit(self) -> str:
        session = self.photo.session
        return f"session {session.number}" if session is not None else "visit"


def course_colour(photos: list[Photo]) -> list[ColourRow]:
    """For each of the course's visit photos (`course_visit_photos`), oldest first, the latest
    measurement of each of its regions. One query, none without photos."""
    if not photos:
        return []
    by_id = {p.pk: p for p in photos}
    latest: dict[tuple[int, str], PhotoMeasurement] = {}
    for m in PhotoMeasurement.objects.filter(photo_id__in=by_id).order_by("measured_at", "id"):
        latest[(m.photo_id, m.region)] = m
    found = [ColourRow(by_id[pid], m) for (pid, _), m in latest.items()]
    return sorted(found, key=lambda r: (r.photo.taken_at, r.photo.pk, r.measurement.region))
