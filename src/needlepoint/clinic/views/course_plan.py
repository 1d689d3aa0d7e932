"""The course plan page (clinical roles only; everyone else 404): the proposed course from draft
to approval. Clinicians edit a draft plan within the protocol's limits (a stale edit is refused
with 409 and the page offers no approval of a plan nobody on it has read), the medical
director may allow one area deeper with a recorded reason, and approval creates the sessions.
Every control is a plain form; the plan is read through `PlanView`."""

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.views.decorators.http import require_http_methods, require_POST

from needlepoint.clinic import selectors
from needlepoint.clinic.access import get_course_for_user, require_clinical
from needlepoint.clinic.forms.consultation import CourseForm, OverrideForm, course_initial
from needlepoint.clinic.models import Course, CourseStatus, Decision, SessionStatus, TreatmentSession
from needlepoint.clinic.plan_view import PlanView
from needlepoint.clinic.selectors import booked_session_ids, consent_for_course
from needlepoint.clinic.services import ServiceError, StaleEdit, course_approval, plan_edit
from needlepoint.clinic.services import screening as screening_services
from needlepoint.clinic.services.chart_rules import day_refusal, visit_day
from needlepoint.clinical import vocab
from needlepoint.web.http import AuthenticatedHttpRequest
from needlepoint.words import human_date

TEMPLATE = "clinic/consultation/course.html"


def _course(request: AuthenticatedHttpRequest, patient_id: int, course_id: int) -> Course:
    """Return the patient's course for a clinical user (404 for anyone else, or for a course of
    another patient); audited as a view."""
    require_clinical(request)
    if not Course.objects.filter(pk=course_id, patient_id=patient_id).exists():
        raise Http404("No such record.")  # before the helper, so no view is audited
    return get_course_for_user(request, course_id, clinical=True)


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
    return "book it first" if day is None else f"charted on its day, {human_date(day)}"


def _course_context(request: AuthenticatedHttpRequest, course: Course, **extra: Any) -> dict[str, Any]:
    plan = PlanView.of(course.plan)
    screening = selectors.latest_screening_detail(course.patient)
    overrides = list(course.overrides.select_related("given_by").order_by("area"))
    by_area = {o.area: o for o in overrides}
    rows = [
        {
            "area": vocab.area_label(a.code),
            "min": a.depth_min,
            "max": a.depth_max,
            "ceiling": a.ceiling,
            "override": by_area.get(a.code),
        }
        for a in plan.areas
    ]
    treatable = screening_services.treatable_areas(course.screening)
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
        "blockers": course_approval.approval_blockers(course) if is_draft else [],
        "is_draft": is_draft,
        "is_director": request.user.is_medical_director,
        "selected_adjuncts": plan.selected_adjuncts,
        "sessions": _sessions(course) if not is_draft else [],
        "consent": consent_for_course(course) if not is_draft else None,
        "form": CourseForm(initial=course_initial(course, plan), course=course, plan=plan),
        "override_form": OverrideForm(plan=plan),
        **extra,
    }


def _course_page(
    request: AuthenticatedHttpRequest, course: Course, *, status: int = 200, **extra: Any
) -> HttpResponse:
    return render(request, TEMPLATE, _course_context(request, course, **extra), status=status)


@require_http_methods(["GET", "POST"])
def course(request: AuthenticatedHttpRequest, patient_id: int, course_id: int) -> HttpResponse:
    course = _course(request, patient_id, course_id)
    if request.method == "GET":
        return _course_page(request, course)
    form = CourseForm(request.POST, course=course, plan=PlanView.of(course.plan))
    if not form.is_valid():
        return _course_page(
            request,
            course,
            form=form,
            status=400,
            error="The plan was not saved: correct the fields marked below.",
        )
    try:
        plan_edit.course_edit(
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
            status=exc.http_status,
            error=f"The plan was not saved: {exc.message}",
            stale=isinstance(exc, StaleEdit),
        )
    messages.success(request, f"Plan saved (version {course.version}).")
    return redirect("clinic:consultation_course", patient_id=patient_id, course_id=course.pk)


def _post_action(
    request: AuthenticatedHttpRequest, patient_id: int, course_id: int, action: Callable[[Course], str]
) -> HttpResponse:
    """Run a course action from a plain form; on refusal show the course page with why."""
    course = _course(request, patient_id, course_id)
    try:
        done = action(course)
    except ServiceError as exc:
        course.refresh_from_db()
        return _course_page(request, course, status=exc.http_status, error=exc.message, error_field=exc.field)
    messages.success(request, done)
    return redirect("clinic:consultation_course", patient_id=patient_id, course_id=course.pk)


@require_POST
def course_approve(request: AuthenticatedHttpRequest, patient_id: int, course_id: int) -> HttpResponse:
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
def depth_override(request: AuthenticatedHttpRequest, patient_id: int, course_id: int) -> HttpResponse:
    course = _course(request, patient_id, course_id)
    form = OverrideForm(request.POST, plan=PlanView.of(course.plan))
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
        course_approval.depth_override_give(
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
            status=exc.http_status,
            error=f"The override was not recorded: {exc.message}",
        )
    messages.success(request, f"Override recorded for {vocab.area_label(d['area'])}.")
    return redirect("clinic:consultation_course", patient_id=patient_id, course_id=course.pk)


urls: list[URLPattern] = [
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
