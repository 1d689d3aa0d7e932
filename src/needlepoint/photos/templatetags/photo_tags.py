"""Template tags for pages of other apps that show photo controls (the portal's check-in)."""

from django import template
from django.utils import timezone

from needlepoint.clinic.models import CheckIn, Course
from needlepoint.photos.colour_chart import ColourChart, ColourPoint, colour_chart
from needlepoint.photos.forms import check_in_regions as _regions
from needlepoint.photos.selectors import (
    ColourRow,
    course_colour,
    course_pairs,
    course_visit_photos,
    sees_clinical_photos,
)

register = template.Library()


@register.simple_tag
def check_in_regions(check_in: CheckIn) -> list[tuple[str, str]]:
    """The photo regions a check-in's photo may show: (code, label)."""
    return _regions(check_in)


@register.simple_tag
def check_in_photo_count(check_in: CheckIn) -> int:
    return check_in.photos.count()


@register.inclusion_tag("photos/_course_summary_photos.html", takes_context=True)
def course_photos(context: template.Context, course: Course) -> dict[str, object]:
    """The course's before/after (first and latest photo of each view) and the colour measured on
    its visit photos (chart and table), for the course summary;
    nothing for users who do not see clinical photos."""
    user = context["request"].user
    shown = sees_clinical_photos(user)
    photos = course_visit_photos(course) if shown else []
    pairs = course_pairs(course, photos) if shown else []
    rows = course_colour(photos)
    return {
        "pairs": pairs,
        "course": course,
        "shown": shown,
        "colour_rows": rows,
        "colour_chart": _chart(rows),
    }


def _chart(rows: list[ColourRow]) -> ColourChart | None:
    """The course's colour chart: a line per region through its visit photos' measurements."""
    series: dict[str, list[ColourPoint]] = {}
    for row in rows:
        m = row.measurement
        point = ColourPoint(timezone.localdate(row.photo.taken_at), m.ita_deg, m.a, m.calibrated, row.visit)
        series.setdefault(m.region, []).append(point)
    return colour_chart(series)
