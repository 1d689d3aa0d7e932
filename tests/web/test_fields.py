"""The shared form fields that keep what people type inside what the code can compute with: a
day (and a moment's day) from 1 January 1800 to 31 December 2200, a record number of at most 64
bits, each refused outside with a message naming the field."""

import datetime as dt

import pytest
from django import forms

from needlepoint.web.fields import RECORD_NUMBER_MAX, DayField, MomentField, RecordNumberField


class Search(forms.Form):
    day = DayField(label="From", required=False)
    moment = MomentField(label="Anaesthetic on", required=False)
    patient = RecordNumberField(label="Patient", noun="patient", required=False)


@pytest.mark.parametrize(
    ("data", "errors"),
    [
        ({"day": "0001-01-01"}, {"day": ["From: dates from 1 January 1800 to 31 December 2200 only."]}),
        ({"day": "2201-01-01"}, {"day": ["From: dates from 1 January 1800 to 31 December 2200 only."]}),
        (
            {"moment": "9999-12-31T23:59"},
            {"moment": ["Anaesthetic on: dates from 1 January 1800 to 31 December 2200 only."]},
        ),
        ({"patient": str(RECORD_NUMBER_MAX + 1)}, {"patient": ["No patient with that number."]}),
        ({"patient": "0"}, {"patient": ["No patient with that number."]}),
    ],
)
def test_it_refuses_what_the_code_cannot_compute_with_naming_the_field(data, errors):
    form = Search(data)
    assert (form.is_valid(), form.errors) == (False, errors)


def test_it_takes_the_ends_of_the_range():
    form = Search({"day": "1800-01-01", "moment": "2200-12-31T23:59", "patient": str(RECORD_NUMBER_MAX)})
    assert form.is_valid(), form.errors
    assert (form.cleaned_data["day"], form.cleaned_data["patient"]) == (
        dt.date(1800, 1, 1),
        RECORD_NUMBER_MAX,
    )
