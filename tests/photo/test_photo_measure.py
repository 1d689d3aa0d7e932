"""Measuring regions: calibrated colour against the truth, ITA°, the skin-pixel rule, bad regions."""

import math

import numpy as np
import pytest
from photo_scenes import SKIN_SRGB, card_scene, illuminate, paint, scene

from needlepoint.photo.colorimetry import SRGB_TO_XYZ, delta_e00, srgb_to_linear, xyz_to_lab
from needlepoint.photo.errors import PhotoError
from needlepoint.photo.measure import Region, ita_degrees, measure_image

CHEEK = Region("cheek", 900, 650, 200, 160)


def truth_lab(srgb: tuple[int, int, int]) -> np.ndarray:
    return np.asarray(xyz_to_lab(srgb_to_linear(np.array(srgb, float))[None, :] @ SRGB_TO_XYZ.T)[0])


def lab_of(region: dict[str, float]) -> np.ndarray:
    return np.array([region["L"], region["a"], region["b"]])


@pytest.mark.parametrize("skin", ["light", "medium", "dark"])
@pytest.mark.parametrize("gains", [(1.35, 1.0, 0.55), (0.8, 1.0, 1.25)])
def test_the_card_corrects_a_colour_cast_back_to_the_daylight_colour(
    skin: str, gains: tuple[float, float, float]
) -> None:
    img, _ = card_scene(1200, 900)
    paint(img, CHEEK.box_tuple(), SKIN_SRGB[skin])
    doc = measure_image(illuminate(img, gains), [CHEEK])
    region = doc["regions"][0]
    truth = truth_lab(SKIN_SRGB[skin])
    assert (doc["calibrated"], doc["card"]["found"], doc["card"]["method"]) == (
        True,
        True,
        "root_polynomial2",
    )
    assert doc["card"]["residual_delta_e00"] < 2.0
    assert float(delta_e00(lab_of(region), truth)) < 2.0
    assert abs(region["ita_deg"] - ita_degrees(truth)) < 2.5


def test_without_a_card_the_photo_is_taken_as_srgb() -> None:
    img = scene(1200, 900)
    paint(img, CHEEK.box_tuple(), SKIN_SRGB["medium"])
    doc = measure_image(img, [CHEEK])
    assert (doc["calibrated"], doc["card"]["found"], doc["quality"]) == (
        False,
        False,
        {"ok": True, "problems": ["no_card"]},
    )
    assert float(delta_e00(lab_of(doc["regions"][0]), truth_lab(SKIN_SRGB["medium"]))) < 1.0
    cast = measure_image(illuminate(img, (1.35, 1.0, 0.55)), [CHEEK])
    assert float(delta_e00(lab_of(cast["regions"][0]), truth_lab(SKIN_SRGB["medium"]))) > 5.0


def test_ita_is_atan2_of_l_minus_50_and_b_in_degrees() -> None:
    assert ita_degrees(np.array([60.0, 10.0, 10.0])) == pytest.approx(45.0)
    assert ita_degrees(np.array([40.0, 10.0, 10.0])) == pytest.approx(-45.0)
    assert ita_degrees(np.array([70.0, 5.0, 20.0])) == pytest.approx(math.degrees(math.atan2(20, 20)))


def test_highlights_hair_and_clipped_pixels_are_left_out() -> None:
    img = scene(1200, 900)
    paint(img, CHEEK.box_tuple(), SKIN_SRGB["medium"])
    clean = measure_image(img, [CHEEK])["regions"][0]
    img[650:670, 900:1100] = (255, 255, 255)  # clipped glare: 20 of 160 rows
    img[700:710, 900:1100] = (250, 235, 225)  # a specular highlight, not clipped: 10 rows
    img[760:776, 900:1100] = (30, 22, 18)  # hair: 16 rows
    region = measure_image(img, [CHEEK])["regions"][0]
    assert region["excluded_share"] == pytest.approx(46 / 160, abs=0.01)
    assert region["pixels_used"] == 200 * (160 - 46)
    assert float(delta_e00(lab_of(region), lab_of(clean))) < 0.5
    assert (clean["excluded_share"], clean["erythema_index"]) == (0.0, clean["a"])


@pytest.mark.parametrize(
    "box", [(1100, 800, 200, 10), (-1, 0, 10, 10), (0, 0, 0, 10), (0, 895, 10, 6), (1199, 0, 1, 900)]
)
def test_a_region_not_wholly_inside_is_bad_input(box: tuple[int, int, int, int]) -> None:
    img = scene(1200, 900)
    region = Region("r", *box)
    if box == (1199, 0, 1, 900):
        assert measure_image(img, [region])["regions"][0]["box"] == [1199, 0, 1, 900]
        return
    with pytest.raises(PhotoError) as caught:
        measure_image(img, [region])
    assert caught.value.field == "region"


def test_the_document_has_the_contract_fields() -> None:
    img, corners = card_scene(1200, 900)
    doc = measure_image(img, [])
    assert list(doc) == ["schema", "width", "height", "card", "calibrated", "quality", "regions"]
    assert (doc["schema"], doc["width"], doc["height"], doc["regions"]) == (
        "needlepoint.photo-measure/1",
        1200,
        900,
        [],
    )
    assert set(doc["card"]) >= {"found", "kind", "corners", "residual_delta_e00", "patches", "method"}
    assert np.abs(np.array(doc["card"]["corners"]) - corners).max() < 4.0
    assert len(doc["card"]["patches"]) == 24
