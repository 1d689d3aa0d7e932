"""Candidacy screening: the protocol's rules applied to an intake, aggregated per the contract.

The decision is the most restrictive over the patient-wide findings and the requested areas,
except that an area that is contraindicated only removes that area while other requested areas
remain treatable. For a deferral, the earliest date is the latest `until` of the deferring
findings, or None when any of them waits on something without a date.
"""

import datetime as dt
from typing import Any, NamedTuple

from needlepoint.clinical.intake import IntakeModel
from needlepoint.clinical.protocol import (
    AllergyRule,
    ConditionRule,
    MedicationRule,
    PregnancyRule,
    ProcedureRule,
    Protocol,
    Rule,
    SiteRule,
    UnknownMedicationRule,
)
from needlepoint.clinical.rules import KINDS, Facts, Finding, gather_facts
from needlepoint.clinical.vocab import (
    RECOGNISED_ALLERGIES,
    SCREENING_SCHEMA,
    SEVERITY_RANK,
    most_restrictive,
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


class RuleIndex:
    """The protocol's rules indexed by what can trigger them, so screening an intake evaluates
    only the rules its facts could fire (the result is the same as evaluating every rule)."""

    def __init__(self, rules: tuple[Rule, ...]):
        self.by_key: dict[tuple[str, str], list[int]] = {}
        self.always: list[int] = []
        for i, r in enumerate(rules):
            keys = _index_keys(r)
            for key in keys:
                self.by_key.setdefault(key, []).append(i)
            if not keys:
                self.always.append(i)

    def candidates(self, facts: Facts) -> list[int]:
        """Return the positions of the rules that could fire for `facts`, each once."""
        hit = list(self.always)
        for key in _fact_keys(facts):
            hit += self.by_key.get(key, ())
        return list(dict.fromkeys(hit))


def _index_keys(r: Rule) -> list[tuple[str, str]]:
    if isinstance(r, ConditionRule):
        return [("condition", c) for c in r.conditions]
    if isinstance(r, ProcedureRule):
        return [("procedure", c) for c in r.procedures]
    if isinstance(r, MedicationRule):
        return [("atc", a[:3] if len(a) >= 3 else "any") for a in r.atc]
    if isinstance(r, UnknownMedicationRule):
        return [("atc", "")]
    if isinstance(r, PregnancyRule):
        return [("pregnancy", s) for s in r.statuses]
    if isinstance(r, AllergyRule):
        return [("allergy", "")]
    if isinstance(r, SiteRule):
        return [("area", a) for a in r.areas]
    return []


def _fact_keys(facts: Facts) -> list[tuple[str, str]]:
    i = facts.intake
    keys = [("condition", c.code) for c in i.conditions]
    keys += [("procedure", p.code) for p in i.procedures]
    keys += [("area", a) for a in facts.areas]
    keys += [("atc", (m.atc or "")[:3]) for m in facts.medications]
    if any(m.atc for m in facts.medications):
        keys.append(("atc", "any"))  # rules on a whole ATC group shorter than 3 characters
    if i.allergies:
        keys.append(("allergy", ""))
    if i.pregnancy:
        keys.append(("pregnancy", i.pregnancy))
    return keys


class Screener:
    """Screens intakes against one protocol; build once, screen many."""

    def __init__(self, protocol: Protocol):
        self.protocol = protocol
        self._order = {r.id: i for i, r in enumerate(protocol.rules)}
        self._index = RuleIndex(protocol.rules)
        self._kinds = [(r, KINDS[type(r)]) for r in protocol.rules]
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
        findings = []
        for i in self._index.candidates(facts):
            rule, kind = self._kinds[i]
            findings += kind(rule, facts)
        if cleared:
            findings = [
                _clear(f) if f.code in cleared and f.decision == "needs_clearance" else f for f in findings
            ]
        if len(findings) > 1:  # most restrictive first, then in protocol order
            findings.sort(key=lambda f: (-SEVERITY_RANK[f.decision], self._order[f.rule]))
        areas = {a: _area_decision(a, findings) for a in facts.areas}
        treatable = tuple(a for a, d in areas.items() if d != "contraindicated")
        decision, deciding = _decide(treatable, findings)
        return Screening(
            decision=decision,
            earliest_date=_earliest(decision, deciding, intake.assessed_on),
            areas=areas,
            findings=tuple(findings),
            protocol=dict(self._ref),
            assessed_on=intake.assessed_on,
            treatable_areas=treatable,
        )


def _clear(f: Finding) -> Finding:
    return f._replace(decision="proceed_with_precautions", cleared=True)


def _area_decision(area: str, findings: list[Finding]) -> str:
    """Return the decision of the most restrictive finding touching `area` (findings are sorted
    most restrictive first), or "eligible" when none does."""
    for f in findings:
        if f.areas is None or area in f.areas:
            return f.decision
    return "eligible"


def _decide(treatable: tuple[str, ...], findings: list[Finding]) -> tuple[str, list[Finding]]:
    """Return the patient's decision and the findings that bear on the areas still treatable."""
    if not treatable:
        return "contraindicated", findings
    deciding = [f for f in findings if f.areas is None or any(a in f.areas for a in treatable)]
    deciding = [f for f in deciding if f.areas is None or f.decision != "contraindicated"]
    return most_restrictive([f.decision for f in deciding]), deciding


def _earliest(decision: str, findings: list[Finding], assessed_on: dt.date) -> dt.date | None:
    if decision != "defer":
        return assessed_on
    dates = [f.until for f in findings if f.decision == "defer"]
    if any(d is None for d in dates):
        return None
    return max(d for d in dates if d is not None)


def screen(intake: IntakeModel, protocol: Protocol) -> Screening:
    """Return the screening of one intake (convenience wrapper around Screener)."""
    return Screener(protocol).screen(intake)
