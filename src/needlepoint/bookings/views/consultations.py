"""Book a consultation (clinic staff; patients and visitors get 404), for a registered patient
(`?patient=<id>`, from the patient record) or from a visitor's inquiry (`?inquiry=<id>`, from
the front desk's queue). GET with a day shows the earliest free consultations from that day;
POST books the one chosen, exactly as shown, and goes to that day's calendar."""

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from needlepoint.bookings.forms import ConsultationForm
from needlepoint.bookings.services import consultations as service
from needlepoint.clinic.access import get_patient_for_user, require_staff
from needlepoint.clinic.models import Inquiry, Patient
from needlepoint.clinic.services import ServiceError
from needlepoint.web.http import AuthenticatedHttpRequest
from needlepoint.words import human_when

TEMPLATE = "bookings/consultation/book.html"


def _who(request: AuthenticatedHttpRequest) -> tuple[Patient | None, Inquiry | None]:
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
    request: AuthenticatedHttpRequest,
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
def consultation_book(request: AuthenticatedHttpRequest) -> HttpResponse:
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
            status=exc.http_status,
        )
    zone = timezone.get_current_timezone()
    messages.success(
        request,
        f"Consultation booked for {appointment.patient} on {human_when(appointment.starts_at, zone)}.",
    )
    day = timezone.localdate(appointment.starts_at)
    return redirect(reverse("bookings:calendar") + f"?date={day.isoformat()}")


urls: list[URLPattern] = [path("consultations/book/", consultation_book, name="consultation_book")]
