"""Aligning AFTER onto BEFORE: a known homography is recovered; unrelated photos are not aligned."""

import cv2
import numpy as np
from photo_scenes import paint

from needlepoint.photo.align import align


def mapped(h: np.ndarray, points: np.ndarray) -> np.ndarray:
    out = np.hstack([points, np.ones((len(points), 1))]) @ h.T
    return np.asarray(out[:, :2] / out[:, 2:3])


def face_like(seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    grey = cv2.equalizeHist(cv2.GaussianBlur((rng.random((1200, 1600)) * 255).astype(np.uint8), (0, 0), 2.0))
    img = np.dstack([grey, grey // 2 + 50, 255 - grey])
    paint(img, (600, 400, 300, 300), (190, 132, 100), noise=12)
    return img


def test_a_known_homography_is_recovered_within_two_pixels() -> None:
    before = face_like(1)
    truth = np.array([[1.03, 0.04, -35.0], [-0.03, 0.98, 22.0], [2e-5, -1e-5, 1.0]])  # AFTER -> BEFORE
    after = cv2.warpPerspective(before, np.linalg.inv(truth), (1600, 1200), flags=cv2.INTER_LINEAR)
    result = align(before, after)
    assert result.found and result.homography is not None
    h = np.array(result.homography)
    corners = np.array([[0, 0], [1600, 0], [1600, 1200], [0, 1200]], dtype=np.float64)
    assert np.abs(mapped(h, corners) - mapped(truth, corners)).max() < 2.0
    assert h[2][2] == 1.0 and result.inliers >= 12
    assert result.reprojection_px is not None and result.reprojection_px < 1.5
    assert result.as_dict()["schema"] == "needlepoint.photo-align/1"


def test_unrelated_photos_are_not_aligned() -> None:
    result = align(face_like(1), face_like(2))
    assert (result.found, result.homography, result.reprojection_px) == (False, None, None)
    assert result.as_dict()["homography"] is None


def test_a_flat_photo_is_not_aligned() -> None:
    flat = np.full((900, 1200, 3), 128, np.uint8)
    assert align(flat, face_like(1)).found is False


def test_a_tiny_photo_is_not_aligned() -> None:
    assert align(np.zeros((1, 1, 3), np.uint8), face_like(1)).as_dict()["found"] is False
    assert align(face_like(1), np.zeros((3, 5000, 3), np.uint8)).found is False


def test_an_after_photo_of_another_size_is_aligned_in_its_own_pixels() -> None:
    before = face_like(3)
    truth = np.array([[2.0, 0.0, 10.0], [0.0, 2.0, -6.0], [0.0, 0.0, 1.0]])  # AFTER is half the size
    after = cv2.warpPerspective(before, np.linalg.inv(truth), (800, 600), flags=cv2.INTER_AREA)
    result = align(before, after)
    assert result.found and result.homography is not None
    corners = np.array([[0, 0], [800, 0], [800, 600], [0, 600]], dtype=np.float64)
    assert np.abs(mapped(np.array(result.homography), corners) - mapped(truth, corners)).max() < 3.0
