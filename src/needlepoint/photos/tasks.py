"""Background work of the photos app, run by the worker (`django-admin clinic_worker`): the
thumbnail of each stored photo (made here, never in the upload's request; until it exists the
pages say the photo is being prepared), and the alignment of a later photo onto the earlier one
of the same view (feature matching and a homography, by the photo core)."""

import io

import cv2
import numpy as np
from django.core.files.base import ContentFile
from django.tasks import task
from numpy.typing import NDArray
from PIL import Image

from needlepoint.photo.align import align
from needlepoint.photo.decode import load
from needlepoint.photos.models import Alignment, Photo

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


@task()
def align_photos(earlier_id: int, later_id: int) -> str:
    """Align the later photo onto the earlier one of the same view (`needlepoint.photo.align`)
    and store the warped copy with its homography. Returns "aligned", "not found", "exists" or
    "gone"."""
    earlier = Photo.objects.filter(pk=earlier_id).first()
    later = Photo.objects.filter(pk=later_id).first()
    if earlier is None or later is None:
        return "gone"
    if Alignment.objects.filter(earlier=earlier, later=later, method="features").exists():
        return "exists"
    before, after = _pixels(earlier), _pixels(later)
    found = align(before, after)
    row = Alignment(earlier=earlier, later=later, method="features", ok=found.found)
    if found.found and found.homography is not None:
        row.homography = found.homography
        row.file.save(
            f"{later.sha256[:12]}-on-{earlier.sha256[:12]}.jpg",
            ContentFile(_warp(before, after, found.homography)),
            save=False,
        )
    else:
        row.detail = "Not enough matching detail between the two photos to align them."
    row.save()
    return "aligned" if row.ok else "not found"


def _pixels(photo: Photo) -> NDArray[np.uint8]:
    with photo.file.open("rb") as fh:
        return load(bytes(fh.read()))


def _warp(before: NDArray[np.uint8], after: NDArray[np.uint8], homography: list[list[float]]) -> bytes:
    """The later photo warped into the earlier one's frame, as JPEG. The core's homography maps
    continuous pixel coordinates (a pixel's centre at +0.5); OpenCV's warp takes pixel indices."""
    shift = np.array([[1.0, 0.0, 0.5], [0.0, 1.0, 0.5], [0.0, 0.0, 1.0]])
    back = np.array([[1.0, 0.0, -0.5], [0.0, 1.0, -0.5], [0.0, 0.0, 1.0]])
    matrix = back @ np.array(homography, dtype=float) @ shift
    height, width = before.shape[:2]
    warped = cv2.warpPerspective(after, matrix, (width, height), flags=cv2.INTER_LINEAR)
    out = io.BytesIO()
    Image.fromarray(warped).save(out, format="JPEG", quality=90)
    return out.getvalue()


@task()
def warp_alignment(alignment_id: int) -> str:
    """Warp the later photo of a hand alignment with its stored transform. Returns "warped" or
    "gone"."""
    row = Alignment.objects.select_related("earlier", "later").filter(pk=alignment_id).first()
    if row is None or not row.homography:
        return "gone"
    before, after = _pixels(row.earlier), _pixels(row.later)
    data = _warp(before, after, row.homography)
    row.file.save(f"{row.later.sha256[:12]}-points-{row.pk}.jpg", ContentFile(data), save=False)
    Alignment.objects.filter(pk=row.pk).update(file=row.file.name, ok=True)
    return "warped"
