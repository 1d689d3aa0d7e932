"""Aftercare and follow-up pages.

Portal (patients only; staff get 404): the check-in list and the day 1/3/7 check-in form.
Staff (clinical roles only; front desk and patients get 404): acknowledging and resolving a flag, recording
outcomes, the course summary with its chart of scores over time, completing a course.

Every control is a plain form or link; nothing here needs JavaScript."""

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import URLPattern, path

from needlepoint.audit.services import audit_record
from needlepoint.clinic.access import get_course_for_user, get_session_for_user, require_clinical
from needlepoint.clinic.models import (
    Course,
    Flag,
    OutcomeKind,
    Patient,
    SessionStatus,
    TreatmentSession,
)
from needlepoint.clinic.selectors import (
    SeriesPoint,
    aftercare_instructions,
    check_in_schedule,
    course_summary,
)
from needlepoint.clinic.services import ServiceError
from needlepoint.clinic.services.aftercare import (
    CHECK_IN_DAYS,
    SCORE_MAX,
    WARNING_SIGN_LABELS,
    WARNING_SIGNS,
    check_in_state,
    check_in_submit,
    flag_acknowledge,
    flag_reasons,
    flag_resolve,
    patient_advice,
    session_day,
)
from needlepoint.clinic.services.chart_rules import visit_day
from needlepoint.clinic.services.outcomes import (
    completion_blockers,
    course_complete,
    outcome_record,
    took_place,
)
from needlepoint.clinical.scales import GAIS_LABELS, GOODMAN_BARON_GRADES, SCAR_TYPES
from needlepoint.clinical.vocab import area_label

# ---- portal: check-ins -------------------------------------------------------------------------


def _patient(request: HttpRequest) -> Patient:
    """Return the signed-in patient's record; anyone else gets 404 (these are portal pages)."""
    user = request.user
    if not getattr(user, "is_patient", False):
        raise Http404("No such page.")
    patient = Patient.objects.filter(user=user).first()
    if patient is None:
        raise Http404("No such record.")
    return patient


def clinic_contact() -> dict[str, str]:
    """The clinic's phone and out-of-hours advice (settings), shown wherever the portal tells a
    patient to contact the clinic."""
    phone = settings.NEEDLEPOINT_CLINIC_PHONE
    return {
        "phone": phone,
        "tel": "".join(c for c in phone if c.isdigit() or c == "+"),
        "out_of_hours": settings.NEEDLEPOINT_OUT_OF_HOURS_ADVICE,
    }


def checkin_list(request: HttpRequest) -> HttpResponse:
    """The patient's signed sessions with their day 1/3/7 check-ins: done, due, overdue."""
    patient = _patient(request)
    schedule = check_in_schedule(patient)
    audit_record(
        actor=request.user,
        action="view",
        object_type="clinic.checkin",
        patient_id=patient.pk,
        summary="check-in list",
    )
    latest = schedule[0].session.course if schedule else None
    return render(
        request,
        "portal/aftercare/checkin_list.html",
        {
            "patient": patient,
            "schedule": schedule,
            "contact": clinic_contact(),
            "instructions": aftercare_instructions(latest) if latest else [],
        },
    )


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


def _own_session(request: HttpRequest, session_id: int, day: int) -> TreatmentSession:
    _patient(request)
    session = get_session_for_user(request, session_id)
    if session.status != SessionStatus.SIGNED or day not in CHECK_IN_DAYS:
        raise Http404("No such check-in.")
    return session


def checkin_new(request: HttpRequest, session_id: int, day: int) -> HttpResponse:
    """The day-`day` check-in form; once sent, the same address shows what it means."""
    session = _own_session(request, session_id, day)
    done = session.check_ins.filter(day=day).prefetch_related("flags").first()
    if done is not None:
        level, advice = patient_advice(done, [flag_reasons(f) for f in done.flags.all()])
        return render(
            request,
            "portal/aftercare/checkin_done.html",
            {
                "session": session,
                "day": day,
                "check_in": done,
                "level": level,
                "advice": advice,
                "contact": clinic_contact(),
                "signs": [WARNING_SIGN_LABELS[s] for s in done.warning_signs],
            },
        )
    form = CheckInForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            check_in_submit(session=session, day=day, actor=request.user, **form.cleaned_data)
        except ServiceError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            return redirect("portal:checkin_new", session_id=session.pk, day=day)
    start = session_day(session)
    return render(
        request,
        "portal/aftercare/checkin_form.html",
        {
            "session": session,
            "day": day,
            "form": form,
            "state": check_in_state(session, day, False),
            "contact": clinic_contact(),
            "due_on": start + dt.timedelta(days=day) if start else None,
        },
    )


# ---- staff: flags ------------------------------------------------------------------------------


def _flag(request: HttpRequest, flag_id: int) -> Flag:
    """Return the flag for clinical staff (404 for everyone else), writing the view event."""
    require_clinical(request)
    flag = (
        Flag.objects.select_related("patient", "check_in__session", "resolved_by", "acknowledged_by")
        .filter(pk=flag_id)
        .first()
    )
    if flag is None:
        raise Http404("No such flag.")
    audit_record(actor=request.user, action="view", obj=flag)
    return flag


class ResolveForm(forms.Form):
    resolution = forms.CharField(
        label="What was done", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )


def flag_resolve_view(request: HttpRequest, flag_id: int) -> HttpResponse:
    """A flag with its check-in, and the form that resolves it."""
    flag = _flag(request, flag_id)
    form = ResolveForm(request.POST or None)
    if request.method == "POST" and form.is_valid() and flag.resolved_at is None:
        try:
            flag_resolve(flag=flag, resolution=form.cleaned_data["resolution"], actor=request.user)
        except ServiceError as exc:
            form.add_error("resolution", exc.message)
        else:
            messages.success(request, f"Flag for {flag.patient} resolved.")
            return redirect("clinic:dashboard")
    check_in = flag.check_in
    return render(
        request,
        "clinic/aftercare/flag.html",
        {
            "flag": flag,
            "form": form,
            "check_in": check_in,
            "alerts": list(flag.alerts.all()),
            "signs": [WARNING_SIGN_LABELS.get(s, s) for s in (check_in.warning_signs if check_in else [])],
        },
    )


def flag_acknowledge_view(request: HttpRequest, flag_id: int) -> HttpResponse:
    """Acknowledge a flag (POST only): "I have it". Back to the dashboard or the flag page."""
    flag = _flag(request, flag_id)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    try:
        flag_acknowledge(flag=flag, actor=request.user)
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Flag for {flag.patient} acknowledged: it is yours now.")
    if request.POST.get("back") == "dashboard":
        return redirect("clinic:dashboard")
    return redirect("clinic:flag_resolve", flag_id=flag.pk)


# ---- staff: outcomes ---------------------------------------------------------------------------


def _course(request: HttpRequest, course_id: int) -> Course:
    require_clinical(request)
    return get_course_for_user(request, course_id)


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
        self.fields["session"].choices = [("", "None (scores after the course)")] + [
            (s.pk, f"Session {s.number}" + (f" · {day:%d %b %Y}" if (day := visit_day(s)) else ""))
            for s in sessions
        ]

    def clean_mmasi(self) -> float | None:
        value = self.cleaned_data.get("mmasi")
        if value is not None and not math.isfinite(value):
            raise forms.ValidationError("Enter a number from 0 to 24.")
        return value


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


def _outcome_areas(course: Course) -> list[str]:
    planned = [a.get("area") for a in (course.plan or {}).get("areas", []) if a.get("area")]
    assessed = list(getattr(course.assessment, "scar_counts", None) or {})
    return list(dict.fromkeys([*planned, *assessed])) or ["face"]


def outcome_new(request: HttpRequest, course_id: int) -> HttpResponse:
    """Record the scores of a visit or of the end of the course."""
    course = _course(request, course_id)
    sessions = {
        s.pk: s for s in course.sessions.select_related("appointment").order_by("number") if took_place(s)
    }
    form = OutcomeForm(request.POST or None, sessions=list(sessions.values()))
    grid = ScarGrid.read(_outcome_areas(course), request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid() and (counts := grid.counts()) is not None:
        d = form.cleaned_data
        try:
            outcome_record(
                course=course,
                session=sessions.get(d["session"]),
                kind=d["kind"],
                goodman_baron_grade=d["goodman_baron_grade"],
                scar_counts=counts,
                mmasi=d["mmasi"],
                gais=d["gais"],
                actor=request.user,
            )
        except ServiceError as exc:
            if exc.field in form.fields:
                form.add_error(exc.field, exc.message)
            elif exc.field == "scar_counts":
                grid.error = exc.message
            else:
                form.add_error(None, exc.message)
        else:
            messages.success(request, "Outcome recorded.")
            return redirect("clinic:course_summary", course_id=course.pk)
    return render(
        request,
        "clinic/aftercare/outcome_form.html",
        {
            "course": course,
            "patient": course.patient,
            "form": form,
            "grid": grid,
            "scar_types": SCAR_TYPES,
            "none_taken_place": not sessions,
        },
    )


# ---- staff: course summary ---------------------------------------------------------------------


def course_summary_view(request: HttpRequest, course_id: int) -> HttpResponse:
    """What happened in the course, its outcomes charted over time, in plain words."""
    course = _course(request, course_id)
    summary = course_summary(course)
    return render(
        request,
        "clinic/aftercare/course_summary.html",
        {
            "course": course,
            "patient": course.patient,
            "summary": summary,
            "goal": area_label(course.goal),
            "depth_rows": [(area_label(area).capitalize(), cells) for area, cells in summary.depths],
            "not_taken_place": [s for s in summary.sessions if s.status != SessionStatus.SIGNED],
            "chart": outcome_chart(summary.series),
            "can_complete": course.status in ("approved", "active"),
            "complete_blockers": completion_blockers(course),
            "check_in_notes": [c for c in summary.check_ins if c.note.strip()],
            "check_in_rows": [
                (c, [WARNING_SIGN_LABELS.get(s, s) for s in c.warning_signs]) for c in summary.check_ins
            ],
        },
    )


def course_complete_view(request: HttpRequest, course_id: int) -> HttpResponse:
    """Complete the course (POST only) and store its summary."""
    course = _course(request, course_id)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    try:
        course_complete(course=course, actor=request.user)
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Course completed; its summary is stored with it.")
    return redirect("clinic:course_summary", course_id=course.pk)


# ---- the outcome chart (server-rendered SVG) ---------------------------------------------------

CHART_WIDTH = 720
PANEL_HEIGHT = 170
LEFT, RIGHT, TOP, BOTTOM = 170, 40, 34, 40  # room for the y labels, the title and the dates
INSET = 20  # the first and last points sit this far inside the plot


def _n(value: float) -> str:
    """Return an SVG coordinate: one decimal, never localised."""
    return f"{value:.1f}"


@dataclass(frozen=True)
class Panel:
    """One series drawn on its own scale: a title, y ticks, x ticks and the points, in SVG
    coordinates (strings) relative to the panel's `top`."""

    title: str
    note: str
    top: int
    y_ticks: list[tuple[str, str]]  # y, label
    x_ticks: list[tuple[str, str]]  # x, date
    points: list[tuple[str, str, str, str]]  # x, y, value, tooltip
    polyline: str


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    panels: list[Panel]
    plot_left: int = LEFT
    plot_right: int = CHART_WIDTH - RIGHT
    plot_top: int = TOP
    plot_bottom: int = PANEL_HEIGHT - BOTTOM
    y_label_x: int = LEFT - 8
    date_label_y: int = PANEL_HEIGHT - BOTTOM + 18


def _grade_label(v: int) -> str:
    return f"{v} {GOODMAN_BARON_GRADES[v].level}"


def _mmasi_top(points: list[SeriesPoint]) -> int:
    high = max((p.value for p in points), default=0)
    return min(24, max(4, math.ceil(high / 4) * 4))


def _scale(points: list[SeriesPoint], name: str) -> tuple[float, float, list[tuple[float, str]]]:
    """Return (lowest, highest, ticks) of a series' y axis: the scale's own range for the G&B
    grade and GAIS (labelled with their words), 0 to a multiple of 4 for mMASI."""
    if name == "goodman_baron":
        return 1, 4, [(v, _grade_label(v)) for v in range(1, 5)]
    if name == "gais":
        return 1, 5, [(v, f"{v} {GAIS_LABELS[v]}") for v in range(1, 6)]
    top = _mmasi_top(points)
    return 0, top, [(top * i / 4, f"{top * i / 4:g}") for i in range(5)]


SERIES_TITLES = {
    "goodman_baron": ("Goodman & Baron grade", "1 macular to 4 severe; lower is better"),
    "mmasi": ("mMASI", "0-24; lower is lighter pigmentation"),
    "gais": ("GAIS (patient-rated)", "1 very much improved to 5 worse"),
}


def _x_positions(dates: list[dt.date]) -> dict[dt.date, float]:
    """Return each date's x, proportional to time; points stay clear of the y axis."""
    plot = CHART_WIDTH - LEFT - RIGHT
    if len(dates) == 1:
        return {dates[0]: LEFT + plot / 2}
    span = (dates[-1] - dates[0]).days or 1
    inner = plot - 2 * INSET
    return {d: LEFT + INSET + inner * (d - dates[0]).days / span for d in dates}


def _x_ticks(xs: dict[dt.date, float]) -> list[tuple[str, str]]:
    dates = list(xs)
    step = max(1, math.ceil(len(dates) / 6))  # at most about six date labels, never overlapping
    keep = dates[::step]
    keep[-1] = dates[-1]  # the last date is always labelled
    return [(_n(xs[d]), f"{d.day} {d:%b %Y}") for d in keep]


def _panel(name: str, points: list[SeriesPoint], xs: dict[dt.date, float], top: int) -> Panel:
    low, high, ticks = _scale(points, name)
    plot_h = PANEL_HEIGHT - TOP - BOTTOM

    def y(v: float) -> str:
        return _n(TOP + plot_h * (1 - (v - low) / (high - low)))

    title, note = SERIES_TITLES[name]
    drawn = [
        (
            _n(xs[p.date]),
            y(p.value),
            f"{p.value:g}",
            f"{title} {p.value:g} on {p.date.day} {p.date:%b %Y} ({p.label})",
        )
        for p in points
    ]
    return Panel(
        title,
        note,
        top,
        [(y(v), t) for v, t in ticks],
        _x_ticks(xs),
        drawn,
        " ".join(f"{x},{yy}" for x, yy, _, _ in drawn),
    )


def outcome_chart(series: dict[str, list[SeriesPoint]]) -> Chart | None:
    """Return the geometry of the outcome chart: one panel per series with data, sharing the
    date axis, each with labelled y ticks and every point labelled with its value. None when
    there is nothing to draw."""
    names = [n for n in ("goodman_baron", "mmasi", "gais") if series.get(n)]
    if not names:
        return None
    xs = _x_positions(sorted({p.date for n in names for p in series[n]}))
    panels = [_panel(name, series[name], xs, i * PANEL_HEIGHT) for i, name in enumerate(names)]
    return Chart(CHART_WIDTH, PANEL_HEIGHT * len(panels), panels)


urls: list[URLPattern] = [
    path("flags/<int:flag_id>/resolve/", flag_resolve_view, name="flag_resolve"),
    path("flags/<int:flag_id>/acknowledge/", flag_acknowledge_view, name="flag_acknowledge"),
    path("courses/<int:course_id>/outcomes/new/", outcome_new, name="outcome_new"),
    path("courses/<int:course_id>/summary/", course_summary_view, name="course_summary"),
    path("courses/<int:course_id>/complete/", course_complete_view, name="course_complete"),
]
portal_urls: list[URLPattern] = [
    path("check-ins/", checkin_list, name="checkin_list"),
    path("sessions/<int:session_id>/check-in/<int:day>/", checkin_new, name="checkin_new"),
]
