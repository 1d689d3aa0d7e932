"""The public "Is microneedling for me?" page and the front desk's inquiry queue.

The public page (`@login_not_required`, the only public page of the clinic) asks the candidacy
questions in plain words, builds an intake in the contract's shape and screens it with the
clinic's protocol. Nothing is stored at that step: the answers travel only in the form round
trip (hidden inputs of the consultation request). An inquiry is stored only when the visitor
asks for a consultation and ticks the consent box (`inquiry_create`).

The queue (staff only; everyone else 404) lists new and contacted inquiries; its actions call
`inquiry_mark_contacted`, `inquiry_close` and `inquiry_convert`. With htmx the status actions
swap their row in place; every control is also a plain form."""

import datetime as dt
import functools
import operator
import re
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.cache import cache
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.views.decorators.http import require_http_methods, require_POST

from needlepoint.audit.context import client_ip
from needlepoint.audit.services import audit_record
from needlepoint.clinic.access import require_staff
from needlepoint.clinic.models import Decision, Inquiry, Patient
from needlepoint.clinic.protocol import clinic_protocol
from needlepoint.clinic.services import ServiceError, clinic_today
from needlepoint.clinic.services.inquiries import (
    OPEN_STATUSES,
    inquiry_close,
    inquiry_convert,
    inquiry_create,
    inquiry_mark_contacted,
    inquiry_screen,
)
from needlepoint.clinic.services.patients import PHONE_RE, PossibleDuplicate
from needlepoint.clinical import vocab
from needlepoint.clinical.rules import Finding, human_date, human_list
from needlepoint.clinical.scales import PHOTOTYPE_ROMAN, PHOTOTYPES
from needlepoint.clinical.screening import Screening as CoreScreening

PAGE = "clinic/inquiry/page.html"
QUEUE = "clinic/inquiry/queue.html"
REGISTER = "clinic/inquiry/register.html"
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
MAX_MEDICINES = 20
MAX_ALLERGIES = 10
QUEUE_PAGE_SIZE = 50

# ---- the questions, in plain words, and the intake codes they stand for -------------------------

GOAL_LABELS = {
    "acne_scars": "Acne scars",
    "surgical_scars": "Scars from surgery or an injury",
    "stretch_marks": "Stretch marks",
    "hyperpigmentation": "Dark patches or uneven skin tone",
    "melasma": "Melasma (brown patches, often on the face)",
    "fine_lines": "Fine lines and wrinkles",
    "enlarged_pores": "Enlarged pores",
    "texture": "Rough or uneven skin texture",
    "laxity": "Loose or sagging skin",
}
AREA_LABELS = {
    "forehead": "Forehead",
    "temples": "Temples",
    "periorbital": "Around the eyes (not the eyelids)",
    "eyelids": "Eyelids",
    "nose": "Nose",
    "cheeks": "Cheeks",
    "perioral": "Around the mouth",
    "lips": "Lips",
    "chin": "Chin",
    "jawline": "Jawline",
    "neck": "Neck",
    "decolletage": "Upper chest (décolletage)",
    "back": "Back",
    "abdomen": "Tummy (abdomen)",
    "arms": "Arms",
    "thighs": "Thighs",
    "buttocks": "Buttocks",
}
PREGNANCY_CHOICES = [
    ("no", "No (or this does not apply to me)"),
    ("pregnant", "I am pregnant"),
    ("breastfeeding", "I am breastfeeding"),
    ("trying", "I am trying to become pregnant"),
]
# key → (plain words, condition code, status)
CONDITIONS = {
    "acne_now": ("An acne breakout at the moment", "acne", "active"),
    "cold_sore_now": ("A cold sore at the moment", "herpes_simplex", "active"),
    "cold_sores_before": ("Cold sores in the past", "herpes_simplex", "history"),
    "skin_infection": (
        "A skin infection (for example impetigo or a fungal infection)",
        "skin_infection",
        "active",
    ),
    "open_wound": ("An open wound, cut or sore on an area you want treated", "open_wound", "active"),
    "warts": ("Warts on an area you want treated", "warts", "active"),
    "skin_cancer": ("Skin cancer, now or being treated", "skin_cancer", "active"),
    "tattoo": ("A tattoo or permanent make-up on an area you want treated", "tattoo", "active"),
    "keloid": ("A tendency to form raised, thick scars (keloids)", "keloid_tendency", "history"),
    "bleeding": ("A bleeding disorder, such as haemophilia", "bleeding_disorder", "active"),
    "immune": ("A weakened immune system (from an illness or its treatment)", "immunosuppression", "active"),
    "diabetes": ("Diabetes", "diabetes", "active"),
    "scleroderma": ("Scleroderma", "scleroderma", "active"),
    "connective": ("A connective tissue disease, such as lupus", "collagen_vascular_disease", "active"),
    "sensitive": ("Very sensitive skin", "sensitive_skin", "active"),
}
SKIN_DISEASES = [
    ("eczema", "Eczema"),
    ("psoriasis", "Psoriasis"),
    ("rosacea", "Rosacea"),
    ("dermatitis", "Dermatitis"),
]
YES_NO = [("no", "No, it is settled"), ("yes", "Yes, it is flaring")]
SUNBURN = [
    ("no", "No"),
    ("now", "Yes, I am sunburnt now"),
    ("recent", "Yes, in the last two weeks (give the date below)"),
]
ISOTRETINOIN = [
    ("never", "No, not in the last 12 months"),
    ("now", "Yes, I take it now"),
    ("stopped", "Yes, I stopped in the last 12 months (give the date below)"),
]
# key → (plain words, procedure code)
PROCEDURES = {
    "peel": ("A chemical peel", "chemical_peel"),
    "laser": ("Laser treatment", "laser"),
    "filler": ("Dermal filler injections", "dermal_filler"),
    "botulinum": ("Anti-wrinkle injections (botulinum toxin, such as Botox)", "botulinum_toxin"),
    "tanning": ("Sunbathing or a sunbed", "tanning"),
    "radiation": ("Radiotherapy to the skin", "radiation"),
    "surgery": ("Surgery on the face", "facial_surgery"),
    "microneedling": ("Microneedling", "microneedling"),
}
PEEL_DEPTHS = [
    ("", "I don't know"),
    ("superficial", "Light (superficial)"),
    ("medium", "Medium"),
    ("deep", "Deep"),
]
LASER_KINDS = [
    ("", "I don't know"),
    ("non_ablative", "Non-ablative (no peeling skin)"),
    ("fractional_ablative", "Fractional ablative"),
    ("ablative", "Fully ablative"),
]
ALLERGIES = [
    ("lidocaine", "Lidocaine (a numbing cream or injection)"),
    ("tetracaine", "Tetracaine"),
    ("benzocaine", "Benzocaine"),
    ("nickel", "Nickel"),
    ("stainless_steel", "Stainless steel"),
]


def _label(code: str, labels: dict[str, str]) -> str:
    return labels.get(code) or vocab.area_label(code).capitalize()


def _choices(codes: frozenset[str], order: tuple[str, ...], labels: dict[str, str]) -> list[tuple[str, str]]:
    """Return the protocol's codes as choices: the contract's order, then any additions."""
    ordered = [c for c in order if c in codes] + sorted(codes - set(order))
    return [(c, _label(c, labels)) for c in ordered]


def _phototype_choices() -> list[tuple[str, str]]:
    return [("", "I'm not sure")] + [
        (str(n), f"Type {PHOTOTYPE_ROMAN[n - 1]}: {text}") for n, text in PHOTOTYPES.items()
    ]


def _split(text: str) -> list[str]:
    """Return the items of a comma-, semicolon- or line-separated list, trimmed, without empties
    and repeats."""
    items = (i.strip() for i in re.split(r"[,;\n]", text))
    return list(dict.fromkeys(i for i in items if i))


class InquiryForm(forms.Form):
    """The candidacy questions. `intake()` returns the answers as an intake in the contract's
    shape, assessed today."""

    birth_date = forms.DateField(
        label="Your date of birth",
        widget=DATE,
        error_messages={"required": "Tell us your date of birth.", "invalid": "Enter a real date."},
    )
    pregnancy = forms.ChoiceField(
        label="Are you pregnant, breastfeeding or trying to become pregnant?",
        choices=PREGNANCY_CHOICES,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose one answer."},
    )
    goals = forms.MultipleChoiceField(
        label="What would you like to improve?",
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one thing you would like to improve."},
    )
    areas = forms.MultipleChoiceField(
        label="Which areas would you like treated?",
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one area."},
    )
    fitzpatrick = forms.TypedChoiceField(
        label="Which describes your skin best?",
        required=False,
        coerce=int,
        empty_value=None,
        widget=forms.RadioSelect,
        choices=_phototype_choices,
    )
    conditions = forms.MultipleChoiceField(
        label="Do you have any of these?",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        choices=[(k, v[0]) for k, v in CONDITIONS.items()],
    )
    skin_diseases = forms.MultipleChoiceField(
        label="Do you have any of these skin conditions?",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        choices=SKIN_DISEASES,
    )
    skin_disease_flaring = forms.ChoiceField(
        label="If so, is it flaring at the moment?", required=False, widget=forms.RadioSelect, choices=YES_NO
    )
    sunburn = forms.ChoiceField(
        label="Have you had sunburn in the last two weeks?",
        choices=SUNBURN,
        initial="no",
        widget=forms.RadioSelect,
        error_messages={"required": "Choose one answer."},
    )
    sunburn_date = forms.DateField(
        label="Date of the sunburn",
        required=False,
        widget=DATE,
        error_messages={"invalid": "Enter a real date."},
    )
    medicines = forms.CharField(
        label="Which medicines do you take at the moment?",
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Names, separated by commas: include blood thinners, steroid tablets and "
        "acne creams. Leave empty if none.",
    )
    isotretinoin = forms.ChoiceField(
        label="Have you taken isotretinoin tablets for acne (Roaccutane, Accutane)?",
        choices=ISOTRETINOIN,
        initial="never",
        widget=forms.RadioSelect,
        error_messages={"required": "Choose one answer."},
    )
    isotretinoin_last_dose = forms.DateField(
        label="Date of your last isotretinoin dose",
        required=False,
        widget=DATE,
        help_text="Your best guess is fine.",
        error_messages={"invalid": "Enter a real date."},
    )
    peel_depth = forms.ChoiceField(label="How deep was the peel?", required=False, choices=PEEL_DEPTHS)
    laser_kind = forms.ChoiceField(label="What kind of laser?", required=False, choices=LASER_KINDS)
    allergies = forms.MultipleChoiceField(
        label="Are you allergic to any of these?",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        choices=ALLERGIES,
    )
    other_allergies = forms.CharField(
        label="Any other allergies?",
        required=False,
        max_length=300,
        help_text="Separated by commas. Leave empty if none.",
    )

    def __init__(self, *args: Any, today: dt.date, **kwargs: Any):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.today = today
        known = clinic_protocol().vocabulary_for_intake()
        self.fields["goals"].choices = _choices(known.goals, vocab.GOALS, GOAL_LABELS)
        self.fields["areas"].choices = _choices(known.areas, vocab.AREAS, AREA_LABELS)
        for key, (words, _code) in PROCEDURES.items():
            self.fields[f"{key}_date"] = forms.DateField(
                label=f"{words}: date of the last one",
                required=False,
                widget=DATE,
                error_messages={"invalid": "Enter a real date."},
            )

    # ---- grouping for the template ----
    def procedure_fields(self) -> list[forms.BoundField]:
        return [self[f"{key}_date"] for key in PROCEDURES]

    # ---- validation in plain words ----
    def clean_birth_date(self) -> dt.date:
        born: dt.date = self.cleaned_data["birth_date"]
        if born > self.today:
            raise forms.ValidationError("Your date of birth cannot be in the future.")
        if self.today.year - born.year > 120:
            raise forms.ValidationError("Check the year of your date of birth.")
        return born

    def clean_medicines(self) -> list[str]:
        names = _split(self.cleaned_data["medicines"])
        if len(names) > MAX_MEDICINES:
            raise forms.ValidationError(
                f"List at most {MAX_MEDICINES} medicines; the clinic will ask about the rest."
            )
        if any(len(n) > 100 for n in names):
            raise forms.ValidationError("Separate the medicines with commas.")
        return names

    def clean_other_allergies(self) -> list[str]:
        codes = [
            re.sub(r"[^a-z0-9]+", "_", a.lower()).strip("_")[:64]
            for a in _split(self.cleaned_data["other_allergies"])
        ]
        codes = [c for c in dict.fromkeys(codes) if c]
        if len(codes) > MAX_ALLERGIES:
            raise forms.ValidationError(f"List at most {MAX_ALLERGIES} allergies.")
        return codes

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        self._require("sunburn", "recent", "sunburn_date", "Give the date of the sunburn.")
        self._require(
            "isotretinoin",
            "stopped",
            "isotretinoin_last_dose",
            "Give the date of your last dose (your best guess is fine).",
        )
        if data.get("skin_diseases") and not data.get("skin_disease_flaring"):
            self.add_error("skin_disease_flaring", "Say whether it is flaring at the moment.")
        dated = ["sunburn_date", "isotretinoin_last_dose", *(f"{k}_date" for k in PROCEDURES)]
        for name in dated:
            self._check_past(name)
        return data

    def _require(self, question: str, answer: str, date_field: str, message: str) -> None:
        asked = self.cleaned_data.get(question) == answer
        if asked and not self.cleaned_data.get(date_field) and date_field not in self.errors:
            self.add_error(date_field, message)

    def _check_past(self, name: str) -> None:
        day = self.cleaned_data.get(name)
        born = self.cleaned_data.get("birth_date")
        if day is None:
            return
        if day > self.today:
            self.add_error(name, "This date cannot be in the future.")
        elif born is not None and day < born:
            self.add_error(name, "This date is before your date of birth.")

    # ---- the intake ----
    def intake(self) -> dict[str, Any]:
        """Return the answers as an intake (needlepoint.intake/1) assessed today."""
        d = self.cleaned_data
        intake: dict[str, Any] = {
            "schema": vocab.INTAKE_SCHEMA,
            "assessed_on": self.today.isoformat(),
            "patient": {"birth_date": d["birth_date"].isoformat()},
            "goals": list(d["goals"]),
            "areas": list(d["areas"]),
            "pregnancy": d["pregnancy"],
            "conditions": self._conditions(),
            "medications": self._medications(),
            "procedures": self._procedures(),
            "allergies": list(dict.fromkeys([*d["allergies"], *d["other_allergies"]])),
        }
        if d.get("fitzpatrick"):
            intake["skin"] = {"fitzpatrick": d["fitzpatrick"]}
        return intake

    def _conditions(self) -> list[dict[str, Any]]:
        d = self.cleaned_data
        out = [{"code": CONDITIONS[k][1], "status": CONDITIONS[k][2]} for k in d["conditions"]]
        flaring = "active" if d.get("skin_disease_flaring") == "yes" else "controlled"
        out += [{"code": code, "status": flaring} for code in d["skin_diseases"]]
        if d["sunburn"] == "now":
            out.append({"code": "sunburn", "status": "active"})
        elif d["sunburn"] == "recent":
            out.append({"code": "sunburn", "status": "history", "date": d["sunburn_date"].isoformat()})
        return out

    def _medications(self) -> list[dict[str, Any]]:
        d = self.cleaned_data
        out: list[dict[str, Any]] = [{"name": n, "status": "current"} for n in d["medicines"]]
        listed = {n.lower() for n in d["medicines"]}
        if d["isotretinoin"] == "now" and "isotretinoin" not in listed:
            out.append({"name": "isotretinoin", "status": "current"})
        elif d["isotretinoin"] == "stopped":
            out.append(
                {
                    "name": "isotretinoin",
                    "status": "stopped",
                    "last_taken": d["isotretinoin_last_dose"].isoformat(),
                }
            )
        return out

    def _procedures(self) -> list[dict[str, Any]]:
        d = self.cleaned_data
        out = []
        for key, (_words, code) in PROCEDURES.items():
            day = d.get(f"{key}_date")
            if day is None:
                continue
            item: dict[str, Any] = {"code": code, "date": day.isoformat()}
            if key == "peel" and d.get("peel_depth"):
                item["depth"] = d["peel_depth"]
            if key == "laser" and d.get("laser_kind"):
                item["kind"] = d["laser_kind"]
            out.append(item)
        return out


class ConsultationRequestForm(forms.Form):
    """Who to contact, and the visitor's explicit consent to store their answers."""

    first_name = forms.CharField(
        label="First name", max_length=100, error_messages={"required": "Tell us your first name."}
    )
    last_name = forms.CharField(
        label="Last name", max_length=100, error_messages={"required": "Tell us your last name."}
    )
    email = forms.EmailField(
        label="Email",
        max_length=254,
        error_messages={
            "required": "Tell us your email, so the clinic can reply.",
            "invalid": "Enter a real email address.",
        },
    )
    phone = forms.CharField(label="Phone (optional)", max_length=40, required=False)
    consent = forms.BooleanField(
        label="I agree that the clinic stores my answers and contacts me about a consultation.",
        error_messages={
            "required": "Tick the box to agree that we store your answers and "
            "contact you; without it nothing is stored."
        },
    )
    website = forms.CharField(
        label="Leave this empty",
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}),
    )

    def __init__(self, *args: Any, **kwargs: Any):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    def clean_phone(self) -> str:
        phone: str = self.cleaned_data["phone"].strip()
        if phone and not PHONE_RE.match(phone):
            raise forms.ValidationError("Use digits, spaces and + ( ) - only.")
        return phone


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
    """True when this address has asked for more consultations this hour than a person would
    (a cache counter: nothing about the visitor is stored)."""
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
@require_http_methods(["GET", "POST"])
def inquiry(request: HttpRequest) -> HttpResponse:
    """The candidacy questions, then the answer; a consultation request stores an inquiry."""
    today = clinic_today()
    if request.method == "GET":
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


# ---- the front desk's queue ---------------------------------------------------------------------


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


def inquiry_queue(request: HttpRequest) -> HttpResponse:
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


def _inquiry(request: HttpRequest, inquiry_id: int) -> Inquiry:
    require_staff(request)
    try:
        return Inquiry.objects.select_related("patient").get(pk=inquiry_id)
    except Inquiry.DoesNotExist:
        raise Http404("No such inquiry.") from None


def _status_action(request: HttpRequest, inquiry_id: int, action: Any, done: str) -> HttpResponse:
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
def inquiry_contacted(request: HttpRequest, inquiry_id: int) -> HttpResponse:
    return _status_action(
        request, inquiry_id, inquiry_mark_contacted, "{name}'s inquiry is marked as contacted."
    )


@require_POST
def inquiry_closed(request: HttpRequest, inquiry_id: int) -> HttpResponse:
    return _status_action(request, inquiry_id, inquiry_close, "{name}'s inquiry is closed.")


def _chosen_record(request: HttpRequest) -> Patient | None:
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
def inquiry_register(request: HttpRequest, inquiry_id: int) -> HttpResponse:
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
    path("inquiry/", inquiry, name="inquiry"),
    path("inquiries/", inquiry_queue, name="inquiry_queue"),
    path("inquiries/<int:inquiry_id>/contacted/", inquiry_contacted, name="inquiry_contacted"),
    path("inquiries/<int:inquiry_id>/close/", inquiry_closed, name="inquiry_close"),
    path("inquiries/<int:inquiry_id>/register/", inquiry_register, name="inquiry_convert"),
]
portal_urls: list[URLPattern] = []
