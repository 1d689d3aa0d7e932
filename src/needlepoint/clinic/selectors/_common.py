"""What several selectors share: the bounds of clinic days as aware datetimes."""

import datetime as dt

from django.utils import timezone


def day_bounds(first: dt.date, last: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """Return [start of `first`, start of the day after `last`) as aware datetimes in the
    clinic's zone (a day across a DST change is 23 or 25 hours long)."""
    zone = timezone.get_default_timezone()
    start = dt.datetime.combine(first, dt.time.min, tzinfo=zone)
    end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time.min, tzinfo=zone)
    return start, end
