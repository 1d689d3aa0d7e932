"""The capture page of a visit, for a phone or tablet browser (no app): the standard views the
visit asks for (the protocol's `photos:` regions for the areas the course treats), each with a
faint ghost of the previous photo of that view to match pose and distance, and a camera input
(`capture="environment"`) to take it. Clinical staff only; the ghost is served by the
access-checked file view."""

from django.http import HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, path

from needlepoint.audit.services import audit_record
from needlepoint.clinic.access import get_session_for_user
from needlepoint.clinic.models import TreatmentSession
from needlepoint.clinic.plan_view import PlanView
from needlepoint.clinic.protocol import clinic_protocol
from needlepoint.photos.access import require_photo_staff
from needlepoint.photos.forms import PhotoUploadForm
from needlepoint.photos.selectors import visit_shots
from needlepoint.photos.services.consent import consent_in_force
from needlepoint.web.http import AuthenticatedHttpRequest


def capture(request: AuthenticatedHttpRequest, session_id: int) -> HttpResponse:
    require_photo_staff(request)
    session = get_session_for_user(request, session_id)
    return render_capture(request, session)


def render_capture(
    request: AuthenticatedHttpRequest,
    session: TreatmentSession,
    *,
    upload_form: PhotoUploadForm | None = None,
    status: int = 200,
) -> HttpResponse:
    regions = clinic_protocol().photos.for_treatment_areas(PlanView.of(session.course.plan).area_codes)
    shots = visit_shots(session, regions)
    audit_record(actor=request.user, action="view", obj=session, summary="photo capture page")
    failed = upload_form.data.get("shot") if upload_form is not None and upload_form.errors else None
    return render(
        request,
        "photos/capture.html",
        {
            "session": session,
            "patient": session.patient,
            "shots": shots,
            "failed_shot": failed,
            "form_errors": upload_form.errors.get("file", []) if upload_form is not None else [],
            "consent": consent_in_force(session.patient),
            "can_upload": request.user.is_clinical,
        },
        status=status,
    )


urls: list[URLPattern] = [
    path("photos/sessions/<int:session_id>/capture/", capture, name="capture"),
]
