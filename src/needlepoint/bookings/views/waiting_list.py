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

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, path
from django.views.decorators.http import require_http_methods, require_POST

from needlepoint.bookings.models import Location
from needlepoint.bookings.services import waiting_list
from needlepoint.clinic.access import require_staff
from needlepoint.clinic.services import ServiceError

TEMPLATE = "bookings/waiting_list/plan.html"


class PlanForm(forms.Form):
    """Where to book, asked only when the clinic has more than one location."""

    location = forms.TypedChoiceField(
        label="Location",
        coerce=int,
        empty_value=None,
        error_messages={
            "required": "Location: choose where to book.",
            "invalid_choice": "Location: choose where to book.",
        },
    )

    def __init__(self, *args: Any, locations: list[Location], **kwargs: Any):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.locations = {loc.pk: loc for loc in locations}
        if len(locations) > 1:
            self.fields["location"].choices = [("", "Choose…")] + [(loc.pk, loc.name) for loc in locations]
        else:
            del self.fields["location"]

    def chosen_location(self) -> Location | None:
        """The chosen location (None: the only one there is, or none yet)."""
        return self.locations.get(self.cleaned_data.get("location") or 0)


def _form(data: Any = None) -> PlanForm:
    return PlanForm(data, locations=list(Location.objects.order_by("name")))


def _page(request: HttpRequest, form: PlanForm, *, status: int = 200, **context: Any) -> HttpResponse:
    """The whole page, or only its plan part for htmx (which does not swap error answers: the
    part carries the error instead)."""
    context = {"form": form, "plan": None, "outcome": None, "error": "", **context}
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, TEMPLATE + "#plan", context)
    return render(request, TEMPLATE, context, status=status)


@require_http_methods(["GET", "HEAD", "POST"])
def waiting_list_plan(request: HttpRequest) -> HttpResponse:
    """GET: the button. POST: propose dates for every waiting course and preview them."""
    require_staff(request)
    if request.method != "POST":
        return _page(request, _form(), waiting=waiting_list.waiting_list_count())
    form = _form(request.POST)
    if not form.is_valid():
        errors = " ".join(e for field_errors in form.errors.values() for e in field_errors)
        return _page(request, form, status=400, error=errors)
    try:
        plan = waiting_list.waiting_list_proposals(actor=request.user, location=form.chosen_location())
    except ServiceError as exc:
        return _page(request, form, status=400, error=exc.message)
    return _page(request, form, plan=plan, zone=plan.location.time_zone if plan.location else None)


@require_POST
def waiting_list_book(request: HttpRequest) -> HttpResponse:
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
