"""The outcome chart's geometry at its edges (clinic/charts.py): a series with fewer dates than
the chart sits on the shared axis at its own days, scores taken the same day in two series line
up, a fractional mMASI is labelled as typed and placed in proportion, and an mMASI above the
scale's top keeps the axis at 24. Pure: no database.

Dates count back from the suite's frozen today, Monday 23 November 2026 (tests/clock.py)."""

import datetime as dt
from dataclasses import dataclass

from clock import FROZEN_TODAY
from needlepoint.clinic.charts import (
    BOTTOM,
    CHART_WIDTH,
    INSET,
    LEFT,
    PANEL_HEIGHT,
    RIGHT,
    TOP,
    outcome_chart,
)

START = FROZEN_TODAY - dt.timedelta(days=60)
MIDDLE = FROZEN_TODAY - dt.timedelta(days=30)


@dataclass(frozen=True)
class P:
    date: dt.date
    value: float
    label: str = "visit"


def xs(panel):
    return [x for x, _, _, _ in panel.points]


def test_it_places_a_shorter_series_at_its_own_days_on_the_shared_axis():
    chart = outcome_chart(
        {
            "goodman_baron": [P(START, 3), P(MIDDLE, 2), P(FROZEN_TODAY, 2)],
            "gais": [P(FROZEN_TODAY, 2)],
        }
    )
    assert chart is not None
    grade, gais = chart.panels
    inner = CHART_WIDTH - LEFT - RIGHT - 2 * INSET
    assert (xs(grade), xs(gais)) == (
        [f"{LEFT + INSET:.1f}", f"{LEFT + INSET + inner / 2:.1f}", f"{LEFT + INSET + inner:.1f}"],
        [f"{LEFT + INSET + inner:.1f}"],
    )
    assert [label for _, label in gais.x_ticks] == ["24 Sep 2026", "24 Oct 2026", "23 Nov 2026"]


def test_it_labels_a_fractional_mmasi_as_typed_and_places_it_in_proportion():
    chart = outcome_chart({"mmasi": [P(START, 6.5), P(FROZEN_TODAY, 2.25)]})
    assert chart is not None
    [panel] = chart.panels
    plot_h = PANEL_HEIGHT - TOP - BOTTOM
    assert [(y, value) for _, y, value, _ in panel.points] == [
        (f"{TOP + plot_h * (1 - 6.5 / 8):.1f}", "6.5"),
        (f"{TOP + plot_h * (1 - 2.25 / 8):.1f}", "2.25"),
    ]
    assert panel.points[1][3] == "mMASI 2.25 on 23 Nov 2026 (visit)"


def test_it_keeps_the_mmasi_axis_at_24_for_a_score_above_the_scale():
    chart = outcome_chart({"mmasi": [P(FROZEN_TODAY, 30)]})
    assert chart is not None
    assert [label for _, label in chart.panels[0].y_ticks] == ["0", "6", "12", "18", "24"]
