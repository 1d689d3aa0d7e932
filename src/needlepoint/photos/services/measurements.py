"""Measuring the skin colour of regions of a stored photo with the photo core
(`needlepoint.photo.measure.measure_image`): the standard regions of a front face view, or a
box the practitioner drew. Append-only: measuring again adds rows, the latest per region is
shown.

Measured in the request, not by the worker: measuring takes about a third of a second, and it
is asked for by the practitioner who chose the regions and is looking at the result.

The standard regions are fixed fractions of the frame of a front face view, a clinic choice
that assumes the face fills the frame as the capture page's ghost asks: a starting point only.
When the face sits elsewhere, the practitioner draws the box."""

from dataclasses import dataclass

from django.db import transaction

from needlepoint.accounts.models import User
from needlepoint.audit.services import audit_record
from needlepoint.clinic.services import ServiceError, require_role
from needlepoint.photo.decode import load
from needlepoint.photo.errors import PhotoError
from needlepoint.photo.measure import Region, check_regions, measure_image
from needlepoint.photos.models import MeasuredRegion, Photo, PhotoMeasurement

STANDARD_VIEWS = {("face", "front")}
"""The (area, view) photos that have standard regions; any other view is measured on drawn boxes."""

STANDARD_REGIONS: dict[str, tuple[float, float, float, float]] = {
    # (x, y, w, h) as fractions of the photo's width and height. The patient's right cheek is
    # on the left of a front photo.
    MeasuredRegion.FOREHEAD.value: (0.38, 0.15, 0.24, 0.12),
    MeasuredRegion.RIGHT_CHEEK.value: (0.22, 0.45, 0.18, 0.15),
    MeasuredRegion.LEFT_CHEEK.value: (0.60, 0.45, 0.18, 0.15),
    MeasuredRegion.CHIN.value: (0.42, 0.78, 0.16, 0.10),
}


@dataclass(frozen=True)
class Box:
    x: int
    y: int
    w: int
    h: int


def standard_regions(photo: Photo) -> dict[str, Box]:
    """The standard regions of `photo` in its pixels (none for views without them)."""
    if (photo.area, photo.view) not in STANDARD_VIEWS:
        return {}
    return {
        name: Box(
            round(fx * photo.width),
            round(fy * photo.height),
            round(fw * photo.width),
            round(fh * photo.height),
        )
        for name, (fx, fy, fw, fh) in STANDARD_REGIONS.items()
    }


def measure_standard(*, photo: Photo, actor: User) -> list[PhotoMeasurement]:
    """Measure the standard regions of a front face photo."""
    boxes = standard_regions(photo)
    if not boxes:
        raise ServiceError(
            f"A {photo.area} {photo.view} photo has no standard regions: draw the region to measure.",
            field="region",
        )
    return measure_regions(photo=photo, boxes=boxes, actor=actor)


def measure_drawn(*, photo: Photo, box: Box, actor: User) -> PhotoMeasurement:
    """Measure one box the practitioner drew on the photo."""
    return measure_regions(photo=photo, boxes={MeasuredRegion.DRAWN.value: box}, actor=actor)[0]


def measure_regions(*, photo: Photo, boxes: dict[str, Box], actor: User) -> list[PhotoMeasurement]:
    """Measure `boxes` (region name to box in the stored photo's pixels) and add one row per
    region. Refused for staff who are not clinical, and for a box not wholly inside the photo.
    The photo is measured first, then the rows and their audit are written together."""
    require_role(actor, doing="measure the colour of photos", clinical=True)
    regions = [Region(name, b.x, b.y, b.w, b.h) for name, b in boxes.items()]
    _check_inside(regions, photo)
    with photo.file.open("rb") as fh:
        data = fh.read()
    try:
        doc = measure_image(load(data), regions)
    except PhotoError as exc:
        raise ServiceError(f"The photo cannot be measured: {exc.message}.", field="region") from None
    card = doc["card"]
    calibrated = bool(doc["calibrated"])
    rows = [
        PhotoMeasurement(
            photo=photo,
            region=r["name"],
            x=r["box"][0],
            y=r["box"][1],
            w=r["box"][2],
            h=r["box"][3],
            L=r["L"],
            a=r["a"],
            b=r["b"],
            ita_deg=r["ita_deg"],
            erythema_index=r["erythema_index"],
            pixels_used=r["pixels_used"],
            excluded_share=r["excluded_share"],
            calibrated=calibrated,
            card_residual=card["residual_delta_e00"],
            method=str(card["method"]) if calibrated else "srgb",
            measured_by=actor,
        )
        for r in doc["regions"]
    ]
    with transaction.atomic():
        _save(rows, photo=photo, actor=actor, calibrated=calibrated)
    return rows


def _save(rows: list[PhotoMeasurement], *, photo: Photo, actor: User, calibrated: bool) -> None:
    for row in rows:
        row.save()
        audit_record(
            actor=actor,
            action="create",
            obj=row,
            patient_id=photo.patient_id,
            summary=f"colour of the {row.get_region_display()} measured on photo {photo.pk}"
            f" ({'calibrated with the card' if calibrated else 'no card: not comparable'})",
        )


def _check_inside(regions: list[Region], photo: Photo) -> None:
    try:
        check_regions(regions, photo.width, photo.height)
    except PhotoError:
        r = regions[0] if len(regions) == 1 else None
        where = f" (x {r.x}, y {r.y}, width {r.w}, height {r.h})" if r else ""
        raise ServiceError(
            f"The region{where} is not wholly inside the photo, which is {photo.width} by "
            f"{photo.height} pixels: draw it again inside the photo.",
            field="region",
        ) from None
