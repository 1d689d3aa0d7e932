"""Session charting pages (clinical roles only): the day-of re-screen, the chart, signing and
addenda. Front desk and patients get 404 (`require_clinical` before the session is fetched).

Each page works as plain forms; with htmx the chart editor and the addenda swap in place
(named partials of `clinic/charting/chart.html`)."""

from typing import Any

from django.contrib import messages
from django.http import HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django_htmx.http import HttpResponseClientRedirect

from needlepoint.clinic.access import get_session_for_user, require_clinical
from needlepoint.clinic.forms.charting import AddendumForm, ChartEditor, RescreenForm, rescreen_field
from needlepoint.clinic.models import Decision, SessionStatus, TreatmentSession
from needlepoint.clinic.services import ServiceError
from needlepoint.clinic.services.chart_rules import (
    blocked_message,
    booked_appointment,
    day_refusal,
    visit_day,
)
from needlepoint.clinic.services.chart_signing import addendum_add, chart_sign
from needlepoint.clinic.services.charting import (
    END_POINTS,
    area_limits,
    chart_save,
    charting_refusal,
    topical_choices,
)
from needlepoint.clinic.services.rescreen import session_rescreen
from needlepoint.clinical.vocab import area_label
from needlepoint.web.http import HtmxHttpRequest

TEMPLATE = "clinic/charting/chart.html"
DECISIONS = dict(Decision.choices)


def _session(request: HtmxHttpRequest, session_id: int) -> TreatmentSession:
    require_clinical(request)
    return get_session_for_user(request, session_id)


def _refused(request: HtmxHttpRequest, exc: ServiceError) -> int:
    """The status of a page that shows a service's refusal: the error's own (409 for a stale
    edit, 400 otherwise), but 200 for htmx, which does not swap error answers: its fragment
    carries the refusal instead."""
    return 200 if request.htmx else exc.http_status


# ---- the day-of re-screen ----------------------------------------------------------------------


def rescreen(request: HtmxHttpRequest, session_id: int) -> HttpResponse:
    """The day-of questions; saving them screens the patient again for this session. Not
    offered for a session that is not booked or whose day has not come (the page says why)."""
    session = _session(request, session_id)
    form = RescreenForm(request.POST or None)
    status = 200
    closed = session.status in (SessionStatus.SIGNED, SessionStatus.CANCELLED)
    not_due = None if closed else day_refusal(session)
    if request.method == "POST" and not closed and not_due is None and form.is_valid():
        try:
            screening = session_rescreen(session=session, answers=form.answers(), actor=request.user)
        except ServiceError as exc:
            form.add_error(rescreen_field(exc), exc.message)
            status = _refused(request, exc)
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
    return render(request, f"{page}#rescreen_form" if request.htmx else page, context, status=status)


# ---- the chart editor --------------------------------------------------------------------------


def chart(request: HtmxHttpRequest, session_id: int) -> HttpResponse:
    """The session's chart: the editor while it can be charted, read-only once signed."""
    session = _session(request, session_id)
    editor = None
    status = 200
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
                status = _refused(request, exc)
            else:
                if not request.htmx:
                    messages.success(request, "Chart saved.")
                    return redirect("clinic:charting_chart", session_id=session.pk)
                return _render_chart(request, session, editor=None, saved=True, partial="editor")
    return _render_chart(request, session, editor=editor, partial="editor" if editor else "", status=status)


def sign(request: HtmxHttpRequest, session_id: int) -> HttpResponse:
    """Sign the chart (POST only): it is locked from then on."""
    session = _session(request, session_id)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    try:
        chart_sign(session=session, actor=request.user, expected_version=_int(request.POST.get("version")))
    except ServiceError as exc:
        return _render_chart(request, session, sign_error=exc.message, status=_refused(request, exc))
    messages.success(request, "Chart signed. Later notes are added as addenda.")
    return redirect("clinic:charting_chart", session_id=session.pk)


def addendum(request: HtmxHttpRequest, session_id: int) -> HttpResponse:
    """Add an addendum to a signed chart (POST only)."""
    session = _session(request, session_id)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    form = AddendumForm(request.POST)
    status = 200
    if form.is_valid():
        try:
            addendum_add(session=session, text=form.cleaned_data["text"], actor=request.user)
        except ServiceError as exc:
            form.add_error("text", exc.message)
            status = _refused(request, exc)
        else:
            if request.htmx:
                return _render_chart(request, session, partial="addenda")
            messages.success(request, "Addendum added.")
            return redirect("clinic:charting_chart", session_id=session.pk)
    return _render_chart(
        request, session, addendum_form=form, partial="addenda" if request.htmx else "", status=status
    )


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
    request: HtmxHttpRequest,
    session: TreatmentSession,
    *,
    editor: ChartEditor | None = None,
    partial: str = "",
    status: int = 200,
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
    return render(request, name, context, status=status)


urls: list[URLPattern] = [
    path("sessions/<int:session_id>/rescreen/", rescreen, name="charting_rescreen"),
    path("sessions/<int:session_id>/chart/", chart, name="charting_chart"),
    path("sessions/<int:session_id>/sign/", sign, name="charting_sign"),
    path("sessions/<int:session_id>/addenda/", addendum, name="charting_addendum"),
]
