"""The colour of a photo: its measurements (CIELAB, ITA°, a* per region), measuring the
standard regions of a front face view, or a box drawn on the photo.

Staff who see clinical photos read; only clinical staff measure (the service refuses others).
Patients and other staff get 404."""

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.views.decorators.http import require_POST

from needlepoint.clinic.services import ServiceError
from needlepoint.photos.access import get_photo_for_user, require_photo_staff
from needlepoint.photos.forms import DrawnRegionForm
from needlepoint.photos.models import Photo
from needlepoint.photos.selectors import photo_measurements
from needlepoint.photos.services.measurements import Box, measure_drawn, measure_standard, standard_regions
from needlepoint.web.http import AuthenticatedHttpRequest


def colour(request: AuthenticatedHttpRequest, photo_id: int) -> HttpResponse:
    require_photo_staff(request)
    photo = get_photo_for_user(request, photo_id, part="colour measurements")
    return _render(request, photo, DrawnRegionForm())


def _render(
    request: AuthenticatedHttpRequest,
    photo: Photo,
    form: DrawnRegionForm,
    *,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    return render(
        request,
        "photos/colour.html",
        {
            "photo": photo,
            "measurements": photo_measurements(photo),
            "standard": standard_regions(photo),
            "form": form,
            "error": error,
            "can_measure": request.user.is_clinical,
        },
        status=status,
    )


@require_POST
def measure_standard_view(request: AuthenticatedHttpRequest, photo_id: int) -> HttpResponse:
    require_photo_staff(request)
    photo = get_photo_for_user(request, photo_id, part="colour measurements")
    try:
        rows = measure_standard(photo=photo, actor=request.user)
    except ServiceError as exc:
        return _render(request, photo, DrawnRegionForm(), error=exc.message, status=exc.http_status)
    messages.success(request, f"Colour measured in {len(rows)} regions.")
    return redirect("photos:colour", photo_id=photo.pk)


@require_POST
def measure_drawn_view(request: AuthenticatedHttpRequest, photo_id: int) -> HttpResponse:
    require_photo_staff(request)
    photo = get_photo_for_user(request, photo_id, part="colour measurements")
    form = DrawnRegionForm(request.POST)
    if not form.is_valid():
        return _render(request, photo, form, status=400)
    box = Box(*(int(form.cleaned_data[k]) for k in ("x", "y", "w", "h")))
    try:
        measure_drawn(photo=photo, box=box, actor=request.user)
    except ServiceError as exc:
        form.add_error(None, exc.message)
        return _render(request, photo, form, status=exc.http_status)
    messages.success(request, "Colour of the drawn region measured.")
    return redirect("photos:colour", photo_id=photo.pk)


urls: list[URLPattern] = [
    path("photos/<int:photo_id>/colour/", colour, name="colour"),
    path("photos/<int:photo_id>/colour/standard/", measure_standard_view, name="measure_standard"),
    path("photos/<int:photo_id>/colour/drawn/", measure_drawn_view, name="measure_drawn"),
]
