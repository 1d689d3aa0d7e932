"""Background work of the photos app, run by the worker (`django-admin clinic_worker`): the
thumbnail of each stored photo (made here, never in the upload's request). Until it exists the
pages say the photo is being prepared."""

import io

from django.core.files.base import ContentFile
from django.tasks import task
from PIL import Image

from needlepoint.photos.models import Photo

THUMBNAIL_EDGE = 480
"""Longest edge of a thumbnail in pixels: sharp on a phone's screen at list size."""


@task()
def make_thumbnail(photo_id: int) -> str:
    """Make the photo's thumbnail if it has none. Returns "made", "exists" or "gone"."""
    photo = Photo.objects.filter(pk=photo_id).first()
    if photo is None:
        return "gone"
    if photo.thumbnail:
        return "exists"
    with photo.file.open("rb") as fh:
        image = Image.open(io.BytesIO(fh.read()))
        image.load()
    image.thumbnail((THUMBNAIL_EDGE, THUMBNAIL_EDGE))
    out = io.BytesIO()
    image.convert("RGB").save(out, format="JPEG", quality=85)
    photo.thumbnail.save(f"{photo.sha256[:16]}-thumb.jpg", ContentFile(out.getvalue()), save=False)
    Photo.objects.filter(pk=photo.pk, thumbnail="").update(thumbnail=photo.thumbnail.name)
    return "made"
