"""Template tags for pages of other apps that show photo controls (the portal's check-in)."""

from django import template

from needlepoint.clinic.models import CheckIn
from needlepoint.photos.forms import check_in_regions as _regions

register = template.Library()


@register.simple_tag
def check_in_regions(check_in: CheckIn) -> list[tuple[str, str]]:
    """The photo regions a check-in's photo may show: (code, label)."""
    return _regions(check_in)


@register.simple_tag
def check_in_photo_count(check_in: CheckIn) -> int:
    return check_in.photos.count()
