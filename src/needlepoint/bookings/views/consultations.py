"""Book a consultation (clinic staff; patients and visitors get 404), for a registered patient
(`?patient=<id>`, from the patient record) or from a visitor's inquiry (`?inquiry=<id>`, from
the front desk's queue). GET with a day shows the earliest free consultations from that day;
POST books the one chosen, exactly as shown, and goes to that day's calendar."""

from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from needlepoint.bookings.models import PractitionerProfile
from needlepoint.bookings.services import BookingConflict
from needlepoint.bookings.services import consultations as service
from needlepoint.bookings.services.preferences import Preferences
from needlepoint.clinic.access import get_patient_for_user, require_staff
from needlepoint.clinic.models import Inquiry, Patient
from needlepoint.clinic.services import ServiceError, StaleEdit
from needlepoint.scheduling import AFTERNOONS, EVENINGS, MORNINGS

TEMPLATE = "bookings/consultation/book.html"
TIMES = {"mornings": MORNINGS, "afternoons": AFTERNOONS, "evenings": EVENINGS}


class ConsultationForm(forms.Form):
    day = forms.DateField(
        label="From",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"required": "From: pick a day.", "invalid": "From: enter a real date."},
    )
    times = forms.ChoiceField(
        label="Time of day",
        required=False,
        choices=[
            ("", "Any time the clinic is open"),
            *[(k, f"{k.capitalize()} ({span})") for k, span in TIMES.items()],
        ],
    )
    practitioner = forms.TypedChoiceField(label="Practitioner", required=False, coerce=int, empty_value=None)

    def __init__(self, *args: Any, **kwargs: Any):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        profiles = (
            PractitionerProfile.objects.filter(active=True)
            .select_related("user")
            .order_by("user__last_name", "user__first_name")
        )
        self.fields["practitioner"].choices = [("", "Anyone free")] + [
            (p.user_id, p.user.get_full_name() or p.user.get_username()) for p in profiles
        ]

    def preferences(self) -> Preferences:
        chosen = self.cleaned_data.get("times")
        return Preferences(
            times=(TIMES[chosen],) if chosen else (), practitioner_id=self.cleaned_data.get("practitioner")
        )


def _who(request: HttpRequest) -> tuple[Patient | None, Inquiry | None]:
    """The patient or inquiry named by the query or form (404 when unknown or not visible)."""
    require_staff(request)
    data = request.POST if request.method == "POST" else request.GET
    if data.get("inquiry", "").isdigit():
        inquiry = Inquiry.objects.select_related("patient").filter(pk=int(data["inquiry"])).first()
        if inquiry is None:
            raise Http404("No such inquiry.")
        return None, inquiry
    if data.get("patient", "").isdigit():
        return get_patient_for_user(request, data["patient"]), None
    raise Http404("Say who the consultation is for.")


def _page(
    request: HttpRequest,
    patient: Patient | None,
    inquiry: Inquiry | None,
    form: ConsultationForm,
    *,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    options = None
    if form.is_bound and form.is_valid():  # after a refused booking too: a fresh search
        try:
            options = service.consultation_options(
                actor=request.user,
                patient=patient,
                inquiry=inquiry,
                day=form.cleaned_data["day"],
                preferences=form.preferences(),
            )
        except ServiceError as exc:
            error, status = error or exc.message, status if error else 400
    elif form.is_bound and not form.is_valid():
        status = 400
    name = str(patient) if patient else f"{inquiry.first_name} {inquiry.last_name}" if inquiry else ""
    return render(
        request,
        TEMPLATE,
        {
            "patient": patient,
            "inquiry": inquiry,
            "name": name,
            "form": form,
            "options": options,
            "error": error,
            "zone": timezone.get_current_timezone_name(),
        },
        status=status,
    )


@require_http_methods(["GET", "HEAD", "POST"])
def consultation_book(request: HttpRequest) -> HttpResponse:
    patient, inquiry = _who(request)
    if request.method != "POST":
        data = request.GET if "day" in request.GET else None
        form = ConsultationForm(data, initial={"day": timezone.localdate()})
        return _page(request, patient, inquiry, form)
    try:
        appointment = service.consultation_book(actor=request.user, token=request.POST.get("token", ""))
    except ServiceError as exc:
        again = ConsultationForm(request.POST)
        return _page(
            request,
            patient,
            inquiry,
            again,
            error=f"Nothing was booked: {exc.message}",
            status=409 if isinstance(exc, BookingConflict | StaleEdit) else 400,
        )
    local = timezone.localtime(appointment.starts_at)
    messages.success(
        request,
        f"Consultation booked for {appointment.patient} on {local:%A} {local.day} "
        f"{local:%B %Y} at {local:%H:%M}.",
    )
    return redirect(reverse("bookings:calendar") + f"?date={local.date().isoformat()}")


urls: list[URLPattern] = [path("consultations/book/", consultation_book, name="consultation_book")]
