"""Generated test photos: a ColorChecker rendered from the reference values, pasted with a known
homography into a scene with skin-coloured regions."""

import cv2
import numpy as np

from needlepoint.photo.card import reference_srgb
from needlepoint.photo.colorimetry import linear_to_srgb, srgb_to_linear

MARGIN = 0.6  # pitches from an outer patch centre to the card's edge
PATCH = 0.8  # patch side in pitches
FRAME = (28, 28, 30)
SKIN_SRGB = {"light": (224, 172, 150), "medium": (190, 132, 100), "dark": (110, 72, 55)}
CHART_CORNERS = np.array(
    [[-MARGIN, -MARGIN], [5 + MARGIN, -MARGIN], [5 + MARGIN, 3 + MARGIN], [-MARGIN, 3 + MARGIN]]
)


def chart_to_image(corners: np.ndarray) -> np.ndarray:
    """The homography from chart coordinates (patch centres at (c, r)) to the image, from the corners."""
    return cv2.getPerspectiveTransform(CHART_CORNERS.astype(np.float32), np.asarray(corners, np.float32))


def card_canvas(px: int = 60) -> np.ndarray:
    w, h = round((5 + 2 * MARGIN) * px), round((3 + 2 * MARGIN) * px)
    canvas = np.empty((h, w, 3), np.uint8)
    canvas[:] = FRAME
    colours = np.rint(reference_srgb()).astype(np.uint8)
    for n in range(24):
        r, c = divmod(n, 6)
        x0 = round((c + MARGIN - PATCH / 2) * px)
        y0 = round((r + MARGIN - PATCH / 2) * px)
        canvas[y0 : y0 + round(PATCH * px), x0 : x0 + round(PATCH * px)] = colours[n]
    return canvas


def scene(width: int, height: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:height, 0:width]
    base = np.stack(
        [150 + 40 * np.sin(xx / 97.0), 160 + 30 * np.cos(yy / 71.0), 170 + 20 * np.sin((xx + yy) / 53.0)], -1
    )
    img = base + rng.normal(0, 3, base.shape)
    return np.clip(img, 0, 255).astype(np.uint8)


def paste_card(img: np.ndarray, corners: np.ndarray, px: int = 60) -> np.ndarray:
    canvas = card_canvas(px)
    to_canvas = np.array([[px, 0, MARGIN * px], [0, px, MARGIN * px], [0, 0, 1]], dtype=np.float64)
    # continuous coordinates: canvas pixel (i, j) has its centre at (i + 0.5, j + 0.5)
    half = np.array([[1, 0, -0.5], [0, 1, -0.5], [0, 0, 1]])
    to_image = half @ chart_to_image(corners) @ np.linalg.inv(to_canvas) @ np.linalg.inv(half)
    h, w = img.shape[:2]
    warped = cv2.warpPerspective(canvas, to_image, (w, h), flags=cv2.INTER_AREA)
    mask = cv2.warpPerspective(
        np.full(canvas.shape[:2], 255, np.uint8), to_image, (w, h), flags=cv2.INTER_LINEAR
    )
    alpha = (mask.astype(np.float64) / 255.0)[..., None]
    return np.asarray(np.rint(img * (1 - alpha) + warped * alpha), dtype=np.uint8)


def paint(
    img: np.ndarray, box: tuple[int, int, int, int], srgb: tuple[int, int, int], noise: float = 2.0
) -> None:
    x, y, w, h = box
    rng = np.random.default_rng(x * 7 + y)
    patch = np.asarray(srgb, np.float64) + rng.normal(0, noise, (h, w, 3))
    img[y : y + h, x : x + w] = np.clip(np.rint(patch), 0, 255).astype(np.uint8)


def illuminate(img: np.ndarray, gains: tuple[float, float, float]) -> np.ndarray:
    """Scale linear RGB per channel (an illuminant-like cast) and encode back to sRGB."""
    lin = srgb_to_linear(img) * np.asarray(gains)
    return np.rint(linear_to_srgb(lin)).astype(np.uint8)


def card_scene(
    width: int = 1600, height: int = 1200, corners: np.ndarray | None = None, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """A scene with a card at `corners` (default: a slightly rotated card, a third of the width wide)."""
    if corners is None:
        corners = np.array([[200.0, 150.0], [760.0, 190.0], [735.0, 560.0], [180.0, 525.0]])
    img = scene(width, height, seed)
    return paste_card(img, corners), np.asarray(corners, np.float64)
