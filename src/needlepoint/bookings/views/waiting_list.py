"""The waiting list booked in one go (clinic staff only: front desk, practitioners and the medical
director; patients get 404, visitors are sent to sign in).

- GET: how many courses are waiting, and a button to propose dates for all of them.
- POST: the batch optimiser proposes dates for every waiting course; the preview shows every
  session (date, time, window, practitioner, room), the courses that cannot be booked and
  why, and how many sessions the optimiser placed inside their windows against first-fit.
  Each proposed course has a ticked box; confirming books the ticked ones.
- POST .../book/: each ticked course is booked all or nothing, on its own; the page says per
  course whether it was booked or why not (409 when every ticked course lost its slots to
  someone else meanwhile).

Proposing is a POST because it is slow (up to ten seconds of solving) and should not run on a
link prefetch or a reload; it changes nothing. With htmx the proposals replace only the plan
part of the page; without it the same form posts and the whole page comes back."""

from typing import Any

from django.http import HttpResponse, QueryDict
from django.shortcuts import render
from django.urls import URLPattern, path
from django.views.decorators.http import require_http_methods, require_POST

from needlepoint.bookings import selectors
from needlepoint.bookings.forms import PlanForm
from needlepoint.bookings.services import waiting_list
from needlepoint.clinic.access import require_staff
from needlepoint.clinic.services import ServiceError
from needlepoint.web.http import HtmxHttpRequest

TEMPLATE = "bookings/waiting_list/plan.html"


def _form(data: QueryDict | None = None) -> PlanForm:
    return PlanForm(data, locations=selectors.locations())


def _page(request: HtmxHttpRequest, form: PlanForm, *, status: int = 200, **context: Any) -> HttpResponse:
    """The whole page, or only its plan part for htmx (which does not swap error answers: the
    part carries the error instead)."""
    context = {"form": form, "plan": None, "outcome": None, "error": "", **context}
    if request.htmx:
        return render(request, TEMPLATE + "#plan", context)
    return render(request, TEMPLATE, context, status=status)


@require_http_methods(["GET", "HEAD", "POST"])
def waiting_list_plan(request: HtmxHttpRequest) -> HttpResponse:
    """GET: the button. POST: propose dates for every waiting course and preview them."""
    require_staff(request)
    if request.method != "POST":
        return _page(request, _form(), waiting=waiting_list.waiting_list_count())
    form = _form(request.POST)
    if not form.is_valid():
        errors = " ".join(str(e) for field_errors in form.errors.values() for e in field_errors)
        return _page(request, form, status=400, error=errors)
    try:
        plan = waiting_list.waiting_list_proposals(actor=request.user, location=form.chosen_location())
    except ServiceError as exc:
        return _page(request, form, status=400, error=exc.message)
    return _page(request, form, plan=plan, zone=plan.location.time_zone if plan.location else None)


@require_POST
def waiting_list_book(request: HtmxHttpRequest) -> HttpResponse:
    """Book the ticked courses, each on its own, and say what happened to each."""
    require_staff(request)
    chosen = dict.fromkeys(int(v) for v in request.POST.getlist("course") if v.isdigit())
    tokens = {pk: request.POST.get(f"token-{pk}", "") for pk in chosen}
    try:
        outcome = waiting_list.waiting_list_book(actor=request.user, tokens=tokens)
    except ServiceError as exc:
        return render(
            request, TEMPLATE, {"form": _form(), "error": f"Nothing was booked: {exc.message}"}, status=400
        )
    return render(
        request,
        TEMPLATE,
        {"form": _form(), "outcome": outcome},
        status=409 if outcome.every_race_lost else 200,
    )


urls: list[URLPattern] = [
    path("courses/waiting/plan/", waiting_list_plan, name="waiting_list_plan"),
    path("courses/waiting/plan/book/", waiting_list_book, name="waiting_list_book"),
]
