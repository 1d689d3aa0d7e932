"""Consultation pages, for the clinical roles only (medical director, practitioners; everyone
else gets 404): the patient's intake versions and screening, clearances, the skin and scar
assessment with scores that update as you type, and the proposed course from draft to approval.

Views never write models: they parse the form, call a service from
`needlepoint.clinic.services` and show `ServiceError.message` next to the field at
fault. Every control is a plain form; htmx only adds the live score preview."""

import datetime as dt
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import messages
from django.forms import formset_factory
from django.forms.utils import ErrorDict
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from needlepoint.clinic.access import get_course_for_user, get_patient_for_user, require_clinical
from needlepoint.clinic.models import (
    Clearance,
    Course,
    CourseStatus,
    Decision,
    IntakeSource,
    Patient,
    SessionStatus,
    TreatmentSession,
)
from needlepoint.clinic.protocol import clinic_protocol
from needlepoint.clinic.selectors import (
    booked_session_ids,
    latest_assessment,
    latest_screening_detail,
    patient_clearances,
    patient_courses,
    patient_intakes,
)
from needlepoint.clinic.services import ServiceError, StaleEdit, course_approval, course_plan
from needlepoint.clinic.services import clearances as clearance_services
from needlepoint.clinic.services.assessment import AssessmentScores, assessment_record, assessment_scores
from needlepoint.clinic.services.chart_rules import day_refusal, visit_day
from needlepoint.clinic.services.course_approval import approval_blockers, depth_override_give
from needlepoint.clinic.services.course_plan import area_ceiling, propose_blockers
from needlepoint.clinic.services.plan_edit import course_edit
from needlepoint.clinic.services.screening import intake_record, screening_refresh, treatable_areas
from needlepoint.clinical import scales, vocab
from needlepoint.clinical.protocol import ABSOLUTE_MAX_DEPTH_MM

TEMPLATES = "clinic/consultation/"
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DEPTH = forms.NumberInput(attrs={"step": "0.05", "min": "0.05", "max": f"{ABSOLUTE_MAX_DEPTH_MM:g}"})


# ---------------------------------------------------------------------------------------------
# Access
# ---------------------------------------------------------------------------------------------


def _patient(request: HttpRequest, patient_id: int, *, audit: bool = True) -> Patient:
    """Return the patient for a clinical user (404 for anyone else); audited as a view."""
    require_clinical(request)
    return get_patient_for_user(request, patient_id, clinical=True, audit=audit)


def _course(request: HttpRequest, patient_id: int, course_id: int) -> Course:
    """Return the patient's course for a clinical user (404 for anyone else, or for a course of
    another patient); audited as a view."""
    require_clinical(request)
    if not Course.objects.filter(pk=course_id, patient_id=patient_id).exists():
        raise Http404("No such record.")  # before the helper, so no view is audited
    return get_course_for_user(request, course_id, clinical=True)


def _status(exc: ServiceError) -> int:
    return 409 if isinstance(exc, StaleEdit) else 400


def _choices(codes: Iterable[str]) -> list[tuple[str, str]]:
    return [(c, vocab.area_label(c)) for c in codes]


# ---------------------------------------------------------------------------------------------
# Overview
# ---------------------------------------------------------------------------------------------


def _source_citations(ids: Iterable[str]) -> list[dict[str, str]]:
    known = clinic_protocol().sources
    return [{"id": s, "citation": known[s].citation if s in known else ""} for s in ids]


def _findings(result: dict[str, Any], clearances: dict[str, Clearance]) -> list[dict[str, Any]]:
    rows = []
    for f in result.get("findings", []):
        decision = f["decision"]
        rows.append(
            {
                **f,
                "decision_label": Decision(decision).label,
                "areas_label": ", ".join(vocab.area_label(a) for a in f["areas"] or ()),
                "citations": _source_citations(f.get("sources", ())),
                "clearance": clearances.get(f["code"]) if f.get("cleared") else None,
                "clearable": decision == Decision.NEEDS_CLEARANCE and not f.get("cleared"),
            }
        )
    return rows


PATIENT_SOURCES = frozenset({IntakeSource.INQUIRY, IntakeSource.PORTAL})


def _medicine_text(m: dict[str, Any], medicines: dict[str, str], staff_typed: bool) -> str:
    """Return a medication in staff wording: the name as staff typed it, else the protocol's
    name for its code, else a plain "not recognised"."""
    code = m.get("atc") or vocab.medicine_code_for(m.get("name") or "", medicines)
    known = vocab.medicine_name_for(code, medicines) if code else ""
    name = (m.get("name") if staff_typed else known) or known or "a medicine the protocol does not recognise"
    return f"{name} ({m.get('status', 'current')})"


def _intake_summary(data: dict[str, Any], source: str = "consultation") -> list[tuple[str, str]]:
    """Return an intake as (label, text) lines a clinician reads at a glance, in staff wording:
    what the patient typed is shown apart (`_patient_words`)."""

    def join(items: Iterable[str]) -> str:
        return ", ".join(items) or "none reported"

    medicines = _medicines()
    staff_typed = source not in PATIENT_SOURCES
    scars = data.get("scars") or {}
    lines = [
        ("Goals", join(vocab.area_label(g) for g in data.get("goals", ()))),
        ("Areas", join(vocab.area_label(a) for a in data.get("areas", ()))),
        ("Phototype", str((data.get("skin") or {}).get("fitzpatrick") or "not recorded")),
    ]
    if scars:  # carried by intakes from other sources; the assessment is where they are taken
        lines.append(("Scars", join(f"{k.replace('_', ' ')} {v}" for k, v in scars.items())))
    lines += [
        ("Pregnancy", data.get("pregnancy") or "not asked"),
        (
            "Conditions",
            join(
                f"{vocab.area_label(c['code'])} ({c.get('status', 'active')})"
                for c in data.get("conditions", ())
            ),
        ),
        ("Medications", join(_medicine_text(m, medicines, staff_typed) for m in data.get("medications", ()))),
        (
            "Procedures",
            join(f"{vocab.area_label(p['code'])} on {p.get('date')}" for p in data.get("procedures", ())),
        ),
        ("Allergies", join(vocab.area_label(a) for a in data.get("allergies", ()))),
    ]
    return lines


def _patient_words(data: dict[str, Any], source: str) -> list[tuple[str, list[str]]]:
    """Return what the patient wrote in their own words (an inquiry's or the portal's free
    text: the medicines and other allergies they listed), to show apart from staff wording."""
    if source not in PATIENT_SOURCES:
        return []
    meds = [m["name"] for m in data.get("medications", ()) if m.get("name")]
    others = [vocab.area_label(a) for a in data.get("allergies", ()) if a not in vocab.RECOGNISED_ALLERGIES]
    return [
        (label, words)
        for label, words in (("Medicines they listed", meds), ("Other allergies they listed", others))
        if words
    ]


def _overview_context(patient: Patient, **extra: Any) -> dict[str, Any]:
    screening = latest_screening_detail(patient)
    assessment = latest_assessment(patient)
    clearances = list(patient_clearances(patient))
    active = {c.finding_code: c for c in clearances if c.revoked_at is None}
    intakes = [
        {
            "intake": i,
            "summary": _intake_summary(i.data, i.source),
            "patient_words": _patient_words(i.data, i.source),
        }
        for i in patient_intakes(patient)
    ]
    return {
        "patient": patient,
        "intakes": intakes,
        "screening": screening,
        "decision_label": Decision(screening.decision).label if screening else "",
        "areas": [
            (vocab.area_label(a), d, Decision(d).label) for a, d in screening.result.get("areas", {}).items()
        ]
        if screening
        else [],
        "findings": _findings(screening.result, active) if screening else [],
        "active_clearances": [c for c in clearances if c.revoked_at is None],
        "revoked_clearances": [c for c in clearances if c.revoked_at is not None],
        "assessment": assessment,
        "assessment_phototype": (
            f"{scales.PHOTOTYPE_ROMAN[assessment.phototype - 1]} — {scales.PHOTOTYPES[assessment.phototype]}"
            if assessment and assessment.phototype
            else ""
        ),
        "assessment_grade": (
            scales.GOODMAN_BARON_GRADES.get(assessment.goodman_baron_grade)
            if assessment and assessment.goodman_baron_grade
            else None
        ),
        "courses": [(c, vocab.area_label(c.goal)) for c in patient_courses(patient)],
        "propose_blockers": propose_blockers(intakes[0]["intake"] if intakes else None, screening),
        "propose_form": ProposeForm(),
        **extra,
    }


@require_GET
def overview(request: HttpRequest, patient_id: int) -> HttpResponse:
    patient = _patient(request, patient_id)
    return render(request, TEMPLATES + "overview.html", _overview_context(patient))


@require_POST
def rescreen(request: HttpRequest, patient_id: int) -> HttpResponse:
    patient = _patient(request, patient_id)
    try:
        screening = screening_refresh(patient=patient, actor=request.user)
    except ServiceError as exc:
        return render(
            request,
            TEMPLATES + "overview.html",
            _overview_context(patient, page_error=exc.message),
            status=_status(exc),
        )
    messages.success(request, f"Screened again: {Decision(screening.decision).label}.")
    return redirect("clinic:consultation_overview", patient_id=patient.pk)


# ---------------------------------------------------------------------------------------------
# Intake editor
# ---------------------------------------------------------------------------------------------


def _optional(choices: Iterable[tuple[Any, str]], blank: str) -> list[tuple[Any, str]]:
    return [("", blank), *choices]


class IntakeForm(forms.Form):
    """What the patient reports. Scar counts and the Goodman & Baron grade are the clinician's
    measurement: they are taken once, in the assessment, not asked here."""

    assessed_on = forms.DateField(label="Assessed on", widget=DATE)
    goal = forms.ChoiceField(label="Main goal")
    other_goals = forms.MultipleChoiceField(
        label="Other goals", required=False, widget=forms.CheckboxSelectMultiple
    )
    areas = forms.MultipleChoiceField(label="Areas to treat", widget=forms.CheckboxSelectMultiple)
    fitzpatrick = forms.TypedChoiceField(
        label="Fitzpatrick phototype",
        required=False,
        coerce=int,
        empty_value=None,
        choices=_optional(
            ((n, f"{scales.PHOTOTYPE_ROMAN[n - 1]} — {d}") for n, d in scales.PHOTOTYPES.items()),
            "Not recorded",
        ),
    )
    pregnancy = forms.ChoiceField(
        label="Pregnancy", required=False, choices=_optional(_choices(vocab.PREGNANCY), "Not asked")
    )
    allergies = forms.CharField(
        label="Allergies", required=False, help_text="Separate with commas, e.g. lidocaine, nickel."
    )

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        words = clinic_protocol().vocabulary_for_intake()
        goals = _choices(sorted(words.goals))
        self.fields["goal"].choices = goals  # type: ignore[attr-defined]
        self.fields["other_goals"].choices = goals  # type: ignore[attr-defined]
        self.fields["areas"].choices = _choices(sorted(words.areas))  # type: ignore[attr-defined]


def _codes(text: str) -> list[str]:
    return [c.strip() for c in (text or "").split(",") if c.strip()]


class _Row(forms.Form):
    key = ""  # the field that makes a row count as filled in

    def is_blank(self) -> bool:
        return not self.cleaned_data.get(self.key)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        filled = [k for k, v in data.items() if v not in (None, "", []) and k not in ("status",)]
        if filled and not data.get(self.key) and not self.errors:
            what = str(self.fields[self.key].label or self.key).lower()
            raise forms.ValidationError(f"Choose the {what} or clear the row.")
        return data


class ConditionRow(_Row):
    key = "code"
    code = forms.ChoiceField(label="Condition", required=False)
    status = forms.ChoiceField(choices=_choices(vocab.CONDITION_STATUSES), initial="active")
    severity = forms.ChoiceField(required=False, choices=_optional(_choices(vocab.SEVERITIES), "—"))
    areas = forms.CharField(required=False, help_text="Areas, separated with commas")
    date = forms.DateField(required=False, widget=DATE)

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        codes = sorted(clinic_protocol().vocabulary_for_intake().conditions)
        self.fields["code"].choices = _optional(_choices(codes), "—")  # type: ignore[attr-defined]

    def as_data(self) -> dict[str, Any]:
        d = self.cleaned_data
        row: dict[str, Any] = {"code": d["code"], "status": d["status"]}
        if d.get("severity"):
            row["severity"] = d["severity"]
        if _codes(d.get("areas", "")):
            row["areas"] = _codes(d["areas"])
        if d.get("date"):
            row["date"] = d["date"].isoformat()
        return row


def _medicines() -> dict[str, str]:
    """The protocol's medicine names and their ATC codes."""
    return dict(clinic_protocol().medications)


class MedicationRow(_Row):
    """A medicine named as staff or the patient say it, picked from the protocol's list of names
    or typed; its ATC code is looked up behind the scenes (screening resolves the name, and an
    unknown name is flagged for review). A code the record already carried (from another
    source) is kept, hidden, while the row keeps the name it came with."""

    key = "name"
    name = forms.CharField(
        label="Medicine",
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"list": "medicine-names", "autocomplete": "off"}),
    )
    status = forms.ChoiceField(choices=_choices(vocab.MEDICATION_STATUSES), initial="current")
    last_taken = forms.DateField(required=False, widget=DATE)
    atc = forms.CharField(required=False, max_length=10, widget=forms.HiddenInput)
    atc_name = forms.CharField(required=False, max_length=200, widget=forms.HiddenInput)

    def clean(self) -> dict[str, Any]:
        data = forms.Form.clean(self) or {}
        if data.get("last_taken") and not data.get("name"):
            raise forms.ValidationError("Name the medicine or clear the row.")
        return data

    def as_data(self) -> dict[str, Any]:
        d = self.cleaned_data
        row: dict[str, Any] = {"name": d["name"].strip(), "status": d["status"]}
        code = (d.get("atc") or "").strip()
        if code and vocab.name_key(d["name"]) == vocab.name_key(d.get("atc_name") or ""):
            row["atc"] = code
        if d.get("last_taken"):
            row["last_taken"] = d["last_taken"].isoformat()
        return row


def _medication_initial(row: dict[str, Any]) -> dict[str, Any]:
    """Return an intake's medication as the editor's row: its name (the protocol's name for a
    medicine recorded only by its code) with any code kept behind the scenes."""
    name = row.get("name") or vocab.medicine_name_for(row.get("atc", ""), _medicines()) or row.get("atc", "")
    out = {k: v for k, v in row.items() if k in ("status", "last_taken")} | {"name": name}
    if row.get("atc"):
        out |= {"atc": row["atc"], "atc_name": name}
    return out


class ProcedureRow(_Row):
    key = "code"
    code = forms.ChoiceField(label="Procedure", required=False)
    date = forms.DateField(required=False, widget=DATE)
    depth = forms.ChoiceField(
        required=False, label="Peel depth", choices=_optional(_choices(vocab.PEEL_DEPTHS), "—")
    )
    kind = forms.ChoiceField(
        required=False, label="Laser kind", choices=_optional(_choices(vocab.LASER_KINDS), "—")
    )
    areas = forms.CharField(required=False, help_text="Areas, separated with commas")

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        codes = sorted(clinic_protocol().vocabulary_for_intake().procedures)
        self.fields["code"].choices = _optional(_choices(codes), "—")  # type: ignore[attr-defined]

    def as_data(self) -> dict[str, Any]:
        d = self.cleaned_data
        row: dict[str, Any] = {"code": d["code"]}
        if d.get("date"):
            row["date"] = d["date"].isoformat()
        for key in ("depth", "kind"):
            if d.get(key):
                row[key] = d[key]
        if _codes(d.get("areas", "")):
            row["areas"] = _codes(d["areas"])
        return row


ROWS = {
    "conditions": formset_factory(ConditionRow, extra=2),
    "medications": formset_factory(MedicationRow, extra=2),
    "procedures": formset_factory(ProcedureRow, extra=2),
}


def _intake_initial(data: dict[str, Any] | None) -> tuple[dict[str, Any], dict[str, list[Any]]]:
    """Return the editor's initial values from the latest intake (a new version starts from
    the last one), and the rows of each repeatable section."""
    today = timezone.localdate().isoformat()
    if not data:
        return {"assessed_on": today}, {k: [] for k in ROWS}
    goals = list(data.get("goals", ()))
    initial = {
        "assessed_on": today,
        "goal": goals[0] if goals else None,
        "other_goals": goals[1:],
        "areas": list(data.get("areas", ())),
        "fitzpatrick": (data.get("skin") or {}).get("fitzpatrick"),
        "pregnancy": data.get("pregnancy") or "",
        "allergies": ", ".join(data.get("allergies", ())),
    }
    rows = {
        k: [
            {**r, "areas": ", ".join(r.get("areas") or ())} if "areas" in r else dict(r)
            for r in data.get(k, ())
        ]
        for k in ROWS
    }
    rows["medications"] = [_medication_initial(r) for r in rows["medications"]]
    return initial, rows


MAX_ROWS = 30
"""Rows per repeatable section the editor offers; more than any intake needs."""


def _with_row(post: Any, key: str) -> Any:
    """Return a copy of the posted intake with one more empty row in section `key` (at most
    MAX_ROWS), for the editor's "Add a row" button: nothing is saved or screened."""
    data = post.copy()
    name = f"{key}-TOTAL_FORMS"
    try:
        total = int(data.get(name, "0"))
    except ValueError:
        total = 0
    total = max(total, 0)
    if total >= MAX_ROWS:
        return data
    data[name] = str(total + 1)
    for field, spec in ROWS[key].form.base_fields.items():  # the new row shows its defaults
        if spec.initial is not None:
            data[f"{key}-{total}-{field}"] = spec.initial
    return data


def _without_errors(form: IntakeForm, rows: dict[str, Any]) -> None:
    """Show the forms as typed, without judging them: the user has not asked to save yet."""
    form._errors = ErrorDict()
    for formset in rows.values():
        formset._errors, formset._non_form_errors = [], formset.error_class()
        for row in formset.forms:
            row._errors = ErrorDict()


def _intake_forms(post: Any, data: dict[str, Any] | None) -> tuple[IntakeForm, dict[str, Any]]:
    initial, rows = _intake_initial(data)
    if post is not None:
        return IntakeForm(post), {k: f(post, prefix=k) for k, f in ROWS.items()}
    return IntakeForm(initial=initial), {k: f(prefix=k, initial=rows[k]) for k, f in ROWS.items()}


def _intake_data(form: IntakeForm, rows: dict[str, Any]) -> tuple[dict[str, Any], dict[str, list[int]]]:
    """Return the intake in the contract's shape, and for each repeatable section the form row
    of each entry (blank rows are left out, so the core's index differs from the form's)."""
    d = form.cleaned_data
    data: dict[str, Any] = {
        "schema": vocab.INTAKE_SCHEMA,
        "assessed_on": d["assessed_on"].isoformat(),
        "patient": {},
        "goals": [d["goal"], *(g for g in d["other_goals"] if g != d["goal"])],
        "areas": list(d["areas"]),
    }
    if d.get("fitzpatrick") is not None:
        data["skin"] = {"fitzpatrick": d["fitzpatrick"]}
    if d.get("pregnancy"):
        data["pregnancy"] = d["pregnancy"]
    positions: dict[str, list[int]] = {}
    for key, formset in rows.items():
        kept = [(i, f) for i, f in enumerate(formset.forms) if f.cleaned_data and not f.is_blank()]
        data[key] = [f.as_data() for _, f in kept]
        positions[key] = [i for i, _ in kept]
    data["allergies"] = _codes(d.get("allergies", ""))
    return data, positions


INTAKE_FIELDS = {
    "assessed_on": "assessed_on",
    "areas": "areas",
    "skin": "fitzpatrick",
    "pregnancy": "pregnancy",
    "allergies": "allergies",
}


def _place_intake_error(
    exc: ServiceError, form: IntakeForm, rows: dict[str, Any], positions: dict[str, list[int]]
) -> None:
    """Show the core's message next to the form field its dotted path names."""
    parts = exc.field.split(".")
    head = parts[0]
    if head in rows and len(parts) > 1 and parts[1].isdigit() and int(parts[1]) < len(positions[head]):
        row = rows[head].forms[positions[head][int(parts[1])]]
        name = parts[2] if len(parts) > 2 and parts[2] in row.fields else None
        row.add_error(name, exc.message)
        return
    if head == "goals":
        name = "goal" if parts[1:] in ([], ["0"]) else "other_goals"
    else:
        name = INTAKE_FIELDS.get(head)
    if name and name in form.cleaned_data:
        form.add_error(name, exc.message)
    else:
        form.add_error(None, exc.message)


def _intake_page(
    request: HttpRequest,
    patient: Patient,
    form: IntakeForm,
    rows: dict[str, Any],
    *,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    latest = patient_intakes(patient).first()
    return render(
        request,
        TEMPLATES + "intake.html",
        {
            "patient": patient,
            "form": form,
            "rows": rows,
            "latest": latest,
            "error": error,
            "max_rows": MAX_ROWS,
            "medicine_names": vocab.medicine_names(_medicines()),
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
def intake(request: HttpRequest, patient_id: int) -> HttpResponse:
    patient = _patient(request, patient_id)
    latest = patient_intakes(patient).first()
    form, rows = _intake_forms(
        request.POST if request.method == "POST" else None, latest.data if latest else None
    )
    if request.method == "GET":
        return _intake_page(request, patient, form, rows)
    if request.POST.get("add_row") in ROWS:
        form, rows = _intake_forms(_with_row(request.POST, request.POST["add_row"]), None)
        _without_errors(form, rows)
        return _intake_page(request, patient, form, rows)
    if not (form.is_valid() and all(f.is_valid() for f in rows.values())):
        return _intake_page(
            request,
            patient,
            form,
            rows,
            status=400,
            error="The intake was not saved: correct the fields marked below.",
        )
    data, positions = _intake_data(form, rows)
    try:
        screening = intake_record(patient=patient, data=data, actor=request.user)
    except ServiceError as exc:
        _place_intake_error(exc, form, rows, positions)
        said = exc.message if exc.field in exc.message else f"{exc.field}: {exc.message}"
        return _intake_page(
            request, patient, form, rows, status=_status(exc), error=f"The intake was not saved. {said}"
        )
    messages.success(
        request,
        f"Intake version {screening.intake.number} saved and screened: {Decision(screening.decision).label}.",
    )
    return redirect("clinic:consultation_overview", patient_id=patient.pk)


# ---------------------------------------------------------------------------------------------
# Clearances
# ---------------------------------------------------------------------------------------------


class ClearanceForm(forms.Form):
    basis = forms.CharField(
        label="Basis for the clearance",
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="For example the specialist's letter, or what you examined.",
    )


def _clearance_page(
    request: HttpRequest,
    patient: Patient,
    finding_code: str,
    form: ClearanceForm,
    *,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    screening = latest_screening_detail(patient)
    findings = [f for f in _findings(screening.result, {}) if f["code"] == finding_code] if screening else []
    return render(
        request,
        TEMPLATES + "clearance.html",
        {
            "patient": patient,
            "finding_code": finding_code,
            "findings": findings,
            "clearable": any(f["clearable"] for f in findings),
            "form": form,
            "error": error,
            "screening": screening,
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
def clearance_give(request: HttpRequest, patient_id: int, finding_code: str) -> HttpResponse:
    patient = _patient(request, patient_id)
    if request.method == "GET":
        return _clearance_page(request, patient, finding_code, ClearanceForm())
    form = ClearanceForm(request.POST)
    basis = request.POST.get("basis", "")
    try:
        clearance_services.clearance_give(
            patient=patient, finding_code=finding_code, basis=basis, actor=request.user
        )
    except ServiceError as exc:
        if exc.field == "basis" and form.is_bound:
            form.is_valid()
            if "basis" in form.cleaned_data:
                form.add_error("basis", exc.message)
        return _clearance_page(request, patient, finding_code, form, error=exc.message, status=_status(exc))
    screening = latest_screening_detail(patient)
    messages.success(
        request,
        f"Clearance recorded; the screening now reads: "
        f"{Decision(screening.decision).label if screening else '—'}.",
    )
    return redirect("clinic:consultation_overview", patient_id=patient.pk)


@require_POST
def clearance_revoke(request: HttpRequest, patient_id: int, clearance_id: int) -> HttpResponse:
    patient = _patient(request, patient_id)
    clearance = Clearance.objects.filter(patient=patient, pk=clearance_id).first()
    if clearance is None:
        raise Http404("No such record.")
    try:
        clearance_services.clearance_revoke(clearance=clearance, actor=request.user)
    except ServiceError as exc:
        return render(
            request,
            TEMPLATES + "overview.html",
            _overview_context(patient, page_error=exc.message),
            status=_status(exc),
        )
    messages.success(request, "Clearance revoked; the patient was screened again.")
    return redirect("clinic:consultation_overview", patient_id=patient.pk)


# ---------------------------------------------------------------------------------------------
# Assessment
# ---------------------------------------------------------------------------------------------

DEFAULT_SCAR_AREAS = ("forehead", "cheeks", "chin")
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
        choices=_optional(
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
        choices=_optional(
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


def _assessment_areas(patient: Patient) -> tuple[str, ...]:
    latest = patient_intakes(patient).first()
    return tuple(latest.data.get("areas", ())) if latest else DEFAULT_SCAR_AREAS


def _scores(form: AssessmentForm) -> tuple[AssessmentScores | None, list[str]]:
    """Return the scores of a bound form (None when a field does not parse) and the form's own
    errors as plain lines."""
    if not form.is_valid():
        lines = [
            f"{form.fields[k].label if k in form.fields else ''}: {' '.join(v)}".lstrip(": ")
            for k, v in form.errors.items()
        ]
        return None, lines
    return assessment_scores(**form.service_inputs()), []


def _assessment_context(patient: Patient, form: AssessmentForm, **extra: Any) -> dict[str, Any]:
    scores, form_errors = _scores(form) if form.is_bound else (None, [])
    return {
        "patient": patient,
        "form": form,
        "scores": scores,
        "form_errors": form_errors,
        "grades": list(scales.GOODMAN_BARON_GRADES.values()),
        "item_max": scales.FITZPATRICK_ITEM_MAX,
        "mmasi_note": scales.MMASI_NOTE,
        "scar_types": scales.SCAR_TYPES,
        "masi_weights": [(r.replace("_", " "), w) for r, w in scales.MASI_REGION_WEIGHTS.items()],
        **extra,
    }


@require_http_methods(["GET", "POST"])
def assessment(request: HttpRequest, patient_id: int) -> HttpResponse:
    patient = _patient(request, patient_id)
    areas = _assessment_areas(patient)
    if request.method == "GET":
        form = AssessmentForm(areas=areas)
        return render(request, TEMPLATES + "assessment.html", _assessment_context(patient, form))
    form = AssessmentForm(request.POST, areas=areas)
    if not form.is_valid():
        return render(
            request,
            TEMPLATES + "assessment.html",
            _assessment_context(
                patient, form, error="The assessment was not saved: correct the fields marked below."
            ),
            status=400,
        )
    try:
        assessment_record(
            patient=patient,
            actor=request.user,
            notes=form.cleaned_data.get("notes", ""),
            **form.service_inputs(),
        )
    except ServiceError as exc:
        return render(
            request,
            TEMPLATES + "assessment.html",
            _assessment_context(patient, form, error=f"The assessment was not saved: {exc.message}"),
            status=_status(exc),
        )
    messages.success(request, "Assessment recorded.")
    return redirect("clinic:consultation_overview", patient_id=patient.pk)


@require_POST
def assessment_preview(request: HttpRequest, patient_id: int) -> HttpResponse:
    """Return the computed scores for the form as typed; stores nothing. With htmx only the
    scores partial (not audited as a view: it shows only what was typed); without, the page."""
    partial = bool(getattr(request, "htmx", False))
    patient = _patient(request, patient_id, audit=not partial)
    form = AssessmentForm(request.POST, areas=_assessment_areas(patient))
    template = TEMPLATES + ("assessment.html#scores" if partial else "assessment.html")
    return render(request, template, _assessment_context(patient, form, previewed=True))


# ---------------------------------------------------------------------------------------------
# Course: propose, edit, override, approve
# ---------------------------------------------------------------------------------------------


class ProposeForm(forms.Form):
    start_date = forms.DateField(label="Start no earlier than", widget=DATE)

    def __init__(self, *args: Any, **kwargs: Any):
        kwargs.setdefault("initial", {"start_date": timezone.localdate().isoformat()})
        super().__init__(*args, **kwargs)

    def clean_start_date(self) -> dt.date:
        start: dt.date = self.cleaned_data["start_date"]
        if start < timezone.localdate():
            raise forms.ValidationError("The course cannot start in the past.")
        return start


@require_POST
def course_propose(request: HttpRequest, patient_id: int) -> HttpResponse:
    patient = _patient(request, patient_id)
    form = ProposeForm(request.POST)
    if form.is_valid():
        try:
            course = course_plan.course_propose(
                patient=patient, actor=request.user, start_date=form.cleaned_data["start_date"]
            )
        except ServiceError as exc:
            form.add_error("start_date" if exc.field == "start_date" else None, exc.message)
        else:
            messages.success(request, "Course proposed as a draft: review and edit it, then approve.")
            return redirect("clinic:consultation_course", patient_id=patient.pk, course_id=course.pk)
    return render(
        request, TEMPLATES + "overview.html", _overview_context(patient, propose_form=form), status=400
    )


class CourseForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    sessions_count = forms.IntegerField(
        label="Sessions", widget=forms.NumberInput(attrs={"min": "1", "max": "12"})
    )
    interval_min = forms.IntegerField(label="Shortest interval (days)")
    interval_max = forms.IntegerField(label="Longest interval (days)")
    adjuncts = forms.MultipleChoiceField(
        label="Adjuncts", required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, course: Course, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.areas = _course_areas(course)
        self.ceilings = {a: area_ceiling(course, a) for a in self.areas}
        self.fields["adjuncts"].choices = [  # type: ignore[attr-defined]
            (a["code"], a.get("name") or a["code"]) for a in course.plan.get("adjuncts", [])
        ]
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


def _course_areas(course: Course) -> list[str]:
    planned = [a["area"] for a in course.plan.get("areas", [])]
    return planned + [a for a in treatable_areas(course.screening) if a not in planned]


def _course_initial(course: Course) -> dict[str, Any]:
    plan = course.plan
    initial: dict[str, Any] = {
        "version": course.version,
        "sessions_count": plan["sessions"]["count"],
        "interval_min": plan["sessions"]["interval_days"]["min"],
        "interval_max": plan["sessions"]["interval_days"]["max"],
        "adjuncts": [a["code"] for a in plan.get("adjuncts", []) if a.get("selected")],
    }
    protocol = clinic_protocol()
    goal = protocol.goals.get(course.goal)
    for area in _course_areas(course):
        entry = next((a for a in plan.get("areas", []) if a["area"] == area), None)
        if entry:
            low, high = entry["depth_mm"]["min"], entry["depth_mm"]["max"]
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

    def __init__(self, *args: Any, course: Course, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["area"].choices = _choices(  # type: ignore[attr-defined]
            a["area"] for a in course.plan.get("areas", [])
        )


def _sessions(course: Course) -> list[TreatmentSession]:
    """The course's sessions, each with `chart_note`: why it cannot be charted today (not
    booked, or booked for a later day), or "" when its chart can be opened."""
    sessions = list(course.sessions.select_related("appointment").order_by("number"))
    for s in sessions:
        s.chart_note = _chart_note(s)  # type: ignore[attr-defined]
    return sessions


def _chart_note(session: TreatmentSession) -> str:
    if session.status in (SessionStatus.SIGNED, SessionStatus.CANCELLED) or day_refusal(session) is None:
        return ""
    day = visit_day(session)
    return "book it first" if day is None else f"charted on its day, {day.day} {day:%b %Y}"


def _course_context(request: HttpRequest, course: Course, **extra: Any) -> dict[str, Any]:
    plan = course.plan
    screening = latest_screening_detail(course.patient)
    overrides = list(course.overrides.select_related("given_by").order_by("area"))
    by_area = {o.area: o for o in overrides}
    rows = [
        {
            "area": vocab.area_label(a["area"]),
            "min": a["depth_mm"]["min"],
            "max": a["depth_mm"]["max"],
            "ceiling": a.get("ceiling_mm"),
            "override": by_area.get(a["area"]),
        }
        for a in plan.get("areas", [])
    ]
    treatable = treatable_areas(course.screening)
    excluded = [vocab.area_label(a) for a in course.screening.result.get("areas", {}) if a not in treatable]
    is_draft = course.status == CourseStatus.DRAFT
    return {
        "booked_ids": booked_session_ids(course.sessions.all()) if not is_draft else set(),
        "patient": course.patient,
        "course": course,
        "plan": plan,
        "area_rows": rows,
        "goal_label": vocab.area_label(course.goal),
        "excluded": excluded,
        "overrides": overrides,
        "screening": screening,
        "decision_label": Decision(screening.decision).label if screening else "",
        "blockers": approval_blockers(course) if is_draft else [],
        "is_draft": is_draft,
        "is_director": getattr(request.user, "is_medical_director", False),
        "selected_adjuncts": [a for a in plan.get("adjuncts", []) if a.get("selected")],
        "sessions": _sessions(course) if not is_draft else [],
        "consent": consent_for_course(course) if not is_draft else None,
        "form": CourseForm(initial=_course_initial(course), course=course),
        "override_form": OverrideForm(course=course),
        **extra,
    }


def consent_for_course(course: Course) -> Any:
    from needlepoint.clinic.selectors import consent_for_course as signed

    return signed(course)


def _course_page(request: HttpRequest, course: Course, *, status: int = 200, **extra: Any) -> HttpResponse:
    return render(
        request, TEMPLATES + "course.html", _course_context(request, course, **extra), status=status
    )


@require_http_methods(["GET", "POST"])
def course(request: HttpRequest, patient_id: int, course_id: int) -> HttpResponse:
    course = _course(request, patient_id, course_id)
    if request.method == "GET":
        return _course_page(request, course)
    form = CourseForm(request.POST, course=course)
    if not form.is_valid():
        return _course_page(
            request,
            course,
            form=form,
            status=400,
            error="The plan was not saved: correct the fields marked below.",
        )
    try:
        course_edit(
            course=course,
            actor=request.user,
            expected_version=form.cleaned_data["version"],
            changes=form.changes(),
        )
    except ServiceError as exc:
        form.place(exc)
        course.refresh_from_db()
        # After a stale edit the form shows this user's unsaved values, not the plan as saved:
        # approving from here would approve a plan nobody on this page has read.
        return _course_page(
            request,
            course,
            form=form,
            status=_status(exc),
            error=f"The plan was not saved: {exc.message}",
            stale=isinstance(exc, StaleEdit),
        )
    messages.success(request, f"Plan saved (version {course.version}).")
    return redirect("clinic:consultation_course", patient_id=patient_id, course_id=course.pk)


def _post_action(
    request: HttpRequest, patient_id: int, course_id: int, action: Callable[[Course], str]
) -> HttpResponse:
    """Run a course action from a plain form; on refusal show the course page with why."""
    course = _course(request, patient_id, course_id)
    try:
        done = action(course)
    except ServiceError as exc:
        course.refresh_from_db()
        return _course_page(request, course, status=_status(exc), error=exc.message, error_field=exc.field)
    messages.success(request, done)
    return redirect("clinic:consultation_course", patient_id=patient_id, course_id=course.pk)


@require_POST
def course_approve(request: HttpRequest, patient_id: int, course_id: int) -> HttpResponse:
    def approve(course: Course) -> str:
        try:
            version = int(request.POST.get("version", ""))
        except ValueError:
            raise ServiceError(
                "The form is missing the plan's version: reload the page.", field="version"
            ) from None
        course_approval.course_approve(course=course, actor=request.user, expected_version=version)
        return f"Course approved: {course.sessions.count()} sessions planned."

    return _post_action(request, patient_id, course_id, approve)


@require_POST
def depth_override(request: HttpRequest, patient_id: int, course_id: int) -> HttpResponse:
    course = _course(request, patient_id, course_id)
    form = OverrideForm(request.POST, course=course)
    if not form.is_valid():
        return _course_page(
            request,
            course,
            override_form=form,
            status=400,
            error="The override was not recorded: correct the fields marked below.",
        )
    d = form.cleaned_data
    try:
        depth_override_give(
            course=course,
            area=d["area"],
            depth_max_mm=Decimal(d["depth_max_mm"]),
            reason=d["reason"],
            actor=request.user,
        )
    except ServiceError as exc:
        form.add_error(exc.field if exc.field in form.cleaned_data else None, exc.message)
        return _course_page(
            request,
            course,
            override_form=form,
            status=_status(exc),
            error=f"The override was not recorded: {exc.message}",
        )
    messages.success(request, f"Override recorded for {vocab.area_label(d['area'])}.")
    return redirect("clinic:consultation_course", patient_id=patient_id, course_id=course.pk)


urls: list[URLPattern] = [
    path("patients/<int:patient_id>/consultation/", overview, name="consultation_overview"),
    path("patients/<int:patient_id>/consultation/screen/", rescreen, name="consultation_rescreen"),
    path("patients/<int:patient_id>/consultation/intake/", intake, name="consultation_intake"),
    path(
        "patients/<int:patient_id>/consultation/clearances/<slug:finding_code>/",
        clearance_give,
        name="consultation_clearance",
    ),
    path(
        "patients/<int:patient_id>/consultation/clearances/<int:clearance_id>/revoke/",
        clearance_revoke,
        name="consultation_clearance_revoke",
    ),
    path("patients/<int:patient_id>/consultation/assessment/", assessment, name="consultation_assessment"),
    path(
        "patients/<int:patient_id>/consultation/assessment/preview/",
        assessment_preview,
        name="consultation_assessment_preview",
    ),
    path(
        "patients/<int:patient_id>/consultation/courses/", course_propose, name="consultation_course_propose"
    ),
    path(
        "patients/<int:patient_id>/consultation/courses/<int:course_id>/", course, name="consultation_course"
    ),
    path(
        "patients/<int:patient_id>/consultation/courses/<int:course_id>/approve/",
        course_approve,
        name="consultation_course_approve",
    ),
    path(
        "patients/<int:patient_id>/consultation/courses/<int:course_id>/override/",
        depth_override,
        name="consultation_depth_override",
    ),
]
portal_urls: list[URLPattern] = []
