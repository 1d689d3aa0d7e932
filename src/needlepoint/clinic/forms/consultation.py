"""The consultation's forms: a clearance's basis, the skin and scar assessment, proposing a
course, editing a draft plan (and its starting values from the stored plan) and the medical
director's depth override."""

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django import forms
from django.utils import timezone

from needlepoint.clinic.forms import DATE, choice_field, code_choices, optional
from needlepoint.clinic.models import Course
from needlepoint.clinic.plan_view import PlanView
from needlepoint.clinic.protocol import clinic_protocol
from needlepoint.clinic.services import ServiceError, course_plan
from needlepoint.clinic.services import screening as screening_services
from needlepoint.clinical import scales, vocab
from needlepoint.clinical.protocol import ABSOLUTE_MAX_DEPTH_MM
from needlepoint.web.fields import DayField

DEPTH = forms.NumberInput(attrs={"step": "0.05", "min": "0.05", "max": f"{ABSOLUTE_MAX_DEPTH_MM:g}"})


class ClearanceForm(forms.Form):
    basis = forms.CharField(
        label="Basis for the clearance",
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="For example the specialist's letter, or what you examined.",
    )


MASI_REGIONS = tuple(scales.MASI_REGION_WEIGHTS)


def _number(label: str, low: float, high: float, step: str = "1", *, integer: bool = True) -> forms.Field:
    """A number field that parses only; ranges are the scales library's to judge (its
    messages name the scale, the item and the value), the browser hints them. The label is also
    the input's accessible name, for the grids that show inputs without a visible label."""
    widget = forms.NumberInput(attrs={"min": str(low), "max": str(high), "step": step, "aria-label": label})
    field = forms.IntegerField if integer else forms.FloatField
    return field(label=label, required=False, widget=widget)


class AssessmentForm(forms.Form):
    phototype = forms.TypedChoiceField(
        label="Phototype (direct)",
        required=False,
        coerce=int,
        empty_value=None,
        choices=optional(
            ((n, f"{scales.PHOTOTYPE_ROMAN[n - 1]} — {d}") for n, d in scales.PHOTOTYPES.items()),
            "From the questionnaire",
        ),
    )
    goodman_baron_grade = forms.TypedChoiceField(
        label="Goodman & Baron grade",
        required=False,
        coerce=int,
        empty_value=None,
        widget=forms.RadioSelect,
        choices=optional(
            (
                (g.grade, f"{g.grade} — {g.level}: {g.definition}")
                for g in scales.GOODMAN_BARON_GRADES.values()
            ),
            "Not graded",
        ),
    )
    notes = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, areas: Iterable[str], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.areas = tuple(areas)
        for item, text in scales.FITZPATRICK_ITEMS.items():
            self.fields[f"fp_{item}"] = _number(text.capitalize(), 0, scales.FITZPATRICK_ITEM_MAX)
        for area in self.areas:
            for kind in scales.SCAR_TYPES:
                self.fields[f"scar_{area}_{kind}"] = _number(f"{vocab.area_label(area)} {kind}", 0, 999)
        for region in MASI_REGIONS:
            name = region.replace("_", " ")
            self.fields[f"masi_{region}_percent"] = _number(f"{name}: area %", 0, 100, "any", integer=False)
            self.fields[f"masi_{region}_score"] = _number(f"{name}: area score", 0, 6)
            self.fields[f"masi_{region}_darkness"] = _number(f"{name}: darkness", 0, 4)
            self.fields[f"masi_{region}_homogeneity"] = _number(f"{name}: homogeneity", 0, 4)

    def fitzpatrick_fields(self) -> list[forms.BoundField]:
        return [self[f"fp_{item}"] for item in scales.FITZPATRICK_ITEMS]

    def scar_rows(self) -> list[tuple[str, list[forms.BoundField]]]:
        return [(vocab.area_label(a), [self[f"scar_{a}_{k}"] for k in scales.SCAR_TYPES]) for a in self.areas]

    def masi_rows(self) -> list[tuple[str, list[forms.BoundField]]]:
        return [
            (
                r.replace("_", " "),
                [self[f"masi_{r}_{k}"] for k in ("percent", "score", "darkness", "homogeneity")],
            )
            for r in MASI_REGIONS
        ]

    def service_inputs(self) -> dict[str, Any]:
        """Return the keyword arguments of `assessment_scores` from the cleaned form."""
        d = self.cleaned_data
        answers = {i: d[f"fp_{i}"] for i in scales.FITZPATRICK_ITEMS if d.get(f"fp_{i}") is not None}
        scars = {
            a: {k: d[f"scar_{a}_{k}"] for k in scales.SCAR_TYPES if d.get(f"scar_{a}_{k}") is not None}
            for a in self.areas
        }
        regions = {
            r: {
                "area_percent": d.get(f"masi_{r}_percent"),
                "area_score": d.get(f"masi_{r}_score"),
                "darkness": d.get(f"masi_{r}_darkness"),
                "homogeneity": d.get(f"masi_{r}_homogeneity"),
            }
            for r in MASI_REGIONS
        }
        return {
            "phototype": d.get("phototype"),
            "phototype_answers": answers or None,
            "goodman_baron_grade": d.get("goodman_baron_grade"),
            "scar_counts": {a: c for a, c in scars.items() if c} or None,
            "masi_regions": regions,
        }


class ProposeForm(forms.Form):
    start_date = DayField(label="Start no earlier than", widget=DATE)

    def __init__(self, *args: Any, **kwargs: Any):
        kwargs.setdefault("initial", {"start_date": timezone.localdate().isoformat()})
        super().__init__(*args, **kwargs)

    def clean_start_date(self) -> dt.date:
        start: dt.date = self.cleaned_data["start_date"]
        if start < timezone.localdate():
            raise forms.ValidationError("The course cannot start in the past.")
        return start


class CourseForm(forms.Form):
    """A draft plan's editable parts: each area (treated or not, and its depth range), the
    number of sessions and their interval, the adjuncts. `changes()` is `course_edit`'s
    argument."""

    version = forms.IntegerField(widget=forms.HiddenInput)
    sessions_count = forms.IntegerField(
        label="Sessions", widget=forms.NumberInput(attrs={"min": "1", "max": "12"})
    )
    interval_min = forms.IntegerField(label="Shortest interval (days)")
    interval_max = forms.IntegerField(label="Longest interval (days)")
    adjuncts = forms.MultipleChoiceField(
        label="Adjuncts", required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, course: Course, plan: PlanView, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.areas = course_areas(course, plan)
        self.ceilings = {a: course_plan.area_ceiling(course, a) for a in self.areas}
        choice_field(self.fields["adjuncts"]).choices = [(a.code, a.label) for a in plan.adjuncts]
        for area in self.areas:
            label = vocab.area_label(area)
            self.fields[f"area_{area}_include"] = forms.BooleanField(label=f"Treat {label}", required=False)
            self.fields[f"area_{area}_min"] = forms.DecimalField(
                label=f"{label}: shallowest (mm)", required=False, decimal_places=2, widget=DEPTH
            )
            self.fields[f"area_{area}_max"] = forms.DecimalField(
                label=f"{label}: deepest (mm)", required=False, decimal_places=2, widget=DEPTH
            )

    def area_rows(self) -> list[tuple[str, list[forms.BoundField], float]]:
        return [
            (
                vocab.area_label(a),
                [self[f"area_{a}_{k}"] for k in ("include", "min", "max")],
                self.ceilings[a],
            )
            for a in self.areas
        ]

    def changes(self) -> dict[str, Any]:
        d = self.cleaned_data
        areas = []
        for area in self.areas:
            if d.get(f"area_{area}_include"):
                low, high = d.get(f"area_{area}_min"), d.get(f"area_{area}_max")
                areas.append(
                    {
                        "area": area,
                        "min": float(low) if low is not None else None,
                        "max": float(high) if high is not None else None,
                    }
                )
        return {
            "areas": areas,
            "sessions": {
                "count": d["sessions_count"],
                "interval_min": d["interval_min"],
                "interval_max": d["interval_max"],
            },
            "adjuncts": list(d.get("adjuncts", [])),
        }

    def place(self, exc: ServiceError) -> None:
        """Show a service's message next to the field its path names."""
        parts = exc.field.split(".")
        name = {
            "sessions.count": "sessions_count",
            "sessions.interval_min": "interval_min",
            "sessions.interval_max": "interval_max",
            "adjuncts": "adjuncts",
        }.get(exc.field)
        if parts[0] == "areas" and len(parts) > 1:
            name = f"area_{parts[1]}_{parts[2] if len(parts) > 2 else 'include'}"
        self.add_error(name if name in self.fields and name in self.cleaned_data else None, exc.message)


def course_areas(course: Course, plan: PlanView) -> list[str]:
    """The plan's areas, then the other areas the screening leaves treatable."""
    planned = plan.area_codes
    return planned + [a for a in screening_services.treatable_areas(course.screening) if a not in planned]


def course_initial(course: Course, plan: PlanView) -> dict[str, Any]:
    """The plan editor's values from the plan as saved; an area not in the plan starts at the
    protocol's depths for the goal (capped by the area's ceiling), unticked."""
    initial: dict[str, Any] = {
        "version": course.version,
        "sessions_count": plan.session_count,
        "interval_min": plan.interval_min,
        "interval_max": plan.interval_max,
        "adjuncts": [a.code for a in plan.selected_adjuncts],
    }
    protocol = clinic_protocol()
    goal = protocol.goals.get(course.goal)
    for area in course_areas(course, plan):
        entry = plan.area(area)
        low: float | None
        high: float | None
        if entry:
            low, high = entry.depth_min, entry.depth_max
        elif area in protocol.areas:
            depth = (goal.depths.areas.get(area) if goal and goal.depths else None) or protocol.areas[
                area
            ].depth_mm
            low, high = depth.min, min(depth.max, protocol.areas[area].ceiling_mm)
        else:
            low = high = None
        initial |= {
            f"area_{area}_include": entry is not None,
            f"area_{area}_min": low,
            f"area_{area}_max": high,
        }
    return initial


class OverrideForm(forms.Form):
    area = forms.ChoiceField(label="Area")
    depth_max_mm = forms.DecimalField(label="Allow down to (mm)", decimal_places=2, widget=DEPTH)
    reason = forms.CharField(label="Clinical reason", widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, plan: PlanView, **kwargs: Any):
        super().__init__(*args, **kwargs)
        choice_field(self.fields["area"]).choices = code_choices(plan.area_codes)
