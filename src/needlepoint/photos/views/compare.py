"""Before and after: the same view at two visits side by side and as a slider, the later photo
aligned onto the earlier by the worker (when it could be); and a course's before/after, for
its summary. Clinical staff only (the front desk when the clinic allows it)."""

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.views.decorators.http import require_GET, require_POST

from needlepoint.audit.services import audit_record
from needlepoint.clinic.access import get_course_for_user
from needlepoint.clinic.services import ServiceError
from needlepoint.photos.access import get_photo_patient_for_user, require_photo_staff
from needlepoint.photos.forms import PointsForm
from needlepoint.photos.models import Alignment, Photo
from needlepoint.photos.selectors import course_pairs, pair_of, view_photos, visible_photos
from needlepoint.photos.services.alignment import alignment_by_points
from needlepoint.photos.views.files import file_response
from needlepoint.web.http import AuthenticatedHttpRequest


def compare(request: AuthenticatedHttpRequest, patient_id: int, area: str, view: str) -> HttpResponse:
    """Compare two photos of one view: `before` and `after` (photo ids) from the query, by
    default the first and the latest."""
    patient = get_photo_patient_for_user(request, patient_id)
    photos = view_photos(patient, area, view)
    if not photos:
        raise Http404("No photos of this view.")
    earlier = _pick(photos, request.GET.get("before"), photos[0])
    later = _pick(photos, request.GET.get("after"), photos[-1])
    audit_record(actor=request.user, action="view", obj=patient, summary=f"photos compared: {area} {view}")
    return render(
        request,
        "photos/compare.html",
        {
            "patient": patient,
            "photos": photos,
            "pair": pair_of(earlier, later) if earlier.pk != later.pk else None,
            "earlier": earlier,
            "later": later,
            "points_form": PointsForm(),
        },
    )


@require_POST
def align_by_hand(request: AuthenticatedHttpRequest, patient_id: int, area: str, view: str) -> HttpResponse:
    """Store a hand alignment of the chosen pair from three points marked on each photo."""
    patient = get_photo_patient_for_user(request, patient_id)
    photos = view_photos(patient, area, view)
    if not photos:
        raise Http404("No photos of this view.")
    earlier = _pick(photos, request.POST.get("before"), photos[0])
    later = _pick(photos, request.POST.get("after"), photos[-1])
    form = PointsForm(request.POST)
    try:
        if not form.is_valid():
            raise ServiceError(" ".join(str(m) for errs in form.errors.values() for m in errs))
        alignment_by_points(
            earlier=earlier,
            later=later,
            before_points=form.cleaned_data["before_points"],
            after_points=form.cleaned_data["after_points"],
            actor=request.user,
        )
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Aligned by hand: the aligned photo is being prepared.")
    url = reverse("photos:compare", args=[patient.pk, area, view])
    return redirect(f"{url}?before={earlier.pk}&after={later.pk}")


def _pick(photos: list[Photo], raw: str | None, default: Photo) -> Photo:
    if not raw:
        return default
    found = next((p for p in photos if str(p.pk) == raw.strip()), None)
    if found is None:
        raise Http404("No such photo of this view.")
    return found


def course_photos(request: AuthenticatedHttpRequest, course_id: int) -> HttpResponse:
    """The course's before/after: first and latest photo of each view."""
    require_photo_staff(request)
    course = get_course_for_user(request, course_id)
    return render(request, "photos/course.html", {"course": course, "pairs": course_pairs(course)})


@require_GET
def aligned_image(request: AuthenticatedHttpRequest, alignment_id: int) -> HttpResponse:
    """The later photo aligned onto the earlier: served to whoever may see both photos."""
    user_photos = visible_photos(request.user)
    alignment = (
        Alignment.objects.filter(pk=alignment_id, ok=True, later__in=user_photos, earlier__in=user_photos)
        .select_related("later")
        .first()
    )
    if alignment is None:
        raise Http404("No such photo.")
    audit_record(
        actor=request.user,
        action="view",
        obj=alignment.later,
        summary=f"aligned photo (alignment {alignment.pk})",
    )
    return file_response(_read_alignment(alignment), name=f"aligned-{alignment.pk}.jpg")


def _read_alignment(alignment: Alignment) -> bytes:
    if not alignment.file:
        raise Http404("Not ready yet.")
    with alignment.file.open("rb") as fh:
        return bytes(fh.read())


urls: list[URLPattern] = [
    path("photos/patients/<int:patient_id>/compare/<slug:area>/<slug:view>/", compare, name="compare"),
    path(
        "photos/patients/<int:patient_id>/compare/<slug:area>/<slug:view>/points/",
        align_by_hand,
        name="align_points",
    ),
    path("photos/courses/<int:course_id>/", course_photos, name="course"),
    path("photos/alignments/<int:alignment_id>/image/", aligned_image, name="aligned_image"),
]
