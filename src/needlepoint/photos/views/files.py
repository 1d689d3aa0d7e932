"""Photo files, served only here: the per-object access check, the audit trail, and
`Cache-Control: no-store, private` (never kept by a browser or a proxy). There is no media or
static address for a photo."""

from django.http import Http404, HttpResponse
from django.urls import URLPattern, path
from django.utils.cache import add_never_cache_headers, patch_cache_control
from django.views.decorators.http import require_GET

from needlepoint.photos.access import get_photo_for_use, get_photo_for_user
from needlepoint.photos.models import Photo
from needlepoint.photos.selectors import USES
from needlepoint.web.http import AuthenticatedHttpRequest


def file_response(data: bytes, *, name: str) -> HttpResponse:
    response = HttpResponse(data, content_type="image/jpeg")
    response["Content-Disposition"] = f'inline; filename="{name}"'
    add_never_cache_headers(response)
    patch_cache_control(response, private=True, no_store=True)
    return response


def _read(photo: Photo, field: str) -> bytes:
    stored = getattr(photo, field)
    if not stored:
        raise Http404("Not ready yet.")
    with stored.open("rb") as fh:
        return bytes(fh.read())


@require_GET
def image(request: AuthenticatedHttpRequest, photo_id: int) -> HttpResponse:
    photo = get_photo_for_user(request, photo_id, part="image")
    return file_response(_read(photo, "file"), name=f"photo-{photo.pk}.jpg")


@require_GET
def thumbnail(request: AuthenticatedHttpRequest, photo_id: int) -> HttpResponse:
    photo = get_photo_for_user(request, photo_id, part="thumbnail")
    return file_response(_read(photo, "thumbnail"), name=f"photo-{photo.pk}-small.jpg")


@require_GET
def use_image(request: AuthenticatedHttpRequest, purpose: str, photo_id: int) -> HttpResponse:
    """A photo shown for teaching or marketing: only while the patient's consent is in force."""
    if purpose not in USES:
        raise Http404("No such use.")
    photo = get_photo_for_use(request, photo_id, purpose=purpose)
    return file_response(_read(photo, "file"), name=f"photo-{photo.pk}.jpg")


urls: list[URLPattern] = [
    path("photos/<int:photo_id>/image/", image, name="image"),
    path("photos/<int:photo_id>/thumbnail/", thumbnail, name="thumbnail"),
    path("photos/use/<str:purpose>/<int:photo_id>/image/", use_image, name="use_image"),
]
