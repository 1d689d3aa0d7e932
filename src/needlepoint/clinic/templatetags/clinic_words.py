"""`{{ day|human_date }}`: a date in words ("5 March 2027", never "05 March"), through
`needlepoint.words`. A moment (datetime) is read on the clinic's wall clock first."""

import datetime as dt

from django import template
from django.utils import timezone

from needlepoint import words

register = template.Library()


@register.filter
def human_date(value: dt.date | None) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, dt.datetime):
        value = timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return words.human_date(value)
