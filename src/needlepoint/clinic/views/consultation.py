"""Consultation pages, for the clinical roles only (medical director, practitioners; everyone
else gets 404): the patient's intake versions and screening, clearances, the skin and scar
assessment with scores that update as you type, and proposing a course (whose page is
`course_plan`).

Views never write models: they parse the form (`clinic.forms`), call a service and show
`ServiceError.message` next to the field at fault, answering with its `http_status`. Every
control is a plain form; htmx only adds the live score preview."""

from collections.abc import Iterable
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from needlepoint.clinic import selectors
from needlepoint.clinic.access import get_patient_for_user, require_clinical
from needlepoint.clinic.forms import intake_editor as editor
from needlepoint.clinic.forms.consultation import (
    AssessmentForm,
    ClearanceForm,
    ProposeForm,
)
from needlepoint.clinic.models import (
    Clearance,
    Decision,
    IntakeSource,
    Patient,
)
from needlepoint.clinic.protocol import clinic_protocol
from needlepoint.clinic.services import ServiceError, course_plan
from needlepoint.clinic.services import assessment as assessment_services
from needlepoint.clinic.services import clearances as clearance_services
from needlepoint.clinic.services import screening as screening_services
from needlepoint.clinical import scales, vocab
from needlepoint.web.http import AuthenticatedHttpRequest

TEMPLATES = "clinic/consultation/"


# ---------------------------------------------------------------------------------------------
# Access
# ---------------------------------------------------------------------------------------------


def _patient(request: AuthenticatedHttpRequest, patient_id: int, *, audit: bool = True) -> Patient:
    """Return the patient for a clinical user (404 for anyone else); audited as a view."""
    require_clinical(request)
    return get_patient_for_user(request, patient_id, clinical=True, audit=audit)


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

    medicines = editor.protocol_medicines()
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
    screening = selectors.latest_screening_detail(patient)
    assessment = selectors.latest_assessment(patient)
    clearances = list(selectors.patient_clearances(patient))
    active = {c.finding_code: c for c in clearances if c.revoked_at is None}
    versions = list(selectors.patient_intakes(patient))
    intakes = [
        {
            "intake": i,
            "summary": _intake_summary(i.data, i.source),
            "patient_words": _patient_words(i.data, i.source),
        }
        for i in versions
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
        "courses": [(c, vocab.area_label(c.goal)) for c in selectors.patient_courses(patient)],
        "propose_blockers": course_plan.propose_blockers(versions[0] if versions else None, screening),
        "propose_form": ProposeForm(),
        **extra,
    }


@require_GET
def overview(request: AuthenticatedHttpRequest, patient_id: int) -> HttpResponse:
    patient = _patient(request, patient_id)
    return render(request, TEMPLATES + "overview.html", _overview_context(patient))


@require_POST
def rescreen(request: AuthenticatedHttpRequest, patient_id: int) -> HttpResponse:
    patient = _patient(request, patient_id)
    try:
        screening = screening_services.screening_refresh(patient=patient, actor=request.user)
    except ServiceError as exc:
        return render(
            request,
            TEMPLATES + "overview.html",
            _overview_context(patient, page_error=exc.message),
            status=exc.http_status,
        )
    messages.success(request, f"Screened again: {Decision(screening.decision).label}.")
    return redirect("clinic:consultation_overview", patient_id=patient.pk)


# ---------------------------------------------------------------------------------------------
# Intake editor
# ---------------------------------------------------------------------------------------------


def _intake_page(
    request: AuthenticatedHttpRequest,
    patient: Patient,
    form: editor.IntakeForm,
    rows: editor.Rows,
    *,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    latest = selectors.patient_intakes(patient).first()
    return render(
        request,
        TEMPLATES + "intake.html",
        {
            "patient": patient,
            "form": form,
            "rows": rows,
            "latest": latest,
            "error": error,
            "max_rows": editor.MAX_ROWS,
            "medicine_names": vocab.medicine_names(editor.protocol_medicines()),
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
def intake(request: AuthenticatedHttpRequest, patient_id: int) -> HttpResponse:
    patient = _patient(request, patient_id)
    latest = selectors.patient_intakes(patient).first()
    form, rows = editor.intake_forms(
        request.POST if request.method == "POST" else None, latest.data if latest else None
    )
    if request.method == "GET":
        return _intake_page(request, patient, form, rows)
    if request.POST.get("add_row") in editor.ROWS:
        form, rows = editor.intake_forms(editor.with_row(request.POST, request.POST["add_row"]), None)
        editor.without_errors(form, rows)
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
    data, positions = editor.intake_data(form, rows)
    try:
        screening = screening_services.intake_record(patient=patient, data=data, actor=request.user)
    except ServiceError as exc:
        editor.place_intake_error(exc, form, rows, positions)
        said = exc.message if exc.field in exc.message else f"{exc.field}: {exc.message}"
        return _intake_page(
            request, patient, form, rows, status=exc.http_status, error=f"The intake was not saved. {said}"
        )
    messages.success(
        request,
        f"Intake version {screening.intake.number} saved and screened: {Decision(screening.decision).label}.",
    )
    return redirect("clinic:consultation_overview", patient_id=patient.pk)


# ---------------------------------------------------------------------------------------------
# Clearances
# ---------------------------------------------------------------------------------------------


def _clearance_page(
    request: AuthenticatedHttpRequest,
    patient: Patient,
    finding_code: str,
    form: ClearanceForm,
    *,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    screening = selectors.latest_screening_detail(patient)
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
def clearance_give(request: AuthenticatedHttpRequest, patient_id: int, finding_code: str) -> HttpResponse:
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
        return _clearance_page(
            request, patient, finding_code, form, error=exc.message, status=exc.http_status
        )
    screening = selectors.latest_screening_detail(patient)
    messages.success(
        request,
        f"Clearance recorded; the screening now reads: "
        f"{Decision(screening.decision).label if screening else '—'}.",
    )
    return redirect("clinic:consultation_overview", patient_id=patient.pk)


@require_POST
def clearance_revoke(request: AuthenticatedHttpRequest, patient_id: int, clearance_id: int) -> HttpResponse:
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
            status=exc.http_status,
        )
    messages.success(request, "Clearance revoked; the patient was screened again.")
    return redirect("clinic:consultation_overview", patient_id=patient.pk)


# ---------------------------------------------------------------------------------------------
# Assessment
# ---------------------------------------------------------------------------------------------

DEFAULT_SCAR_AREAS = ("forehead", "cheeks", "chin")


def _assessment_areas(patient: Patient) -> tuple[str, ...]:
    latest = selectors.patient_intakes(patient).first()
    return tuple(latest.data.get("areas", ())) if latest else DEFAULT_SCAR_AREAS


def _scores(form: AssessmentForm) -> tuple[assessment_services.AssessmentScores | None, list[str]]:
    """Return the scores of a bound form (None when a field does not parse) and the form's own
    errors as plain lines."""
    if not form.is_valid():
        lines = [
            f"{form.fields[k].label if k in form.fields else ''}: {' '.join(str(e) for e in v)}".lstrip(": ")
            for k, v in form.errors.items()
        ]
        return None, lines
    return assessment_services.assessment_scores(**form.service_inputs()), []


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
def assessment(request: AuthenticatedHttpRequest, patient_id: int) -> HttpResponse:
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
        assessment_services.assessment_record(
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
            status=exc.http_status,
        )
    messages.success(request, "Assessment recorded.")
    return redirect("clinic:consultation_overview", patient_id=patient.pk)


@require_POST
def assessment_preview(request: AuthenticatedHttpRequest, patient_id: int) -> HttpResponse:
    """Return the computed scores for the form as typed; stores nothing. With htmx only the
    scores partial (not audited as a view: it shows only what was typed); without, the page."""
    partial = bool(getattr(request, "htmx", False))
    patient = _patient(request, patient_id, audit=not partial)
    form = AssessmentForm(request.POST, areas=_assessment_areas(patient))
    template = TEMPLATES + ("assessment.html#scores" if partial else "assessment.html")
    return render(request, template, _assessment_context(patient, form, previewed=True))


# ---------------------------------------------------------------------------------------------
# Proposing a course (its page is `course_plan`)
# ---------------------------------------------------------------------------------------------


@require_POST
def course_propose(request: AuthenticatedHttpRequest, patient_id: int) -> HttpResponse:
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
]
