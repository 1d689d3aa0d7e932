"""Template tags for pages of other apps that show photo controls (the portal's check-in)."""

from django import template

from needlepoint.clinic.models import CheckIn, Course
from needlepoint.photos.forms import check_in_regions as _regions
from needlepoint.photos.selectors import course_pairs, sees_clinical_photos

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
    """The course's before/after (first and latest photo of each view), for the course summary;
    nothing for users who do not see clinical photos."""
    user = context["request"].user
    pairs = course_pairs(course) if sees_clinical_photos(user) else []
    return {"pairs": pairs, "course": course, "shown": sees_clinical_photos(user)}
