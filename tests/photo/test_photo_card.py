"""Finding the ColorChecker: any rotation (upside down included), perspective, small cards."""

import numpy as np
import pytest
from photo_scenes import card_scene, chart_to_image, paint, paste_card, scene

from needlepoint.photo.card import find_card, reference_srgb
from needlepoint.photo.colorimetry import srgb_to_linear


def rotated(centre: tuple[float, float], width: float, degrees: float, skew: float = 0.0) -> np.ndarray:
    hw, hh = width / 2, width / 2 * (4.2 / 6.2)
    base = np.array([[-hw, -hh], [hw, -hh], [hw + skew, hh], [-hw - skew, hh]])
    t = np.radians(degrees)
    rotation = np.array([[np.cos(t), -np.sin(t)], [np.sin(t), np.cos(t)]])
    return np.asarray(base @ rotation.T + centre, dtype=np.float64)


def centres(corners: np.ndarray) -> np.ndarray:
    h = chart_to_image(corners)
    chart = np.array([(c, r, 1.0) for r in range(4) for c in range(6)])
    mapped = chart @ h.T
    return np.asarray(mapped[:, :2] / mapped[:, 2:3])


@pytest.mark.parametrize(("degrees", "skew"), [(0, 0), (12, 20), (95, -15), (180, 0), (203, 25), (271, 0)])
def test_the_card_is_found_at_any_rotation_with_its_corners_and_patch_order(
    degrees: float, skew: float
) -> None:
    truth = rotated((600, 450), 520, degrees, skew)
    img, _ = card_scene(1200, 900, truth)
    card = find_card(img)
    assert card is not None
    assert np.abs(card.corners - truth).max() < 2.5
    assert np.abs(card.patches - centres(truth)).max() < 2.0


def test_a_card_of_a_sixth_of_the_width_is_found() -> None:
    truth = rotated((900, 700), 0.16 * 2000, 30)
    img, _ = card_scene(2000, 1500, truth)
    card = find_card(img)
    assert card is not None
    assert np.abs(card.corners - truth).max() < 2.5


def test_the_patch_colours_are_the_mean_linear_rgb_of_each_patch() -> None:
    img, _ = card_scene()
    img = np.clip(img + np.random.default_rng(3).normal(0, 6, img.shape), 0, 255).astype(np.uint8)
    card = find_card(img)
    assert card is not None
    painted = srgb_to_linear(np.rint(reference_srgb()))
    assert np.abs(card.patch_rgb - painted).max() < 0.015


def test_a_scene_without_a_card_has_none() -> None:
    img = scene(1200, 900)
    paint(img, (100, 100, 200, 200), (190, 132, 100))
    paint(img, (400, 100, 200, 200), (90, 60, 40))
    assert find_card(img) is None


@pytest.mark.parametrize("background", [0, 245])
def test_the_corners_are_right_on_a_black_or_white_background(background: int) -> None:
    truth = rotated((600, 450), 560, 8)
    img = paste_card(np.full((900, 1200, 3), background, np.uint8), truth)
    card = find_card(img)
    assert card is not None
    assert np.abs(card.corners - truth).max() < 2.5


def test_a_tiled_wall_beside_the_card_does_not_hide_it() -> None:
    truth = rotated((420, 600), 520, -6)
    img, _ = card_scene(1600, 1200, truth)
    rng = np.random.default_rng(2)
    img[60:1140, 820:1560] = (40, 40, 40)  # grout
    for row in range(9):
        for col in range(6):
            tone = tuple(int(v) for v in rng.integers(150, 200) + rng.integers(-8, 8, 3))
            x, y = 830 + col * 122, 70 + row * 119
            img[y : y + 105, x : x + 108] = tone
    card = find_card(img)
    assert card is not None
    assert np.abs(card.corners - truth).max() < 2.5
