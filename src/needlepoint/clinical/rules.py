"""The closed set of rule kinds: each turns a rule's parameters and an intake into findings.

A rule kind is a plain function `(rule, facts) -> list[Finding]`; the protocol chooses the kind
and gives the parameters. There is no expression language and nothing is evaluated from text.
"""

import datetime as dt
import functools
import string
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

from needlepoint import words
from needlepoint.clinical.intake import IntakeModel
from needlepoint.clinical.protocol import (
    AgeRule,
    AllergyRule,
    ConditionRule,
    MedicationRule,
    PhototypeRule,
    PregnancyRule,
    ProcedureRule,
    Protocol,
    Rule,
    SiteRule,
    UnknownMedicationRule,
    Window,
    add_months,
    template_fields,
)
from needlepoint.clinical.vocab import area_label
from needlepoint.words import human_date

ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV", 5: "V", 6: "VI"}


class Finding(NamedTuple):
    """One reason in a screening: what was found, what it means for treatment, and why."""

    code: str
    decision: str
    until: dt.date | None
    areas: tuple[str, ...] | None
    message: str
    rule: str
    sources: tuple[str, ...]
    cleared: bool = False  # a doctor's clearance lifted this needs_clearance finding

    def as_dict(self) -> dict[str, Any]:
        """Return the finding in the contract's JSON shape (plus `cleared`)."""
        return {
            "code": self.code,
            "decision": self.decision,
            "until": self.until.isoformat() if self.until else None,
            "areas": list(self.areas) if self.areas is not None else None,
            "message": self.message,
            "rule": self.rule,
            "sources": list(self.sources),
            "cleared": self.cleared,
        }


class MedicationFact(NamedTuple):
    """A reported medication with its ATC code resolved (None when the name is unknown)."""

    name: str
    atc: str | None
    status: str
    last_taken: dt.date | None


class Facts(NamedTuple):
    """What the rules look at, derived once per intake."""

    intake: IntakeModel
    today: dt.date
    areas: tuple[str, ...]
    age: int
    medications: tuple[MedicationFact, ...]
    known_allergies: frozenset[str]
    allergies: tuple[str, ...] = ()  # the reported allergies, trimmed, lower case, each once


def gather_facts(intake: IntakeModel, protocol: Protocol, known_allergies: frozenset[str]) -> Facts:
    """Return the facts of `intake`: requested areas without repeats, age, resolved medications,
    allergies as the rules compare them. Built once per intake, read by every rule, so the
    records are built by tuple.__new__ with their fields as declared (a NamedTuple's own
    __new__ is a Python function, a frame per record) and the small steps are written inline."""
    new = tuple.__new__
    meds: tuple[MedicationFact, ...] = ()
    if intake.medications:
        names = protocol.medications
        resolved = []
        for m in intake.medications:  # the name trimmed; the ATC code given, else from the name
            name = (m.name or "").strip()
            code = m.atc if m.atc is not None else names.get(name.lower())
            resolved.append(new(MedicationFact, (name or m.atc or "", code, m.status, m.last_taken)))
        meds = tuple(resolved)
    allergies = (
        tuple(dict.fromkeys([a.strip().lower() for a in intake.allergies])) if intake.allergies else ()
    )
    today = intake.assessed_on
    areas = tuple(dict.fromkeys(intake.areas)) if len(intake.areas) > 1 else intake.areas
    born = intake.patient.birth_date  # the age as intake.age_on gives it
    age = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
    return new(Facts, (intake, today, areas, age, meds, known_allergies, allergies))


def human_list(items: Sequence[str]) -> str:
    """Return codes as words: 'a', 'a and b', 'a, b and c'."""
    return words.human_list([area_label(i) for i in items])


def _placeholder(
    key: str,
    rule: Rule,
    facts: Facts,
    until: dt.date | None,
    areas: tuple[str, ...] | None,
    event: dt.date | None,
    name: str,
) -> str:
    if key == "date":
        return human_date(event) if event else "a date not given"
    if key == "until":
        return human_date(until) if until else ""
    if key == "areas":
        return human_list(areas) if areas else "treatment areas"
    if key == "age":
        return str(facts.age)
    if key == "years":
        return str(rule.below_years) if isinstance(rule, AgeRule) else ""
    return name if key == "name" else rule.finding


def _finding(
    rule: Rule,
    facts: Facts,
    *,
    until: dt.date | None,
    areas: tuple[str, ...] | None,
    event: dt.date | None = None,
    name: str = "",
) -> Finding:
    template = rule.message_undated if until is None and rule.message_undated else rule.message
    parts = message_parts(template)
    if parts:
        template = "".join(
            [
                text + _placeholder(key, rule, facts, until, areas, event, name) if key else text
                for text, key in parts
            ]
        )
    # The fields as declared (code, decision, until, areas, message, rule, sources, cleared),
    # built by tuple.__new__: a NamedTuple's own __new__ is a Python function, a frame per finding.
    return tuple.__new__(
        Finding, (rule.finding, rule.decision, until, areas, template, rule.id, rule.sources, False)
    )


@functools.lru_cache(maxsize=1024)
def message_parts(message: str) -> tuple[tuple[str, str], ...]:
    """Return a message cut once into (text, placeholder) pairs, the placeholder "" after the
    last text; () when it has no placeholder. Joining the parts gives what `str.format_map`
    gives for plain names (the only placeholders `template_fields` allows), at a fraction of
    the cost."""
    if not template_fields(message):
        return ()
    return tuple((text, key or "") for text, key, _, _ in string.Formatter().parse(message))


_SPANS: dict[int, dt.timedelta] = {}


def window_end(window: Window, day: dt.date) -> dt.date:
    """Return `window.after(day)`, the first day after the window counted from `day`; a span of
    days is built once per length (building a timedelta costs ten times adding one)."""
    if window.days is None:
        return window.after(day)
    span = _SPANS.get(window.days)
    if span is None:
        span = _SPANS[window.days] = dt.timedelta(days=window.days)
    return day + span


def _locate(scope: str, where: tuple[str, ...] | None, facts: Facts) -> tuple[str, ...] | None:
    """Return the requested areas a located finding touches (empty when it lies outside all of
    them), or None when it concerns the whole patient."""
    if scope == "patient" or not where:  # an empty list says no more than a missing one
        return None
    return tuple(a for a in facts.areas if a in where)


def condition(rule: ConditionRule, facts: Facts) -> list[Finding]:
    """Findings for reported conditions of the rule's codes and statuses, within any window."""
    out = []
    for c in facts.intake.conditions:
        if c.code not in rule.conditions or c.status not in rule.statuses:
            continue
        fires, until = _condition_until(rule, c.status, c.date, facts.today)
        areas = _locate(rule.scope, c.areas, facts)
        if not fires or areas == ():
            continue
        f = _finding(rule, facts, until=until, areas=areas, event=c.date, name=c.code.replace("_", " "))
        if not c.areas and rule.unlocated_decision and rule.scope == "area":
            f = _relabel(f, rule.unlocated_decision)
        out.append(f)
    return out


def _relabel(f: Finding, decision: str) -> Finding:
    return f._replace(decision=decision, until=f.until if decision == "defer" else None)


def _condition_until(
    rule: ConditionRule, status: str, event: dt.date | None, today: dt.date
) -> tuple[bool, dt.date | None]:
    """Return (fires, until): until is None when the deferral waits on something undated.
    An undated event counts from the assessment (the cautious reading); a condition still
    active after its window waits until it resolves; a past one whose window ended is clear."""
    if rule.window is None:
        return True, None
    end = window_end(rule.window, event or today)
    if end > today:
        return True, end
    return status in ("active", "uncontrolled"), None


def procedure(rule: ProcedureRule, facts: Facts) -> list[Finding]:
    """Findings for procedures whose window (by depth or kind) has not yet passed."""
    out = []
    for p in facts.intake.procedures:
        if p.code not in rule.procedures:
            continue
        variant = p.depth or p.kind or "default"
        end = window_end(rule.windows.get(variant, rule.windows["default"]), p.date)
        if end <= facts.today:
            continue
        areas = _locate(rule.scope, p.areas, facts)
        if areas == ():
            continue
        label = " ".join(x.replace("_", " ") for x in (p.depth or p.kind or "", p.code) if x)
        out.append(_finding(rule, facts, until=end, areas=areas, event=p.date, name=label))
    return out


def medication(rule: MedicationRule, facts: Facts) -> list[Finding]:
    """Findings for medications matching the rule's ATC prefixes, current or stopped recently."""
    out = []
    for m in facts.medications:
        if m.atc is None or m.status != rule.status or not m.atc.startswith(rule.atc):
            continue
        until = None
        if rule.window is not None:
            until = window_end(rule.window, m.last_taken or facts.today)
            if until <= facts.today:
                continue
        out.append(_finding(rule, facts, until=until, areas=None, event=m.last_taken, name=m.name))
    return out


def pregnancy(rule: PregnancyRule, facts: Facts) -> list[Finding]:
    """A finding when the reported pregnancy status is one of the rule's."""
    if facts.intake.pregnancy not in rule.statuses:
        return []
    return [_finding(rule, facts, until=None, areas=None)]


def age(rule: AgeRule, facts: Facts) -> list[Finding]:
    """A finding when the patient is under the rule's age; a deferral ends on that birthday."""
    if facts.age >= rule.below_years:
        return []
    born = facts.intake.patient.birth_date
    until = add_months(born, 12 * rule.below_years) if rule.decision == "defer" else None
    return [_finding(rule, facts, until=until, areas=None)]


def allergy(rule: AllergyRule, facts: Facts) -> list[Finding]:
    """A finding per reported allergy the rule names (or that no allergy rule recognises)."""
    out = []
    for a in facts.allergies:
        named = a in rule.allergies
        unknown = rule.unrecognised and a not in facts.known_allergies
        if named or unknown:
            out.append(_finding(rule, facts, until=None, areas=None, name=a.replace("_", " ")))
    return out


def site(rule: SiteRule, facts: Facts) -> list[Finding]:
    """A finding for requested areas that are never treated."""
    touched = tuple(a for a in facts.areas if a in rule.areas)
    return [_finding(rule, facts, until=None, areas=touched)] if touched else []


def phototype(rule: PhototypeRule, facts: Facts) -> list[Finding]:
    """A finding when the phototype is at or above the rule's minimum, or missing when asked."""
    value = facts.intake.skin.fitzpatrick if facts.intake.skin else None
    hit = (value is None and rule.when_missing) or (
        value is not None and rule.minimum is not None and value >= rule.minimum
    )
    name = ROMAN[value] if value else "unknown"
    return [_finding(rule, facts, until=None, areas=None, name=name)] if hit else []


def unknown_medication(rule: UnknownMedicationRule, facts: Facts) -> list[Finding]:
    """A finding per medication given only by a name the protocol cannot map to ATC."""
    return [
        _finding(rule, facts, until=None, areas=None, name=m.name) for m in facts.medications if m.atc is None
    ]


KINDS: dict[type[Any], Callable[[Any, Facts], list[Finding]]] = {
    ConditionRule: condition,
    ProcedureRule: procedure,
    MedicationRule: medication,
    PregnancyRule: pregnancy,
    AgeRule: age,
    AllergyRule: allergy,
    SiteRule: site,
    PhototypeRule: phototype,
    UnknownMedicationRule: unknown_medication,
}


def evaluate(rule: Rule, facts: Facts) -> list[Finding]:
    """Return the findings of one rule for one intake."""
    return KINDS[type(rule)](rule, facts)
