"""Photos with aftercare check-ins: the patient adds photos to their own day 1/3/7 check-in in
the portal (once it is sent); clinical staff see each check-in's scores with its photos beside
them, per session."""

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.views.decorators.http import require_POST

from needlepoint.audit.services import audit_record
from needlepoint.clinic.access import get_session_for_user, visible_patients
from needlepoint.clinic.models import CheckIn
from needlepoint.clinic.services import ServiceError
from needlepoint.photos.access import require_photo_staff
from needlepoint.photos.forms import CheckInPhotoForm
from needlepoint.photos.models import Photo
from needlepoint.photos.services.photos import photo_store
from needlepoint.web.http import AuthenticatedHttpRequest

CHECK_IN_VIEW = "check_in"
"""The view code of a photo the patient takes at home: not a standard clinical view."""


def _own_check_in(request: AuthenticatedHttpRequest, check_in_id: int) -> CheckIn:
    if not (request.user.is_authenticated and request.user.is_patient):
        raise Http404("No such page.")
    found = (
        CheckIn.objects.filter(pk=check_in_id, patient__in=visible_patients(request.user))
        .select_related("session__course", "patient")
        .first()
    )
    if found is None:
        raise Http404("No such check-in.")
    return found


@require_POST
def add_photo(request: AuthenticatedHttpRequest, check_in_id: int) -> HttpResponse:
    """The patient adds a photo to their own check-in; back to the check-in with the outcome."""
    check_in = _own_check_in(request, check_in_id)
    back = redirect("portal:checkin_new", session_id=check_in.session_id, day=check_in.day)
    form = CheckInPhotoForm(request.POST, request.FILES, check_in=check_in)
    if not form.is_valid():
        messages.error(request, "Choose a photo and the area it shows.")
        return back
    try:
        photo_store(
            patient=check_in.patient,
            data=form.cleaned_data["file"].read(),
            area=form.cleaned_data["area"],
            view=CHECK_IN_VIEW,
            actor=request.user,
            check_in=check_in,
        )
    except ServiceError as exc:
        messages.error(request, exc.message)
        return back
    messages.success(request, "Photo added to your check-in. The clinic can see it.")
    return back


def session_check_ins(request: AuthenticatedHttpRequest, session_id: int) -> HttpResponse:
    """Staff: each check-in of the session, its scores and its photos side by side."""
    require_photo_staff(request)
    session = get_session_for_user(request, session_id)
    check_ins = list(CheckIn.objects.filter(session=session).order_by("day"))
    photos: dict[int, list[Photo]] = {c.pk: [] for c in check_ins}
    for photo in Photo.objects.filter(check_in__session=session).order_by("taken_at", "id"):
        photos[photo.check_in_id or 0].append(photo)
    audit_record(actor=request.user, action="view", obj=session, summary="check-ins with photos")
    return render(
        request,
        "photos/check_ins.html",
        {"session": session, "patient": session.patient, "rows": [(c, photos[c.pk]) for c in check_ins]},
    )


urls: list[URLPattern] = [
    path("portal/photos/check-ins/<int:check_in_id>/add/", add_photo, name="check_in_photo"),
    path("photos/sessions/<int:session_id>/check-ins/", session_check_ins, name="session_check_ins"),
]
