"""The intake editor's forms and their translation to and from the intake document
(needlepoint.intake/1): the patient-reported fields (`IntakeForm`), the repeatable rows
(conditions, medicines, procedures), the editor's starting values from the latest intake, the
"add a row" round trip, and placing a screening's error next to the field its path names."""

from typing import Any

from django import forms
from django.forms import BaseFormSet
from django.forms.utils import ErrorDict
from django.utils import timezone

from needlepoint.clinic.forms import DATE, choice_field, code_choices, optional
from needlepoint.clinic.protocol import clinic_protocol
from needlepoint.clinic.services import ServiceError
from needlepoint.clinical import scales, vocab
from needlepoint.web.fields import DayField, row_set

Rows = dict[str, BaseFormSet["Row"]]
"""The editor's repeatable sections by key ("conditions", "medications", "procedures")."""


class IntakeForm(forms.Form):
    """What the patient reports. Scar counts and the Goodman & Baron grade are the clinician's
    measurement: they are taken once, in the assessment, not asked here."""

    assessed_on = DayField(label="Assessed on", widget=DATE)
    goal = forms.ChoiceField(label="Main goal")
    other_goals = forms.MultipleChoiceField(
        label="Other goals", required=False, widget=forms.CheckboxSelectMultiple
    )
    areas = forms.MultipleChoiceField(label="Areas to treat", widget=forms.CheckboxSelectMultiple)
    fitzpatrick = forms.TypedChoiceField(
        label="Fitzpatrick phototype",
        required=False,
        coerce=int,
        empty_value=None,
        choices=optional(
            ((n, f"{scales.PHOTOTYPE_ROMAN[n - 1]} — {d}") for n, d in scales.PHOTOTYPES.items()),
            "Not recorded",
        ),
    )
    pregnancy = forms.ChoiceField(
        label="Pregnancy", required=False, choices=optional(code_choices(vocab.PREGNANCY), "Not asked")
    )
    allergies = forms.CharField(
        label="Allergies", required=False, help_text="Separate with commas, e.g. lidocaine, nickel."
    )

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        words = clinic_protocol().vocabulary_for_intake()
        goals = code_choices(sorted(words.goals))
        choice_field(self.fields["goal"]).choices = goals
        choice_field(self.fields["other_goals"]).choices = goals
        choice_field(self.fields["areas"]).choices = code_choices(sorted(words.areas))


def _codes(text: str) -> list[str]:
    return [c.strip() for c in (text or "").split(",") if c.strip()]


class Row(forms.Form):
    """One row of a repeatable section (a condition, a medicine, a procedure)."""

    key = ""  # the field that makes a row count as filled in

    def as_data(self) -> dict[str, Any]:
        """The row as an entry of the intake document."""
        raise NotImplementedError

    def is_blank(self) -> bool:
        return not self.cleaned_data.get(self.key)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        filled = [k for k, v in data.items() if v not in (None, "", []) and k not in ("status",)]
        if filled and not data.get(self.key) and not self.errors:
            what = str(self.fields[self.key].label or self.key).lower()
            raise forms.ValidationError(f"Choose the {what} or clear the row.")
        return data


class ConditionRow(Row):
    key = "code"
    code = forms.ChoiceField(label="Condition", required=False)
    status = forms.ChoiceField(choices=code_choices(vocab.CONDITION_STATUSES), initial="active")
    severity = forms.ChoiceField(required=False, choices=optional(code_choices(vocab.SEVERITIES), "—"))
    areas = forms.CharField(required=False, help_text="Areas, separated with commas")
    date = DayField(required=False, widget=DATE)

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        codes = sorted(clinic_protocol().vocabulary_for_intake().conditions)
        choice_field(self.fields["code"]).choices = optional(code_choices(codes), "—")

    def as_data(self) -> dict[str, Any]:
        d = self.cleaned_data
        row: dict[str, Any] = {"code": d["code"], "status": d["status"]}
        if d.get("severity"):
            row["severity"] = d["severity"]
        if _codes(d.get("areas", "")):
            row["areas"] = _codes(d["areas"])
        if d.get("date"):
            row["date"] = d["date"].isoformat()
        return row


def protocol_medicines() -> dict[str, str]:
    """The protocol's medicine names and their ATC codes."""
    return dict(clinic_protocol().medications)


class MedicationRow(Row):
    """A medicine named as staff or the patient say it, picked from the protocol's list of names
    or typed; its ATC code is looked up behind the scenes (screening resolves the name, and an
    unknown name is flagged for review). A code the record already carried (from another
    source) is kept, hidden, while the row keeps the name it came with."""

    key = "name"
    name = forms.CharField(
        label="Medicine",
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"list": "medicine-names", "autocomplete": "off"}),
    )
    status = forms.ChoiceField(choices=code_choices(vocab.MEDICATION_STATUSES), initial="current")
    last_taken = DayField(required=False, widget=DATE)
    atc = forms.CharField(required=False, max_length=10, widget=forms.HiddenInput)
    atc_name = forms.CharField(required=False, max_length=200, widget=forms.HiddenInput)

    def clean(self) -> dict[str, Any]:
        data = forms.Form.clean(self) or {}
        if data.get("last_taken") and not data.get("name"):
            raise forms.ValidationError("Name the medicine or clear the row.")
        return data

    def as_data(self) -> dict[str, Any]:
        d = self.cleaned_data
        row: dict[str, Any] = {"name": d["name"].strip(), "status": d["status"]}
        code = (d.get("atc") or "").strip()
        if code and vocab.name_key(d["name"]) == vocab.name_key(d.get("atc_name") or ""):
            row["atc"] = code
        if d.get("last_taken"):
            row["last_taken"] = d["last_taken"].isoformat()
        return row


def _medication_initial(row: dict[str, Any]) -> dict[str, Any]:
    """Return an intake's medication as the editor's row: its name (the protocol's name for a
    medicine recorded only by its code) with any code kept behind the scenes."""
    name = (
        row.get("name")
        or vocab.medicine_name_for(row.get("atc", ""), protocol_medicines())
        or row.get("atc", "")
    )
    out = {k: v for k, v in row.items() if k in ("status", "last_taken")} | {"name": name}
    if row.get("atc"):
        out |= {"atc": row["atc"], "atc_name": name}
    return out


class ProcedureRow(Row):
    key = "code"
    code = forms.ChoiceField(label="Procedure", required=False)
    date = DayField(required=False, widget=DATE)
    depth = forms.ChoiceField(
        required=False, label="Peel depth", choices=optional(code_choices(vocab.PEEL_DEPTHS), "—")
    )
    kind = forms.ChoiceField(
        required=False, label="Laser kind", choices=optional(code_choices(vocab.LASER_KINDS), "—")
    )
    areas = forms.CharField(required=False, help_text="Areas, separated with commas")

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        codes = sorted(clinic_protocol().vocabulary_for_intake().procedures)
        choice_field(self.fields["code"]).choices = optional(code_choices(codes), "—")

    def as_data(self) -> dict[str, Any]:
        d = self.cleaned_data
        row: dict[str, Any] = {"code": d["code"]}
        if d.get("date"):
            row["date"] = d["date"].isoformat()
        for key in ("depth", "kind"):
            if d.get(key):
                row[key] = d[key]
        if _codes(d.get("areas", "")):
            row["areas"] = _codes(d["areas"])
        return row


MAX_ROWS = 30
"""Rows per repeatable section the editor offers; more than any intake needs. No more are
built whatever a request claims (`row_set`)."""


ROWS: dict[str, type[BaseFormSet[Row]]] = {
    "conditions": row_set(ConditionRow, max_rows=MAX_ROWS, extra=2),
    "medications": row_set(MedicationRow, max_rows=MAX_ROWS, extra=2),
    "procedures": row_set(ProcedureRow, max_rows=MAX_ROWS, extra=2),
}


def intake_initial(data: dict[str, Any] | None) -> tuple[dict[str, Any], dict[str, list[Any]]]:
    """Return the editor's initial values from the latest intake (a new version starts from
    the last one), and the rows of each repeatable section."""
    today = timezone.localdate().isoformat()
    if not data:
        return {"assessed_on": today}, {k: [] for k in ROWS}
    goals = list(data.get("goals", ()))
    initial = {
        "assessed_on": today,
        "goal": goals[0] if goals else None,
        "other_goals": goals[1:],
        "areas": list(data.get("areas", ())),
        "fitzpatrick": (data.get("skin") or {}).get("fitzpatrick"),
        "pregnancy": data.get("pregnancy") or "",
        "allergies": ", ".join(data.get("allergies", ())),
    }
    rows = {
        k: [
            {**r, "areas": ", ".join(r.get("areas") or ())} if "areas" in r else dict(r)
            for r in data.get(k, ())
        ]
        for k in ROWS
    }
    rows["medications"] = [_medication_initial(r) for r in rows["medications"]]
    return initial, rows


def with_row(post: Any, key: str) -> Any:
    """Return a copy of the posted intake with one more empty row in section `key` (at most
    MAX_ROWS), for the editor's "Add a row" button: nothing is saved or screened."""
    data = post.copy()
    name = f"{key}-TOTAL_FORMS"
    try:
        total = int(data.get(name, "0"))
    except ValueError:
        total = 0
    total = max(total, 0)
    if total >= MAX_ROWS:
        return data
    data[name] = str(total + 1)
    for field, spec in ROWS[key].form.base_fields.items():  # the new row shows its defaults
        if spec.initial is not None:
            data[f"{key}-{total}-{field}"] = spec.initial
    return data


def without_errors(form: IntakeForm, rows: Rows) -> None:
    """Show the forms as typed, without judging them: the user has not asked to save yet.

    Django has no public way to do this: it writes the private error caches (`_errors` of a
    form and of a formset, `_non_form_errors` of a formset) that Django fills on first reading
    the errors, so none is computed. tests/clinic/test_intake_editor.py pins this against
    Django upgrades."""
    form._errors = ErrorDict()  # type: ignore[attr-defined]  # private: the stubs omit it
    for formset in rows.values():
        formset._errors = []  # type: ignore[attr-defined]  # private: the stubs omit it
        formset._non_form_errors = formset.error_class()  # type: ignore[attr-defined]
        for row in formset.forms:
            row._errors = ErrorDict()  # type: ignore[attr-defined]  # private: the stubs omit it


def intake_forms(post: Any, data: dict[str, Any] | None) -> tuple[IntakeForm, Rows]:
    """The editor bound to `post`, or (no post) starting from the intake document `data`."""
    initial, rows = intake_initial(data)
    if post is not None:
        return IntakeForm(post), {k: f(post, prefix=k) for k, f in ROWS.items()}
    return IntakeForm(initial=initial), {k: f(prefix=k, initial=rows[k]) for k, f in ROWS.items()}


def intake_data(form: IntakeForm, rows: Rows) -> tuple[dict[str, Any], dict[str, list[int]]]:
    """Return the intake in the contract's shape, and for each repeatable section the form row
    of each entry (blank rows are left out, so the core's index differs from the form's)."""
    d = form.cleaned_data
    data: dict[str, Any] = {
        "schema": vocab.INTAKE_SCHEMA,
        "assessed_on": d["assessed_on"].isoformat(),
        "patient": {},
        "goals": [d["goal"], *(g for g in d["other_goals"] if g != d["goal"])],
        "areas": list(d["areas"]),
    }
    if d.get("fitzpatrick") is not None:
        data["skin"] = {"fitzpatrick": d["fitzpatrick"]}
    if d.get("pregnancy"):
        data["pregnancy"] = d["pregnancy"]
    positions: dict[str, list[int]] = {}
    for key, formset in rows.items():
        kept = [(i, f) for i, f in enumerate(formset.forms) if f.cleaned_data and not f.is_blank()]
        data[key] = [f.as_data() for _, f in kept]
        positions[key] = [i for i, _ in kept]
    data["allergies"] = _codes(d.get("allergies", ""))
    return data, positions


INTAKE_FIELDS = {
    "assessed_on": "assessed_on",
    "areas": "areas",
    "skin": "fitzpatrick",
    "pregnancy": "pregnancy",
    "allergies": "allergies",
}


def place_intake_error(
    exc: ServiceError, form: IntakeForm, rows: Rows, positions: dict[str, list[int]]
) -> None:
    """Show the core's message next to the form field its dotted path names."""
    parts = exc.field.split(".")
    head = parts[0]
    if head in rows and len(parts) > 1 and parts[1].isdigit() and int(parts[1]) < len(positions[head]):
        row = rows[head].forms[positions[head][int(parts[1])]]
        name = parts[2] if len(parts) > 2 and parts[2] in row.fields else None
        row.add_error(name, exc.message)
        return
    if head == "goals":
        name = "goal" if parts[1:] in ([], ["0"]) else "other_goals"
    else:
        name = INTAKE_FIELDS.get(head)
    if name and name in form.cleaned_data:
        form.add_error(name, exc.message)
    else:
        form.add_error(None, exc.message)
