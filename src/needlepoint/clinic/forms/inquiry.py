"""The public inquiry's questions in plain words, the intake codes they stand for, and its two
forms: `InquiryForm` (the candidacy questions, whose `intake()` is an intake in the contract's
shape) and `ConsultationRequestForm` (who to contact, and the visitor's consent to store the
answers)."""

import datetime as dt
import re
from typing import Any

from django import forms

from needlepoint.clinic.forms import DATE, choice_field
from needlepoint.clinic.protocol import clinic_protocol
from needlepoint.clinic.services.patients import PHONE_RE
from needlepoint.clinical import vocab
from needlepoint.clinical.scales import PHOTOTYPE_ROMAN, PHOTOTYPES
from needlepoint.web.fields import DayField

MAX_MEDICINES = 20
MAX_ALLERGIES = 10

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

    birth_date = forms.DateField(  # its own bounds: not in the future, a plausible age
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
    sunburn_date = DayField(
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
    isotretinoin_last_dose = DayField(
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
        choice_field(self.fields["goals"]).choices = _choices(known.goals, vocab.GOALS, GOAL_LABELS)
        choice_field(self.fields["areas"]).choices = _choices(known.areas, vocab.AREAS, AREA_LABELS)
        for key, (words, _code) in PROCEDURES.items():
            self.fields[f"{key}_date"] = DayField(
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
        data = super().clean() or {}
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
