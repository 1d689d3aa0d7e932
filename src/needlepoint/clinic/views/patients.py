"""Patient records for clinic staff: the list with search, registration (with an optional
portal login, whose link to set a password is emailed to the patient and never shown here), the
record, and contact-detail edits guarded against stale edits.

Patients use the portal, never these pages (404). Every record is fetched through
`get_patient_for_user` (which writes the "view" audit event); clinical sections (intakes,
screenings, courses) are shown to clinical roles only — the front desk sees contact details and
the schedule. With htmx the list's search swaps only the results; every control is also a
plain form or link."""

import datetime as dt
import re
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import F, Q, QuerySet, Value
from django.db.models.functions import Replace
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import pluralize
from django.urls import URLPattern, path
from django.views.decorators.http import require_http_methods, require_POST

from needlepoint.accounts.password_links import link_lifetime_days
from needlepoint.audit.services import audit_record
from needlepoint.clinic.access import get_patient_for_user, require_staff
from needlepoint.clinic.forms.patients import PatientCreateForm, PatientEditForm, refuse
from needlepoint.clinic.models import (
    CourseStatus,
    Decision,
    IntakeSource,
    Patient,
    SessionStatus,
)
from needlepoint.clinic.selectors import booked_session_ids
from needlepoint.clinic.services import ServiceError
from needlepoint.clinic.services.patients import (
    CONTACT_FIELDS,
    PossibleDuplicate,
    patient_portal_account_create,
    patient_portal_link_send,
    patient_register,
    patient_update,
)
from needlepoint.clinical import vocab
from needlepoint.web.http import HtmxHttpRequest

LIST = "clinic/patients/list.html"
FORM = "clinic/patients/form.html"
DETAIL = "clinic/patients/detail.html"
INVITATION = "clinic/patients/invitation.html"
PAGE_SIZE = 25
MAX_SEARCH_TERMS = 4


# ---- list ---------------------------------------------------------------------------------------

RECORD_RE = re.compile(r"^np-?0*(\d{1,9})$", re.IGNORECASE)
DIGITS_RE = re.compile(r"^\+?[\d() .\-]{3,}$")
DATE_RE = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})$")
PHONE_PUNCTUATION = (" ", "-", "(", ")", ".", "+")


class SearchError(ValueError):
    """A search term that cannot mean anything (a date that does not exist)."""


def _birth_date_term(term: str) -> dt.date | None:
    """Return the date a term names (2026-11-23, 23/11/2026, 23.11.2026: day first, as the
    clinic writes it), None when it is not written as a date; SearchError for an impossible
    date."""
    iso = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", term)
    parts = (iso.group(1), iso.group(2), iso.group(3)) if iso else None
    if parts is None and (uk := DATE_RE.fullmatch(term)):
        parts = (uk.group(3), uk.group(2), uk.group(1))
    if parts is None:
        return None
    try:
        return dt.date(int(parts[0]), int(parts[1]), int(parts[2]))
    except ValueError:
        raise SearchError(
            f"“{term}” is not a real date: write a date of birth as 23/11/1990 or 1990-11-23."
        ) from None


def _phone_digits() -> Any:
    """The phone number with its punctuation removed, computed in the database."""
    expr: Any = F("phone")
    for mark in PHONE_PUNCTUATION:
        expr = Replace(expr, Value(mark), Value(""))
    return expr


def _term_filter(term: str) -> Q:
    """Return what one search term matches: a record number (NP-000042), a date of birth, a
    phone number (digits, ignoring spaces and punctuation), an email, or part of a name."""
    if record := RECORD_RE.fullmatch(term):
        return Q(pk=int(record.group(1)))
    born = _birth_date_term(term)
    if born is not None:
        return Q(birth_date=born)
    if DIGITS_RE.fullmatch(term):
        digits = re.sub(r"\D", "", term)
        by_number = Q(pk=int(digits)) if len(digits) <= 9 else Q(pk__in=[])
        return Q(phone_digits__contains=digits) | by_number
    if "@" in term:
        return Q(email__icontains=term)
    return Q(first_name__icontains=term) | Q(last_name__icontains=term) | Q(email__icontains=term)


def _search(patients: QuerySet[Patient], q: str) -> QuerySet[Patient]:
    """Return the patients matching every term of `q` (each term a name, a date of birth, an
    email, a phone number or a record number); raise SearchError for a term that cannot match."""
    terms = q.split()[:MAX_SEARCH_TERMS]
    if any(DIGITS_RE.fullmatch(t) and not RECORD_RE.fullmatch(t) for t in terms):
        patients = patients.annotate(phone_digits=_phone_digits())
    for term in terms:
        patients = patients.filter(_term_filter(term))
    return patients


def patient_list(request: HtmxHttpRequest) -> HttpResponse:
    """Staff (the front desk too: contact details only): all patients, searchable by name, date
    of birth, email, phone or record number, a page at a time (two queries, whatever the number
    of patients, plus the audit event)."""
    require_staff(request)
    q = (request.GET.get("q") or "").strip()[:100]
    patients = Patient.objects.only(
        "id", "first_name", "last_name", "birth_date", "email", "phone", "user_id"
    )
    error = ""
    try:
        patients = _search(patients, q)
    except SearchError as exc:
        error, patients = str(exc), patients.none()
    page = Paginator(patients, PAGE_SIZE).get_page(request.GET.get("page"))
    audit_record(
        actor=request.user,
        action="view",
        object_type="clinic.patient",
        summary=f"patient list, page {page.number}" + (f", search {q!r}" if q else ""),
    )
    template = f"{LIST}#results" if request.htmx else LIST
    # htmx swaps only successful answers: the live search shows its error with a 200.
    return render(
        request,
        template,
        {"page": page, "q": q, "search_error": error},
        status=400 if error and not request.htmx else 200,
    )


# ---- registration and portal login --------------------------------------------------------------


def _invitation(request: HtmxHttpRequest, patient: Patient, *, sent_to: str, error: str = "") -> HttpResponse:
    """The page shown once after a portal login is created: where the link went (or why it did
    not go), never the link itself (never cached, as no page is: `web/middleware.py`)."""
    context = {"patient": patient, "sent_to": sent_to, "error": error, "days": link_lifetime_days()}
    return render(request, INVITATION, context)


def _send_invitation(request: HtmxHttpRequest, patient: Patient) -> HttpResponse:
    """Email a new login its link and say so; a refusal is shown on the same page (the login
    exists: the record's "Send the link again" retries)."""
    try:
        sent_to = patient_portal_link_send(patient=patient, actor=request.user, purpose="invitation")
    except ServiceError as exc:
        return _invitation(request, patient, sent_to="", error=exc.message)
    return _invitation(request, patient, sent_to=sent_to)


@require_http_methods(["GET", "POST"])
def patient_create(request: HtmxHttpRequest) -> HttpResponse:
    """Front desk and clinical staff register a patient, optionally with a portal login; both
    or nothing are saved. When the person may already have a record, the matching records are
    offered instead (409); a separate record needs a written reason."""
    require_staff(request)
    form = PatientCreateForm(request.POST or None)
    matches: list[Patient] = []
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                patient = patient_register(
                    **form.contact(),
                    actor=request.user,
                    duplicate_reason=form.cleaned_data["duplicate_reason"],
                )
                login = (
                    patient_portal_account_create(patient=patient, actor=request.user)
                    if form.cleaned_data["portal_account"]
                    else None
                )
        except PossibleDuplicate as exc:
            matches = exc.matches
            if form.cleaned_data["duplicate_reason"].strip():
                form.add_error("duplicate_reason", exc.message)
        except ServiceError as exc:
            refuse(form, exc)
        else:
            if login is not None:
                return _send_invitation(request, patient)
            messages.success(request, f"{patient} is registered.")
            return redirect("clinic:patient_detail", patient_id=patient.pk)
    status = 409 if matches else 400 if form.errors else 200
    return render(request, FORM, {"form": form, "creating": True, "matches": matches}, status=status)


@require_POST
def patient_portal_account(request: HtmxHttpRequest, patient_id: int) -> HttpResponse:
    """Create the portal login of an existing patient and email it the link to set a password."""
    require_staff(request)
    patient = get_patient_for_user(request, patient_id)
    try:
        patient_portal_account_create(patient=patient, actor=request.user)
    except ServiceError as exc:
        messages.error(request, exc.message)
        return redirect("clinic:patient_detail", patient_id=patient.pk)
    return _send_invitation(request, patient)


@require_POST
def patient_portal_link(request: HtmxHttpRequest, patient_id: int) -> HttpResponse:
    """Email the patient's portal login a new link to set a password ("Send the link again")."""
    require_staff(request)
    patient = get_patient_for_user(request, patient_id)
    try:
        sent_to = patient_portal_link_send(patient=patient, actor=request.user)
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        days = link_lifetime_days()
        messages.success(
            request,
            f"We have emailed a new link to set a password to {sent_to}. It works once and "
            f"expires in {days} day{pluralize(days)}.",
        )
    return redirect("clinic:patient_detail", patient_id=patient.pk)


# ---- the record ---------------------------------------------------------------------------------


def _screening_rows(patient: Patient) -> list[dict[str, Any]]:
    """The screenings, newest first, with their findings as code and the patient's wording (the
    screening document has no separate staff text)."""
    screenings = (
        patient.screenings.select_related("intake")
        .only(
            "id",
            "decision",
            "earliest_date",
            "result",
            "protocol_id",
            "protocol_version",
            "created_at",
            "intake__id",
            "intake__number",
        )  # not the intake document
        .order_by("-created_at", "-id")
    )
    return [
        {
            "screening": s,
            "decision_label": Decision(s.decision).label,
            "findings": [
                {"code": f.get("code", ""), "message": f.get("message", "")}
                for f in (s.result or {}).get("findings", [])
            ],
        }
        for s in screenings
    ]


def _clinical_context(patient: Patient) -> dict[str, Any]:
    """Intakes, screenings and courses: for the medical director and practitioners only. Reads
    the columns shown, not the intake and plan documents."""
    sources = dict(IntakeSource.choices)
    statuses = dict(CourseStatus.choices)
    intakes = [
        {"intake": i, "source": sources.get(i.source, i.source)}
        for i in patient.intakes.select_related("created_by")
        .only(
            "id",
            "number",
            "source",
            "created_at",
            "created_by__id",
            "created_by__username",
            "created_by__first_name",
            "created_by__last_name",
        )
        .order_by("-number")
    ]
    courses = [
        {
            "course": c,
            "status": statuses.get(c.status, c.status),
            "goal": vocab.area_label(c.goal).capitalize(),
        }
        for c in patient.courses.only("id", "status", "goal", "start_date", "created_at").order_by(
            "-created_at", "-id"
        )
    ]
    return {"intakes": intakes, "screenings": _screening_rows(patient), "courses": courses}


PERSON_FIELDS = ("id", "username", "first_name", "last_name")


def _schedule(patient: Patient) -> list[dict[str, Any]]:
    """The patient's treatment sessions: date, status and a late entry's who and when only (what
    the front desk may see)."""
    statuses = dict(SessionStatus.choices)
    sessions = (
        patient.sessions.select_related("appointment", "entered_late_by")
        .only(
            "id",
            "number",
            "status",
            "course_id",
            "appointment__id",
            "appointment__starts_at",
            "appointment__status",
            "entered_late_at",
            *(f"entered_late_by__{f}" for f in PERSON_FIELDS),
        )
        .order_by(F("appointment__starts_at").asc(nulls_last=True), "course_id", "number")
    )
    return [{"session": s, "status": statuses.get(s.status, s.status)} for s in sessions]


def patient_detail(request: HtmxHttpRequest, patient_id: int) -> HttpResponse:
    """Contact details and schedule for all staff; clinical sections for clinical roles."""
    require_staff(request)
    clinical = request.user.is_clinical
    patient = get_patient_for_user(request, patient_id, clinical=clinical)
    sessions = _schedule(patient)
    # Each course with sessions (approved or later) has its appointments page: book, move, cancel.
    course_ids = sorted({row["session"].course_id for row in sessions})
    consultations = list(
        patient.appointments.filter(session__isnull=True)
        .select_related("practitioner")
        .order_by("-starts_at", "-id")[:10]
    )
    context: dict[str, Any] = {
        "patient": patient,
        "clinical": clinical,
        "sessions": sessions,
        "session_course_ids": course_ids,
        "consultations": consultations,
    }
    if clinical:
        context.update(_clinical_context(patient))
        context["booked_ids"] = booked_session_ids(patient.sessions.all())
    return render(request, DETAIL, context)


@require_http_methods(["GET", "POST"])
def patient_edit(request: HtmxHttpRequest, patient_id: int) -> HttpResponse:
    """Edit contact details; a save based on an out-of-date copy is refused, nothing saved."""
    require_staff(request)
    patient = get_patient_for_user(request, patient_id)
    if request.method == "GET":
        initial = {k: getattr(patient, k) for k in CONTACT_FIELDS} | {"version": patient.version}
        return render(request, FORM, {"form": PatientEditForm(initial=initial), "patient": patient})
    form = PatientEditForm(request.POST)
    status = 400
    if form.is_valid():
        try:
            patient_update(
                patient=patient,
                expected_version=form.cleaned_data["version"],
                **form.contact(),
                actor=request.user,
            )
        except ServiceError as exc:
            refuse(form, exc)
            status = exc.http_status
        else:
            messages.success(request, "Contact details saved.")
            return redirect("clinic:patient_detail", patient_id=patient.pk)
    return render(request, FORM, {"form": form, "patient": patient, "stale": status == 409}, status=status)


urls: list[URLPattern] = [
    path("patients/", patient_list, name="patient_list"),
    path("patients/new/", patient_create, name="patient_create"),
    path("patients/<int:patient_id>/", patient_detail, name="patient_detail"),
    path("patients/<int:patient_id>/edit/", patient_edit, name="patient_edit"),
    path("patients/<int:patient_id>/portal-login/", patient_portal_account, name="patient_portal_account"),
    path("patients/<int:patient_id>/portal-login/link/", patient_portal_link, name="patient_portal_link"),
]
