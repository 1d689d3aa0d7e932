"""`{{ day|human_date }}` and `{{ day|human_day }}`: a date in words ("5 March 2027", never
"05 March"; "Friday 5 March 2027"), through `needlepoint.words`. A moment (datetime) is read
on the clinic's wall clock first."""

import datetime as dt

from django import template
from django.utils import timezone

from needlepoint import words

register = template.Library()


def _day(value: dt.date) -> dt.date:
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return value


@register.filter
def human_date(value: dt.date | None) -> str:
    return "" if value is None else words.human_date(_day(value))


@register.filter
def human_day(value: dt.date | None) -> str:
    return "" if value is None else words.human_day(_day(value))
