"""The quality gate's codes on generated photos."""

import cv2
import numpy as np
import pytest
from photo_scenes import PATCH, SKIN_SRGB, card_scene, chart_to_image, paint, scene

from needlepoint.photo.measure import measure_image
from needlepoint.photo.quality import assess


def photo(width: int = 1200, height: int = 900) -> np.ndarray:
    img, _ = card_scene(width, height)
    paint(img, (800, 600, 200, 160), SKIN_SRGB["medium"])
    return img


def problems(img: np.ndarray) -> tuple[bool, list[str]]:
    quality = measure_image(img, [])["quality"]
    return quality["ok"], quality["problems"]


def test_a_sharp_well_exposed_photo_with_a_card_passes() -> None:
    assert problems(photo()) == (True, [])


@pytest.mark.parametrize("sigma", [4, 8])
def test_a_blurred_photo_is_refused(sigma: float) -> None:
    assert problems(cv2.GaussianBlur(photo(), (0, 0), sigma)) == (False, ["blurred"])


def test_a_light_blur_and_noise_pass() -> None:
    img = cv2.GaussianBlur(photo(), (0, 0), 0.8)
    img = np.clip(img + np.random.default_rng(1).normal(0, 4, img.shape), 0, 255).astype(np.uint8)
    assert problems(img) == (True, [])


def test_over_and_under_exposure() -> None:
    img = photo().astype(np.float64)
    assert "overexposed" in problems(np.clip(img * 2.5, 0, 255).astype(np.uint8))[1]
    assert problems(np.clip(img * 2.5, 0, 255).astype(np.uint8))[0] is False
    assert "underexposed" in problems((img * 0.12).astype(np.uint8))[1]


def test_a_small_photo_is_too_small() -> None:
    small = cv2.resize(photo(), (800, 600), interpolation=cv2.INTER_AREA)
    assert problems(small) == (False, ["too_small"])


def test_no_card_alone_keeps_the_photo_usable() -> None:
    img = scene(1200, 900)
    paint(img, (500, 300, 300, 300), SKIN_SRGB["light"])
    assert problems(img) == (True, ["no_card"])


def test_a_card_whose_patches_do_not_match_the_reference_is_not_used() -> None:
    img, corners = card_scene(1200, 900)
    to_image = chart_to_image(corners)
    rng = np.random.default_rng(7)
    for r in range(4):
        for c in range(6):
            quad = np.array(
                [
                    [c - PATCH / 2, r - PATCH / 2],
                    [c + PATCH / 2, r - PATCH / 2],
                    [c + PATCH / 2, r + PATCH / 2],
                    [c - PATCH / 2, r + PATCH / 2],
                ]
            )
            mapped = cv2.perspectiveTransform(quad[None].astype(np.float64), to_image)[0]
            colour = tuple(int(v) for v in rng.integers(60, 250, 3))
            cv2.fillConvexPoly(img, np.rint(mapped).astype(np.int32), colour)
    doc = measure_image(img, [])
    assert (doc["card"]["found"], doc["calibrated"], doc["quality"]) == (
        True,
        False,
        {"ok": False, "problems": ["card_unreadable"]},
    )
    assert doc["card"]["residual_delta_e00"] > 6.0


def test_the_gate_reports_each_code_from_its_inputs() -> None:
    img = photo()
    assert assess(img, card_found=False, residual=None)["problems"] == ["no_card"]
    assert assess(img, card_found=True, residual=9.0)["problems"] == ["card_unreadable"]
    assert assess(img, card_found=True, residual=1.0)["ok"] is True
