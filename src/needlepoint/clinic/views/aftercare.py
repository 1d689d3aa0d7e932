"""Aftercare and follow-up pages.

Portal (patients only; staff get 404): the check-in list and the day 1/3/7 check-in form.
Staff (clinical roles only; front desk and patients get 404): acknowledging and resolving a flag, recording
outcomes, the course summary with its chart of scores over time, completing a course.

Every control is a plain form or link; nothing here needs JavaScript."""

import datetime as dt

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import URLPattern, path

from needlepoint.audit.services import audit_record
from needlepoint.clinic.access import get_course_for_user, get_session_for_user, require_clinical
from needlepoint.clinic.charts import outcome_chart
from needlepoint.clinic.forms.aftercare import CheckInForm, OutcomeForm, ResolveForm, ScarGrid
from needlepoint.clinic.models import Course, Flag, SessionStatus, TreatmentSession
from needlepoint.clinic.plan_view import PlanView
from needlepoint.clinic.selectors import (
    aftercare_instructions,
    check_in_schedule,
    course_summary,
)
from needlepoint.clinic.services import ServiceError
from needlepoint.clinic.services.aftercare import (
    CHECK_IN_DAYS,
    WARNING_SIGN_LABELS,
    check_in_state,
    check_in_submit,
    flag_acknowledge,
    flag_reasons,
    flag_resolve,
    patient_advice,
    session_day,
)
from needlepoint.clinic.services.outcomes import (
    completion_blockers,
    course_complete,
    outcome_record,
    took_place,
)
from needlepoint.clinic.views.portal import own_patient
from needlepoint.clinical.scales import SCAR_TYPES
from needlepoint.clinical.vocab import area_label
from needlepoint.web.http import AuthenticatedHttpRequest

# ---- portal: check-ins -------------------------------------------------------------------------


def clinic_contact() -> dict[str, str]:
    """The clinic's phone and out-of-hours advice (settings), shown wherever the portal tells a
    patient to contact the clinic."""
    phone = settings.NEEDLEPOINT_CLINIC_PHONE
    return {
        "phone": phone,
        "tel": "".join(c for c in phone if c.isdigit() or c == "+"),
        "out_of_hours": settings.NEEDLEPOINT_OUT_OF_HOURS_ADVICE,
    }


def checkin_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The patient's signed sessions with their day 1/3/7 check-ins: done, due, overdue."""
    patient = own_patient(request)
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


def _own_session(request: AuthenticatedHttpRequest, session_id: int, day: int) -> TreatmentSession:
    own_patient(request)
    session = get_session_for_user(request, session_id)
    if session.status != SessionStatus.SIGNED or day not in CHECK_IN_DAYS:
        raise Http404("No such check-in.")
    return session


def checkin_new(request: AuthenticatedHttpRequest, session_id: int, day: int) -> HttpResponse:
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
    status = 400 if form.is_bound and not form.is_valid() else 200
    if request.method == "POST" and form.is_valid():
        try:
            check_in_submit(session=session, day=day, actor=request.user, **form.cleaned_data)
        except ServiceError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            status = exc.http_status
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
        status=status,
    )


# ---- staff: flags ------------------------------------------------------------------------------


def _flag(request: AuthenticatedHttpRequest, flag_id: int, *, audit: bool = True) -> Flag:
    """Return the flag for clinical staff (404 for everyone else), writing the view event
    unless `audit` is off (a refused method shows nothing, so nothing was seen)."""
    require_clinical(request)
    flag = (
        Flag.objects.select_related("patient", "check_in__session", "resolved_by", "acknowledged_by")
        .filter(pk=flag_id)
        .first()
    )
    if flag is None:
        raise Http404("No such flag.")
    if audit:
        audit_record(actor=request.user, action="view", obj=flag)
    return flag


def flag_resolve_view(request: AuthenticatedHttpRequest, flag_id: int) -> HttpResponse:
    """A flag with its check-in, and the form that resolves it."""
    flag = _flag(request, flag_id)
    form = ResolveForm(request.POST or None)
    status = 400 if form.is_bound and not form.is_valid() else 200
    if request.method == "POST" and form.is_valid() and flag.resolved_at is None:
        try:
            flag_resolve(flag=flag, resolution=form.cleaned_data["resolution"], actor=request.user)
        except ServiceError as exc:
            form.add_error("resolution", exc.message)
            status = exc.http_status
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
        status=status,
    )


def flag_acknowledge_view(request: AuthenticatedHttpRequest, flag_id: int) -> HttpResponse:
    """Acknowledge a flag (POST only): "I have it". Back to the dashboard or the flag page."""
    flag = _flag(request, flag_id, audit=request.method == "POST")
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


def _course(request: AuthenticatedHttpRequest, course_id: int, *, audit: bool = True) -> Course:
    require_clinical(request)
    return get_course_for_user(request, course_id, audit=audit)


def _outcome_areas(course: Course) -> list[str]:
    planned = PlanView.of(course.plan).area_codes
    assessed = list(getattr(course.assessment, "scar_counts", None) or {})
    return list(dict.fromkeys([*planned, *assessed])) or ["face"]


def outcome_new(request: AuthenticatedHttpRequest, course_id: int) -> HttpResponse:
    """Record the scores of a visit or of the end of the course."""
    course = _course(request, course_id)
    sessions = {
        s.pk: s for s in course.sessions.select_related("appointment").order_by("number") if took_place(s)
    }
    form = OutcomeForm(request.POST or None, sessions=list(sessions.values()))
    grid = ScarGrid.read(_outcome_areas(course), request.POST if request.method == "POST" else None)
    counts = grid.counts() if request.method == "POST" and form.is_valid() else None
    status = 400 if request.method == "POST" and counts is None else 200
    if counts is not None:
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
            status = exc.http_status
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
        status=status,
    )


# ---- staff: course summary ---------------------------------------------------------------------


def course_summary_view(request: AuthenticatedHttpRequest, course_id: int) -> HttpResponse:
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


def course_complete_view(request: AuthenticatedHttpRequest, course_id: int) -> HttpResponse:
    """Complete the course (POST only) and store its summary."""
    course = _course(request, course_id, audit=request.method == "POST")
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    try:
        course_complete(course=course, actor=request.user)
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Course completed; its summary is stored with it.")
    return redirect("clinic:course_summary", course_id=course.pk)


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
