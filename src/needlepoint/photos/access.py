"""Access to photos: one helper per object, as in `needlepoint.clinic.access`. Each returns the
object or raises Http404 (never 403, never a glimpse) and writes the view to the audit trail."""

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import QuerySet
from django.http import Http404, HttpRequest

from needlepoint.audit.services import audit_record
from needlepoint.clinic.access import get_patient_for_user
from needlepoint.clinic.models import Patient
from needlepoint.photos.models import Photo
from needlepoint.photos.selectors import photos_for_use, sees_clinical_photos, visible_photos


def require_photo_staff(request: HttpRequest) -> None:
    """Raise 404 unless the user is staff who see clinical photos."""
    if not sees_clinical_photos(request.user):
        raise Http404("No such page.")


def get_photo_patient_for_user(request: HttpRequest, patient_id: int | str) -> Patient:
    """The patient whose photos staff open (404 for patients and staff without photo access)."""
    require_photo_staff(request)
    return get_patient_for_user(request, patient_id, clinical=False, audit=False)


def get_photo_for_user(request: HttpRequest, photo_id: int | str, *, part: str = "image") -> Photo:
    """Return the photo if `request.user` may open it (clinical staff, the front desk when the
    clinic allows it, the patient themself), writing `part` ("image", "thumbnail", ...) to the
    audit trail."""
    photo = _get(visible_photos(request.user), photo_id)
    audit_record(actor=request.user, action="view", obj=photo, summary=f"photo {part}")
    return photo


def get_photo_for_use(request: HttpRequest, photo_id: int | str, *, purpose: str) -> Photo:
    """Return the photo for a teaching or marketing use: clinical staff only, and only while the
    patient's consent for that use is in force."""
    require_photo_staff(request)
    photo = _get(photos_for_use(purpose), photo_id)
    audit_record(actor=request.user, action="view", obj=photo, summary=f"photo image for {purpose}")
    return photo


def _get(qs: QuerySet[Photo], photo_id: int | str) -> Photo:
    try:
        return qs.get(pk=int(photo_id))
    except (ValueError, TypeError, ObjectDoesNotExist):
        raise Http404("No such photo.") from None
