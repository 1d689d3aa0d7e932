"""Session charting pages (clinical roles only): the day-of re-screen, the chart, signing and
addenda. Front desk and patients get 404 (`require_clinical` before the session is fetched).

Each page works as plain forms; with htmx the chart editor and the addenda swap in place
(named partials of `clinic/charting/chart.html`)."""

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django_htmx.http import HttpResponseClientRedirect

from needlepoint.clinic.access import get_session_for_user, require_clinical
from needlepoint.clinic.models import Decision, Device, SessionStatus, Severity, TreatmentSession
from needlepoint.clinic.protocol import clinic_protocol
from needlepoint.clinic.services import ServiceError, StaleEdit
from needlepoint.clinic.services.chart_rules import (
    blocked_message,
    booked_appointment,
    day_refusal,
    visit_day,
)
from needlepoint.clinic.services.chart_signing import addendum_add, chart_sign
from needlepoint.clinic.services.charting import (
    END_POINTS,
    PLATELET_ADJUNCTS,
    AdverseEventRow,
    AreaRow,
    ChartData,
    area_limits,
    chart_save,
    charting_refusal,
    topical_choices,
)
from needlepoint.clinic.services.rescreen import DayOfAnswers, plan_areas, session_rescreen
from needlepoint.clinical.vocab import area_label

TEMPLATE = "clinic/charting/chart.html"
DECISIONS = dict(Decision.choices)
YES_NO = [("no", "No"), ("yes", "Yes")]
DATETIME_LOCAL = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


def _session(request: HttpRequest, session_id: int) -> TreatmentSession:
    require_clinical(request)
    return get_session_for_user(request, session_id)


# ---- the day-of re-screen ----------------------------------------------------------------------


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
    sunburn_date = forms.DateField(
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
        self.fields["other_condition"].choices = [("", "None")] + [
            (c, c.replace("_", " ").capitalize()) for c in codes
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
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


def _rescreen_field(exc: ServiceError) -> str | None:
    if exc.field in RescreenForm.base_fields:
        return exc.field
    if exc.field.startswith("medications."):
        return "medicine_names"
    return None


def rescreen(request: HttpRequest, session_id: int) -> HttpResponse:
    """The day-of questions; saving them screens the patient again for this session. Not
    offered for a session that is not booked or whose day has not come (the page says why)."""
    session = _session(request, session_id)
    form = RescreenForm(request.POST or None)
    closed = session.status in (SessionStatus.SIGNED, SessionStatus.CANCELLED)
    not_due = None if closed else day_refusal(session)
    if request.method == "POST" and not closed and not_due is None and form.is_valid():
        try:
            screening = session_rescreen(session=session, answers=form.answers(), actor=request.user)
        except ServiceError as exc:
            form.add_error(_rescreen_field(exc), exc.message)
        else:
            if session.status == SessionStatus.BLOCKED:
                messages.error(request, "Re-screen done: the session is blocked (see why below).")
            else:
                messages.success(
                    request,
                    f"Re-screen done: {screening.get_decision_display().lower()}. You can chart the session.",
                )
            url = reverse("clinic:charting_chart", kwargs={"session_id": session.pk})
            return HttpResponseClientRedirect(url) if request.htmx else redirect(url)
    page = "clinic/charting/rescreen.html"
    context = {
        "session": session,
        "form": form,
        "closed": closed,
        "not_due": not_due,
        "late": _is_late(session),
    }
    return render(request, f"{page}#rescreen_form" if request.htmx else page, context)


# ---- the chart editor --------------------------------------------------------------------------


class ChartForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    device = forms.ModelChoiceField(
        label="Pen",
        required=False,
        empty_label="Choose the pen",
        queryset=Device.objects.exclude(kind="centrifuge").order_by("name"),
    )
    cartridge_lot = forms.CharField(label="Cartridge lot", max_length=60, required=False)
    anaesthetic_on = forms.DateTimeField(label="Anaesthetic on", required=False, widget=DATETIME_LOCAL)
    anaesthetic_off = forms.DateTimeField(label="Anaesthetic off", required=False, widget=DATETIME_LOCAL)
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
        planned = {a.get("code") for a in (session.course.plan or {}).get("adjuncts", [])}
        for code in PLATELET_ADJUNCTS:
            if code not in planned:
                del self.fields[f"{code}_ml"]
        self.fields["topicals"].choices = list(topical_choices(session.course).items())


class AreaForm(forms.Form):
    area = forms.CharField(widget=forms.HiddenInput, max_length=40)
    depth_mm = forms.DecimalField(label="Depth (mm)", required=False, max_digits=4, decimal_places=2)
    passes = forms.IntegerField(label="Passes", required=False)

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["depth_mm"].widget.attrs["aria-label"] = f"Depth for the {self.label.lower()} (mm)"
        self.fields["passes"].widget.attrs["aria-label"] = f"Passes for the {self.label.lower()}"

    def clean(self) -> dict[str, Any]:
        data = super().clean()
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


AreaFormSet = forms.formset_factory(AreaForm, extra=0, max_num=30)
EventFormSet = forms.formset_factory(AdverseEventForm, extra=1, can_delete=True, max_num=30)


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


def chart(request: HttpRequest, session_id: int) -> HttpResponse:
    """The session's chart: the editor while it can be charted, read-only once signed."""
    session = _session(request, session_id)
    editor = None
    if request.method == "POST":
        editor = ChartEditor.for_session(session, request.POST)
        if editor.is_valid():
            try:
                chart_save(
                    session=session,
                    actor=request.user,
                    expected_version=editor.form.cleaned_data["version"],
                    data=editor.chart_data(),
                )
            except ServiceError as exc:
                editor.add_service_error(exc)
            else:
                if not request.htmx:
                    messages.success(request, "Chart saved.")
                    return redirect("clinic:charting_chart", session_id=session.pk)
                return _render_chart(request, session, editor=None, saved=True, partial="editor")
    return _render_chart(request, session, editor=editor, partial="editor" if editor else "")


def sign(request: HttpRequest, session_id: int) -> HttpResponse:
    """Sign the chart (POST only): it is locked from then on."""
    session = _session(request, session_id)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    try:
        chart_sign(session=session, actor=request.user, expected_version=_int(request.POST.get("version")))
    except ServiceError as exc:
        return _render_chart(request, session, sign_error=exc.message)
    messages.success(request, "Chart signed. Later notes are added as addenda.")
    return redirect("clinic:charting_chart", session_id=session.pk)


class AddendumForm(forms.Form):
    text = forms.CharField(
        label="Addendum", max_length=5000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


def addendum(request: HttpRequest, session_id: int) -> HttpResponse:
    """Add an addendum to a signed chart (POST only)."""
    session = _session(request, session_id)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    form = AddendumForm(request.POST)
    if form.is_valid():
        try:
            addendum_add(session=session, text=form.cleaned_data["text"], actor=request.user)
        except ServiceError as exc:
            form.add_error("text", exc.message)
        else:
            if request.htmx:
                return _render_chart(request, session, partial="addenda")
            messages.success(request, "Addendum added.")
            return redirect("clinic:charting_chart", session_id=session.pk)
    return _render_chart(request, session, addendum_form=form, partial="addenda" if request.htmx else "")


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return -1


def _is_late(session: TreatmentSession) -> bool:
    """Whether writing the chart now would be a late entry (the day of the visit has passed)."""
    day = visit_day(session)
    return day is not None and timezone.localdate() > day


def _render_chart(
    request: HttpRequest,
    session: TreatmentSession,
    *,
    editor: ChartEditor | None = None,
    partial: str = "",
    **extra: Any,
) -> HttpResponse:
    refusal = charting_refusal(session)
    if editor is None and refusal is None:
        editor = ChartEditor.for_session(session)
    screening = session.day_of_screening
    context = {
        "session": session,
        "course": session.course,
        "patient": session.patient,
        "goal": area_label(session.course.goal),
        "screening": screening,
        "findings": [
            {**f, "label": DECISIONS.get(f.get("decision"), f.get("decision"))}
            for f in (screening.result.get("findings", []) if screening else [])
        ],
        "blocked": blocked_message(screening) if screening and screening.is_blocking else "",
        "refusal": refusal,
        "editor": editor,
        "signed": session.status == SessionStatus.SIGNED,
        "visit": booked_appointment(session),
        "not_due": day_refusal(session),
        "late": _is_late(session) and session.status not in (SessionStatus.SIGNED, SessionStatus.CANCELLED),
        "areas": [(area_label(a.area), a) for a in session.areas.all()],
        "events": session.adverse_events.order_by("noted_at", "id"),
        "addenda": session.addenda.select_related("written_by"),
        "limits": area_limits(session.course),
        "end_point": END_POINTS.get(session.end_point, ""),
        "topicals": [
            topical_choices(session.course).get(c, c) for c in (session.adjuncts or {}).get("topicals", [])
        ],
        "addendum_form": AddendumForm(),
        **extra,
    }
    name = f"{TEMPLATE}#{partial}" if partial and request.htmx else TEMPLATE
    return render(request, name, context)


urls: list[URLPattern] = [
    path("sessions/<int:session_id>/rescreen/", rescreen, name="charting_rescreen"),
    path("sessions/<int:session_id>/chart/", chart, name="charting_chart"),
    path("sessions/<int:session_id>/sign/", sign, name="charting_sign"),
    path("sessions/<int:session_id>/addenda/", addendum, name="charting_addendum"),
]
portal_urls: list[URLPattern] = []
