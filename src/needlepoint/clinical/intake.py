"""The intake (needlepoint.intake/1): strict parsing and validation at the edge.

Structure and types are checked by pydantic in strict JSON mode; codes are then checked
against the protocol's vocabulary (the contract's codes plus any the protocol adds), and dates
against each other. Every problem is reported as an IntakeError naming the dotted field path.
"""

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from needlepoint.clinical.errors import IntakeError

ATC_PATTERN = r"^[A-Z]([0-9]{2}([A-Z]([A-Z]([0-9]{2})?)?)?)?$"
MAX_AGE_YEARS = 130
# Dates outside this span are refused as impossible: every window and schedule computed from a
# date inside it stays a real calendar date.
EARLIEST_DATE = dt.date(1900, 1, 1)
LATEST_DATE = dt.date(2999, 12, 31)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


Code = Annotated[str, Field(min_length=1, max_length=64)]


class Patient(_Model):
    birth_date: dt.date


class Skin(_Model):
    fitzpatrick: Annotated[int, Field(ge=1, le=6)] | None = None


class Scars(_Model):
    icepick: Annotated[int, Field(ge=0)] | None = None
    boxcar: Annotated[int, Field(ge=0)] | None = None
    rolling: Annotated[int, Field(ge=0)] | None = None
    hypertrophic: Annotated[int, Field(ge=0)] | None = None
    goodman_baron_grade: Annotated[int, Field(ge=1, le=4)] | None = None


class Condition(_Model):
    code: Code
    status: Literal["active", "history", "controlled", "uncontrolled"] = "active"
    severity: Literal["mild", "moderate", "severe"] | None = None
    areas: tuple[Code, ...] | None = None
    date: dt.date | None = None


class Medication(_Model):
    name: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    atc: Annotated[str, Field(pattern=ATC_PATTERN)] | None = None
    status: Literal["current", "stopped"] = "current"
    last_taken: dt.date | None = None

    @model_validator(mode="after")
    def _named(self) -> "Medication":
        if self.name is None and self.atc is None:
            raise ValueError("a medication needs a name or an ATC code")
        return self


class Procedure(_Model):
    code: Code
    date: dt.date
    depth: Literal["superficial", "medium", "deep"] | None = None
    kind: Literal["non_ablative", "fractional_ablative", "ablative"] | None = None
    areas: tuple[Code, ...] | None = None


class IntakeModel(_Model):
    schema_: Literal["needlepoint.intake/1"] = Field(alias="schema")
    assessed_on: dt.date
    patient: Patient
    goals: Annotated[tuple[Code, ...], Field(min_length=1)]
    areas: Annotated[tuple[Code, ...], Field(min_length=1)]
    skin: Skin | None = None
    scars: Scars | None = None
    pregnancy: Literal["no", "pregnant", "breastfeeding", "trying"] | None = None
    conditions: tuple[Condition, ...] = ()
    medications: tuple[Medication, ...] = ()
    procedures: tuple[Procedure, ...] = ()
    allergies: tuple[Code, ...] = ()


@dataclass(frozen=True, slots=True)
class Vocabulary:
    """The codes an intake may use: the contract's plus the protocol's additions."""

    goals: frozenset[str]
    areas: frozenset[str]
    conditions: frozenset[str]
    procedures: frozenset[str]


def parse_intake(text: str | bytes, vocabulary: Vocabulary) -> IntakeModel:
    """Return the validated intake from JSON text, or raise IntakeError naming the field."""
    try:
        intake = IntakeModel.model_validate_json(text, strict=True)
    except ValidationError as exc:
        raise _from_validation(exc, text) from None
    _check_codes(intake, vocabulary)
    _check_dates(intake)
    return intake


def intake_from_mapping(data: Mapping[str, Any], vocabulary: Vocabulary) -> IntakeModel:
    """Return the validated intake from already-decoded JSON data (same rules as the text)."""
    return parse_intake(json.dumps(data, default=str), vocabulary)


_PLAIN = {
    "missing": "is required",
    "extra_forbidden": "is not a field of needlepoint.intake/1",
    "int_type": "must be a whole number",
    "string_type": "must be text",
    "date_type": "must be a date (YYYY-MM-DD)",
    "tuple_type": "must be a list",
    "model_type": "must be an object",
    "too_short": "must not be empty",
}


def _dotted(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(p) for p in loc if p != "function-after") or "$"


def _describe(err: Mapping[str, Any]) -> str:
    kind = err["type"]
    if kind in _PLAIN:
        return str(_PLAIN[kind])
    if kind.startswith("date_"):
        return f"is not a real date in YYYY-MM-DD form ({err['msg']})"
    if kind == "literal_error":
        return f"must be one of {err['ctx']['expected']}"
    if kind == "value_error":
        return str(err["msg"]).removeprefix("Value error, ")
    return str(err["msg"])


def _from_validation(exc: ValidationError, text: str | bytes) -> IntakeError:
    errors = exc.errors(include_url=False)
    if errors and errors[0]["type"] == "json_invalid":
        return _json_error(text)
    listed = [{"field": _dotted(tuple(e["loc"])), "message": _describe(e)} for e in errors]
    first = listed[0]
    where = first["field"] if first["field"] != "$" else "the intake"
    return IntakeError(f"{where} {first['message']}", field=first["field"], errors=listed)


def _json_error(text: str | bytes) -> IntakeError:
    try:
        json.loads(text)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        return IntakeError(f"the intake is not valid JSON: {exc}", field="$")
    return IntakeError("the intake is not valid JSON", field="$")


def _check_codes(intake: IntakeModel, vocab: Vocabulary) -> None:
    _known(intake.goals, vocab.goals, "goals", "goal")
    _known(intake.areas, vocab.areas, "areas", "area")
    for i, c in enumerate(intake.conditions):
        _known((c.code,), vocab.conditions, f"conditions.{i}.code", "condition", indexed=False)
        _known(c.areas or (), vocab.areas, f"conditions.{i}.areas", "area")
    for i, p in enumerate(intake.procedures):
        _known((p.code,), vocab.procedures, f"procedures.{i}.code", "procedure", indexed=False)
        _known(p.areas or (), vocab.areas, f"procedures.{i}.areas", "area")


def _known(
    codes: tuple[str, ...], allowed: frozenset[str], field: str, what: str, *, indexed: bool = True
) -> None:
    for i, code in enumerate(codes):
        if code not in allowed:
            path = f"{field}.{i}" if indexed else field
            raise IntakeError(
                f"{path}: unknown {what} code {code!r} (known: {', '.join(sorted(allowed))})",
                field=path,
            )


def check_date_span(value: dt.date, field: str) -> None:
    """Raise IntakeError when `value` lies outside the span of dates the software handles."""
    if not EARLIEST_DATE <= value <= LATEST_DATE:
        raise IntakeError(
            f"{field} ({value}) is not a plausible date (between {EARLIEST_DATE} and {LATEST_DATE})",
            field=field,
        )


def _check_dates(intake: IntakeModel) -> None:
    today = intake.assessed_on
    born = intake.patient.birth_date
    check_date_span(today, "assessed_on")
    check_date_span(born, "patient.birth_date")
    if born > today:
        raise IntakeError("patient.birth_date is after assessed_on", field="patient.birth_date")
    if today.year - born.year > MAX_AGE_YEARS:
        raise IntakeError(
            f"patient.birth_date is more than {MAX_AGE_YEARS} years before assessed_on",
            field="patient.birth_date",
        )
    dated = [(f"conditions.{i}.date", c.date) for i, c in enumerate(intake.conditions)]
    dated += [(f"procedures.{i}.date", p.date) for i, p in enumerate(intake.procedures)]
    dated += [(f"medications.{i}.last_taken", m.last_taken) for i, m in enumerate(intake.medications)]
    for field, value in dated:
        if value is not None and value > today:
            raise IntakeError(f"{field} ({value}) is after assessed_on ({today})", field=field)
        if value is not None and value < born:
            raise IntakeError(f"{field} ({value}) is before the patient's birth date", field=field)


def age_on(birth_date: dt.date, day: dt.date) -> int:
    """Return the patient's age in whole years on `day` (a 29 February birthday counts on 1 March)."""
    had_birthday = (day.month, day.day) >= (birth_date.month, birth_date.day)
    return day.year - birth_date.year - (0 if had_birthday else 1)
