"""Aligning by hand: the user marks the same three landmarks on the earlier and the later photo
of a view (the corners of the eyes and the tip of the nose, say); the affine transform that
takes the later photo's three points onto the earlier's is stored, and the worker warps the
later photo with it. Used when the automatic alignment found too little matching detail, or
to correct it. The newest alignment of a pair is the one shown."""

import numpy as np
from django.db import transaction

from needlepoint.accounts.models import User
from needlepoint.audit.services import audit_record
from needlepoint.clinic.services import ServiceError, require_role
from needlepoint.photos.models import Alignment, Photo

Point = tuple[float, float]
MIN_TRIANGLE_SHARE = 0.002
"""Three points spanning a triangle smaller than this share of the photo are too close or in a
line to fix a transform (a few pixels of error would swing it wildly)."""


@transaction.atomic
def alignment_by_points(
    *, earlier: Photo, later: Photo, before_points: list[Point], after_points: list[Point], actor: User
) -> Alignment:
    """Store the hand alignment of `later` onto `earlier` from three marked points on each, and
    queue its warp for the worker. Refused, in words, for photos of different views or points
    outside a photo, too close together or in a line."""
    require_role(actor, doing="align photos", clinical=True)
    if (earlier.patient_id, earlier.area, earlier.view) != (later.patient_id, later.area, later.view):
        raise ServiceError("Only two photos of the same view of the same patient can be aligned.")
    _check_points(before_points, earlier, "before_points", "before")
    _check_points(after_points, later, "after_points", "after")
    row, _ = Alignment.objects.update_or_create(
        earlier=earlier,
        later=later,
        method="points",
        defaults={"homography": affine(after_points, before_points), "ok": False, "file": "", "detail": ""},
    )
    audit_record(
        actor=actor, action="create", obj=row, patient_id=later.patient_id, summary="photos aligned by hand"
    )
    row_id = row.pk
    transaction.on_commit(lambda: _enqueue(row_id))
    return row


def affine(source: list[Point], target: list[Point]) -> list[list[float]]:
    """The 3x3 matrix (last row 0 0 1) of the affine map taking the three `source` points onto
    the three `target` points."""
    a = np.array([[x, y, 1.0] for x, y in source])
    b = np.array(target, dtype=float)
    top = np.linalg.solve(a, b).T  # 2x3
    return [[float(v) for v in row] for row in (*top, (0.0, 0.0, 1.0))]


def _check_points(points: list[Point], photo: Photo, field: str, which: str) -> None:
    if len(points) != 3:
        raise ServiceError(f"Mark exactly three points on the {which} photo.", field=field)
    if any(not (0 <= x <= photo.width and 0 <= y <= photo.height) for x, y in points):
        raise ServiceError(
            f"A point on the {which} photo is outside it ({photo.width} by {photo.height} pixels).",
            field=field,
        )
    (x1, y1), (x2, y2), (x3, y3) = points
    area = abs((x2 - x1) * (y3 - y1) - (x3 - x1) * (y2 - y1)) / 2
    if area < MIN_TRIANGLE_SHARE * photo.width * photo.height:
        raise ServiceError(
            f"The three points on the {which} photo are too close together or in a line: mark landmarks "
            "far apart (both eyes and the chin, say).",
            field=field,
        )


def _enqueue(alignment_id: int) -> None:
    from needlepoint.photos.tasks import warp_alignment

    warp_alignment.enqueue(alignment_id)
