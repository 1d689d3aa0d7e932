"""Form fields shared by the apps for what people type that the code then computes with: a day
inside the range the clinic's date arithmetic handles, a record number the database can hold,
and repeatable rows of which only a bounded number is ever built.

Python's dates end at year 1 and year 9999, so a week, a window or an interval computed from a
day near either end overflows; a number beyond 64 bits fits no database column. These fields
refuse both where the value is read, with a message naming the field, so no view or service
further on meets such a value."""

import datetime as dt
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.forms import BaseFormSet, formset_factory

from needlepoint.words import human_date

# Wide enough for every date of birth and every plan; narrow enough that any interval, window or
# week computed from a day stays far inside Python's dates.
EARLIEST_DAY = dt.date(1800, 1, 1)
LATEST_DAY = dt.date(2200, 12, 31)
# The largest primary key (and version) a database's 64-bit integer column holds.
RECORD_NUMBER_MAX = 2**63 - 1


def day_range_message(label: str = "") -> str:
    """'New date: dates from 1 January 1800 to 31 December 2200 only.'"""
    text = f"dates from {human_date(EARLIEST_DAY)} to {human_date(LATEST_DAY)} only."
    return f"{label}: {text}" if label else text[0].upper() + text[1:]


class DayField(forms.DateField):
    """A day between EARLIEST_DAY and LATEST_DAY; outside them the field's error says the range
    ("From: dates from 1 January 1800 to 31 December 2200 only."; without the label when the
    page shows each error after its field's label: `named=False`)."""

    def __init__(self, *, named: bool = True, **kwargs: Any):
        super().__init__(**kwargs)
        message = day_range_message(str(self.label) if named and self.label else "")
        self.validators.extend(
            [MinValueValidator(EARLIEST_DAY, message=message), MaxValueValidator(LATEST_DAY, message=message)]
        )


class MomentField(forms.DateTimeField):
    """A date and time whose day is between EARLIEST_DAY and LATEST_DAY (its error as DayField's):
    converting a moment near either end of Python's dates to UTC would overflow."""

    def validate(self, value: Any) -> None:
        super().validate(value)
        if value and not EARLIEST_DAY <= value.date() <= LATEST_DAY:
            raise ValidationError(day_range_message(str(self.label) if self.label else ""), code="range")


class RecordNumberField(forms.IntegerField):
    """The number of a record (from 1 to RECORD_NUMBER_MAX); a number no record can have is
    refused as "No <noun> with that number."."""

    def __init__(self, *, noun: str, **kwargs: Any):
        message = f"No {noun} with that number."
        kwargs.setdefault("error_messages", {})
        kwargs["error_messages"] = {"min_value": message, "max_value": message, **kwargs["error_messages"]}
        super().__init__(min_value=1, max_value=RECORD_NUMBER_MAX, **kwargs)


class RowSet[F: forms.Form](BaseFormSet[F]):
    """Repeatable rows in words a user reads when more rows are sent than the page offers."""

    default_error_messages = {
        "too_many_forms": "At most %(num)d rows can be sent: remove some, or reload the page.",
    }


def row_set[F: forms.Form](
    form: type[F], *, max_rows: int, extra: int, can_delete: bool = False
) -> type[BaseFormSet[F]]:
    """The row set of `form`: however many rows a request claims (its TOTAL_FORMS), at most
    `max_rows` forms are built (`absolute_max`), and a claim above it is refused with the
    formset's error (`validate_max`) instead of costing a form per claimed row."""
    return formset_factory(
        form,
        formset=RowSet,
        extra=extra,
        can_delete=can_delete,
        max_num=max_rows,
        absolute_max=max_rows,
        validate_max=True,
    )
