"""Consent pages: the patient signs in the portal or on the clinic's tablet (typed name and a
drawn signature); clinical staff read the signed record.

- `portal:consent_sign` — the patient, for their own approved course only.
- `clinic:consent_tablet` — clinical staff or the front desk hand the tablet over; the page shows
  the patient's name and the consent text only (no clinical notes); the staff member is recorded
  as the witness.
- `clinic:consent_detail` — the signed record, for clinical staff only (the front desk gets 404)."""

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse

from needlepoint.audit.context import client_ip
from needlepoint.audit.services import audit_record
from needlepoint.clinic.access import (
    get_course_for_user,
    require_clinical,
    require_staff,
    visible_patients,
)
from needlepoint.clinic.forms.consent import TEXT_MISSING, SignForm
from needlepoint.clinic.models import APPROVED_COURSE_STATUSES as SIGNABLE_STATUSES
from needlepoint.clinic.models import Consent, ConsentChannel, ConsentText, Course
from needlepoint.clinic.selectors import consent_for_course
from needlepoint.clinic.services import ServiceError
from needlepoint.clinic.services.consent import consent_sign, current_consent_text
from needlepoint.clinic.views.portal import own_patient
from needlepoint.clinical import vocab
from needlepoint.web.http import AuthenticatedHttpRequest

FIELD_ERRORS = ("typed_name", "signature_png")


def _sign_page(
    request: AuthenticatedHttpRequest,
    course: Course,
    *,
    channel: str,
    template: str,
    done_url: str,
    done_message: str,
) -> HttpResponse:
    """Show the current consent text and the signing form for `course`; on POST sign through
    `consent_sign` and redirect to `done_url`, or show the refusal next to the field at fault."""
    text = current_consent_text()
    form = SignForm(request.POST or None, initial={"consent_text": text.pk if text else None})
    status = 400 if form.is_bound and not form.is_valid() else 200
    if request.method == "POST" and form.is_valid():
        try:
            consent = consent_sign(
                course=course,
                consent_text=_posted_text(form),
                typed_name=form.cleaned_data["typed_name"],
                signature_png=form.cleaned_data["signature_png"],
                channel=channel,
                actor=request.user,
                ip=client_ip(request),
            )
        except ServiceError as exc:
            form.add_error(exc.field if exc.field in FIELD_ERRORS else None, exc.message)
            status = exc.http_status
        else:
            messages.success(request, done_message.format(version=consent.consent_text.version))
            return redirect(done_url)
    context = _sign_context(course, text, form)
    return render(request, template, context, status=status)


def _posted_text(form: SignForm) -> ConsentText:
    text = ConsentText.objects.filter(pk=form.cleaned_data["consent_text"]).first()
    if text is None:
        raise ServiceError(TEXT_MISSING, field="consent_text")
    return text


def _sign_context(course: Course, text: ConsentText | None, form: SignForm) -> dict[str, Any]:
    consent = consent_for_course(course)
    signed_current = consent is not None and text is not None and consent.consent_text_id == text.pk
    keep_drawing = form.is_bound and "signature_png" not in form.errors
    return {
        "course": course,
        "patient": course.patient,
        "text": text,
        "form": form,
        "consent": consent,
        "can_sign": text is not None and not signed_current and course.status in SIGNABLE_STATUSES,
        # After a refusal for another reason the drawing is kept, so it need not be drawn again.
        "signature_value": form.data.get("signature_png", "") if keep_drawing else "",
    }


def portal_sign(request: AuthenticatedHttpRequest, course_id: int) -> HttpResponse:
    """The patient reads the consent text and signs it for one of their own approved courses."""
    patient = own_patient(request)
    course = get_course_for_user(request, course_id, clinical=False)
    if course.patient_id != patient.pk:
        raise Http404("No such record.")
    return _sign_page(
        request,
        course,
        channel=ConsentChannel.PORTAL,
        template="portal/consent_sign.html",
        done_url=reverse("portal:home"),
        done_message="Thank you: your consent is signed (consent text version {version}).",
    )


def tablet(request: AuthenticatedHttpRequest, course_id: int) -> HttpResponse:
    """Signing on the clinic's tablet, handed over by a member of staff (the witness)."""
    require_staff(request)
    course = get_course_for_user(request, course_id, clinical=False)
    return _sign_page(
        request,
        course,
        channel=ConsentChannel.TABLET,
        template="clinic/consent/tablet.html",
        done_url=reverse("clinic:consent_tablet", args=[course.pk]),
        done_message="Consent signed (consent text version {version}). Please hand "
        "the tablet back to the clinic staff.",
    )


def detail(request: AuthenticatedHttpRequest, consent_id: int) -> HttpResponse:
    """The signed record: text version, typed name, drawn signature, time, channel, witness."""
    require_clinical(request)
    consent = (
        Consent.objects.filter(pk=consent_id, patient__in=visible_patients(request.user))
        .select_related("patient", "course", "consent_text", "witnessed_by")
        .first()
    )
    if consent is None:
        raise Http404("No such record.")
    audit_record(actor=request.user, action="view", obj=consent, summary="signed consent")
    return render(
        request,
        "clinic/consent/detail.html",
        {"consent": consent, "goal": vocab.area_label(consent.course.goal).capitalize()},
    )


urls: list[URLPattern] = [
    path("courses/<int:course_id>/consent/tablet/", tablet, name="consent_tablet"),
    path("consents/<int:consent_id>/", detail, name="consent_detail"),
]
portal_urls: list[URLPattern] = [
    path("courses/<int:course_id>/consent/", portal_sign, name="consent_sign"),
]
