"""The front desk's inquiry queue (staff only; everyone else 404): new and contacted
inquiries, newest first, and the actions `inquiry_mark_contacted`, `inquiry_close` and
`inquiry_convert` (register the visitor, or add the inquiry to their record). With htmx the
status actions swap their row in place; every control is also a plain form."""

import datetime as dt
import functools
import operator
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.views.decorators.http import require_POST

from needlepoint.audit.services import audit_record
from needlepoint.clinic.access import require_staff
from needlepoint.clinic.models import Decision, Inquiry, Patient
from needlepoint.clinic.services import ServiceError
from needlepoint.clinic.services.inquiries import (
    OPEN_STATUSES,
    inquiry_close,
    inquiry_convert,
    inquiry_mark_contacted,
)
from needlepoint.clinic.services.patients import PossibleDuplicate
from needlepoint.web.http import HtmxHttpRequest
from needlepoint.words import human_date

QUEUE = "clinic/inquiry/queue.html"
REGISTER = "clinic/inquiry/register.html"
QUEUE_PAGE_SIZE = 50


@dataclass(frozen=True)
class QueueRow:
    inquiry: Inquiry
    decision: str
    decision_label: str
    earliest: str
    same_email: Patient | None


def _row(inquiry: Inquiry, patients_by_email: dict[str, Patient]) -> QueueRow:
    shown = inquiry.screening or {}
    decision = shown.get("decision", "")
    earliest = shown.get("earliest_date") if decision == "defer" else None
    return QueueRow(
        inquiry=inquiry,
        decision=decision,
        decision_label=Decision(decision).label if decision in Decision.values else "—",
        earliest=human_date(dt.date.fromisoformat(earliest)) if earliest else "",
        same_email=None if inquiry.patient_id else patients_by_email.get(inquiry.email.lower()),
    )


def _rows(inquiries: list[Inquiry]) -> list[QueueRow]:
    """Return the queue's rows, each with any patient record already using its email (one
    query for the page, however many rows)."""
    emails = {i.email.lower() for i in inquiries if i.patient_id is None}
    by_email: dict[str, Patient] = {}
    if emails:
        same = functools.reduce(operator.or_, (Q(email__iexact=e) for e in sorted(emails)))
        for p in Patient.objects.filter(same).only("id", "first_name", "last_name", "email"):
            by_email.setdefault(p.email.lower(), p)
    return [_row(i, by_email) for i in inquiries]


def inquiry_queue(request: HtmxHttpRequest) -> HttpResponse:
    """New and contacted inquiries, newest first, with contact details and the answer shown."""
    require_staff(request)
    inquiries = (
        Inquiry.objects.filter(status__in=OPEN_STATUSES)
        .select_related("patient")
        .order_by("-created_at", "-id")
    )
    page = Paginator(inquiries, QUEUE_PAGE_SIZE).get_page(request.GET.get("page"))
    audit_record(
        actor=request.user,
        action="view",
        object_type="clinic.inquiry",
        summary=f"inquiry queue, page {page.number}",
    )
    return render(request, QUEUE, {"page": page, "rows": _rows(list(page.object_list))})


def _inquiry(request: HtmxHttpRequest, inquiry_id: int) -> Inquiry:
    require_staff(request)
    try:
        return Inquiry.objects.select_related("patient").get(pk=inquiry_id)
    except Inquiry.DoesNotExist:
        raise Http404("No such inquiry.") from None


def _status_action(request: HtmxHttpRequest, inquiry_id: int, action: Any, done: str) -> HttpResponse:
    """Run a status service; with htmx answer with the inquiry's row (or a one-line notice when
    it has left the queue), else redirect to the queue with a message."""
    inquiry = _inquiry(request, inquiry_id)
    error, notice = "", done.format(name=f"{inquiry.first_name} {inquiry.last_name}")
    try:
        action(inquiry=inquiry, actor=request.user)
    except ServiceError as exc:
        error, notice = exc.message, ""
    if not request.htmx:
        messages.add_message(request, messages.ERROR if error else messages.SUCCESS, error or notice)
        return redirect("clinic:inquiry_queue")
    inquiry.refresh_from_db()
    row = _rows([inquiry])[0] if inquiry.status in OPEN_STATUSES else None
    return render(
        request, f"{QUEUE}#row", {"row": row, "inquiry_id": inquiry.pk, "notice": notice, "error": error}
    )


@require_POST
def inquiry_contacted(request: HtmxHttpRequest, inquiry_id: int) -> HttpResponse:
    return _status_action(
        request, inquiry_id, inquiry_mark_contacted, "{name}'s inquiry is marked as contacted."
    )


@require_POST
def inquiry_closed(request: HtmxHttpRequest, inquiry_id: int) -> HttpResponse:
    return _status_action(request, inquiry_id, inquiry_close, "{name}'s inquiry is closed.")


def _chosen_record(request: HtmxHttpRequest) -> Patient | None:
    """Return the existing record the form names (`patient`), None when it names none; 404
    for a record that does not exist."""
    raw = request.POST.get("patient", "").strip()
    if not raw:
        return None
    try:
        return Patient.objects.get(pk=int(raw))
    except (ValueError, Patient.DoesNotExist):
        raise Http404("No such record.") from None


@require_POST
def inquiry_register(request: HtmxHttpRequest, inquiry_id: int) -> HttpResponse:
    """Register the visitor as a patient, or add the inquiry to the record they already have,
    with their answers as an intake screened at once. When a record matches, the matching
    records are offered (409); a separate record needs a written reason."""
    inquiry = _inquiry(request, inquiry_id)
    existing = _chosen_record(request)
    reason = request.POST.get("duplicate_reason", "")[:1000]
    try:
        patient = inquiry_convert(
            inquiry=inquiry, actor=request.user, existing=existing, duplicate_reason=reason
        )
    except PossibleDuplicate as exc:
        return render(
            request,
            REGISTER,
            {
                "inquiry": inquiry,
                "matches": exc.matches,
                "reason": reason,
                "error": exc.message if reason.strip() else "",
            },
            status=409,
        )
    except ServiceError as exc:
        messages.error(request, exc.message)
        return redirect("clinic:inquiry_queue")
    done = (
        "is registered as a patient" if existing is None else f"is linked to record {patient.record_number}"
    )
    messages.success(request, f"{patient} {done}; their answers are a new intake, screened now.")
    return redirect("clinic:patient_detail", patient_id=patient.pk)


urls: list[URLPattern] = [
    path("inquiries/", inquiry_queue, name="inquiry_queue"),
    path("inquiries/<int:inquiry_id>/contacted/", inquiry_contacted, name="inquiry_contacted"),
    path("inquiries/<int:inquiry_id>/close/", inquiry_closed, name="inquiry_close"),
    path("inquiries/<int:inquiry_id>/register/", inquiry_register, name="inquiry_convert"),
]
