"""Access to patient data: one helper per object type, used by every patient-scoped view.

Each returns the object or raises Http404 — never a glimpse: a patient asking for another's
record, or staff without the role, get the same 404 as for a record that does not exist.
Every successful access is written to the audit trail."""

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest

from needlepoint.accounts.models import User
from needlepoint.audit.services import audit_record
from needlepoint.clinic.models import (
    Course,
    Patient,
    TreatmentSession,
)


def visible_patients(user: User | AnonymousUser) -> QuerySet[Patient]:
    """Return the patients `user` may see: all for clinic staff, only their own for a patient."""
    if not user.is_authenticated:
        return Patient.objects.none()
    if user.is_clinic_staff:
        return Patient.objects.all()
    if user.is_patient:
        return Patient.objects.filter(user=user)
    return Patient.objects.none()


def _get[M: Model](qs: QuerySet[M], pk: int | str) -> M:
    try:
        return qs.get(pk=int(pk))
    except (ValueError, TypeError, ObjectDoesNotExist):
        raise Http404("No such record.") from None


def _refuse_front_desk(user: User | AnonymousUser, clinical: bool) -> None:
    """Raise 404 for clinic staff without a clinical role when the record is clinical."""
    if clinical and user.is_authenticated and user.is_clinic_staff and not user.is_clinical:
        raise Http404("No such record.")


def get_patient_for_user(
    request: HttpRequest, patient_id: int | str, *, clinical: bool = False, audit: bool = True
) -> Patient:
    """Return the patient if `request.user` may see them; with `clinical=True` only the medical
    director and practitioners (and the patient themself) qualify — the front desk sees contact
    details and the schedule, not clinical notes."""
    user = request.user
    _refuse_front_desk(user, clinical)
    patient = _get(visible_patients(user), patient_id)
    if audit:
        audit_record(
            actor=user, action="view", obj=patient, summary="clinical record" if clinical else "record"
        )
    return patient


def require_clinical(request: HttpRequest) -> None:
    """Raise 404 unless the user is the medical director or a practitioner."""
    if not (request.user.is_authenticated and request.user.is_clinical):
        raise Http404("No such page.")


def require_medical_director(request: HttpRequest) -> None:
    if not (request.user.is_authenticated and request.user.is_medical_director):
        raise Http404("No such page.")


def require_staff(request: HttpRequest) -> None:
    if not (request.user.is_authenticated and request.user.is_clinic_staff):
        raise Http404("No such page.")


def get_course_for_user(
    request: HttpRequest, course_id: int | str, *, clinical: bool = True, audit: bool = True
) -> Course:
    """Return the course if its patient is visible to the user (clinical roles or the patient);
    with `audit` (the default) the view is written to the audit trail."""
    user = request.user
    _refuse_front_desk(user, clinical)
    course = _get(
        Course.objects.filter(patient__in=visible_patients(user)).select_related("patient"), course_id
    )
    if audit:
        audit_record(actor=user, action="view", obj=course)
    return course


def get_session_for_user(
    request: HttpRequest, session_id: int | str, *, clinical: bool = True
) -> TreatmentSession:
    """Return the treatment session if its patient is visible to the user."""
    user = request.user
    _refuse_front_desk(user, clinical)
    session = _get(
        TreatmentSession.objects.filter(patient__in=visible_patients(user)).select_related(
            "patient", "course", "appointment"
        ),
        session_id,
    )
    audit_record(actor=user, action="view", obj=session)
    return session
