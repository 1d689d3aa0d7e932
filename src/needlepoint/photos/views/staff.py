"""Staff photo pages: a patient's photos with their photo consent (record, teaching,
marketing), uploading a photo of a standard view, and the teaching and marketing libraries
(photos whose patient's consent for that use is in force).

Clinical staff only (the front desk too when the clinic allows it); patients and other staff
get 404. Every control is a plain form."""

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.views.decorators.http import require_POST

from needlepoint.audit.services import audit_record
from needlepoint.clinic.access import get_session_for_user
from needlepoint.clinic.models import Patient, TreatmentSession
from needlepoint.clinic.protocol import clinic_protocol
from needlepoint.clinic.services import ServiceError
from needlepoint.photos.access import get_photo_patient_for_user, require_photo_staff
from needlepoint.photos.forms import PhotoConsentForm, PhotoUploadForm, WaiverForm
from needlepoint.photos.models import BeforePhotoWaiver, Photo, Purpose
from needlepoint.photos.selectors import USES, consent_history, patient_photos, photos_for_use
from needlepoint.photos.services.before_photos import before_photos_waive
from needlepoint.photos.services.consent import consent_in_force, photo_consent_record
from needlepoint.photos.services.photos import photo_store
from needlepoint.web.http import AuthenticatedHttpRequest


def view_choices() -> list[tuple[str, str]]:
    """Every standard view of the protocol as ("area:view", "face — left 45°")."""
    return [
        (f"{code}:{view.code}", f"{area.label} — {view.label}")
        for code, area in clinic_protocol().photos.areas.items()
        for view in area.views
    ]


def patient_page(request: AuthenticatedHttpRequest, patient_id: int) -> HttpResponse:
    patient = get_photo_patient_for_user(request, patient_id)
    return _render_page(request, patient)


def _render_page(
    request: AuthenticatedHttpRequest,
    patient: Patient,
    *,
    consent_form: PhotoConsentForm | None = None,
    upload_form: PhotoUploadForm | None = None,
    waiver_form: WaiverForm | None = None,
    status: int = 200,
) -> HttpResponse:
    audit_record(actor=request.user, action="view", obj=patient, summary="photos and photo consent")
    return render(
        request,
        "photos/patient.html",
        {
            "patient": patient,
            "photos": patient_photos(patient),
            "consent": consent_in_force(patient),
            "history": consent_history(patient),
            "consent_form": consent_form or PhotoConsentForm(),
            "upload_form": upload_form or PhotoUploadForm(views=view_choices()),
            "can_upload": request.user.is_clinical,
            "waivers": list(BeforePhotoWaiver.objects.filter(patient=patient).select_related("given_by")),
            "waiver_form": waiver_form or WaiverForm(),
            "sessions": list(
                TreatmentSession.objects.filter(patient=patient)
                .exclude(status="cancelled")
                .select_related("appointment")
                .order_by("course_id", "number")
            ),
        },
        status=status,
    )


@require_POST
def consent_record(request: AuthenticatedHttpRequest, patient_id: int) -> HttpResponse:
    patient = get_photo_patient_for_user(request, patient_id)
    form = PhotoConsentForm(request.POST)
    if not form.is_valid():
        return _render_page(request, patient, consent_form=form, status=400)
    try:
        photo_consent_record(
            patient=patient,
            purpose=form.cleaned_data["purpose"],
            given=form.given,
            actor=request.user,
            note=form.cleaned_data["note"],
        )
    except ServiceError as exc:
        form.add_error(None, exc.message)
        return _render_page(request, patient, consent_form=form, status=exc.http_status)
    messages.success(request, "Photo consent recorded.")
    return redirect("photos:patient", patient_id=patient.pk)


@require_POST
def upload(request: AuthenticatedHttpRequest, patient_id: int) -> HttpResponse:
    """Store one photo; with `session` in the form, taken at that visit (back to its capture
    page)."""
    patient = get_photo_patient_for_user(request, patient_id)
    session = _session(request, patient)
    form = PhotoUploadForm(request.POST, request.FILES, views=view_choices())
    if not form.is_valid():
        return _refused(request, patient, session, form, status=400)
    area, view = form.area_view
    try:
        photo = photo_store(
            patient=patient,
            data=form.cleaned_data["file"].read(),
            area=area,
            view=view,
            actor=request.user,
            session=session,
        )
    except ServiceError as exc:
        form.add_error("file", exc.message)
        return _refused(request, patient, session, form, status=exc.http_status)
    _say_quality(request, photo)
    if session is not None:
        return redirect(f"{_capture_url(session)}?taken={photo.pk}")
    return redirect("photos:patient", patient_id=patient.pk)


def _say_quality(request: AuthenticatedHttpRequest, photo: Photo) -> None:
    """Tell the user at once how the quality gate judged the photo, so it can be retaken."""
    words = " ".join(photo.quality_problems)
    if not photo.quality_ok:
        messages.warning(request, f"Photo stored, but retake it. {words}")
    else:
        messages.success(request, f"Photo stored. {words}".strip())


def _session(request: AuthenticatedHttpRequest, patient: Patient) -> TreatmentSession | None:
    raw = request.POST.get("session", "").strip()
    if not raw:
        return None
    session = get_session_for_user(request, raw)
    if session.patient_id != patient.pk:
        raise Http404("No such session.")
    return session


def _capture_url(session: TreatmentSession) -> str:
    from django.urls import reverse

    return reverse("photos:capture", kwargs={"session_id": session.pk})


def _refused(
    request: AuthenticatedHttpRequest,
    patient: Patient,
    session: TreatmentSession | None,
    form: PhotoUploadForm,
    *,
    status: int,
) -> HttpResponse:
    if session is not None:
        from needlepoint.photos.views.capture import render_capture

        return render_capture(request, session, upload_form=form, status=status)
    return _render_page(request, patient, upload_form=form, status=status)


@require_POST
def waive(request: AuthenticatedHttpRequest, patient_id: int) -> HttpResponse:
    """The medical director waives before photos for the patient, with a reason."""
    patient = get_photo_patient_for_user(request, patient_id)
    form = WaiverForm(request.POST)
    if not form.is_valid():
        return _render_page(request, patient, waiver_form=form, status=400)
    try:
        before_photos_waive(patient=patient, reason=form.cleaned_data["reason"], actor=request.user)
    except ServiceError as exc:
        form.add_error("reason", exc.message)
        return _render_page(request, patient, waiver_form=form, status=exc.http_status)
    messages.success(request, "Before photos waived for this patient.")
    return redirect("photos:patient", patient_id=patient.pk)


def library(request: AuthenticatedHttpRequest, purpose: str) -> HttpResponse:
    """The photos that may be shown for teaching (or marketing) now."""
    require_photo_staff(request)
    if purpose not in USES:
        raise Http404("No such use.")
    photos = list(photos_for_use(purpose).order_by("-taken_at", "-id"))
    audit_record(actor=request.user, action="view", object_type="photos.photo", summary=f"{purpose} library")
    return render(request, "photos/library.html", {"purpose": Purpose(purpose), "photos": photos})


urls: list[URLPattern] = [
    path("photos/patients/<int:patient_id>/", patient_page, name="patient"),
    path("photos/patients/<int:patient_id>/consent/", consent_record, name="consent_record"),
    path("photos/patients/<int:patient_id>/upload/", upload, name="upload"),
    path("photos/patients/<int:patient_id>/waiver/", waive, name="waive"),
    path("photos/library/<str:purpose>/", library, name="library"),
]
