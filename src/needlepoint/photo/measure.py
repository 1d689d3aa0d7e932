"""Measuring skin colour in regions of a photo: the contract's `needlepoint.photo-measure/1` document.

Per region, the skin pixels are those left after three exclusions, judged on the region's own
pixels: clipped pixels (any channel at 250 or more, or every channel at 5 or less); specular
highlights (luminance over HIGHLIGHT x the region's median luminance); hair and shadow (luminance
under DARK x the median). Their mean is taken in linear RGB, corrected to CIE XYZ D65 with the
card (or taken as sRGB without one), and given as CIELAB (D65, 2° observer), ITA° and a*.
"""

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from needlepoint.photo.card import Card, find_card, reduce
from needlepoint.photo.colorimetry import FloatArray, channel_max, srgb_to_linear, xyz_to_lab
from needlepoint.photo.correction import Correction, fit
from needlepoint.photo.errors import PhotoError
from needlepoint.photo.quality import RESIDUAL_LIMIT, assess

SCHEMA = "needlepoint.photo-measure/1"
HIGHLIGHT = 1.6
DARK = 0.45
_LINEAR = srgb_to_linear(np.arange(256))
_LUMA_LUT = np.outer(np.array([0.2126, 0.7152, 0.0722]), _LINEAR)


@dataclass(frozen=True)
class Region:
    """A named rectangle in pixels of the image as stored (after the EXIF orientation)."""

    name: str
    x: int
    y: int
    w: int
    h: int

    @property
    def box(self) -> list[int]:
        return [self.x, self.y, self.w, self.h]

    def box_tuple(self) -> tuple[int, int, int, int]:
        return (self.x, self.y, self.w, self.h)


def check_regions(regions: list[Region], width: int, height: int) -> None:
    """Refuse a region that is empty or not wholly inside the image, or a repeated name."""
    seen: set[str] = set()
    for r in regions:
        if r.name in seen:
            raise PhotoError(f"the region name {r.name!r} is given twice", "region")
        seen.add(r.name)
        if r.w < 1 or r.h < 1 or r.x < 0 or r.y < 0 or r.x + r.w > width or r.y + r.h > height:
            raise PhotoError(
                f"region {r.name!r} [{r.x}, {r.y}, {r.w}, {r.h}] is not wholly inside "
                f"the {width}x{height} image",
                "region",
            )


def skin_mean(rgb: np.ndarray) -> tuple[FloatArray | None, int, int]:
    """The mean linear RGB of a box's skin pixels (None if none is left), how many, and the box's size.

    The median luminance is taken over at most about 250,000 of the unclipped pixels (evenly spread).
    """
    pixels = rgb.reshape(-1, 3)
    total = len(pixels)
    top = channel_max(pixels)
    unclipped = (top < 250) & (top > 5)
    luma = _LUMA_LUT[0][pixels[:, 0]] + _LUMA_LUT[1][pixels[:, 1]] + _LUMA_LUT[2][pixels[:, 2]]
    candidates = luma[unclipped]
    if len(candidates) == 0:
        return None, 0, total
    median = float(np.median(candidates[:: max(1, len(candidates) // 250_000)]))
    keep = unclipped & (luma <= HIGHLIGHT * median) & (luma >= DARK * median)
    used = int(keep.sum())
    if used == 0:
        return None, 0, total
    kept = pixels[keep]
    mean = np.array([np.bincount(kept[:, c], minlength=256) @ _LINEAR for c in range(3)]) / used
    return np.asarray(mean, dtype=np.float64), used, total


def ita_degrees(lab: FloatArray) -> float:
    """Individual typology angle: atan2(L* - 50, b*) in degrees."""
    return math.degrees(math.atan2(float(lab[0]) - 50.0, float(lab[2])))


def _region(rgb: np.ndarray, region: Region, correction: Correction) -> dict[str, Any]:
    box = rgb[region.y : region.y + region.h, region.x : region.x + region.w]
    mean, used, total = skin_mean(box)
    if mean is None:
        mean = _LINEAR[box.reshape(-1, 3)].mean(axis=0)
    lab = xyz_to_lab(np.clip(correction.apply(mean[None, :]), 0.0, None))[0]
    return {
        "name": region.name,
        "box": region.box,
        "L": round(float(lab[0]), 2),
        "a": round(float(lab[1]), 2),
        "b": round(float(lab[2]), 2),
        "ita_deg": round(ita_degrees(lab), 2),
        "erythema_index": round(float(lab[1]), 2),
        "pixels_used": used,
        "excluded_share": round(1.0 - used / total, 4),
    }


def _card_doc(card: Card | None, correction: Correction | None) -> dict[str, Any]:
    if card is None:
        return {
            "found": False,
            "kind": None,
            "corners": None,
            "residual_delta_e00": None,
            "patches": None,
            "method": None,
        }
    return {
        "found": True,
        "kind": "colorchecker24",
        "corners": [[round(float(x), 2), round(float(y), 2)] for x, y in card.corners],
        "residual_delta_e00": None if correction is None else round(correction.residual_delta_e00, 3),
        "patches": [[round(float(x), 2), round(float(y), 2)] for x, y in card.patches],
        "method": None if correction is None else correction.method,
    }


def measure_image(rgb: np.ndarray, regions: list[Region], *, method: str = "default") -> dict[str, Any]:
    """Find the card, correct with it, assess quality and measure the regions (the contract's document)."""
    height, width = rgb.shape[:2]
    check_regions(regions, width, height)
    small = reduce(rgb)
    card = find_card(rgb, reduced=small)
    correction = fit(card.patch_rgb, method) if card is not None else None
    calibrated = correction is not None and correction.residual_delta_e00 <= RESIDUAL_LIMIT
    used = correction if calibrated and correction is not None else fit(np.zeros((24, 3)), "none")
    quality = assess(
        rgb,
        card_found=card is not None,
        residual=None if correction is None else correction.residual_delta_e00,
        small=small[0],
    )
    return {
        "schema": SCHEMA,
        "width": width,
        "height": height,
        "card": _card_doc(card, correction),
        "calibrated": calibrated,
        "quality": {"ok": quality["ok"], "problems": quality["problems"]},
        "regions": [_region(rgb, r, used) for r in regions],
    }
