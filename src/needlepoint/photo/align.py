"""Aligning a later photo onto an earlier one of the same view: a homography AFTER -> BEFORE.

ORB features (up to 4000) on grey copies reduced to at most 1200 pixels a side, Lowe's ratio
test (0.75) on the two nearest matches, a RANSAC homography (3 reduced pixels), then a
least-squares refit on the inliers, scaled back to full resolution. The match is trusted
(`found`) only with at least MIN_INLIERS inliers making at least MIN_INLIER_SHARE of the
ratio-test matches, and a sound homography: the AFTER image's corners map to a convex
quadrilateral whose area is between a fifth and five times BEFORE's.
"""

from dataclasses import dataclass

import cv2
import numpy as np

WORK_SIDE = 1200
MIN_INLIERS = 12
MIN_INLIER_SHARE = 0.15
RATIO = 0.75
RANSAC_PX = 3.0
MIN_SIDE = 32  # reduced pixels: smaller photos have no features worth matching


@dataclass(frozen=True)
class Alignment:
    """`homography` maps AFTER's pixels (x, y, 1) to BEFORE's; None when not found."""

    found: bool
    homography: list[list[float]] | None
    inliers: int
    reprojection_px: float | None

    def as_dict(self) -> dict[str, object]:
        return {
            "schema": "needlepoint.photo-align/1",
            "found": self.found,
            "homography": self.homography,
            "inliers": self.inliers,
            "reprojection_px": self.reprojection_px,
        }


def _grey(rgb: np.ndarray) -> tuple[np.ndarray, float]:
    h, w = rgb.shape[:2]
    factor = min(1.0, WORK_SIDE / max(h, w))
    grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    if factor < 1.0:
        grey = cv2.resize(
            grey, (max(1, round(w * factor)), max(1, round(h * factor))), interpolation=cv2.INTER_AREA
        )
    return grey, w / grey.shape[1]


def _features(grey: np.ndarray) -> tuple[list[cv2.KeyPoint], np.ndarray | None]:
    orb = cv2.ORB.create(nfeatures=4000, fastThreshold=10)
    keypoints, descriptors = orb.detectAndCompute(grey, None)
    return list(keypoints), descriptors


def _continuous(keypoints: list[cv2.KeyPoint], scale: float) -> np.ndarray:
    """Keypoints (pixel-centre coordinates of the reduced image) in the full image's continuous pixels."""
    return (np.array([k.pt for k in keypoints], dtype=np.float64).reshape(-1, 2) + 0.5) * scale


def _sound(h: np.ndarray, after_shape: tuple[int, ...], before_shape: tuple[int, ...]) -> bool:
    ah, aw = after_shape[:2]
    bh, bw = before_shape[:2]
    corners = np.array([[0, 0], [aw, 0], [aw, ah], [0, ah]], dtype=np.float64)
    mapped = np.hstack([corners, np.ones((4, 1))]) @ h.T
    if np.any(mapped[:, 2] <= 0):
        return False
    quad = mapped[:, :2] / mapped[:, 2:3]
    edges = np.roll(quad, -1, axis=0) - quad
    turns = edges[:, 0] * np.roll(edges, -1, axis=0)[:, 1] - edges[:, 1] * np.roll(edges, -1, axis=0)[:, 0]
    if not (np.all(turns > 0) or np.all(turns < 0)):
        return False
    area = abs(float(cv2.contourArea(quad.astype(np.float32))))
    return 0.2 * bw * bh <= area <= 5.0 * bw * bh


def _not_found(inliers: int = 0) -> Alignment:
    return Alignment(False, None, inliers, None)


def align(before_rgb: np.ndarray, after_rgb: np.ndarray) -> Alignment:
    """Find the homography taking AFTER onto BEFORE (see the module's rule for `found`)."""
    before, before_scale = _grey(before_rgb)
    after, after_scale = _grey(after_rgb)
    if min(*before.shape, *after.shape) < MIN_SIDE:
        return _not_found()
    kb, db = _features(before)
    ka, da = _features(after)
    if db is None or da is None or len(kb) < 2 or len(ka) < 2:
        return _not_found()
    pairs = cv2.BFMatcher(cv2.NORM_HAMMING).knnMatch(da, db, k=2)
    good = [p[0] for p in pairs if len(p) == 2 and p[0].distance < RATIO * p[1].distance]
    if len(good) < MIN_INLIERS:
        return _not_found()
    src = _continuous([ka[m.queryIdx] for m in good], after_scale)
    dst = _continuous([kb[m.trainIdx] for m in good], before_scale)
    h, mask = cv2.findHomography(
        src, dst, cv2.RANSAC, RANSAC_PX * before_scale, maxIters=5000, confidence=0.999
    )
    if h is None or mask is None:
        return _not_found()
    inlier = mask.ravel().astype(bool)
    count = int(inlier.sum())
    if count >= 8:
        refit, _ = cv2.findHomography(src[inlier], dst[inlier], 0)
        if refit is not None:
            h = refit
    if abs(h[2, 2]) < 1e-12:
        return _not_found(count)
    h = h / h[2, 2]
    mapped = np.hstack([src[inlier], np.ones((count, 1))]) @ h.T
    errors = np.linalg.norm(mapped[:, :2] / mapped[:, 2:3] - dst[inlier], axis=1)
    if (
        count < MIN_INLIERS
        or count < MIN_INLIER_SHARE * len(good)
        or not _sound(h, after_rgb.shape, before_rgb.shape)
    ):
        return _not_found(count)
    return Alignment(True, [[float(v) for v in row] for row in h], count, round(float(np.median(errors)), 3))
