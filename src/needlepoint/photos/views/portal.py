"""The patient's own photos in the portal, with their photo consent: they may withdraw
teaching or marketing consent here (it takes effect at once). Patients only; staff get 404."""

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.views.decorators.http import require_POST

from needlepoint.audit.services import audit_record
from needlepoint.clinic.services import ServiceError
from needlepoint.clinic.views.portal import own_patient
from needlepoint.photos.forms import WithdrawForm
from needlepoint.photos.selectors import patient_photos
from needlepoint.photos.services.consent import consent_in_force, photo_consent_record
from needlepoint.web.http import AuthenticatedHttpRequest


def my_photos(request: AuthenticatedHttpRequest) -> HttpResponse:
    patient = own_patient(request)
    audit_record(actor=request.user, action="view", obj=patient, summary="own photos (portal)")
    return render(
        request,
        "photos/portal_photos.html",
        {"patient": patient, "photos": patient_photos(patient), "consent": consent_in_force(patient)},
    )


@require_POST
def withdraw(request: AuthenticatedHttpRequest) -> HttpResponse:
    patient = own_patient(request)
    form = WithdrawForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose teaching or marketing.")
        return redirect("photos:my_photos")
    try:
        photo_consent_record(
            patient=patient, purpose=form.cleaned_data["purpose"], given=False, actor=request.user
        )
    except ServiceError as exc:
        messages.error(request, exc.message)
        return redirect("photos:my_photos")
    messages.success(request, "Done: your photos are no longer used for that.")
    return redirect("photos:my_photos")


urls: list[URLPattern] = [
    path("portal/photos/", my_photos, name="my_photos"),
    path("portal/photos/withdraw/", withdraw, name="withdraw"),
]
