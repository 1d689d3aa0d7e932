"""The outcome chart's geometry (clinic/charts.py), tested directly: no database, no template."""

import datetime as dt
from dataclasses import dataclass

from needlepoint.clinic.charts import (
    CHART_WIDTH,
    INSET,
    LEFT,
    PANEL_HEIGHT,
    RIGHT,
    outcome_chart,
)

DAY = dt.date(2026, 6, 1)


@dataclass(frozen=True)
class P:
    """A point as the selector gives it (any object with date, value and label will do)."""

    date: dt.date
    value: float
    label: str = "visit"


def test_it_draws_no_chart_without_scores_and_centres_a_single_date():
    assert outcome_chart({"goodman_baron": [], "mmasi": [], "gais": []}) is None
    assert outcome_chart({}) is None
    chart = outcome_chart({"gais": [P(DAY, 2)]})
    assert chart is not None
    [panel] = chart.panels
    assert panel.points[0][0] == f"{170 + (720 - 170 - 40) / 2:.1f}"
    assert [label for _, label in panel.x_ticks] == ["1 Jun 2026"]
    assert panel.y_ticks[0][1] == "1 very much improved"


def test_it_labels_at_most_about_six_dates_and_always_the_last():
    points = [P(dt.date(2026, 1, 1) + dt.timedelta(days=30 * i), 10 - i) for i in range(9)]
    chart = outcome_chart({"mmasi": points})
    assert chart is not None
    labels = [label for _, label in chart.panels[0].x_ticks]
    assert len(labels) <= 6 and labels[0] == "1 Jan 2026" and labels[-1] == "29 Aug 2026"
    assert [t for _, t in chart.panels[0].y_ticks] == ["0", "3", "6", "9", "12"]


def test_it_places_dates_in_proportion_to_time_clear_of_the_axis():
    days = [DAY, DAY + dt.timedelta(days=10), DAY + dt.timedelta(days=30)]
    chart = outcome_chart({"mmasi": [P(d, 2) for d in days]})
    assert chart is not None
    xs = [float(x) for x, _, _, _ in chart.panels[0].points]
    inner = CHART_WIDTH - LEFT - RIGHT - 2 * INSET
    assert xs == [LEFT + INSET, round(LEFT + INSET + inner / 3, 1), LEFT + INSET + inner]


def test_it_draws_each_scale_on_its_own_range_better_is_lower():
    chart = outcome_chart({"goodman_baron": [P(DAY, 4), P(DAY + dt.timedelta(days=28), 1)]})
    assert chart is not None
    [panel] = chart.panels
    top, bottom = chart.plot_top, chart.plot_bottom
    assert [y for _, y, _, _ in panel.points] == [f"{top:.1f}", f"{bottom:.1f}"]  # 4 up top, 1 down
    assert [label for _, label in panel.y_ticks] == ["1 macular", "2 mild", "3 moderate", "4 severe"]
    assert panel.polyline == " ".join(f"{x},{y}" for x, y, _, _ in panel.points)


def test_it_rounds_the_mmasi_axis_up_to_a_multiple_of_four_within_the_scale():
    def axis_top(value: float) -> str:
        chart = outcome_chart({"mmasi": [P(DAY, value)]})
        assert chart is not None
        return chart.panels[0].y_ticks[-1][1]

    assert (axis_top(0), axis_top(4), axis_top(13), axis_top(24)) == ("4", "4", "16", "24")


def test_it_stacks_the_panels_in_the_scales_order_sharing_the_dates():
    chart = outcome_chart({"gais": [P(DAY, 2)], "goodman_baron": [P(DAY + dt.timedelta(days=7), 3)]})
    assert chart is not None
    assert [(p.title, p.top) for p in chart.panels] == [
        ("Goodman & Baron grade", 0),
        ("GAIS (patient-rated)", PANEL_HEIGHT),
    ]
    assert chart.height == 2 * PANEL_HEIGHT
    assert chart.panels[0].x_ticks == chart.panels[1].x_ticks


def test_it_labels_every_point_with_its_value_day_and_visit():
    chart = outcome_chart({"goodman_baron": [P(DAY, 2, "session 2")]})
    assert chart is not None
    [(_, _, value, tooltip)] = chart.panels[0].points
    assert (value, tooltip) == ("2", "Goodman & Baron grade 2 on 1 Jun 2026 (session 2)")
