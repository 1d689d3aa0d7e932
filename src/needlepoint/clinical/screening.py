"""Candidacy screening: the protocol's rules applied to an intake, aggregated per the contract.

The decision is the most restrictive over the patient-wide findings and the requested areas,
except that an area that is contraindicated only removes that area while other requested areas
remain treatable. For a deferral, the earliest date is the latest `until` of the deferring
findings, or None when any of them waits on something without a date.
"""

import datetime as dt
import operator
from collections.abc import Callable
from typing import Any, NamedTuple

from needlepoint.clinical.compiled import compile_rule
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
)
from needlepoint.clinical.rules import Facts, Finding, MedicationFact, gather_facts
from needlepoint.clinical.vocab import (
    RECOGNISED_ALLERGIES,
    SCREENING_SCHEMA,
    SEVERITY_RANK,
)

BLOCKING = frozenset({"contraindicated", "defer", "needs_clearance"})


class Screening(NamedTuple):
    """The outcome of screening one intake against one protocol version (an immutable record;
    a NamedTuple because it is built once per intake on the hot path)."""

    decision: str
    earliest_date: dt.date | None
    areas: dict[str, str]
    findings: tuple[Finding, ...]
    protocol: dict[str, str]
    assessed_on: dt.date
    treatable_areas: tuple[str, ...]  # requested areas not contraindicated, in the order asked

    @property
    def bookable(self) -> bool:
        """True when nothing blocks booking: no deferral, contraindication or pending clearance."""
        return self.decision not in BLOCKING

    def as_dict(self) -> dict[str, Any]:
        """Return the screening in the contract's JSON shape (needlepoint.screening/1)."""
        return {
            "schema": SCREENING_SCHEMA,
            "decision": self.decision,
            "earliest_date": self.earliest_date.isoformat() if self.earliest_date else None,
            "areas": dict(self.areas),
            "findings": [f.as_dict() for f in self.findings],
            "protocol": dict(self.protocol),
        }


Positions = tuple[int, ...]
NONE: Positions = ()
TABLES = ("condition", "procedure", "area", "pregnancy", "medication", "allergy", "phototype")


class RuleIndex:
    """The protocol's rules indexed by the facts that can fire them, so screening an intake
    evaluates only the rules its facts could fire (the result is the same as evaluating every
    rule; the rule still checks everything itself).

    Built once per protocol, each table giving rule positions in protocol order: a condition by
    code and status, a procedure by code, a requested area, a medication by status and ATC group
    (its first 3 characters, or "any" for a rule on a shorter group), a medication without an
    ATC code, a pregnancy status, an allergy by name or as one no rule recognises, a phototype
    from the rule's minimum up (or a missing one when the rule asks), an age below the rule's
    bound. A rule of any other kind would be evaluated for every intake."""

    def __init__(self, rules: tuple[Rule, ...]):
        tables: dict[str, dict[Any, list[int]]] = {t: {} for t in TABLES}
        always: list[int] = []
        ages: list[tuple[int, int]] = []
        for i, r in enumerate(rules):
            keys = _index_keys(r)
            for table, key in keys:
                tables[table].setdefault(key, []).append(i)
            if isinstance(r, AgeRule):
                ages.append((r.below_years, i))
            elif not keys:
                always.append(i)
        self.always: Positions = tuple(always)
        self.ages: tuple[tuple[int, int], ...] = tuple(ages)
        # the age rules that fire at each age, worked out once (ages run from 0 to the intake's
        # limit; any age beyond the last bound fires none)
        last = max([below for below, _ in ages], default=0)
        self._by_age: tuple[Positions, ...] = tuple(
            tuple(at for below, at in ages if age < below) for age in range(last + 1)
        )
        self.tables = {t: {k: tuple(v) for k, v in keyed.items()} for t, keyed in tables.items()}
        (
            self._conditions,
            self._procedures,
            self._areas,
            self._pregnancy,
            self._medications,
            self._allergies,
            self._phototypes,
        ) = (self.tables[t] for t in TABLES)
        self._site_areas = frozenset(self._areas)

    def candidates(self, facts: Facts) -> list[int]:
        """Return the positions of the rules that could fire for `facts`, each once, in protocol
        order. (Plain loops: on the hot path they cost less than comprehensions and set updates.)"""
        i = facts.intake
        hit = list(self.always)
        if i.conditions:
            conditions = self._conditions
            for c in i.conditions:
                hit += conditions.get((c.code, c.status), NONE)
        for p in i.procedures:
            hit += self._procedures.get(p.code, NONE)
        areas = self._areas
        if not self._site_areas.isdisjoint(facts.areas):  # (one test instead of a look-up per area)
            for a in facts.areas:
                hit += areas.get(a, NONE)
        if i.pregnancy:
            hit += self._pregnancy.get(i.pregnancy, NONE)
        if facts.medications:
            hit += _medication_hits(self._medications, facts.medications)
        if facts.allergies:
            hit += _allergy_hits(self._allergies, facts)
        hit += self._phototypes.get(i.skin.fitzpatrick if i.skin else None, NONE)
        age = facts.age
        if age < len(self._by_age):  # (a validated intake has no negative age; read one as 0)
            hit += self._by_age[age if age > 0 else 0]
        return sorted(set(hit)) if len(hit) > 1 else hit


Keys = list[tuple[str, Any]]  # (table, key) pairs


def _condition_keys(r: ConditionRule) -> Keys:
    return [("condition", (c, s)) for c in r.conditions for s in r.statuses]


def _procedure_keys(r: ProcedureRule) -> Keys:
    return [("procedure", c) for c in r.procedures]


def _medication_keys(r: MedicationRule) -> Keys:
    return [("medication", (r.status, a[:3] if len(a) >= 3 else "any")) for a in r.atc]


def _unknown_medication_keys(r: UnknownMedicationRule) -> Keys:
    return [("medication", None)]


def _pregnancy_keys(r: PregnancyRule) -> Keys:
    return [("pregnancy", s) for s in r.statuses]


def _allergy_keys(r: AllergyRule) -> Keys:
    return [("allergy", a) for a in r.allergies] + ([("allergy", None)] if r.unrecognised else [])


def _site_keys(r: SiteRule) -> Keys:
    return [("area", a) for a in r.areas]


def _phototype_keys(r: PhototypeRule) -> Keys:
    """Phototypes run from I to VI (the intake refuses others)."""
    low = r.minimum if r.minimum is not None else 7
    return [("phototype", v) for v in range(low, 7)] + ([("phototype", None)] if r.when_missing else [])


INDEX_KEYS: dict[type[Any], Callable[[Any], Keys]] = {
    ConditionRule: _condition_keys,
    ProcedureRule: _procedure_keys,
    MedicationRule: _medication_keys,
    UnknownMedicationRule: _unknown_medication_keys,
    PregnancyRule: _pregnancy_keys,
    AllergyRule: _allergy_keys,
    SiteRule: _site_keys,
    PhototypeRule: _phototype_keys,
}


def _index_keys(r: Rule) -> Keys:
    """Return the (table, key) pairs under which a rule is found (none for a rule of a kind not
    indexed by its facts: an age rule has its own table, any other is evaluated every time)."""
    keys = INDEX_KEYS.get(type(r))
    return keys(r) if keys is not None else []


def _medication_hits(table: dict[Any, Positions], meds: tuple[MedicationFact, ...]) -> list[int]:
    """Medication rules by status and ATC group (and by status alone for rules on a group
    shorter than 3 characters, key "any"); rules on names without a code (key None)."""
    hit: list[int] = []
    for m in meds:
        if m.atc:
            hit += table.get((m.status, m.atc[:3]), NONE)
            hit += table.get((m.status, "any"), NONE)
        else:
            hit += table.get(None, NONE)
    return hit


def _allergy_hits(table: dict[Any, Positions], facts: Facts) -> list[int]:
    """Allergy rules by name; rules on allergies no rule recognises (key None)."""
    hit: list[int] = []
    for a in facts.allergies:
        hit += table.get(a, NONE)
        if a not in facts.known_allergies:
            hit += table.get(None, NONE)
    return hit


class Screener:
    """Screens intakes against one protocol; build once, screen many."""

    def __init__(self, protocol: Protocol):
        self.protocol = protocol
        self._index = RuleIndex(protocol.rules)
        self._fire = [compile_rule(r) for r in protocol.rules]  # parameters bound once
        self._ref = protocol.ref
        self._allergies = frozenset(RECOGNISED_ALLERGIES) | frozenset(
            a for r in protocol.rules if isinstance(r, AllergyRule) for a in r.allergies
        )

    def screen(self, intake: IntakeModel, cleared: frozenset[str] = frozenset()) -> Screening:
        """Return the screening of `intake`: decision, earliest date, areas and findings.

        `cleared` holds finding codes a doctor has cleared: those `needs_clearance` findings are
        kept, marked cleared, and count as `proceed_with_precautions`. No other decision can be
        cleared."""
        facts = gather_facts(intake, self.protocol, self._allergies)
        findings: list[Finding] = []
        fire = self._fire
        for i in self._index.candidates(facts):  # in protocol order
            findings += fire[i](facts)
        if cleared:
            findings = [
                _clear(f) if f.code in cleared and f.decision == "needs_clearance" else f for f in findings
            ]
        if len(findings) > 1:  # most restrictive first, then in protocol order (the sort is stable)
            findings.sort(key=_BY_DECISION)
        areas, treatable = _area_decisions(facts.areas, findings)
        decision, earliest = _decide(treatable, findings, intake.assessed_on)
        # the fields as declared, built by tuple.__new__: a NamedTuple's own __new__ is a Python
        # function, a frame per screening
        return tuple.__new__(
            Screening,
            (decision, earliest, areas, tuple(findings), dict(self._ref), intake.assessed_on, treatable),
        )


def _restrictive_first(f: Finding) -> int:
    return -SEVERITY_RANK[f.decision]


# Sorting by the decision's name sorts most restrictive first when the names of the decisions a
# finding can carry happen to be in that order (they are: contraindicated, defer, ...); a key
# that reads a field costs far less than a Python function per finding. Checked here, once.
_FINDING_DECISIONS = [d for d in SEVERITY_RANK if d != "eligible"]
_BY_DECISION = (
    operator.itemgetter(1)  # Finding.decision
    if sorted(_FINDING_DECISIONS) == sorted(_FINDING_DECISIONS, key=lambda d: -SEVERITY_RANK[d])
    else _restrictive_first
)


def _clear(f: Finding) -> Finding:
    return f._replace(decision="proceed_with_precautions", cleared=True)


def _area_decisions(
    areas: tuple[str, ...], findings: list[Finding]
) -> tuple[dict[str, str], tuple[str, ...]]:
    """Return each area's decision, that of the most restrictive finding touching it (findings
    are sorted most restrictive first) or "eligible" when none does, and the areas that are not
    contraindicated (still treatable), in the order asked."""
    out = {}
    treatable = []
    for area in areas:
        decision = "eligible"
        for f in findings:
            if f.areas is None or area in f.areas:
                decision = f.decision
                break
        out[area] = decision
        if decision != "contraindicated":
            treatable.append(area)
    return out, tuple(treatable)


def _decide(
    treatable: tuple[str, ...], findings: list[Finding], assessed_on: dt.date
) -> tuple[str, dt.date | None]:
    """Return the patient's decision and earliest date from the findings that bear on the areas
    still treatable (a located contraindication bears on no treatable area): the decision of
    the first of them, findings being sorted most restrictive first, else "eligible". For a
    deferral the earliest date is the latest `until` of the deferring findings, or None when
    any of them waits on something undated; otherwise it is the assessment day."""
    if not treatable:
        return "contraindicated", assessed_on
    still = frozenset(treatable)
    deciding = [
        f
        for f in findings
        if f.areas is None or (f.decision != "contraindicated" and not still.isdisjoint(f.areas))
    ]
    if not deciding or deciding[0].decision != "defer":
        return (deciding[0].decision if deciding else "eligible"), assessed_on
    until = [f.until for f in deciding if f.decision == "defer"]
    return "defer", None if None in until else max([d for d in until if d is not None])


def screen(intake: IntakeModel, protocol: Protocol) -> Screening:
    """Return the screening of one intake (convenience wrapper around Screener)."""
    return Screener(protocol).screen(intake)
