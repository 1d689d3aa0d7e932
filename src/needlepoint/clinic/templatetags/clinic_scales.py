"""Template filters for the clinical scales' values as the clinic reads them."""

from typing import Any

from django import template

from needlepoint.clinical.scales import SCAR_TYPES

register = template.Library()


@register.filter
def scar_types(counts: dict[str, Any] | None) -> list[tuple[str, Any]]:
    """Return one area's scar counts as (type, count) pairs in the scale's order (icepick,
    boxcar, rolling, hypertrophic), whatever order the database kept the keys in (PostgreSQL's
    jsonb sorts them); a count of None is "not counted"."""
    counts = counts or {}
    return [(t, counts[t]) for t in SCAR_TYPES if t in counts]
