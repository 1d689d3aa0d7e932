"""The outcome chart's geometry (drawn as SVG by the course summary's template): one panel per
score series (Goodman & Baron grade, mMASI, GAIS) on its own scale, sharing a date axis
proportional to time, with labelled ticks and every point labelled with its value. Pure: no
Django; coordinates are strings with one decimal, never localised."""

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from needlepoint.clinical.scales import GAIS_LABELS, GOODMAN_BARON_GRADES


class Point(Protocol):
    """A score taken on a day ("baseline", "session 3", "after the course")."""

    @property
    def date(self) -> dt.date: ...

    @property
    def value(self) -> float: ...

    @property
    def label(self) -> str: ...


CHART_WIDTH = 720
PANEL_HEIGHT = 170
LEFT, RIGHT, TOP, BOTTOM = 170, 40, 34, 40  # room for the y labels, the title and the dates
INSET = 20  # the first and last points sit this far inside the plot


def _n(value: float) -> str:
    """Return an SVG coordinate: one decimal, never localised."""
    return f"{value:.1f}"


@dataclass(frozen=True)
class Panel:
    """One series drawn on its own scale: a title, y ticks, x ticks and the points, in SVG
    coordinates (strings) relative to the panel's `top`."""

    title: str
    note: str
    top: int
    y_ticks: list[tuple[str, str]]  # y, label
    x_ticks: list[tuple[str, str]]  # x, date
    points: list[tuple[str, str, str, str]]  # x, y, value, tooltip
    polyline: str


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    panels: list[Panel]
    plot_left: int = LEFT
    plot_right: int = CHART_WIDTH - RIGHT
    plot_top: int = TOP
    plot_bottom: int = PANEL_HEIGHT - BOTTOM
    y_label_x: int = LEFT - 8
    date_label_y: int = PANEL_HEIGHT - BOTTOM + 18


def _grade_label(v: int) -> str:
    return f"{v} {GOODMAN_BARON_GRADES[v].level}"


def _mmasi_top(points: Sequence[Point]) -> int:
    high = max((p.value for p in points), default=0)
    return min(24, max(4, math.ceil(high / 4) * 4))


def _scale(points: Sequence[Point], name: str) -> tuple[float, float, list[tuple[float, str]]]:
    """Return (lowest, highest, ticks) of a series' y axis: the scale's own range for the G&B
    grade and GAIS (labelled with their words), 0 to a multiple of 4 for mMASI."""
    if name == "goodman_baron":
        return 1, 4, [(v, _grade_label(v)) for v in range(1, 5)]
    if name == "gais":
        return 1, 5, [(v, f"{v} {GAIS_LABELS[v]}") for v in range(1, 6)]
    top = _mmasi_top(points)
    return 0, top, [(top * i / 4, f"{top * i / 4:g}") for i in range(5)]


SERIES_TITLES = {
    "goodman_baron": ("Goodman & Baron grade", "1 macular to 4 severe; lower is better"),
    "mmasi": ("mMASI", "0-24; lower is lighter pigmentation"),
    "gais": ("GAIS (patient-rated)", "1 very much improved to 5 worse"),
}


def _x_positions(dates: list[dt.date]) -> dict[dt.date, float]:
    """Return each date's x, proportional to time; points stay clear of the y axis."""
    plot = CHART_WIDTH - LEFT - RIGHT
    if len(dates) == 1:
        return {dates[0]: LEFT + plot / 2}
    span = (dates[-1] - dates[0]).days or 1
    inner = plot - 2 * INSET
    return {d: LEFT + INSET + inner * (d - dates[0]).days / span for d in dates}


def _x_ticks(xs: dict[dt.date, float]) -> list[tuple[str, str]]:
    dates = list(xs)
    step = max(1, math.ceil(len(dates) / 6))  # at most about six date labels, never overlapping
    keep = dates[::step]
    keep[-1] = dates[-1]  # the last date is always labelled
    return [(_n(xs[d]), f"{d.day} {d:%b %Y}") for d in keep]


def _panel(name: str, points: Sequence[Point], xs: dict[dt.date, float], top: int) -> Panel:
    low, high, ticks = _scale(points, name)
    plot_h = PANEL_HEIGHT - TOP - BOTTOM

    def y(v: float) -> str:
        return _n(TOP + plot_h * (1 - (v - low) / (high - low)))

    title, note = SERIES_TITLES[name]
    drawn = [
        (
            _n(xs[p.date]),
            y(p.value),
            f"{p.value:g}",
            f"{title} {p.value:g} on {p.date.day} {p.date:%b %Y} ({p.label})",
        )
        for p in points
    ]
    return Panel(
        title,
        note,
        top,
        [(y(v), t) for v, t in ticks],
        _x_ticks(xs),
        drawn,
        " ".join(f"{x},{yy}" for x, yy, _, _ in drawn),
    )


def outcome_chart(series: Mapping[str, Sequence[Point]]) -> Chart | None:
    """Return the geometry of the outcome chart: one panel per series with data, sharing the
    date axis, each with labelled y ticks and every point labelled with its value. None when
    there is nothing to draw."""
    names = [n for n in ("goodman_baron", "mmasi", "gais") if series.get(n)]
    if not names:
        return None
    xs = _x_positions(sorted({p.date for n in names for p in series[n]}))
    panels = [_panel(name, series[name], xs, i * PANEL_HEIGHT) for i, name in enumerate(names)]
    return Chart(CHART_WIDTH, PANEL_HEIGHT * len(panels), panels)
