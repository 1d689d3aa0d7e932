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
    only the rules its facts could fire (the result is the same as evaluating every rule).

    Built once per protocol: for each kind of fact (a condition code, a procedure code, a
    requested area, an ATC group, a pregnancy status, any allergy) the positions of the rules it
    can fire, in protocol order; rules no single fact selects (age, phototype) always run."""

    def __init__(self, rules: tuple[Rule, ...]):
        by_key: dict[tuple[str, str], list[int]] = {}
        always: list[int] = []
        for i, r in enumerate(rules):
            keys = _index_keys(r)
            for key in keys:
                by_key.setdefault(key, []).append(i)
            if not keys:
                always.append(i)
        self.always = frozenset(always)
        self.by_key = {key: tuple(found) for key, found in by_key.items()}
        self._by_kind: dict[str, dict[str, tuple[int, ...]]] = {}
        for (kind, value), found in self.by_key.items():
            self._by_kind.setdefault(kind, {})[value] = tuple(found)

    def candidates(self, facts: Facts) -> list[int]:
        """Return the positions of the rules that could fire for `facts`, each once, in protocol
        order."""
        hit = set(self.always)
        for kind, values in _fact_values(facts):
            table = self._by_kind.get(kind)
            if table:
                for value in values:
                    hit.update(table.get(value, ()))
        return sorted(hit)


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


def _fact_values(facts: Facts) -> tuple[tuple[str, list[str]], ...]:
    """Return each kind of index key with the values this intake's facts give it."""
    i = facts.intake
    atc = [(m.atc or "")[:3] for m in facts.medications]
    if any(atc):
        atc.append("any")  # rules on a whole ATC group shorter than 3 characters
    return (
        ("condition", [c.code for c in i.conditions]),
        ("procedure", [p.code for p in i.procedures]),
        ("area", list(facts.areas)),
        ("atc", atc),
        ("allergy", [""] if i.allergies else []),
        ("pregnancy", [i.pregnancy] if i.pregnancy else []),
    )


class Screener:
    """Screens intakes against one protocol; build once, screen many."""

    def __init__(self, protocol: Protocol):
        self.protocol = protocol
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
        findings: list[Finding] = []
        for i in self._index.candidates(facts):  # in protocol order
            rule, kind = self._kinds[i]
            findings += kind(rule, facts)
        if cleared:
            findings = [
                _clear(f) if f.code in cleared and f.decision == "needs_clearance" else f for f in findings
            ]
        if len(findings) > 1:  # most restrictive first, then in protocol order (the sort is stable)
            findings.sort(key=_restrictive_first)
        areas = _area_decisions(facts.areas, findings)
        treatable = tuple([a for a, d in areas.items() if d != "contraindicated"])
        decision, deciding = _decide(treatable, findings)
        # by position, as the fields are declared (built once per intake, on the hot path)
        return Screening(
            decision,
            _earliest(decision, deciding, intake.assessed_on),
            areas,
            tuple(findings),
            dict(self._ref),
            intake.assessed_on,
            treatable,
        )


def _restrictive_first(f: Finding) -> int:
    return -SEVERITY_RANK[f.decision]


def _clear(f: Finding) -> Finding:
    return f._replace(decision="proceed_with_precautions", cleared=True)


def _area_decisions(areas: tuple[str, ...], findings: list[Finding]) -> dict[str, str]:
    """Return each area's decision: that of the most restrictive finding touching it (findings
    are sorted most restrictive first), or "eligible" when none does."""
    out = {}
    for area in areas:
        for f in findings:
            if f.areas is None or area in f.areas:
                out[area] = f.decision
                break
        else:
            out[area] = "eligible"
    return out


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
