"""The aftercare forms: the patient's day 1/3/7 check-in, resolving a flag, and recording an
outcome (the scores of a visit or of the end of a course, with the scar counts as a grid of
areas by scar type)."""

from dataclasses import dataclass
from typing import Any

from django import forms

from needlepoint.clinic.forms import choice_field
from needlepoint.clinic.models import OutcomeKind, TreatmentSession
from needlepoint.clinic.services.aftercare import SCORE_MAX, WARNING_SIGN_LABELS, WARNING_SIGNS
from needlepoint.clinic.services.chart_rules import visit_day
from needlepoint.clinical.scales import GAIS_LABELS, GOODMAN_BARON_GRADES, SCAR_TYPES
from needlepoint.clinical.vocab import area_label
from needlepoint.words import human_date

SCORE_CHOICES = [
    ("", "Choose 0-10"),
    (0, "0 — none"),
    *[(n, str(n)) for n in range(1, SCORE_MAX)],
    (SCORE_MAX, f"{SCORE_MAX} — the worst you can imagine"),
]


def _score(label: str) -> forms.IntegerField:
    return forms.IntegerField(
        label=label,
        widget=forms.Select(choices=SCORE_CHOICES),
        error_messages={"required": "Choose a number from 0 to 10."},
    )


class CheckInForm(forms.Form):
    redness = _score("How red is the treated skin?")
    swelling = _score("How swollen is it?")
    pain = _score("How sore or painful is it?")
    warning_signs = forms.MultipleChoiceField(
        label="Do you have any of these?",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        choices=[(s, WARNING_SIGN_LABELS[s].removeprefix("a ").capitalize()) for s in WARNING_SIGNS],
    )
    note = forms.CharField(
        label="Anything else you want to tell us (optional)",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ResolveForm(forms.Form):
    resolution = forms.CharField(
        label="What was done", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )


GB_CHOICES = [("", "Not assessed"), *[(g, f"{g} — {v.level}") for g, v in GOODMAN_BARON_GRADES.items()]]
GAIS_CHOICES = [("", "Not asked"), *[(n, f"{n} — {label}") for n, label in GAIS_LABELS.items()]]


class OutcomeForm(forms.Form):
    kind = forms.ChoiceField(label="When", choices=OutcomeKind.choices, initial=OutcomeKind.VISIT)
    session = forms.TypedChoiceField(
        label="Visit (session)",
        required=False,
        coerce=int,
        empty_value=None,
        help_text="Only sessions that have taken place are listed.",
        error_messages={"invalid_choice": "Choose a session that has taken place (its chart is signed)."},
    )
    goodman_baron_grade = forms.IntegerField(
        label="Goodman & Baron grade", required=False, widget=forms.Select(choices=GB_CHOICES)
    )
    mmasi = forms.FloatField(
        label="mMASI (0-24)", required=False, widget=forms.NumberInput(attrs={"step": "0.1"})
    )
    gais = forms.IntegerField(
        label="Patient-rated improvement (GAIS)", required=False, widget=forms.Select(choices=GAIS_CHOICES)
    )

    def __init__(self, *args: Any, sessions: list[TreatmentSession], **kwargs: Any):
        """`sessions` are those that took place: a visit's scores belong to one of them."""
        super().__init__(*args, **kwargs)
        choice_field(self.fields["session"]).choices = [("", "None (scores after the course)")] + [
            (s.pk, f"Session {s.number}" + (f" · {human_date(day)}" if (day := visit_day(s)) else ""))
            for s in sessions
        ]


@dataclass
class ScarGrid:
    """Scar counts per area and type, as typed (blank = not counted), with its error."""

    areas: list[str]
    values: dict[str, dict[str, str]]
    error: str = ""

    @classmethod
    def read(cls, areas: list[str], data: Any) -> "ScarGrid":
        values = {
            a: {t: (data.get(f"scar-{a}-{t}", "") if data else "").strip() for t in SCAR_TYPES} for a in areas
        }
        return cls(areas, values)

    def counts(self) -> dict[str, dict[str, int]] | None:
        """Return {area: {type: count}} for the areas with any count, a blank type left out
        (stored as "not counted", never 0), or None (and set `error`) when a count is not a
        whole number."""
        out: dict[str, dict[str, int]] = {}
        for area, row in self.values.items():
            for scar_type, text in row.items():
                if not text:
                    continue
                try:
                    out.setdefault(area, {})[scar_type] = int(text)
                except ValueError:
                    self.error = (
                        f"Scar count for {scar_type} in the {area_label(area).lower()} must "
                        f"be a whole number, got {text!r}."
                    )
                    return None
        return out

    def rows(self) -> list[tuple[str, str, list[tuple[str, str]]]]:
        return [
            (area, area_label(area).capitalize(), [(t, self.values[area][t]) for t in SCAR_TYPES])
            for area in self.areas
        ]
