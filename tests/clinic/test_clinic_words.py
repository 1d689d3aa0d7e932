"""The template filters that write dates in words (clinic/templatetags/clinic_words.py)."""

import datetime as dt

from django.template import Context, Template

from needlepoint.clinic.templatetags.clinic_words import human_date, human_day


def test_it_writes_a_day_without_a_leading_zero():
    assert human_date(dt.date(2027, 3, 5)) == "5 March 2027"
    assert human_day(dt.date(2027, 3, 5)) == "Friday 5 March 2027"
    assert human_date(None) == human_day(None) == ""


def test_it_reads_a_moment_on_the_clinics_wall_clock():
    late = dt.datetime(2027, 6, 30, 23, 30, tzinfo=dt.UTC)  # 00:30 on 1 July in London (BST)
    assert human_date(late) == "1 July 2027"
    rendered = Template("{% load clinic_words %}{{ when|human_day }}").render(Context({"when": late}))
    assert rendered == "Thursday 1 July 2027"
