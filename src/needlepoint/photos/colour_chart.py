"""The colour chart's geometry (drawn as SVG by the course summary's photos section): ITA° and
a* of each measured region over the course's visits, one panel each, on the date axis of the
outcome chart (`needlepoint.clinic.charts`). Points measured without a colour card are drawn
hollow, labelled "no card" and left off the lines: they are not comparable between visits. Pure:
no Django."""

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from needlepoint.clinic.charts import BOTTOM, CHART_WIDTH, LEFT, PANEL_HEIGHT, TOP, _n, _x_positions, _x_ticks

REGION_COLOURS = {
    "forehead": "#2f6f8f",
    "right_cheek": "#b5562d",
    "left_cheek": "#6a4c93",
    "chin": "#3d7d3a",
    "drawn": "#8a6d1d",
}
PANELS = (
    ("ita_deg", "ITA°", "higher is lighter skin"),
    ("a", "a* (redness)", "higher is redder skin"),
)


@dataclass(frozen=True)
class ColourPoint:
    """One region's measurement on a visit's photo."""

    date: dt.date
    ita_deg: float
    a: float
    calibrated: bool
    label: str  # "session 2"


@dataclass(frozen=True)
class Marker:
    x: str
    y: str
    value: str
    tooltip: str
    calibrated: bool


@dataclass(frozen=True)
class Line:
    region: str
    colour: str
    polyline: str  # through the calibrated points only
    markers: list[Marker]


@dataclass(frozen=True)
class ColourPanel:
    title: str
    note: str
    top: int
    y_ticks: list[tuple[str, str]]
    x_ticks: list[tuple[str, str]]
    lines: list[Line]


@dataclass(frozen=True)
class ColourChart:
    width: int
    height: int
    panels: list[ColourPanel]
    plot_left: int = LEFT
    plot_right: int = CHART_WIDTH - 40
    plot_top: int = TOP
    plot_bottom: int = PANEL_HEIGHT - BOTTOM
    y_label_x: int = LEFT - 8
    date_label_y: int = PANEL_HEIGHT - BOTTOM + 18


def _range(values: list[float]) -> tuple[float, float]:
    """A y range of whole multiples of 5 around the values, at least 10 wide."""
    low = math.floor(min(values) / 5) * 5
    high = math.ceil(max(values) / 5) * 5
    if high - low < 10:
        middle = (low + high) / 2
        low, high = math.floor((middle - 5) / 5) * 5, math.ceil((middle + 5) / 5) * 5
    return low, high


def _panel(
    field: str,
    title: str,
    note: str,
    series: Mapping[str, Sequence[ColourPoint]],
    xs: dict[dt.date, float],
    top: int,
) -> ColourPanel:
    values = [float(getattr(p, field)) for points in series.values() for p in points]
    low, high = _range(values)
    plot_h = PANEL_HEIGHT - TOP - BOTTOM

    def y(v: float) -> str:
        return _n(TOP + plot_h * (1 - (v - low) / (high - low)))

    lines = []
    for region, points in series.items():
        markers = [
            Marker(
                _n(xs[p.date]),
                y(getattr(p, field)),
                f"{getattr(p, field):.1f}",
                f"{region.replace('_', ' ')} {title} {getattr(p, field):.1f} on {p.date.day} {p.date:%b %Y}"
                f" ({p.label}){'' if p.calibrated else ', no colour card: not comparable'}",
                p.calibrated,
            )
            for p in points
        ]
        polyline = " ".join(f"{m.x},{m.y}" for m in markers if m.calibrated)
        lines.append(Line(region.replace("_", " "), REGION_COLOURS.get(region, "#5b6776"), polyline, markers))
    step = (high - low) / 4
    ticks = [(y(low + i * step), f"{low + i * step:g}") for i in range(5)]
    return ColourPanel(title, note, top, ticks, _x_ticks(xs), lines)


def colour_chart(series: Mapping[str, Sequence[ColourPoint]]) -> ColourChart | None:
    """The geometry of the colour chart: one panel for ITA°, one for a*, a line per region.
    None when nothing was measured."""
    series = {region: points for region, points in series.items() if points}
    if not series:
        return None
    xs = _x_positions(sorted({p.date for points in series.values() for p in points}))
    panels = [
        _panel(field, title, note, series, xs, i * PANEL_HEIGHT)
        for i, (field, title, note) in enumerate(PANELS)
    ]
    return ColourChart(CHART_WIDTH, PANEL_HEIGHT * len(panels), panels)
