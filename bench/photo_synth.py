"""Synthetic clinical photos whose colour truth is known exactly (generator for bench_photo.py).

Everything is made from spectra shipped with colour-science, so the truth is exact and nothing
is downloaded: the 24 reflectances of the ColorChecker ('ColorChecker N Ohta'), the CIE
illuminants, the measured spectral sensitivities of two cameras ('Nikon 5100 (NPL)', 'Sigma
SDMerill (NPL)') and the CIE 1931 2° observer. All spectra are resampled to 380-780 nm in 5 nm
steps (a camera's sensitivity is 0 outside its measured range).

Skin. A skin reflectance is made from the card's two skin patches ('dark skin', 'light skin'):
their reflectances are mixed (share t of the dark one), turned into an absorbance A = -ln R,
the absorbance scaled by s (s < 1: less of everything, a lighter skin) and darkened with melanin:

    R(λ) = exp(-(s·A_mix(λ) + k·μ_mel(λ)))

with the melanin absorption shape μ_mel(λ) = (λ / 500 nm)^-3.33, the power law of S. L. Jacques,
"Skin optics", Oregon Medical Laser Center News, January 1998 (μa.mel = 6.6e11·λ^-3.33 /cm,
λ in nm). A second set of "blood" skins adds oxyhaemoglobin absorbance (see `blood_shape`), a
redness the card's skin patches do not span. Drawing t, s and k gives ITA° (under D65) from about
-45° to +70°; a region's truth is the CIELAB of its spectrum under D65 with the 1931 2° observer
(white: the perfect reflector under D65) and ITA° = atan2(L* - 50, b*).

A photo. Camera raw per channel = Σ R(λ)·E(λ)·S_c(λ) over the scene, which is a neutral grey
background, the 24-patch card drawn as a grid of patches on a black surround and placed by a
known homography (dark skin at the chart's top-left), and skin rectangles with a multiplicative
texture of mean 1 (so the region's mean colour is the spectrum's). Then, as a camera would:
optical blur, shot and read noise in raw, a grey-world white balance over the whole frame
(the camera does not know the light), the camera's fixed colour matrix (least squares from
white-balanced raw to linear sRGB on the 24 patches under D65, as a maker calibrates it under
daylight), auto exposure (the brightest 0.1 % of pixels, the white patch, to 0.68-0.85 linear, so it
is not clipped), the sRGB curve, 8 bits,
and JPEG (Pillow, quality 85).

Alignment pairs: a textured face-like scene (skin-coloured oval, eyes, brows, mouth, freckles,
multi-scale texture, a structured background) seen twice; the second view is the first warped
by a known homography H (taking a pixel of AFTER to its place in BEFORE), with another exposure,
noise and JPEG.

Coordinates follow the photo contract: continuous pixels, the top-left corner of the top-left
pixel at (0, 0), so pixel (i, j) has its centre at (i + 0.5, j + 0.5).
"""

from __future__ import annotations

import io
import math
import warnings
from dataclasses import dataclass
from functools import cache

import cv2
import numpy as np
from PIL import Image

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    import colour

WAVELENGTHS = np.arange(380.0, 781.0, 5.0)
PATCH_NAMES: tuple[str, ...] = (
    "dark skin",
    "light skin",
    "blue sky",
    "foliage",
    "blue flower",
    "bluish green",
    "orange",
    "purplish blue",
    "moderate red",
    "purple",
    "yellow green",
    "orange yellow",
    "blue",
    "green",
    "red",
    "yellow",
    "magenta",
    "cyan",
    "white 9.5 (.05 D)",
    "neutral 8 (.23 D)",
    "neutral 6.5 (.44 D)",
    "neutral 5 (.70 D)",
    "neutral 3.5 (1.05 D)",
    "black 2 (1.5 D)",
)
# Illuminants: daylights, tungsten (A), three fluorescents (FL2 cool white, FL4 warm white, FL11
# narrow triband), a phosphor LED, and two mixtures of equal luminance (window daylight with
# tungsten; triband fluorescent with tungsten).
ILLUMINANTS: tuple[str, ...] = (
    "D65",
    "D50",
    "D75",
    "A",
    "FL2",
    "FL4",
    "FL11",
    "LED-B3",
    "D65+A",
    "FL11+A",
)
CAMERAS: tuple[str, ...] = ("Nikon 5100 (NPL)", "Sigma SDMerill (NPL)")
CAMERA_SHORT = {"Nikon 5100 (NPL)": "nikon", "Sigma SDMerill (NPL)": "sigma"}
JPEG_QUALITY = 85

# Linear sRGB (D65) from XYZ (IEC 61966-2-1).
_XYZ_TO_SRGB = np.array(
    [
        [3.2404542, -1.5371385, -0.4985314],
        [-0.9692660, 1.8760108, 0.0415560],
        [0.0556434, -0.2040259, 1.0572252],
    ]
)


def _resample(sd: object, *, zero_outside: bool) -> np.ndarray:
    wl = np.asarray(sd.wavelengths, dtype=float)  # type: ignore[attr-defined]
    values = np.asarray(sd.values, dtype=float)  # type: ignore[attr-defined]
    if values.ndim == 1:
        left, right = (0.0, 0.0) if zero_outside else (values[0], values[-1])
        return np.interp(WAVELENGTHS, wl, values, left=left, right=right)
    columns = []
    for c in range(values.shape[1]):
        left, right = (0.0, 0.0) if zero_outside else (values[0, c], values[-1, c])
        columns.append(np.interp(WAVELENGTHS, wl, values[:, c], left=left, right=right))
    return np.stack(columns, axis=1)


@cache
def cmfs() -> np.ndarray:
    """The CIE 1931 2° colour matching functions on WAVELENGTHS, shape (n, 3)."""
    return _resample(colour.MSDS_CMFS["CIE 1931 2 Degree Standard Observer"], zero_outside=True)


@cache
def _single_illuminant(name: str) -> np.ndarray:
    e = _resample(colour.SDS_ILLUMINANTS[name], zero_outside=False)
    return e / float(e @ cmfs()[:, 1])  # luminance 1


@cache
def illuminant(name: str) -> np.ndarray:
    """A relative spectral power distribution of luminance 1; 'X+Y' is the sum of two (equal luminance)."""
    parts = name.split("+")
    e = sum(_single_illuminant(p) for p in parts)
    return np.asarray(e) / float(np.asarray(e) @ cmfs()[:, 1])


@cache
def camera(name: str) -> np.ndarray:
    s = _resample(colour.MSDS_CAMERA_SENSITIVITIES[name], zero_outside=True)
    return s / s.max()


@cache
def patch_reflectances() -> np.ndarray:
    """The card's 24 reflectances, shape (24, n), in the chart's reading order."""
    sds = colour.SDS_COLOURCHECKERS["ColorChecker N Ohta"]
    return np.stack([_resample(sds[n], zero_outside=False) for n in PATCH_NAMES])


def xyz_d65(reflectance: np.ndarray) -> np.ndarray:
    """XYZ (Y of the perfect white = 1) of reflectances (..., n) under D65, 1931 2° observer."""
    return np.asarray(reflectance) * illuminant("D65") @ cmfs()


def lab_d65(reflectance: np.ndarray) -> np.ndarray:
    white = illuminant("D65") @ cmfs()
    return xyz_to_lab(xyz_d65(reflectance), white)


def xyz_to_lab(xyz: np.ndarray, white: np.ndarray) -> np.ndarray:
    t = np.asarray(xyz) / white
    d = 6.0 / 29.0
    f = np.where(t > d**3, np.cbrt(t), t / (3 * d * d) + 4.0 / 29.0)
    return np.stack(
        [116 * f[..., 1] - 16, 500 * (f[..., 0] - f[..., 1]), 200 * (f[..., 1] - f[..., 2])], axis=-1
    )


def ita_deg(lab: np.ndarray) -> np.ndarray:
    lab = np.asarray(lab)
    return np.degrees(np.arctan2(lab[..., 0] - 50.0, lab[..., 2]))


def srgb_encode(linear: np.ndarray) -> np.ndarray:
    x = np.clip(linear, 0.0, 1.0)
    return np.where(x <= 0.0031308, 12.92 * x, 1.055 * np.power(x, 1 / 2.4) - 0.055)


def srgb_decode(encoded: np.ndarray) -> np.ndarray:
    v = np.asarray(encoded, dtype=float)
    return np.where(v <= 0.04045, v / 12.92, np.power((v + 0.055) / 1.055, 2.4))


# --- skin -----------------------------------------------------------------------------------


def melanin_shape() -> np.ndarray:
    """μ_mel(λ) ∝ λ^-3.33 (Jacques 1998), 1 at 500 nm."""
    return np.power(WAVELENGTHS / 500.0, -3.33)


# Oxyhaemoglobin molar extinction (cm^-1/M), approximate values after S. Prahl's tabulation
# (omlc.org/spectra/hemoglobin): the Soret band near 415 nm, the Q bands at 542 and 577 nm and
# little absorption beyond 600 nm, which is what matters here. Used only by the "blood" skins.
_HBO2 = (
    (380, 100000), (400, 266000), (414, 524000), (420, 480000), (430, 215000), (440, 103000),
    (450, 62800), (460, 44500), (470, 33200), (480, 26600), (490, 23700), (500, 20900), (510, 20000),
    (520, 24200), (530, 40000), (542, 53400), (550, 43000), (560, 32600), (570, 44500), (577, 55500),
    (585, 37000), (590, 14400), (600, 3200), (610, 1500), (620, 940), (640, 440), (660, 320),
    (700, 290), (750, 520), (780, 700),
)  # fmt: skip


def blood_shape() -> np.ndarray:
    """Oxyhaemoglobin absorption, 1 at 542 nm."""
    wl, eps = np.array(_HBO2, dtype=float).T
    return np.interp(WAVELENGTHS, wl, eps) / 53400.0


def skin_reflectance(t: float, s: float, k: float, hb: float = 0.0) -> np.ndarray:
    """Mix the dark and light skin patches (share t dark), scale their absorbance by s, add melanin k
    and, for the "blood" skins, oxyhaemoglobin hb (absorbance at 542 nm)."""
    refl = patch_reflectances()
    mix = t * refl[0] + (1 - t) * refl[1]
    return np.exp(-(s * -np.log(mix) + k * melanin_shape() + hb * blood_shape()))


@dataclass(frozen=True)
class Skin:
    t: float
    s: float
    k: float
    hb: float
    reflectance: np.ndarray
    lab: np.ndarray
    ita: float


@cache
def skin_bank(seed: int = 7, size: int = 3000, blood: bool = False) -> tuple[Skin, ...]:
    """Candidate skins drawn at random; pick from it by target ITA with `skin_for_ita`.

    With blood, every skin also gets 0.1-0.7 of oxyhaemoglobin absorbance (redness the card's
    two skin patches do not span)."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(size):
        t = float(rng.uniform(0.0, 1.0))
        s = float(rng.uniform(0.35 if blood else 0.45, 1.1))
        k = float(rng.choice([0.0, rng.uniform(0.0, 1.6)]))
        hb = float(rng.uniform(0.1, 0.7)) if blood else 0.0
        r = skin_reflectance(t, s, k, hb)
        lab = lab_d65(r)
        out.append(Skin(t, s, k, hb, r, lab, float(ita_deg(lab))))
    return tuple(out)


def skin_for_ita(target: float, rng: np.random.Generator, blood: bool = False) -> Skin:
    """A skin of the bank near the target ITA (a random one of the five nearest)."""
    bank = skin_bank(blood=blood)
    itas = np.array([sk.ita for sk in bank])
    nearest = np.argsort(np.abs(itas - target))[:5]
    return bank[int(rng.choice(nearest))]


# --- camera ---------------------------------------------------------------------------------


def raw_of(reflectance: np.ndarray, light: str, cam: str) -> np.ndarray:
    """Camera raw (..., 3) of reflectances (..., n) under an illuminant."""
    return np.asarray(reflectance) * illuminant(light) @ camera(cam)


@cache
def camera_matrix(cam: str) -> np.ndarray:
    """The camera's fixed matrix: white-balanced raw -> linear sRGB, fitted on the card under D65."""
    raw = raw_of(patch_reflectances(), "D65", cam)
    raw = raw / raw[18]  # white balanced on the white patch
    target = xyz_d65(patch_reflectances()) @ _XYZ_TO_SRGB.T
    m, *_ = np.linalg.lstsq(raw, target, rcond=None)
    return np.asarray(m.T)


# --- geometry -------------------------------------------------------------------------------


def _cv_matrix(h: np.ndarray) -> np.ndarray:
    """OpenCV's index-based matrix for a homography in continuous (pixel-edge) coordinates."""
    to_centre = np.array([[1, 0, 0.5], [0, 1, 0.5], [0, 0, 1]], dtype=float)
    back = np.array([[1, 0, -0.5], [0, 1, -0.5], [0, 0, 1]], dtype=float)
    return back @ h @ to_centre


def apply_h(h: np.ndarray, pts: np.ndarray) -> np.ndarray:
    p = np.c_[np.asarray(pts, dtype=float), np.ones(len(pts))] @ np.asarray(h).T
    return p[:, :2] / p[:, 2:3]


def _random_pose(
    rng: np.random.Generator, centre: tuple[float, float], scale: float, jitter: float
) -> np.ndarray:
    """Card units -> pixels: the card's centre near `centre`, turned up to 8°, scaled, slightly tilted."""
    angle = math.radians(rng.uniform(-8, 8) * jitter)
    sc = scale * rng.uniform(0.95, 1.05) ** jitter
    c, s = math.cos(angle) * sc, math.sin(angle) * sc
    tilt = rng.uniform(-1, 1, 2) * 0.06 * jitter / CARD_W
    to_centre = np.array([[1, 0, -CARD_W / 2], [0, 1, -CARD_H / 2], [0, 0, 1]])
    h = np.array([[c, -s, 0], [s, c, 0], [tilt[0], tilt[1], 1]]) @ to_centre
    out = apply_h(h, np.array([[CARD_W / 2, CARD_H / 2]]))[0]
    dx, dy = rng.uniform(-1, 1, 2) * 0.01 * scale * CARD_W * jitter
    move = np.array([[1, 0, centre[0] - out[0] + dx], [0, 1, centre[1] - out[1] + dy], [0, 0, 1]])
    hm = move @ h
    return np.asarray(hm / hm[2, 2])


# --- the card -------------------------------------------------------------------------------

CARD_PATCH = 40.0  # canonical units: a patch side
CARD_GAP = 8.0  # black between patches and around them
CARD_W = 6 * CARD_PATCH + 7 * CARD_GAP
CARD_H = 4 * CARD_PATCH + 5 * CARD_GAP
BLACK_SURROUND = 0.03  # the card's black surround, spectrally flat


def card_canvas(unit_px: float) -> tuple[np.ndarray, np.ndarray]:
    """The card in its own frame at unit_px pixels per unit: patch indices (-1 = surround) and size."""
    w, h = round(CARD_W * unit_px), round(CARD_H * unit_px)
    xs = (np.arange(w) + 0.5) / unit_px
    ys = (np.arange(h) + 0.5) / unit_px
    col = np.floor((xs - CARD_GAP) / (CARD_PATCH + CARD_GAP)).astype(int)
    row = np.floor((ys - CARD_GAP) / (CARD_PATCH + CARD_GAP)).astype(int)
    in_x = ((xs - CARD_GAP) % (CARD_PATCH + CARD_GAP) < CARD_PATCH) & (col >= 0) & (col < 6)
    in_y = ((ys - CARD_GAP) % (CARD_PATCH + CARD_GAP) < CARD_PATCH) & (row >= 0) & (row < 4)
    index = np.where(in_y[:, None] & in_x[None, :], row[:, None] * 6 + col[None, :], -1)
    return index, np.array([w, h])


def patch_centres_card() -> np.ndarray:
    """The 24 patch centres in card units, reading order."""
    out = []
    for r in range(4):
        for c in range(6):
            out.append(
                (
                    CARD_GAP + c * (CARD_PATCH + CARD_GAP) + CARD_PATCH / 2,
                    CARD_GAP + r * (CARD_PATCH + CARD_GAP) + CARD_PATCH / 2,
                )
            )
    return np.array(out)


# --- a photo with card and skin -------------------------------------------------------------


@dataclass(frozen=True)
class SkinRegion:
    name: str
    box: tuple[int, int, int, int]  # x, y, w, h to measure (inside the drawn rectangle)
    lab: tuple[float, float, float]  # truth, D65 / 2°
    ita: float


@dataclass(frozen=True)
class Photo:
    rgb: np.ndarray  # H x W x 3 uint8, as decoded from the JPEG
    jpeg: bytes
    light: str
    camera: str
    card_h: np.ndarray  # card units -> image pixels
    card_corners: np.ndarray  # 4 x 2, clockwise from the dark-skin corner
    patch_centres: np.ndarray  # 24 x 2 in pixels
    regions: tuple[SkinRegion, ...]


@dataclass(frozen=True)
class Capture:
    """Camera settings of one shot."""

    noise: bool = True
    blur_px: float = 0.9
    full_well: float = 6000.0  # electrons at raw 1.0 (exposure of the brightest part)
    read_noise: float = 4.0
    jpeg_quality: int | None = JPEG_QUALITY
    white_balance: str = "grey-world"  # or "known-light"


def _texture(rng: np.random.Generator, h: int, w: int, amount: float) -> np.ndarray:
    """Skin-like luminance texture of mean 1: smooth mottling, fine grain and a few pores."""
    if amount <= 0:
        return np.ones((h, w), dtype=np.float32)
    coarse = cv2.resize(
        rng.normal(0, 1, (max(2, h // 16), max(2, w // 16))).astype(np.float32),
        (w, h),
        interpolation=cv2.INTER_CUBIC,
    )
    fine = cv2.GaussianBlur(rng.normal(0, 1, (h, w)).astype(np.float32), (0, 0), 1.2)
    tex = 1 + amount * (0.5 * coarse + 0.8 * fine / max(float(fine.std()), 1e-6))
    pores = rng.random((h, w)) < 0.004
    tex[cv2.dilate(pores.astype(np.uint8), np.ones((2, 2), np.uint8)) > 0] *= 1 - 3 * amount
    tex = np.clip(tex, 0.5, 1.5)
    return (tex / tex.mean()).astype(np.float32)


def _region_layout(width: int, height: int, n: int, rng: np.random.Generator, jitter: float) -> list:
    """Skin rectangles on the right part of the frame, in a grid, with small jitter."""
    cols, rows = 2, math.ceil(n / 2)
    x0, x1 = 0.56 * width, 0.97 * width
    y0, y1 = 0.05 * height, 0.95 * height
    cw, ch = (x1 - x0) / cols, (y1 - y0) / rows
    boxes = []
    for i in range(n):
        r, c = divmod(i, cols)
        w, h = 0.8 * cw, 0.78 * ch
        x = x0 + c * cw + (cw - w) / 2 + rng.uniform(-1, 1) * 0.05 * cw * jitter
        y = y0 + r * ch + (ch - h) / 2 + rng.uniform(-1, 1) * 0.05 * ch * jitter
        boxes.append((round(x), round(y), round(w), round(h)))
    return boxes


@dataclass(frozen=True)
class Scene:
    """What is in front of the camera: skins (by bank index order) and where things are."""

    skins: tuple[Skin, ...]
    width: int = 960
    height: int = 720
    background: float = 0.22  # neutral reflectance


def make_scene(
    seed: int, n_regions: int = 8, width: int = 960, height: int = 720, *, blood: bool = False
) -> Scene:
    """Skins spread over ITA -40..+65: one target per slot, shuffled."""
    rng = np.random.default_rng(seed)
    targets = np.linspace(-40, 65, n_regions) + rng.uniform(-6, 6, n_regions)
    rng.shuffle(targets)
    return Scene(tuple(skin_for_ita(float(t), rng, blood) for t in targets), width, height)


def render(
    scene: Scene, light: str, cam: str, seed: int, capture: Capture | None = None, jitter: float = 1.0
) -> Photo:
    """One photo of the scene under a light with a camera; seed drives pose, texture and noise."""
    capture = capture or Capture()
    rng = np.random.default_rng(seed)
    w, h = scene.width, scene.height
    # Raw colours of everything in the scene.
    bg_raw = raw_of(np.full(len(WAVELENGTHS), scene.background), light, cam)
    patch_raw = raw_of(patch_reflectances(), light, cam)
    black_raw = raw_of(np.full(len(WAVELENGTHS), BLACK_SURROUND), light, cam)
    img = np.empty((h, w, 3), dtype=np.float32)
    img[:] = bg_raw
    # The card: about 48 % of the frame's width, on the left.
    unit_px = 0.46 * w / CARD_W
    card_h = _random_pose(rng, (0.28 * w, 0.5 * h), unit_px, jitter)  # card units -> pixels
    index, _ = card_canvas(unit_px)  # drawn at about the photo's scale, then warped
    colours = np.vstack([patch_raw, black_raw]).astype(np.float32)  # index -1 -> black
    card_img = colours[index]
    m = _cv_matrix(card_h @ np.diag([1 / unit_px, 1 / unit_px, 1.0]))  # canvas px -> pixels
    warped = cv2.warpPerspective(card_img, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
    mask = cv2.warpPerspective(
        np.ones(index.shape, np.float32), m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT
    )
    img = img * (1 - mask[..., None]) + warped
    # Skin rectangles; the measured box is 8 % inside each drawn rectangle.
    regions = []
    for i, (skin, (x, y, bw, bh)) in enumerate(
        zip(scene.skins, _region_layout(w, h, len(scene.skins), rng, jitter), strict=True)
    ):
        raw = raw_of(skin.reflectance, light, cam).astype(np.float32)
        img[y : y + bh, x : x + bw] = raw * _texture(rng, bh, bw, 0.05)[..., None]
        mx, my = max(3, round(0.08 * bw)), max(3, round(0.08 * bh))
        lab = tuple(float(v) for v in skin.lab)
        regions.append(SkinRegion(f"skin{i}", (x + mx, y + my, bw - 2 * mx, bh - 2 * my), lab, skin.ita))  # type: ignore[arg-type]
    rgb = _develop(img, cam, capture, rng, raw_of(np.ones(len(WAVELENGTHS)), light, cam))
    jpeg, decoded = _encode(rgb, capture.jpeg_quality)
    corners = apply_h(card_h, np.array([[0, 0], [CARD_W, 0], [CARD_W, CARD_H], [0, CARD_H]]))
    return Photo(
        decoded, jpeg, light, cam, card_h, corners, apply_h(card_h, patch_centres_card()), tuple(regions)
    )


def _develop(
    raw: np.ndarray, cam: str, capture: Capture, rng: np.random.Generator, white_raw: np.ndarray
) -> np.ndarray:
    """Camera processing: blur, noise, white balance, colour matrix, exposure, sRGB curve, 8 bits."""
    if capture.blur_px > 0:
        raw = cv2.GaussianBlur(raw, (0, 0), capture.blur_px)
    # Exposure in raw: the brightest part near full scale, so noise is that of a real exposure.
    top = float(np.percentile(raw[::4, ::4].max(axis=2), 99.9))
    raw = raw * (0.9 * rng.uniform(0.85, 1.0) / top)
    if capture.noise:  # shot noise (Gaussian approximation of Poisson) and read noise, in electrons
        electrons = np.clip(raw, 0, None) * capture.full_well
        sigma = np.sqrt(electrons + capture.read_noise**2)
        raw = (electrons + sigma * rng.standard_normal(raw.shape, dtype=np.float32)) / capture.full_well
    # Grey world (what a camera does), or the light's own white (as if the camera knew the light).
    gains = raw.reshape(-1, 3).mean(axis=0) if capture.white_balance == "grey-world" else white_raw
    raw = raw * (gains[1] / gains)
    lin = raw @ camera_matrix(cam).T.astype(np.float32)
    top = float(np.percentile(lin[::4, ::4].max(axis=2), 99.9))
    lin = lin * (0.85 * rng.uniform(0.8, 1.0) / max(top, 1e-6))
    return _SRGB_LUT[np.round(np.clip(lin, 0.0, 1.0) * 65535).astype(np.uint16)]


_SRGB_LUT = np.round(srgb_encode(np.linspace(0.0, 1.0, 65536)) * 255).astype(np.uint8)


def _encode(rgb: np.ndarray, quality: int | None) -> tuple[bytes, np.ndarray]:
    buf = io.BytesIO()
    if quality is None:
        Image.fromarray(rgb).save(buf, format="PNG")
        return buf.getvalue(), rgb
    Image.fromarray(rgb).save(buf, format="JPEG", quality=quality)
    data = buf.getvalue()
    return data, np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))


# --- alignment pairs ------------------------------------------------------------------------


@dataclass(frozen=True)
class Pair:
    before: np.ndarray
    after: np.ndarray
    h: np.ndarray  # AFTER pixel -> BEFORE pixel (continuous), H[2][2] = 1


def _face_canvas(rng: np.random.Generator, w: int, h: int) -> np.ndarray:
    """A face-like textured scene (float RGB 0..1)."""
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    bg = np.stack([0.35 + 0.15 * xx / w, 0.38 + 0.1 * yy / h, 0.42 + 0.0 * xx], axis=-1)
    for _ in range(40):  # structured background: rectangles and discs
        c = rng.uniform(0.1, 0.8, 3)
        x0, y0 = int(rng.integers(0, w)), int(rng.integers(0, h))
        if rng.random() < 0.5:
            cv2.rectangle(
                bg, (x0, y0), (x0 + int(rng.integers(10, 90)), y0 + int(rng.integers(10, 90))), c.tolist(), -1
            )
        else:
            cv2.circle(bg, (x0, y0), int(rng.integers(5, 40)), c.tolist(), -1)
    skin = np.array([0.78, 0.58, 0.47], np.float32)
    face = ((xx - w / 2) / (0.22 * w)) ** 2 + ((yy - h / 2) / (0.36 * h)) ** 2 < 1
    img = np.where(face[..., None], skin, bg)
    cx, cy, s = w / 2, h / 2, 0.22 * w
    for side in (-1, 1):  # eyes and brows
        cv2.ellipse(
            img,
            (int(cx + side * 0.42 * s), int(cy - 0.35 * s)),
            (int(0.2 * s), int(0.09 * s)),
            0,
            0,
            360,
            (0.95, 0.95, 0.92),
            -1,
        )
        cv2.circle(img, (int(cx + side * 0.42 * s), int(cy - 0.35 * s)), int(0.07 * s), (0.25, 0.15, 0.1), -1)
        cv2.ellipse(
            img,
            (int(cx + side * 0.42 * s), int(cy - 0.6 * s)),
            (int(0.25 * s), int(0.05 * s)),
            side * 8,
            0,
            360,
            (0.3, 0.2, 0.15),
            -1,
        )
    cv2.ellipse(
        img, (int(cx), int(cy + 0.75 * s)), (int(0.35 * s), int(0.08 * s)), 0, 0, 360, (0.65, 0.3, 0.3), -1
    )
    cv2.line(
        img, (int(cx), int(cy - 0.2 * s)), (int(cx - 0.08 * s), int(cy + 0.35 * s)), (0.6, 0.42, 0.35), 3
    )
    n = int(0.0006 * w * h)  # freckles and moles
    for x, y, r in zip(rng.integers(0, w, n), rng.integers(0, h, n), rng.integers(1, 4, n), strict=True):
        if face[y, x]:
            cv2.circle(img, (int(x), int(y)), int(r), (0.55, 0.38, 0.3), -1)
    grain = cv2.GaussianBlur(rng.normal(0, 1, (h, w)).astype(np.float32), (0, 0), 1.5)
    mottle = cv2.resize(
        rng.normal(0, 1, (h // 24, w // 24)).astype(np.float32), (w, h), interpolation=cv2.INTER_CUBIC
    )
    return np.clip(img * (1 + 0.06 * grain + 0.05 * mottle)[..., None], 0, 1)


def _random_h(rng: np.random.Generator, w: int, h: int) -> np.ndarray:
    """AFTER -> BEFORE: rotation up to 6°, scale 0.92..1.08, shift up to 5 %, a slight tilt."""
    a = math.radians(rng.uniform(-6, 6))
    sc = rng.uniform(0.92, 1.08)
    c, s = math.cos(a) * sc, math.sin(a) * sc
    to0 = np.array([[1, 0, -w / 2], [0, 1, -h / 2], [0, 0, 1]])
    core = np.array([[c, -s, 0], [s, c, 0], [rng.uniform(-1, 1) * 6e-5, rng.uniform(-1, 1) * 6e-5, 1]])
    back = np.array(
        [
            [1, 0, w / 2 + rng.uniform(-0.05, 0.05) * w],
            [0, 1, h / 2 + rng.uniform(-0.05, 0.05) * h],
            [0, 0, 1],
        ]
    )
    hm = back @ core @ to0
    return hm / hm[2, 2]


def make_pair(seed: int, width: int = 1024, height: int = 768) -> Pair:
    rng = np.random.default_rng(seed)
    margin = 0.25
    cw, ch = int(width * (1 + 2 * margin)), int(height * (1 + 2 * margin))
    canvas = _face_canvas(rng, cw, ch)
    ox, oy = margin * width, margin * height
    offset = np.array([[1, 0, ox], [0, 1, oy], [0, 0, 1]])
    true_h = _random_h(rng, width, height)
    views = []
    for to_canvas in (offset, offset @ true_h):
        lin = cv2.warpPerspective(
            canvas, _cv_matrix(to_canvas), (width, height), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP
        )
        lin = lin * rng.uniform(0.85, 1.1) * rng.uniform(0.95, 1.05, 3).astype(np.float32)
        lin = lin + rng.normal(0, 0.01, lin.shape).astype(np.float32)
        rgb = np.round(np.clip(lin, 0, 1) * 255).astype(np.uint8)
        views.append(_encode(rgb, JPEG_QUALITY)[1])
    return Pair(views[0], views[1], true_h)


def corner_error(h_est: np.ndarray, h_true: np.ndarray, width: int, height: int) -> float:
    """Mean distance (BEFORE pixels) between AFTER's four corners mapped by the two homographies."""
    corners = np.array([[0, 0], [width, 0], [width, height], [0, height]], dtype=float)
    return float(np.linalg.norm(apply_h(h_est, corners) - apply_h(h_true, corners), axis=1).mean())
