"""Colour arithmetic: sRGB encoding, CIE XYZ and CIELAB under D65 (CIE 1931 2° observer), CIEDE2000.

colour-science supplies the reference data and CIEDE2000; importing it without SciPy or
Matplotlib prints usage warnings, which are silenced here.
"""

import warnings

import numpy as np
from numpy.typing import NDArray

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    import colour

FloatArray = NDArray[np.float64]

# The sRGB (IEC 61966-2-1) matrices, linear RGB <-> XYZ with D65 white of Y = 1.
SRGB_TO_XYZ = np.array(
    [
        [0.4123907992659595, 0.3575843393838780, 0.1804807884018343],
        [0.2126390058715104, 0.7151686787677559, 0.0721923153607337],
        [0.0193308187155918, 0.1191947797946259, 0.9505321522496608],
    ]
)
XYZ_TO_SRGB = np.linalg.inv(SRGB_TO_XYZ)
D65_XY = np.array([0.3127, 0.3290])
D65_XYZ = np.array([D65_XY[0] / D65_XY[1], 1.0, (1 - D65_XY.sum()) / D65_XY[1]])


def channel_max(image: np.ndarray) -> np.ndarray:
    """The largest of the three channels of each pixel (last axis of size 3), quicker than max(axis=-1)."""
    return np.asarray(np.maximum(np.maximum(image[..., 0], image[..., 1]), image[..., 2]))


def srgb_to_linear(values: NDArray[np.generic]) -> FloatArray:
    """sRGB code values 0..255 (any shape) to linear RGB 0..1."""
    v = np.asarray(values, dtype=np.float64) / 255.0
    return np.where(v <= 0.04045, v / 12.92, ((v + 0.055) / 1.055) ** 2.4)


def linear_to_srgb(values: FloatArray) -> FloatArray:
    """Linear RGB 0..1 to sRGB code values 0..255 (floats, clipped)."""
    v = np.clip(values, 0.0, 1.0)
    encoded = np.where(v <= 0.0031308, v * 12.92, 1.055 * v ** (1 / 2.4) - 0.055)
    return np.asarray(encoded * 255.0, dtype=np.float64)


def uint8_lut_linear() -> FloatArray:
    """The 256-entry table of linear values of the sRGB codes."""
    return srgb_to_linear(np.arange(256))


def xyz_to_lab(xyz: FloatArray) -> FloatArray:
    """CIE XYZ (white Y = 1) to CIELAB against the D65 white, Nx3."""
    t = np.asarray(xyz, dtype=np.float64) / D65_XYZ
    delta = 6 / 29
    f = np.where(t > delta**3, np.cbrt(t), t / (3 * delta**2) + 4 / 29)
    lab = np.stack([116 * f[..., 1] - 16, 500 * (f[..., 0] - f[..., 1]), 200 * (f[..., 1] - f[..., 2])], -1)
    return np.asarray(lab, dtype=np.float64)


def delta_e00(lab1: FloatArray, lab2: FloatArray) -> FloatArray:
    """CIEDE2000 colour differences, element by element (colour-science)."""
    return np.asarray(colour.delta_E(lab1, lab2, method="CIE 2000"), dtype=np.float64)


def reference_xyz_d65() -> FloatArray:
    """The 24 ColorChecker Classic patches ("after November 2014"), XYZ adapted D50 -> D65 (Bradford)."""
    checker = colour.CCS_COLOURCHECKERS["ColorChecker24 - After November 2014"]
    xyy = np.array(list(checker.data.values()), dtype=np.float64)
    xyz_d50 = colour.xyY_to_XYZ(xyy)
    white_d50 = colour.xy_to_XYZ(checker.illuminant)
    adapted = colour.adaptation.chromatic_adaptation_VonKries(
        xyz_d50, white_d50, D65_XYZ, transform="Bradford"
    )
    return np.asarray(adapted, dtype=np.float64)


PATCH_NAMES: tuple[str, ...] = tuple(colour.CCS_COLOURCHECKERS["ColorChecker24 - After November 2014"].data)
