"""Finding a 24-patch ColorChecker Classic in a photo.

1. On a copy reduced to at most 1024 pixels a side, the patches show as bright, nearly square
   islands in the card's dark frame: an adaptive threshold at three block sizes, contours,
   and a filter for convex four-sided shapes.
2. From each candidate, a grid is grown: neighbours of similar size one pitch away along the
   square's own axes, then a homography from grid cells to the image as the grid grows. The
   largest grids (at least MIN_PATCHES cells, at most 6 x 4) go on to the next step, so a
   tiled wall or a window does not hide the card.
3. The chart's orientation and place on that grid (four rotations, every offset that fits) is
   read from the patch colours: the placement whose 24 colours a 3x3 matrix maps best onto the
   reference wins (over all the grids), so a card upside down is read correctly.
4. At full resolution every patch centre is re-measured (the centroid of the uniform area
   around it), the homography refitted, and each patch's mean linear RGB taken over its central
   area (a trimmed mean: the brightest and darkest 10 % of each channel left out).

Chart coordinates: patch (row r, column c) has its centre at (c, r), in pitches. The card's
outer corners: on each side, the card's edge is where the brightness, sampled outwards from the
outer patches (0.45 to 1.3 pitches from their centres) and taken as the median along the side,
first rises half-way from the dark frame to a background at least 25 levels brighter; when no
such edge is seen (a dark background), the edge is put CARD_MARGIN pitches from the centres.
"""

from dataclasses import dataclass
from itertools import product

import cv2
import numpy as np

from needlepoint.photo.colorimetry import (
    XYZ_TO_SRGB,
    FloatArray,
    channel_max,
    linear_to_srgb,
    srgb_to_linear,
    xyz_to_lab,
)
from needlepoint.photo.correction import REFERENCE_LAB_D65, REFERENCE_XYZ_D65

WORK_SIDE = 1024
MIN_PATCHES = 10
GRIDS = 4  # grids tried, largest first: the one whose colours best match the chart wins
COLUMNS, ROWS = 6, 4
CARD_MARGIN = 0.6  # pitches from an outer patch centre to the card's edge, when the edge is not seen

CHART_CENTRES = np.array([(c, r) for r in range(ROWS) for c in range(COLUMNS)], dtype=np.float64)


@dataclass(frozen=True)
class Card:
    """A found card: outer corners (4x2, clockwise from the dark-skin corner), the 24 patch
    centres (reading order) and their mean linear RGB 0..1, in the image's continuous pixels."""

    corners: FloatArray
    patches: FloatArray
    patch_rgb: FloatArray
    homography: FloatArray  # chart coordinates -> image
    seen: int  # patches found as squares in the reduced image


@dataclass(frozen=True)
class _Square:
    centre: FloatArray
    axes: FloatArray  # 2x2, columns = the two side vectors (right-handed in image coordinates)
    size: float


def reduce(rgb: np.ndarray) -> tuple[np.ndarray, float]:
    """A copy at most WORK_SIDE pixels a side (area averaging) and the full/reduced scale."""
    h, w = rgb.shape[:2]
    factor = min(1.0, WORK_SIDE / max(h, w))
    if factor >= 1.0:
        return rgb, 1.0
    size = (max(1, round(w * factor)), max(1, round(h * factor)))
    small = cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)
    return small, w / size[0]


def _square(contour: np.ndarray, min_area: float, max_area: float) -> _Square | None:
    area = cv2.contourArea(contour)
    if not min_area <= area <= max_area:
        return None
    hull = cv2.convexHull(contour)
    hull_area = cv2.contourArea(hull)
    if hull_area <= 0 or area / hull_area < 0.88:
        return None
    quad = cv2.approxPolyDP(hull, 0.08 * cv2.arcLength(hull, True), True).reshape(-1, 2).astype(np.float64)
    if len(quad) != 4:
        return None
    e1 = (quad[1] - quad[0] + quad[2] - quad[3]) / 2
    e2 = (quad[3] - quad[0] + quad[2] - quad[1]) / 2
    n1, n2 = np.linalg.norm(e1), np.linalg.norm(e2)
    if min(n1, n2) <= 0 or max(n1, n2) / min(n1, n2) > 2.2:
        return None
    if abs(float(np.dot(e1, e2))) / (n1 * n2) > 0.5:
        return None
    if e1[0] * e2[1] - e1[1] * e2[0] < 0:
        e2 = -e2
    moments = cv2.moments(contour)
    centre = np.array([moments["m10"] / moments["m00"], moments["m01"] / moments["m00"]]) + 0.5
    return _Square(centre, np.stack([e1, e2], axis=1), float(np.sqrt(area)))


def _squares(small: np.ndarray) -> list[_Square]:
    value = cv2.GaussianBlur(np.ascontiguousarray(channel_max(small)), (3, 3), 0)
    h, w = value.shape
    side = max(h, w)
    min_area, max_area = max(64.0, (0.15 * w / 9) ** 2), h * w / 30
    found: list[_Square] = []
    for divisor in (30, 14, 7):
        block = max(3, side // divisor) | 1
        binary = cv2.adaptiveThreshold(value, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY, block, 4)
        binary = cv2.morphologyEx(binary, cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))
        contours, _ = cv2.findContours(binary, cv2.RETR_LIST, cv2.CHAIN_APPROX_SIMPLE)
        for contour in contours:
            square = _square(contour, min_area, max_area)
            if square is not None and all(
                np.linalg.norm(square.centre - s.centre) > 0.3 * s.size for s in found
            ):
                found.append(square)
    return found


def _to_h(matrix: np.ndarray, points: np.ndarray) -> FloatArray:
    ones = np.ones((len(points), 1))
    mapped = np.hstack([points, ones]) @ matrix.T
    return np.asarray(mapped[:, :2] / mapped[:, 2:3], dtype=np.float64)


def _fit_model(cells: np.ndarray, centres: np.ndarray, start: FloatArray) -> FloatArray:
    """Grid cells -> image: a homography when the cells span both axes well, else an affine map."""
    if len(set(cells[:, 0].tolist())) >= 3 and len(set(cells[:, 1].tolist())) >= 2 and len(cells) >= 6:
        matrix, _ = cv2.findHomography(cells.astype(np.float64), centres.astype(np.float64), 0)
        if matrix is not None:
            return np.asarray(matrix, dtype=np.float64)
    if len(set(cells[:, 0].tolist())) >= 2 and len(set(cells[:, 1].tolist())) >= 2:
        design = np.hstack([cells, np.ones((len(cells), 1))])
        solution = np.linalg.lstsq(design, centres, rcond=None)[0]
        return np.vstack([solution.T, [0.0, 0.0, 1.0]])
    shift = np.mean(centres - _to_h(start, cells), axis=0)
    moved = start.copy()
    moved[:2, 2] += shift
    return moved


def _start(seed: _Square, squares: list[_Square]) -> FloatArray | None:
    """The initial grid model from a seed: its axes scaled by the pitch to its nearest aligned neighbour."""
    inverse = np.linalg.inv(seed.axes)
    best: float | None = None
    for other in squares:
        if other is seed or not 0.6 < other.size / seed.size < 1.6:
            continue
        g = inverse @ (other.centre - seed.centre)
        major, minor = np.max(np.abs(g)), np.min(np.abs(g))
        if 1.02 < major < 2.0 and minor < 0.25 * major and (best is None or major < best):
            best = float(major)
    if best is None:
        return None
    pitch = seed.axes * best
    return np.array(
        [[pitch[0, 0], pitch[0, 1], seed.centre[0]], [pitch[1, 0], pitch[1, 1], seed.centre[1]], [0, 0, 1]]
    )


def _fits_chart(cells: list[tuple[int, int]]) -> bool:
    spans = sorted(
        (
            max(c[0] for c in cells) - min(c[0] for c in cells) + 1,
            max(c[1] for c in cells) - min(c[1] for c in cells) + 1,
        )
    )
    return spans[0] <= ROWS and spans[1] <= COLUMNS


def _grow(seed: int, squares: list[_Square]) -> tuple[dict[tuple[int, int], int], FloatArray] | None:
    start = _start(squares[seed], squares)
    if start is None:
        return None
    assigned: dict[tuple[int, int], int] = {(0, 0): seed}
    model = start
    for _ in range(12):
        inverse = np.linalg.inv(model)
        added = False
        taken = set(assigned.values())
        for k, square in enumerate(squares):
            if k in taken or not 0.6 < square.size / squares[seed].size < 1.6:
                continue
            g = _to_h(inverse, square.centre[None, :])[0]
            cell = (round(g[0]), round(g[1]))
            if cell in assigned or np.max(np.abs(g - cell)) > 0.3:
                continue
            if not any(abs(cell[0] - a) <= 1 and abs(cell[1] - b) <= 1 for a, b in assigned):
                continue
            if not _fits_chart([*assigned, cell]):
                continue
            assigned[cell] = k
            taken.add(k)
            added = True
        cells = np.array(list(assigned), dtype=np.float64)
        centres = np.array([squares[k].centre for k in assigned.values()])
        model = _fit_model(cells, centres, start)
        if not added:
            break
    return assigned, model


def _grids(squares: list[_Square]) -> list[tuple[dict[tuple[int, int], int], FloatArray]]:
    """The distinct grids of at least MIN_PATCHES squares, largest first (at most GRIDS of them)."""
    grids: list[tuple[dict[tuple[int, int], int], FloatArray]] = []
    used: set[int] = set()
    order = sorted(range(len(squares)), key=lambda k: -squares[k].size)
    for seed in order[:80]:
        if seed in used:
            continue
        grown = _grow(seed, squares)
        if grown is not None and len(grown[0]) >= MIN_PATCHES:
            used.update(grown[0].values())
            grids.append(grown)
    grids.sort(key=lambda g: -len(g[0]))
    return grids[:GRIDS]


def _placement(
    small: np.ndarray, grid: tuple[dict[tuple[int, int], int], FloatArray], linear: FloatArray
) -> tuple[float, FloatArray] | None:
    """The grid's best placement of the chart (colour error, chart -> reduced image), if any fits."""
    assigned, model = grid
    best: tuple[float, FloatArray] | None = None
    for placement in _placements(np.array(list(assigned), dtype=np.float64)):
        chart_to_small = model @ placement
        centres = _to_h(chart_to_small, CHART_CENTRES)
        half = 0.2 * float(np.median(_pitch(chart_to_small)))
        means = _box_means(small, centres, half, linear)
        if means is None:
            continue
        error = _placement_error(means)
        if best is None or error < best[0]:
            best = (error, chart_to_small)
    return best


_ROTATIONS = (
    np.array([[1, 0, 0], [0, 1, 0], [0, 0, 1]]),  # chart (c, r) -> grid (c, r)
    np.array([[-1, 0, COLUMNS - 1], [0, -1, ROWS - 1], [0, 0, 1]]),  # upside down
    np.array([[0, -1, ROWS - 1], [1, 0, 0], [0, 0, 1]]),  # a quarter turn
    np.array([[0, 1, 0], [-1, 0, COLUMNS - 1], [0, 0, 1]]),  # three quarters
)


def _placements(cells: np.ndarray) -> list[FloatArray]:
    """Every chart -> grid map (rotation and offset) that puts all the seen cells on the chart."""
    out: list[FloatArray] = []
    for rotation in _ROTATIONS:
        to_chart = np.linalg.inv(rotation.astype(np.float64))
        chart = np.rint(_to_h(to_chart, cells)).astype(int)
        lo, hi = chart.min(axis=0), chart.max(axis=0)
        for dx, dy in product(range(-lo[0], COLUMNS - hi[0]), range(-lo[1], ROWS - hi[1])):
            shift = np.array([[1, 0, -dx], [0, 1, -dy], [0, 0, 1]], dtype=np.float64)
            out.append(rotation @ shift)
    return out


def _box_means(image: np.ndarray, centres: FloatArray, half: float, linear: FloatArray) -> FloatArray | None:
    """Trimmed mean linear RGB of an axis-aligned box around each centre (None if one falls outside)."""
    h, w = image.shape[:2]
    half_px = max(1, int(half))
    stride = max(1, half_px // 40)
    means = np.empty((len(centres), 3))
    for n, (x, y) in enumerate(centres):
        i, j = int(x), int(y)
        if not (half_px <= i < w - half_px and half_px <= j < h - half_px):
            return None
        patch = image[j - half_px : j + half_px + 1 : stride, i - half_px : i + half_px + 1 : stride]
        values = np.sort(linear[patch.reshape(-1, 3)], axis=0)
        cut = len(values) // 10
        means[n] = values[cut : len(values) - cut].mean(axis=0) if len(values) > 4 else values.mean(axis=0)
    return means


def _placement_error(rgb_linear: FloatArray) -> float:
    matrix = np.linalg.lstsq(rgb_linear, REFERENCE_XYZ_D65, rcond=None)[0]
    lab = xyz_to_lab(np.clip(rgb_linear @ matrix, 1e-6, None))
    return float(np.mean(np.linalg.norm(lab - REFERENCE_LAB_D65, axis=1)))


def _pitch(homography: FloatArray) -> FloatArray:
    """Local pitch in pixels at each patch."""
    dx, dy = np.array([0.5, 0.0]), np.array([0.0, 0.5])
    right = _to_h(homography, CHART_CENTRES + dx) - _to_h(homography, CHART_CENTRES - dx)
    down = _to_h(homography, CHART_CENTRES + dy) - _to_h(homography, CHART_CENTRES - dy)
    return np.asarray(
        np.minimum(np.linalg.norm(right, axis=1), np.linalg.norm(down, axis=1)), dtype=np.float64
    )


def _refine_centre(rgb: np.ndarray, centre: FloatArray, pitch: float) -> FloatArray | None:
    """The centroid of the uniform area around a predicted patch centre, or None if it is not a patch."""
    h, w = rgb.shape[:2]
    stride = max(1, int(pitch // 60))
    half = int(0.75 * pitch)
    x0, y0 = int(centre[0]) - half, int(centre[1]) - half
    if x0 < 0 or y0 < 0 or x0 + 2 * half >= w or y0 + 2 * half >= h:
        return None
    crop = rgb[y0 : y0 + 2 * half : stride, x0 : x0 + 2 * half : stride].astype(np.int16)
    mid = crop.shape[0] // 2
    core = crop[
        mid - max(1, mid // 4) : mid + max(1, mid // 4) + 1,
        mid - max(1, mid // 4) : mid + max(1, mid // 4) + 1,
    ]
    reference = np.median(core.reshape(-1, 3), axis=0)
    spread = max(12.0, float(np.percentile(np.abs(core.reshape(-1, 3) - reference).max(axis=1), 90)) * 2.5)
    near = (channel_max(np.abs(crop - reference)) <= spread).astype(np.uint8)
    mask = cv2.morphologyEx(near, cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))
    _count, labels, stats, centroids = cv2.connectedComponentsWithStats(mask)
    label = labels[mid, mid]
    if label == 0:
        return None
    _x, _y, bw, bh, area = stats[label]
    cell = pitch / stride
    if not (0.3 * cell**2 <= area <= 0.95 * cell**2 and max(bw, bh) <= 1.05 * cell):
        return None
    cx, cy = centroids[label]
    return np.array([x0 + (cx + 0.5) * stride, y0 + (cy + 0.5) * stride])


def _refine(rgb: np.ndarray, homography: FloatArray) -> FloatArray:
    centres = _to_h(homography, CHART_CENTRES)
    pitch = _pitch(homography)
    chart, image = [], []
    for n in range(24):
        found = _refine_centre(rgb, centres[n], float(pitch[n]))
        if found is not None:
            chart.append(CHART_CENTRES[n])
            image.append(found)
    if len(chart) < 8:
        return homography
    matrix, _ = cv2.findHomography(
        np.array(chart), np.array(image), cv2.RANSAC, max(1.0, 0.06 * float(np.median(pitch)))
    )
    return homography if matrix is None else np.asarray(matrix / matrix[2, 2], dtype=np.float64)


def _crossing(profile: FloatArray) -> float | None:
    """Where a profile from the dark frame outwards first rises half-way to the background level
    (fractional index), or None when the background is not at least 25 levels brighter."""
    frame = float(np.median(profile[:8]))
    background = float(np.percentile(profile, 90))
    if background - frame < 25.0:
        return None
    mid = (frame + background) / 2
    above = np.nonzero(profile >= mid)[0]
    i = int(above[0])
    if i == 0:
        return None
    return i - 1 + (mid - float(profile[i - 1])) / max(1e-9, float(profile[i] - profile[i - 1]))


def _edge_margin(rgb: np.ndarray, homography: FloatArray) -> FloatArray:
    """Per side, the pitches from the outer patch centres to the card's edge (CARD_MARGIN if unseen)."""
    h, w = rgb.shape[:2]
    steps = np.linspace(0.45, 1.3, 171)
    margins = np.full(4, CARD_MARGIN)
    sides = (  # (points along the side, outward direction) in chart coordinates
        (np.stack([np.linspace(0, 5, 11), np.zeros(11)], 1), np.array([0.0, -1.0])),
        (np.stack([np.full(7, 5.0), np.linspace(0, 3, 7)], 1), np.array([1.0, 0.0])),
        (np.stack([np.linspace(0, 5, 11), np.full(11, 3.0)], 1), np.array([0.0, 1.0])),
        (np.stack([np.zeros(7), np.linspace(0, 3, 7)], 1), np.array([-1.0, 0.0])),
    )
    for n, (base, outward) in enumerate(sides):
        points = (base[:, None, :] + steps[None, :, None] * outward).reshape(-1, 2)
        xy = _to_h(homography, points)
        inside = (xy[:, 0] >= 0) & (xy[:, 0] < w - 1) & (xy[:, 1] >= 0) & (xy[:, 1] < h - 1)
        if not inside.all():
            continue
        values = rgb[xy[:, 1].astype(int), xy[:, 0].astype(int)].astype(float).mean(axis=1)
        profile = np.median(values.reshape(len(base), len(steps)), axis=0)
        edge = _crossing(profile)
        if edge is not None:
            margins[n] = float(np.interp(edge, np.arange(len(steps)), steps))
    return margins


def _corners(rgb: np.ndarray, homography: FloatArray) -> FloatArray:
    top, right, bottom, left = _edge_margin(rgb, homography)
    chart = np.array(
        [
            [-left, -top],
            [COLUMNS - 1 + right, -top],
            [COLUMNS - 1 + right, ROWS - 1 + bottom],
            [-left, ROWS - 1 + bottom],
        ]
    )
    return _to_h(homography, chart)


def find_card(rgb: np.ndarray, *, reduced: tuple[np.ndarray, float] | None = None) -> Card | None:
    """Find a ColorChecker Classic 24 in an HxWx3 uint8 sRGB image, or None.

    `reduced` may pass `reduce(rgb)` when the caller already has it.
    """
    linear = srgb_to_linear(np.arange(256))
    small, scale = reduced if reduced is not None else reduce(rgb)
    squares = _squares(small)
    found: tuple[float, FloatArray, int] | None = None
    for grid in _grids(squares):
        placed = _placement(small, grid, linear)
        if placed is not None and (found is None or placed[0] < found[0]):
            found = (placed[0], placed[1], len(grid[0]))
    if found is None:
        return None
    best = found
    to_full = np.diag([scale, scale, 1.0])
    homography = _refine(rgb, to_full @ best[1])
    patches = _to_h(homography, CHART_CENTRES)
    half = 0.22 * float(np.median(_pitch(homography)))
    patch_rgb = _box_means(rgb, patches, half, linear)
    if patch_rgb is None:
        return None
    corners = _corners(rgb, homography)
    return Card(corners, patches, patch_rgb, homography, best[2])


def reference_srgb() -> FloatArray:
    """The reference patches as sRGB code values 0..255 (for rendering test charts)."""
    return linear_to_srgb(np.clip(REFERENCE_XYZ_D65 @ XYZ_TO_SRGB.T, 0, 1))
