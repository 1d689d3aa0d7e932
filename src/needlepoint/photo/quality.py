"""The quality gate: is a photo usable for comparison? Codes of the contract.

Measured on a grey copy reduced to at most 1024 pixels a side (what a screen shows):
- `blurred`: at the strongest edges, how much of each pixel-to-pixel step survives a further
  9-pixel box blur (after Crété-Roffet et al. 2007): about 0.1-0.25 for a sharp edge, rising
  towards 1 as the edge is blurred; above BLUR_LIMIT the photo is blurred (a Gaussian blur of
  about 1.6 pixels of the reduced copy, 6 pixels of a 4000-pixel-wide photo).
- `overexposed`: more than CLIPPED_SHARE of the pixels have a channel at 250 or more, or the
  mean grey level is above BRIGHT_MEAN (of 255).
- `underexposed`: the mean grey level is under DARK_MEAN, or more than DARK_SHARE of the pixels
  have every channel at 10 or less.
- `too_small`: the shorter side is under MIN_SIDE pixels.
- `no_card`: no ColorChecker found (does not alone make the photo unusable).
- `card_unreadable`: a card was found but its corrected patches are more than RESIDUAL_LIMIT
  CIEDE2000 from the reference on average; it is not used.
"""

import cv2
import numpy as np

from needlepoint.photo.colorimetry import channel_max

BLUR_LIMIT = 0.5
CLIPPED_SHARE = 0.10
BRIGHT_MEAN = 225.0
DARK_MEAN = 40.0
DARK_SHARE = 0.5
MIN_SIDE = 640
RESIDUAL_LIMIT = 6.0
WORK_SIDE = 1024


def reduced(rgb: np.ndarray) -> np.ndarray:
    h, w = rgb.shape[:2]
    factor = min(1.0, WORK_SIDE / max(h, w))
    if factor >= 1.0:
        return rgb
    return cv2.resize(
        rgb, (max(1, round(w * factor)), max(1, round(h * factor))), interpolation=cv2.INTER_AREA
    )


def blur_measure(grey: np.ndarray) -> float:
    """Blur at the image's sharpest edges: 0 for a step edge, towards 1 for a blurred one.

    For each direction, at the pixels whose step to the next pixel is among the strongest 0.5 %
    (and well above the noise), the share of the step that survives a 9-pixel box blur; the
    median over those pixels, the larger of the two directions. No edge at all counts as blurred.
    """
    f = grey.astype(np.float64)
    if min(f.shape) < 16:
        return 0.0
    worst = 0.0
    for axis in (0, 1):
        kernel = (9, 1) if axis == 1 else (1, 9)
        d_f = np.abs(np.diff(f, axis=axis))
        d_b = np.abs(np.diff(cv2.blur(f, kernel), axis=axis))
        noise = 1.4826 * float(np.median(d_f))
        edges = d_f >= max(float(np.percentile(d_f, 99.5)), 5.0 * noise, 6.0)
        if int(edges.sum()) < 50:
            return 1.0
        worst = max(worst, float(np.median(d_b[edges] / d_f[edges])))
    return worst


def exposure_problems(small: np.ndarray) -> list[str]:
    grey = cv2.cvtColor(small, cv2.COLOR_RGB2GRAY)
    mean = float(grey.mean())
    top = channel_max(small)
    problems = []
    if float((top >= 250).mean()) > CLIPPED_SHARE or mean > BRIGHT_MEAN:
        problems.append("overexposed")
    if mean < DARK_MEAN or float((top <= 10).mean()) > DARK_SHARE:
        problems.append("underexposed")
    return problems


def assess(
    rgb: np.ndarray, *, card_found: bool, residual: float | None, small: np.ndarray | None = None
) -> dict[str, object]:
    """The contract's `quality` object: {"ok", "problems"} (plus the blur measure).

    `small` may pass a copy already reduced to at most WORK_SIDE pixels a side.
    """
    small = reduced(rgb) if small is None else small
    grey = cv2.cvtColor(small, cv2.COLOR_RGB2GRAY)
    blur = blur_measure(grey)
    problems: list[str] = []
    if blur > BLUR_LIMIT:
        problems.append("blurred")
    problems += exposure_problems(small)
    if not card_found:
        problems.append("no_card")
    elif residual is None or residual > RESIDUAL_LIMIT:
        problems.append("card_unreadable")
    if min(rgb.shape[:2]) < MIN_SIDE:
        problems.append("too_small")
    return {"ok": all(p == "no_card" for p in problems), "problems": problems, "blur": round(blur, 3)}
