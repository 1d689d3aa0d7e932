"""Colour correction from the card: the reference, the methods, the residual."""

import warnings

import colour
import numpy as np
import pytest

from needlepoint.photo.colorimetry import XYZ_TO_SRGB, delta_e00, xyz_to_lab
from needlepoint.photo.correction import REFERENCE_XYZ_D65, fit


def camera_rgb(gains: tuple[float, float, float]) -> np.ndarray:
    """The reference patches as linear sRGB seen through a channel cast (an illuminant-like scaling)."""
    return np.asarray(np.clip(REFERENCE_XYZ_D65 @ XYZ_TO_SRGB.T, 0, None) * gains)


def test_the_reference_is_the_2014_chart_adapted_to_d65_with_bradford() -> None:
    checker = colour.CCS_COLOURCHECKERS["ColorChecker24 - After November 2014"]
    xyz_d50 = colour.xyY_to_XYZ(np.array(list(checker.data.values())))
    d65 = colour.xy_to_XYZ(colour.CCS_ILLUMINANTS["CIE 1931 2 Degree Standard Observer"]["D65"])
    expected = colour.chromatic_adaptation(
        xyz_d50, colour.xy_to_XYZ(checker.illuminant), d65, method="Von Kries", transform="Bradford"
    )
    assert np.abs(REFERENCE_XYZ_D65 - expected).max() < 2e-4
    white = xyz_to_lab(REFERENCE_XYZ_D65[18:19])[0]
    assert (round(white[0]), abs(white[1]) < 3, abs(white[2]) < 4) == (95, True, True)


@pytest.mark.parametrize("method", ["linear3x3", "default"])
def test_a_colour_cast_is_corrected(method: str) -> None:
    correction = fit(camera_rgb((1.3, 1.0, 0.55)), method)
    assert correction.residual_delta_e00 < 1.0
    assert correction.method == ("root_polynomial2" if method == "default" else "linear3x3")


def test_without_correction_the_cast_stays() -> None:
    assert fit(camera_rgb((1.3, 1.0, 0.55)), "none").residual_delta_e00 > 5.0


def test_the_default_correction_does_not_depend_on_exposure() -> None:
    rgb = camera_rgb((1.1, 1.0, 0.8))
    bright, dark = fit(rgb * 1.0, "default"), fit(rgb * 0.5, "default")
    probe = np.array([[0.3, 0.2, 0.15]])
    assert np.allclose(bright.apply(probe), dark.apply(probe * 0.5), rtol=1e-6)


def test_the_residual_is_the_mean_ciede2000_of_the_patches() -> None:
    correction = fit(camera_rgb((1.0, 1.0, 1.0)), "none")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = delta_e00(
            xyz_to_lab(correction.apply(camera_rgb((1, 1, 1)))), xyz_to_lab(REFERENCE_XYZ_D65)
        )
    assert correction.residual_delta_e00 == pytest.approx(float(expected.mean()))
    assert len(correction.patch_delta_e00) == 24


def test_an_unknown_method_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown correction method"):
        fit(camera_rgb((1, 1, 1)), "magic")


@pytest.mark.parametrize("method", ["default", "linear3x3", "root_polynomial2"])
def test_it_fits_patches_that_are_not_a_chart_without_failing_and_says_the_fit_is_poor(method):
    """Twenty-four alike patches (a grey checkerboard taken for a card) make the system singular:
    the fit still answers, with a residual far above the limit for a usable card."""
    alike = np.full((24, 3), 0.2)
    correction = fit(alike, method)
    assert correction.residual_delta_e00 > 6.0
