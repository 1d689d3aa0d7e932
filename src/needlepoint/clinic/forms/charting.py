"""The charting forms: the day-of re-screen questions (`RescreenForm`, read into the service's
`DayOfAnswers`), the chart editor (`ChartEditor`: the chart's fields, its area rows and its
adverse-event rows read together into one `ChartData`, with a service's error placed next to
the row and field its path names) and the addendum."""

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django import forms

from needlepoint.clinic.forms import choice_field
from needlepoint.clinic.models import Device, Severity, TreatmentSession
from needlepoint.clinic.plan_view import PlanView
from needlepoint.clinic.protocol import clinic_protocol
from needlepoint.clinic.services import ServiceError, StaleEdit
from needlepoint.clinic.services.charting import (
    END_POINTS,
    PLATELET_ADJUNCTS,
    AdverseEventRow,
    AreaRow,
    ChartData,
    topical_choices,
)
from needlepoint.clinic.services.rescreen import DayOfAnswers, plan_areas
from needlepoint.clinical.vocab import area_label
from needlepoint.web.fields import DayField, MomentField, row_set

YES_NO = [("no", "No"), ("yes", "Yes")]
DATETIME_LOCAL = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class RescreenForm(forms.Form):
    new_medicine = forms.ChoiceField(
        label="Any new medicine since the last visit?", choices=YES_NO, widget=forms.RadioSelect
    )
    medicine_names = forms.CharField(
        label="Which medicines? (one per line, or separated by commas)",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    sunburn = forms.ChoiceField(
        label="Sunburn now or in the last 2 weeks?",
        widget=forms.RadioSelect,
        choices=[("no", "No"), ("now", "Yes, now"), ("recent", "In the last 2 weeks")],
    )
    sunburn_date = DayField(
        label="Day of the sunburn (if in the last 2 weeks)",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    cold_sore = forms.ChoiceField(label="A cold sore now?", choices=YES_NO, widget=forms.RadioSelect)
    pregnancy = forms.ChoiceField(
        label="Pregnant, possibly pregnant, or breastfeeding?",
        choices=[
            ("", "Choose"),
            ("no", "No"),
            ("trying", "Trying to conceive"),
            ("possibly_pregnant", "Possibly pregnant (treated as pregnant until ruled out)"),
            ("pregnant", "Pregnant"),
            ("breastfeeding", "Breastfeeding"),
        ],
    )
    breakout = forms.ChoiceField(
        label="A breakout (active acne) in the treatment areas since the last visit?",
        choices=YES_NO,
        widget=forms.RadioSelect,
    )
    other_condition = forms.ChoiceField(label="Any other new condition?", required=False)
    other_condition_where = forms.ChoiceField(
        label="Where is it?",
        required=False,
        choices=[
            ("treatment_areas", "In the treatment areas"),
            ("elsewhere", "Elsewhere on the body"),
            ("unsure", "Not sure / whole body"),
        ],
        initial="unsure",
    )

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        for f in self.fields.values():  # every question is asked: no answer is assumed
            f.error_messages["required"] = "Answer this question."
        codes = sorted(clinic_protocol().vocabulary_for_intake().conditions)
        choice_field(self.fields["other_condition"]).choices = [("", "None")] + [
            (c, c.replace("_", " ").capitalize()) for c in codes
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("new_medicine") == "yes" and not _names(data.get("medicine_names", "")):
            self.add_error("medicine_names", "Name the new medicines.")
        if data.get("sunburn") == "recent" and not data.get("sunburn_date"):
            self.add_error("sunburn_date", "Give the day of the sunburn.")
        return data

    def answers(self) -> DayOfAnswers:
        d = self.cleaned_data
        return DayOfAnswers(
            new_medicines=_names(d["medicine_names"]) if d["new_medicine"] == "yes" else (),
            sunburn=d["sunburn"],
            sunburn_date=d["sunburn_date"] if d["sunburn"] == "recent" else None,
            cold_sore=d["cold_sore"] == "yes",
            pregnancy=d["pregnancy"],
            breakout=d["breakout"] == "yes",
            other_condition=d["other_condition"],
            other_condition_where=d["other_condition_where"] or "unsure",
        )


def _names(text: str) -> tuple[str, ...]:
    return tuple(n.strip() for n in text.replace("\n", ",").split(",") if n.strip())


def rescreen_field(exc: ServiceError) -> str | None:
    if exc.field in RescreenForm.base_fields:
        return exc.field
    if exc.field.startswith("medications."):
        return "medicine_names"
    return None


class ChartForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    device = forms.ModelChoiceField(
        label="Pen",
        required=False,
        empty_label="Choose the pen",
        queryset=Device.objects.exclude(kind="centrifuge").order_by("name"),
    )
    cartridge_lot = forms.CharField(label="Cartridge lot", max_length=60, required=False)
    anaesthetic_on = MomentField(label="Anaesthetic on", required=False, widget=DATETIME_LOCAL)
    anaesthetic_off = MomentField(label="Anaesthetic off", required=False, widget=DATETIME_LOCAL)
    prp_ml = forms.DecimalField(
        label="PRP volume (ml)", required=False, max_digits=4, decimal_places=1, min_value=Decimal("0")
    )
    prf_ml = forms.DecimalField(
        label="PRF volume (ml)", required=False, max_digits=4, decimal_places=1, min_value=Decimal("0")
    )
    topicals = forms.MultipleChoiceField(
        label="Topicals used", required=False, widget=forms.CheckboxSelectMultiple
    )
    end_point = forms.ChoiceField(
        label="End-point reached", required=False, choices=[("", "Not recorded"), *END_POINTS.items()]
    )
    immediate_reactions = forms.CharField(
        label="Immediate reactions", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    notes = forms.CharField(label="Notes", required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, session: TreatmentSession, **kwargs: Any):
        super().__init__(*args, **kwargs)
        planned = PlanView.of(session.course.plan).adjunct_codes
        for code in PLATELET_ADJUNCTS:
            if code not in planned:
                del self.fields[f"{code}_ml"]
        choice_field(self.fields["topicals"]).choices = list(topical_choices(session.course).items())


class AreaForm(forms.Form):
    area = forms.CharField(widget=forms.HiddenInput, max_length=40)
    depth_mm = forms.DecimalField(label="Depth (mm)", required=False, max_digits=4, decimal_places=2)
    passes = forms.IntegerField(label="Passes", required=False)

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["depth_mm"].widget.attrs["aria-label"] = f"Depth for the {self.label.lower()} (mm)"
        self.fields["passes"].widget.attrs["aria-label"] = f"Passes for the {self.label.lower()}"

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        given = [data.get("depth_mm") is not None, data.get("passes") is not None]
        if any(given) and not all(given):
            raise forms.ValidationError("Give both the depth and the passes, or leave both empty.")
        return data

    @property
    def label(self) -> str:
        return area_label(str(self["area"].value() or "")).capitalize()


class AdverseEventForm(forms.Form):
    id = forms.IntegerField(widget=forms.HiddenInput, required=False)
    kind = forms.CharField(
        label="What happened",
        max_length=60,
        required=False,
        widget=forms.TextInput(attrs={"aria-label": "What happened"}),
    )
    severity = forms.ChoiceField(
        label="Severity",
        required=False,
        choices=[("", "Choose"), *Severity.choices],
        widget=forms.Select(attrs={"aria-label": "Severity"}),
    )
    action = forms.CharField(
        label="Action taken", required=False, widget=forms.TextInput(attrs={"aria-label": "Action taken"})
    )

    def is_blank(self) -> bool:
        d = self.cleaned_data
        return not (d.get("id") or d.get("kind") or d.get("severity") or d.get("action"))


# At most MAX_ROWS rows of each are ever built, whatever count a request claims (`row_set`).
MAX_ROWS = 30
AreaFormSet = row_set(AreaForm, max_rows=MAX_ROWS, extra=0)
EventFormSet = row_set(AdverseEventForm, max_rows=MAX_ROWS, extra=1, can_delete=True)


@dataclass
class ChartEditor:
    """The chart's form and its two row sets, read together into one ChartData."""

    form: ChartForm
    areas: Any
    events: Any
    error: str = ""
    area_rows: list[int] = field(default_factory=list)  # ChartData.areas index -> form index
    event_rows: list[int] = field(default_factory=list)

    @classmethod
    def for_session(cls, session: TreatmentSession, data: Any = None) -> "ChartEditor":
        return cls(
            ChartForm(data, session=session, initial=_chart_initial(session)),
            AreaFormSet(data, prefix="areas", initial=_area_initial(session)),
            EventFormSet(data, prefix="events", initial=_event_initial(session)),
        )

    def is_valid(self) -> bool:
        return all([self.form.is_valid(), self.areas.is_valid(), self.events.is_valid()])

    def chart_data(self) -> ChartData:
        d = self.form.cleaned_data
        return ChartData(
            device=d["device"],
            cartridge_lot=d["cartridge_lot"],
            anaesthetic_on=d["anaesthetic_on"],
            anaesthetic_off=d["anaesthetic_off"],
            areas=tuple(self._areas()),
            prp_ml=d.get("prp_ml"),
            prf_ml=d.get("prf_ml"),
            topicals=tuple(d["topicals"]),
            end_point=d["end_point"],
            immediate_reactions=d["immediate_reactions"],
            notes=d["notes"],
            adverse_events=tuple(self._events()),
        )

    def _areas(self) -> list[AreaRow]:
        self.area_rows, rows = [], []
        for i, f in enumerate(self.areas.forms):
            d = f.cleaned_data
            if d.get("depth_mm") is not None:
                self.area_rows.append(i)
                rows.append(AreaRow(area=d["area"], depth_mm=d["depth_mm"], passes=d["passes"]))
        return rows

    def _events(self) -> list[AdverseEventRow]:
        self.event_rows, rows = [], []
        for i, f in enumerate(self.events.forms):
            d = f.cleaned_data
            if f.is_blank() or d.get("DELETE"):
                continue
            self.event_rows.append(i)
            rows.append(
                AdverseEventRow(kind=d["kind"], severity=d["severity"], action=d["action"], id=d.get("id"))
            )
        return rows

    def add_service_error(self, exc: ServiceError) -> None:
        """Show `exc.message` next to the field it names, or above the chart."""
        parts = exc.field.split(".")
        if exc.field in self.form.fields and not isinstance(exc, StaleEdit):
            self.form.add_error(exc.field, exc.message)
        elif len(parts) == 3 and parts[0] in ("areas", "adverse_events"):
            rows, formset = (
                (self.area_rows, self.areas) if parts[0] == "areas" else (self.event_rows, self.events)
            )
            form = formset.forms[rows[int(parts[1])]]
            form.add_error(parts[2] if parts[2] in form.fields else None, exc.message)
        else:
            self.error = exc.message


def _chart_initial(session: TreatmentSession) -> dict[str, Any]:
    adjuncts = session.adjuncts or {}
    return {
        "version": session.version,
        "device": session.device_id,
        "cartridge_lot": session.cartridge_lot,
        "anaesthetic_on": session.anaesthetic_on,
        "anaesthetic_off": session.anaesthetic_off,
        "prp_ml": adjuncts.get("prp_ml"),
        "prf_ml": adjuncts.get("prf_ml"),
        "topicals": adjuncts.get("topicals", []),
        "end_point": session.end_point,
        "immediate_reactions": session.immediate_reactions,
        "notes": session.notes,
    }


def _area_initial(session: TreatmentSession) -> list[dict[str, Any]]:
    charted = {a.area: a for a in session.areas.all()}
    return [
        {
            "area": area,
            "depth_mm": getattr(charted.get(area), "depth_mm", None),
            "passes": getattr(charted.get(area), "passes", None),
        }
        for area in plan_areas(session.course)
    ]


def _event_initial(session: TreatmentSession) -> list[dict[str, Any]]:
    return [
        {"id": e.id, "kind": e.kind, "severity": e.severity, "action": e.action}
        for e in session.adverse_events.order_by("noted_at", "id")
    ]


class AddendumForm(forms.Form):
    text = forms.CharField(
        label="Addendum", max_length=5000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
