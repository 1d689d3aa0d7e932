"""The patient portal's front page: the patient's own courses, sessions, consent and aftercare.

Every portal page is for the patient role only; anyone else (staff included) gets 404."""

from dataclasses import dataclass

from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, path

from needlepoint.audit.services import audit_record
from needlepoint.clinic.access import visible_patients
from needlepoint.clinic.models import APPROVED_COURSE_STATUSES as SIGNABLE_STATUSES
from needlepoint.clinic.models import Consent, Course, CourseStatus, Patient, TreatmentSession
from needlepoint.clinical import vocab


def own_patient(request: HttpRequest) -> Patient:
    """Return the signed-in patient's own record; raise 404 for anyone who is not a patient with
    a record (staff see patients through the clinic pages, never through the portal)."""
    if not (request.user.is_authenticated and request.user.is_patient):
        raise Http404("No such page.")
    patient = visible_patients(request.user).first()
    if patient is None:
        raise Http404("No such page.")
    return patient


@dataclass(frozen=True)
class CourseRow:
    course: Course
    sessions: list[TreatmentSession]
    consent: Consent | None

    @property
    def goal(self) -> str:
        return vocab.area_label(self.course.goal).capitalize()

    @property
    def can_sign(self) -> bool:
        return self.consent is None and self.course.status in SIGNABLE_STATUSES

    @property
    def is_draft(self) -> bool:
        return self.course.status == CourseStatus.DRAFT


def _course_rows(patient: Patient) -> list[CourseRow]:
    consents = Consent.objects.select_related("consent_text").order_by("-signed_at", "-id")
    courses = (
        Course.objects.filter(patient=patient)
        .order_by("-created_at", "-id")
        .prefetch_related(
            Prefetch("sessions", TreatmentSession.objects.select_related("appointment").order_by("number")),
            Prefetch("consents", consents, to_attr="signed_consents"),
        )
    )
    return [
        CourseRow(c, list(c.sessions.all()), c.signed_consents[0] if c.signed_consents else None)
        for c in courses
    ]


def home(request: HttpRequest) -> HttpResponse:
    """The patient's own name, courses with their sessions, consent status and aftercare links."""
    patient = own_patient(request)
    audit_record(actor=request.user, action="view", obj=patient, summary="portal home")
    return render(request, "portal/home.html", {"patient": patient, "rows": _course_rows(patient)})


portal_urls: list[URLPattern] = [
    path("", home, name="home"),
]
