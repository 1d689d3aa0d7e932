"""Consent pages: the patient reads the plan agreed and the consent text, and signs in the
portal or on the clinic's tablet (typed name and a drawn signature); clinical staff read the
signed record with its stored copy.

- `portal:consent_sign` — the patient, for their own approved course only; once signed, the
  copy they signed and whether its SHA-256 still matches.
- `clinic:consent_tablet` — clinical staff or the front desk see what the patient will be shown
  and press "Hand the tablet to the patient": the session becomes a signing-only one
  (`clinic.tablet`) until the same staff member's password takes it back.
- `clinic:tablet_sign` — the locked tablet's only page: the patient's name, the plan, the text
  and the signing form (no clinical notes, no staff navigation), then "please hand the tablet
  back"; `clinic:tablet_return` takes the staff password.
- `clinic:consent_detail` — the signed record, for clinical staff only (the front desk gets 404)."""

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.views.decorators.http import require_POST

from needlepoint.audit.context import client_ip
from needlepoint.audit.services import audit_record
from needlepoint.clinic.access import (
    get_course_for_user,
    require_clinical,
    require_staff,
    visible_patients,
)
from needlepoint.clinic.consent_copy import content_sha256
from needlepoint.clinic.forms.consent import TEXT_MISSING, ReturnTabletForm, SignForm
from needlepoint.clinic.models import APPROVED_COURSE_STATUSES as SIGNABLE_STATUSES
from needlepoint.clinic.models import Consent, ConsentChannel, ConsentText, Course
from needlepoint.clinic.selectors import consent_for_course
from needlepoint.clinic.services import ServiceError
from needlepoint.clinic.services.consent import consent_shown, consent_sign, current_consent_text
from needlepoint.clinic.tablet import RETURN_ATTEMPTS, tablet_hand_over, tablet_lock, tablet_take_back
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
                shown_sha256=form.cleaned_data["shown_sha256"] or "",
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
    text_shown, plan_shown = consent_shown(course=course, consent_text=text) if text else ({}, {})
    return {
        "plan_shown": plan_shown,
        "shown_sha256": content_sha256(text_shown, plan_shown) if text else "",
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
    """Staff see what the patient will be shown and hand the tablet over (POST): from then on
    this session opens only the signing page, until their password takes it back."""
    require_staff(request)
    course = get_course_for_user(request, course_id, clinical=False)
    if request.method == "POST":
        tablet_hand_over(request, course, staff=request.user)
        return redirect("clinic:tablet_sign")
    text = current_consent_text()
    context = _sign_context(course, text, SignForm())
    return render(request, "clinic/consent/tablet_hand_over.html", context)


def _locked_course(request: AuthenticatedHttpRequest) -> Course:
    lock = tablet_lock(request)
    if lock is None:
        raise Http404("No such page.")
    return get_course_for_user(request, lock["course_id"], clinical=False)


def tablet_sign(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The locked tablet's page: the patient reads and signs, then is asked to hand it back."""
    require_staff(request)
    course = _locked_course(request)
    return _sign_page(
        request,
        course,
        channel=ConsentChannel.TABLET,
        template="clinic/consent/tablet.html",
        done_url=reverse("clinic:tablet_sign"),
        done_message="Thank you: your consent is signed (consent text version {version}).",
    )


@require_POST
def tablet_return(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Staff take the tablet back with their password; a wrong one keeps the lock, and the
    last allowed wrong one ends the session (sign in again)."""
    require_staff(request)
    course = _locked_course(request)
    form = ReturnTabletForm(request.POST)
    password = form.cleaned_data["password"] if form.is_valid() else ""
    if tablet_take_back(request, password):
        messages.success(request, "The tablet is back with the clinic: staff pages are open again.")
        if request.user.is_clinical:
            return redirect("clinic:consultation_course", course.patient_id, course.pk)
        return redirect("clinic:patient_detail", course.patient_id)
    if not request.user.is_authenticated:
        return redirect(reverse("accounts:login"))
    lock = tablet_lock(request)
    left = RETURN_ATTEMPTS - (lock["failures"] if lock else RETURN_ATTEMPTS)
    form.add_error(
        "password",
        f"That is not the password of the staff member who handed the tablet over. {left} tries left.",
    )
    context = _sign_context(course, current_consent_text(), SignForm()) | {"return_form": form}
    return render(request, "clinic/consent/tablet.html", context, status=403)


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
    audit_record(actor=request.user, action="view", obj=consent, summary="signed consent and its stored copy")
    return render(
        request,
        "clinic/consent/detail.html",
        {"consent": consent, "goal": vocab.area_label(consent.course.goal).capitalize()},
    )


urls: list[URLPattern] = [
    path("courses/<int:course_id>/consent/tablet/", tablet, name="consent_tablet"),
    path("tablet/sign/", tablet_sign, name="tablet_sign"),
    path("tablet/return/", tablet_return, name="tablet_return"),
    path("consents/<int:consent_id>/", detail, name="consent_detail"),
]
portal_urls: list[URLPattern] = [
    path("courses/<int:course_id>/consent/", portal_sign, name="consent_sign"),
]
