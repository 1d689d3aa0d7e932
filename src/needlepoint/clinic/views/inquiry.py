"""The public "Is microneedling for me?" page (`@login_not_required`, the only public page of
the clinic). It asks the candidacy questions in plain words (`clinic.forms.inquiry`), builds an
intake in the contract's shape and screens it with the clinic's protocol. Nothing is stored at
that step: the answers travel only in the form round trip (hidden inputs of the consultation
request). An inquiry is stored only when the visitor asks for a consultation and ticks the
consent box (`inquiry_create`). The front desk's queue is `inquiry_queue`."""

from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.views.decorators.http import require_http_methods

from needlepoint.audit.context import client_ip
from needlepoint.clinic.forms.inquiry import ConsultationRequestForm, InquiryForm
from needlepoint.clinic.models import Decision
from needlepoint.clinic.services import ServiceError, clinic_today
from needlepoint.clinic.services.inquiries import inquiry_create, inquiry_screen
from needlepoint.clinical.rules import Finding, human_list
from needlepoint.clinical.screening import Screening as CoreScreening
from needlepoint.words import human_date

PAGE = "clinic/inquiry/page.html"


# ---- the answer, in plain words -----------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    decision: str
    label: str
    headline: str
    explanation: str
    findings: list[dict[str, str]] = field(default_factory=list)
    untreatable: str = ""


def _headline(result: CoreScreening) -> tuple[str, str]:
    decision = result.decision
    if decision == "eligible":
        return ("Likely suitable", "From your answers, microneedling is likely suitable for you.")
    if decision == "proceed_with_precautions":
        return (
            "Likely suitable, with precautions",
            "From your answers, microneedling is likely suitable for you, with the precautions below.",
        )
    if decision == "needs_clearance":
        return (
            "Needs a doctor's clearance",
            "Microneedling may be possible, but a doctor must first confirm that it is safe for you.",
        )
    if decision == "defer" and result.earliest_date:
        day = human_date(result.earliest_date)
        return (f"Not before {day}", f"Treatment could start from {day} at the earliest.")
    if decision == "defer":
        return (
            "Not yet",
            "Treatment has to wait. We cannot give a date yet: it depends on the reasons below.",
        )
    return ("Not suitable", "Microneedling is not suitable for you, for the reasons below.")


def answer_for(result: CoreScreening) -> Answer:
    """Return the screening as the visitor reads it: a headline, a sentence and each reason."""
    headline, explanation = _headline(result)
    findings = [
        {"decision": f.decision, "label": _finding_label(f, result), "message": f.message}
        for f in result.findings
    ]
    lost = [a for a, d in result.areas.items() if d == "contraindicated"]
    untreatable = human_list(lost) if lost and result.treatable_areas else ""
    return Answer(
        result.decision, Decision(result.decision).label, headline, explanation, findings, untreatable
    )


def _finding_label(finding: Finding, result: CoreScreening) -> str:
    """Return the finding's decision in words; an area ruled out while others remain treatable
    is "Not for this area", not "Not suitable" for the whole person."""
    if finding.decision == "contraindicated" and finding.areas and result.treatable_areas:
        return "Not for this area"
    return str(Decision(finding.decision).label)


# ---- the public page ----------------------------------------------------------------------------


def _too_many_requests(request: HttpRequest) -> bool:
    """True when this address has asked for more consultations this hour than a person would.
    The counter is in the default cache, the database cache that every worker process shares,
    so neither another worker nor a restart starts the count again. Its increment is a read
    then a write: requests racing in separate workers may count once, which lets a flood
    overshoot the limit by a request or two at most, never refuses a person early."""
    limit = getattr(settings, "NEEDLEPOINT_INQUIRY_REQUESTS_PER_HOUR", 10)
    key = f"needlepoint:inquiry-requests:{client_ip(request) or 'unknown'}"
    cache.add(key, 0, 60 * 60)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, 60 * 60)
        count = 1
    return count > limit


def _page(request: HttpRequest, form: InquiryForm, *, status: int = 200, **extra: Any) -> HttpResponse:
    return render(request, PAGE, {"form": form, **extra}, status=status)


def _request_consultation(
    request: HttpRequest, answers: dict[str, Any], contact: ConsultationRequestForm
) -> HttpResponse | None:
    """Store the request if the contact form is valid and consent given; return the redirect
    to the thank-you state, or None with the errors on `contact`."""
    if not contact.is_valid():
        return None
    sent = redirect(reverse("clinic:inquiry") + "?sent=1")
    if contact.cleaned_data["website"]:  # a field people never see: only robots fill it in
        return sent
    if _too_many_requests(request):
        contact.add_error(
            None, "Too many requests from your connection. Please try again later, or call the clinic."
        )
        return None
    c = contact.cleaned_data
    try:
        inquiry_create(
            first_name=c["first_name"],
            last_name=c["last_name"],
            email=c["email"],
            phone=c["phone"],
            answers=answers,
            consented=c["consent"],
            actor=request.user,
        )
    except ServiceError as exc:
        contact.add_error(exc.field if exc.field in contact.fields else None, exc.message)
        return None
    return sent


@login_not_required
@require_http_methods(["GET", "HEAD", "POST"])
def inquiry(request: HttpRequest) -> HttpResponse:
    """The candidacy questions, then the answer; a consultation request stores an inquiry. HEAD
    answers as GET does (a link checker or uptime monitor asks for the page's headers)."""
    today = clinic_today()
    if request.method in ("GET", "HEAD"):
        return _page(request, InquiryForm(today=today), sent=request.GET.get("sent") == "1")
    form = InquiryForm(request.POST, today=today)
    if not form.is_valid():
        return _page(request, form, status=400)
    answers = form.intake()
    try:
        result = inquiry_screen(answers)
    except ServiceError as exc:  # the form checks first; this is the core's last word
        form.add_error(None, f"We could not use your answers: {exc.message}")
        return _page(request, form, status=400)
    contact = ConsultationRequestForm(prefix="contact")
    if request.POST.get("step") == "request":
        contact = ConsultationRequestForm(request.POST, prefix="contact")
        done = _request_consultation(request, answers, contact)
        if done is not None:
            return done
    return _page(
        request,
        form,
        answer=answer_for(result),
        contact=contact,
        answers_copy=InquiryForm(request.POST, today=today, auto_id=False),
        status=400 if contact.errors else 200,
    )


urls: list[URLPattern] = [
    path("inquiry/", inquiry, name="inquiry"),
]
