"""The protocol: the clinic's clinical knowledge base, loaded strictly from YAML.

A protocol is data: rules (each of a kind from the closed set in `rules.py`, with parameters),
depths per area and goal, session counts, intervals, adjuncts, the care timeline, expectations
and the expected recovery after a session, every entry citing source ids (or, for a recovery
value, marked as the clinic's choice). Loading refuses an unknown key, an unknown rule
kind, a missing source, an impossible window, or entries that contradict each other, with a
ProtocolError that names the file, the entry and the problem.
"""

import datetime as dt
import functools
import string
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from needlepoint.clinical import vocab
from needlepoint.clinical.errors import ProtocolError
from needlepoint.clinical.intake import ATC_PATTERN, Vocabulary

DEFAULT_PROTOCOL = Path(__file__).resolve().parents[3] / "protocols" / "default.yaml"

Decision = Literal["contraindicated", "defer", "needs_clearance", "proceed_with_precautions"]
Level = Literal["PR", "REG", "IND", "PRAC", "professional", "press", "reference"]
Code = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]
SourceId = Annotated[str, Field(pattern=r"^S[0-9]+[a-z]?$")]
ABSOLUTE_MAX_DEPTH_MM = 5.0
"""No depth is ever planned or charted deeper than this, override or not: the bound of every
depth in a protocol, of a director's override and of the charting table's check constraint."""

Depth = Annotated[float, Field(gt=0, le=ABSOLUTE_MAX_DEPTH_MM)]


class _Entry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Window(_Entry):
    """A span of days or calendar months (exactly one of the two)."""

    days: Annotated[int, Field(ge=0, le=3650)] | None = None
    months: Annotated[int, Field(ge=0, le=120)] | None = None

    def after(self, day: dt.date) -> dt.date:
        """Return the first day after this window counted from `day` (calendar months clamp)."""
        if self.days is not None:
            return day + dt.timedelta(days=self.days)
        return add_months(day, self.months or 0)


class Alternative(_Entry):
    """What the conservative default did not take, kept so the choice is visible."""

    decision: Decision | Literal["none"] | None = None
    window: Window | None = None
    sources: tuple[SourceId, ...] = ()
    note: str


class _Cited(_Entry):
    sources: Annotated[tuple[SourceId, ...], Field(min_length=1)]
    evidence: Level
    note: str | None = None
    unverified: bool = False


class _Rule(_Cited):
    id: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]*$")]
    finding: Code
    decision: Decision
    message: Annotated[str, Field(min_length=1)]
    message_undated: str | None = None
    alternative: Alternative | None = None


class ConditionRule(_Rule):
    """Fires on a reported condition with one of `statuses` (optionally within a window)."""

    kind: Literal["condition"]
    conditions: Annotated[tuple[Code, ...], Field(min_length=1)]
    statuses: Annotated[
        tuple[Literal["active", "history", "controlled", "uncontrolled"], ...], Field(min_length=1)
    ]
    scope: Literal["patient", "area"] = "patient"
    window: Window | None = None
    unlocated_decision: Decision | None = None


class ProcedureRule(_Rule):
    """Fires when a procedure's date plus its window (by depth or kind) is after the assessment."""

    kind: Literal["procedure"]
    procedures: Annotated[tuple[Code, ...], Field(min_length=1)]
    windows: Annotated[dict[str, Window], Field(min_length=1)]
    scope: Literal["patient", "area"] = "area"


class MedicationRule(_Rule):
    """Fires on a medication whose ATC code starts with one of `atc` (current, or stopped recently)."""

    kind: Literal["medication"]
    atc: Annotated[tuple[Annotated[str, Field(pattern=ATC_PATTERN)], ...], Field(min_length=1)]
    status: Literal["current", "stopped"]
    window: Window | None = None


class PregnancyRule(_Rule):
    kind: Literal["pregnancy"]
    statuses: Annotated[tuple[Literal["pregnant", "breastfeeding", "trying"], ...], Field(min_length=1)]


class AgeRule(_Rule):
    """Fires when the patient is younger than `below_years`; a deferral lasts to that birthday."""

    kind: Literal["age"]
    below_years: Annotated[int, Field(ge=1, le=130)]


class AllergyRule(_Rule):
    kind: Literal["allergy"]
    allergies: tuple[Code, ...] = ()
    unrecognised: bool = False


class SiteRule(_Rule):
    """Removes areas that are never treated (e.g. within the orbital rim)."""

    kind: Literal["site"]
    areas: Annotated[tuple[Code, ...], Field(min_length=1)]


class PhototypeRule(_Rule):
    """Fires when the Fitzpatrick phototype is at least `minimum`, or when it is not recorded."""

    kind: Literal["phototype"]
    minimum: Annotated[int, Field(ge=1, le=6)] | None = None
    when_missing: bool = False


class UnknownMedicationRule(_Rule):
    """Fires on a medication given by a name the protocol cannot map to an ATC code."""

    kind: Literal["unknown_medication"]


Rule = Annotated[
    ConditionRule
    | ProcedureRule
    | MedicationRule
    | PregnancyRule
    | AgeRule
    | AllergyRule
    | SiteRule
    | PhototypeRule
    | UnknownMedicationRule,
    Field(discriminator="kind"),
]


class DepthRange(_Entry):
    min: Depth
    max: Depth


class AreaDepth(_Cited):
    ceiling_mm: Depth
    depth_mm: DepthRange


class IntervalDays(_Entry):
    min: Annotated[int, Field(ge=1, le=365)]
    max: Annotated[int, Field(ge=1, le=365)]


class Sessions(_Cited):
    count: Annotated[int, Field(ge=1, le=12)]
    by_goodman_baron_grade: dict[Literal[1, 2, 3, 4], Annotated[int, Field(ge=1, le=12)]] = {}


class Expectations(_Cited):
    text: Annotated[str, Field(min_length=1)]
    review_after_days: Annotated[int, Field(ge=1, le=730)]


class GoalDepths(_Cited):
    areas: Annotated[dict[Code, DepthRange], Field(min_length=1)]


class Goal(_Entry):
    sessions: Sessions
    interval_days: IntervalDays
    interval_sources: Annotated[tuple[SourceId, ...], Field(min_length=1)]
    interval_alternative: Alternative | None = None
    depths: GoalDepths | None = None
    adjuncts: tuple[Code, ...] = ()
    expectations: Expectations


class Adjunct(_Cited):
    name: str
    timing: Literal["during", "between_sessions"]
    for_use_during_needling: bool
    optional: bool = True


class CareItem(_Cited):
    code: Code
    offset_days: Annotated[int, Field(ge=-365, le=365)]
    duration_days: Annotated[int, Field(ge=1, le=365)] | None = None
    when: Literal["always"] | Code = "always"
    text: Annotated[str, Field(min_length=1)]
    alternative: Alternative | None = None


class Grounded(_Entry):
    """A value with its grounds: the source ids it rests on (with their evidence level), or
    `clinic_choice: true` where the value is the clinic's choice rather than evidence; a clinic
    choice may still cite the sources that informed it."""

    sources: tuple[SourceId, ...] = ()
    evidence: Level | None = None
    clinic_choice: bool = False
    note: str | None = None


ScoreName = Literal["redness", "swelling", "pain"]
Scores = Annotated[tuple[ScoreName, ...], Field(min_length=1)]


class ScoreScale(Grounded):
    """Patients score redness, swelling and pain from 0 (none) to `max` (worst)."""

    max: Annotated[int, Field(ge=1, le=100)]


class WarningSign(Grounded):
    """A sign the patient can report that is never part of the usual recovery: urgent."""

    code: Code
    label: Annotated[str, Field(min_length=1)]


class Threshold(Grounded):
    """On check-in `day`, a score in `scores` at or above `from_score` is "not as expected"."""

    day: Annotated[int, Field(ge=1, le=365)]
    from_score: Annotated[int, Field(ge=0, le=100)]
    scores: Scores


class Worsening(Grounded):
    """A score in `scores` higher than at the previous check-in is "not as expected"."""

    scores: Scores


class Days(Grounded):
    days: Annotated[int, Field(ge=1, le=365)]


class Recovery(_Entry):
    """The expected recovery after a session, read by `recovery.py`. The check-in days are the
    protocol's `check_in` care items."""

    scores: ScoreScale
    warning_signs: Annotated[tuple[WarningSign, ...], Field(min_length=1)]
    not_as_expected: tuple[Threshold, ...] = ()
    worse_than_before: Worsening
    due_for: Days
    open_for: Days


CHECK_IN = "check_in"
"""The care-item code of a check-in: its `offset_days` is a check-in day."""


class Approval(_Entry):
    name: Annotated[str, Field(min_length=1)]
    role: Annotated[str, Field(min_length=1)]
    date: dt.date


class Header(_Entry):
    id: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9._-]*$")]
    version: Annotated[str, Field(min_length=1)]
    title: str
    approved: Approval
    notes: str | None = None


class Source(_Entry):
    citation: Annotated[str, Field(min_length=1)]
    level: Level


class VocabularyAdditions(_Entry):
    goals: tuple[Code, ...] = ()
    areas: tuple[Code, ...] = ()
    conditions: tuple[Code, ...] = ()
    procedures: tuple[Code, ...] = ()


class PhotoView(Grounded):
    """One standard view of a photo area ("front", "left 45°")."""

    code: Code
    label: Annotated[str, Field(min_length=1, max_length=60)]


class PhotoArea(Grounded):
    """A region photographed as one (the face), the treatment areas it shows (`covers`) and the
    standard views each visit asks for, in the order they are taken."""

    label: Annotated[str, Field(min_length=1, max_length=60)]
    covers: Annotated[tuple[Code, ...], Field(min_length=1)]
    views: Annotated[tuple[PhotoView, ...], Field(min_length=1)]

    @field_validator("views")
    @classmethod
    def _distinct_views(cls, views: tuple[PhotoView, ...]) -> tuple[PhotoView, ...]:
        codes = [v.code for v in views]
        twice = sorted({c for c in codes if codes.count(c) > 1})
        if twice:
            raise ValueError(f"view {twice[0]!r} is listed twice")
        return views


class Photos(_Entry):
    """The standard photo views per region (`photos:`), read by the capture page."""

    areas: dict[Code, PhotoArea] = {}

    def for_treatment_areas(self, treated: tuple[str, ...] | list[str]) -> dict[str, PhotoArea]:
        """Return the photo regions that show any of the `treated` areas, in protocol order;
        every region when `treated` is empty (a visit whose plan names no area)."""
        return {
            code: area
            for code, area in self.areas.items()
            if not treated or any(t in area.covers for t in treated)
        }


class Protocol(_Entry):
    protocol: Header
    sources: Annotated[dict[SourceId, Source], Field(min_length=1)]
    vocabulary: VocabularyAdditions = VocabularyAdditions()
    medications: dict[str, Annotated[str, Field(pattern=ATC_PATTERN)]]
    rules: Annotated[tuple[Rule, ...], Field(min_length=1)]
    areas: dict[Code, AreaDepth]
    goals: dict[Code, Goal]
    adjuncts: dict[Code, Adjunct] = {}
    care: tuple[CareItem, ...]
    recovery: Recovery
    photos: Photos = Photos()

    @property
    def check_in_days(self) -> tuple[int, ...]:
        """Return the days after a session (day 0) of the `check_in` care items, in order."""
        return tuple(sorted({c.offset_days for c in self.care if c.code == CHECK_IN}))

    @property
    def ref(self) -> dict[str, str]:
        """Return {"id", "version"}: recorded with every screening and plan made with it."""
        return {"id": self.protocol.id, "version": self.protocol.version}

    def vocabulary_for_intake(self) -> Vocabulary:
        """Return the codes an intake may use: the contract's plus this protocol's additions."""
        add = self.vocabulary
        return Vocabulary(
            goals=frozenset(vocab.GOALS) | frozenset(add.goals),
            areas=frozenset(vocab.AREAS) | frozenset(add.areas),
            conditions=frozenset(vocab.CONDITIONS) | frozenset(add.conditions),
            procedures=frozenset(vocab.PROCEDURES) | frozenset(add.procedures),
        )


def add_months(day: dt.date, months: int) -> dt.date:
    """Return `day` moved by whole calendar months; a day the target month lacks moves to the 1st
    of the month after (so 31 August + 6 months is 1 March: never earlier than a full window)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    try:
        return dt.date(year, month + 1, day.day)
    except ValueError:
        year, month = divmod(index + 1, 12)
        return dt.date(year, month + 1, 1)


def load_protocol(path: str | Path | None = None) -> Protocol:
    """Return the protocol at `path` (the default protocol when None), checked in full."""
    file = Path(path) if path is not None else DEFAULT_PROTOCOL
    raw = _read_yaml(file)
    return protocol_from_data(raw, file=str(file))


def protocol_from_data(raw: Any, *, file: str) -> Protocol:
    """Return a checked Protocol from decoded YAML data; `file` names it in error messages."""
    if not isinstance(raw, Mapping):
        raise ProtocolError("the file must hold a mapping at the top level", file=file, entry="$")
    try:
        proto = Protocol.model_validate(raw)
    except ValidationError as exc:
        raise _from_validation(exc, raw, file) from None
    from needlepoint.clinical.protocol_checks import check_protocol

    check_protocol(proto, file=file)
    _check_photos(proto, file=file)
    return proto


def _check_photos(p: Protocol, *, file: str) -> None:
    """Refuse a photo region that covers an area the protocol does not know, or whose view
    rests on nothing (neither sources nor `clinic_choice: true`)."""
    for code, area in p.photos.areas.items():
        unknown = [a for a in area.covers if a not in p.areas]
        if unknown:
            raise ProtocolError(
                f"covers unknown area {unknown[0]!r} (known: {', '.join(p.areas)})",
                file=file,
                entry=f"photos.areas.{code}",
            )
        for i, view in enumerate(area.views):
            if not (view.sources or view.clinic_choice or area.sources or area.clinic_choice):
                raise ProtocolError(
                    "needs sources or clinic_choice: true",
                    file=file,
                    entry=f"photos.areas.{code}.views[{i}] (code: {view.code})",
                )


def _read_yaml(file: Path) -> Any:
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ProtocolError(f"cannot be read ({exc})", file=str(file), entry="$") from None
    try:
        return yaml.load(text, Loader=_loader())
    except yaml.YAMLError as exc:
        raise ProtocolError(f"is not valid YAML: {exc}", file=str(file), entry="$") from None


def _loader() -> type[yaml.SafeLoader]:
    loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return loader


def _from_validation(exc: ValidationError, raw: Mapping[str, Any], file: str) -> ProtocolError:
    err = exc.errors(include_url=False)[0]
    loc = tuple(err["loc"])
    problem = _problem(err)
    return ProtocolError(problem, file=file, entry=describe_entry(raw, loc))


def _problem(err: Mapping[str, Any]) -> str:
    kind = err["type"]
    if kind == "extra_forbidden":
        return f"unknown key {err['loc'][-1]!r}"
    if kind == "missing":
        return f"missing key {err['loc'][-1]!r}"
    if kind == "union_tag_invalid":
        return f"unknown rule kind {err['ctx']['tag']!r} (known: {err['ctx']['expected_tags']})"
    if kind == "union_tag_not_found":
        return "a rule needs a 'kind'"
    return f"{'.'.join(str(p) for p in err['loc'][-1:])}: {err['msg']}"


def describe_entry(raw: Any, loc: tuple[Any, ...]) -> str:
    """Return a readable path to an entry, naming rules by id: 'rules[3] (id: x).window'."""
    parts: list[str] = []
    node = raw
    for step in loc:
        if isinstance(step, int) and isinstance(node, list) and 0 <= step < len(node):
            node = node[step]
            label = f"[{step}]"
            if isinstance(node, Mapping) and "id" in node:
                label += f" (id: {node['id']})"
            elif isinstance(node, Mapping) and "code" in node and "id" not in node:
                label += f" (code: {node['code']})"
            parts.append(label)
        elif isinstance(node, Mapping) and node.get("kind") == step:
            continue  # the discriminator's label for a rule kind
        elif isinstance(node, Mapping) and step in node:
            node = node[step]
            parts.append(f".{step}" if parts else str(step))
        elif (isinstance(step, str) and step[:1].isupper()) or step in ("function-after",):
            continue  # pydantic's union member labels
        else:
            parts.append(f".{step}" if parts else str(step))
    return "".join(parts) or "$"


MESSAGE_FIELDS = frozenset({"date", "until", "name", "areas", "age", "years", "code"})


@functools.lru_cache(maxsize=1024)
def template_fields(message: str) -> frozenset[str]:
    """Return the placeholder names of a message; raise ValueError on anything but plain names."""
    names: set[str] = set()
    for _, field, spec, conv in string.Formatter().parse(message):
        if field is None:
            continue
        if spec or conv or not field.isidentifier():
            raise ValueError(f"placeholder {{{field}}} must be a plain name")
        names.add(field)
    return frozenset(names)
