"""The clinic's forms, one module per page group (inquiry, patients, intake editor,
consultation, consent, charting, aftercare, audit). Forms parse and check what was typed and
turn it into a service's arguments; they never save. View modules hold no form classes."""

from collections.abc import Iterable
from typing import Any

from django import forms

from needlepoint.clinical import vocab

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
"""The browser's date picker, showing the date as ISO (what it expects)."""


def optional(choices: Iterable[tuple[Any, str]], blank: str) -> list[tuple[Any, str]]:
    """`choices` after a first, empty choice labelled `blank`."""
    return [("", blank), *choices]


def code_choices(codes: Iterable[str]) -> list[tuple[str, str]]:
    """Codes as choices labelled in staff wording."""
    return [(c, vocab.area_label(c)) for c in codes]


def choice_field(field: forms.Field) -> forms.ChoiceField:
    """`field` as the choice field it is, to set its choices when the form is built."""
    if not isinstance(field, forms.ChoiceField):
        raise TypeError(f"{field!r} is not a choice field")
    return field
