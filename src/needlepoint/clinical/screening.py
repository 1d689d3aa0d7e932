"""Candidacy screening: the protocol's rules applied to an intake, aggregated per the contract.

The decision is the most restrictive over the patient-wide findings and the requested areas,
except that an area that is contraindicated only removes that area while other requested areas
remain treatable. For a deferral, the earliest date is the latest `until` of the deferring
findings, or None when any of them waits on something without a date.
"""

import datetime as dt
from dataclasses import dataclass
from typing import Any

from needlepoint.clinical.intake import IntakeModel
from needlepoint.clinical.protocol import AllergyRule, Protocol
from needlepoint.clinical.rules import Finding, evaluate, gather_facts
from needlepoint.clinical.vocab import (
    RECOGNISED_ALLERGIES,
    SCREENING_SCHEMA,
    SEVERITY_RANK,
    most_restrictive,
)

BLOCKING = frozenset({"contraindicated", "defer", "needs_clearance"})


@dataclass(frozen=True, slots=True)
class Screening:
    """The outcome of screening one intake against one protocol version."""

    decision: str
    earliest_date: dt.date | None
    areas: dict[str, str]
    findings: tuple[Finding, ...]
    protocol: dict[str, str]
    assessed_on: dt.date

    @property
    def treatable_areas(self) -> tuple[str, ...]:
        """Return the requested areas that are not contraindicated, in the order asked."""
        return tuple(a for a, d in self.areas.items() if d != "contraindicated")

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


class Screener:
    """Screens intakes against one protocol; build once, screen many."""

    def __init__(self, protocol: Protocol):
        self.protocol = protocol
        self._order = {r.id: i for i, r in enumerate(protocol.rules)}
        self._allergies = frozenset(RECOGNISED_ALLERGIES) | frozenset(
            a for r in protocol.rules if isinstance(r, AllergyRule) for a in r.allergies)

    def screen(self, intake: IntakeModel) -> Screening:
        """Return the screening of `intake`: decision, earliest date, areas and findings."""
        facts = gather_facts(intake, self.protocol, self._allergies)
        findings = [f for rule in self.protocol.rules for f in evaluate(rule, facts)]
        findings.sort(key=lambda f: (-SEVERITY_RANK[f.decision], self._order[f.rule]))
        areas = {a: _area_decision(a, findings) for a in facts.areas}
        decision, deciding = _decide(areas, findings)
        return Screening(
            decision=decision,
            earliest_date=_earliest(decision, deciding, intake.assessed_on),
            areas=areas,
            findings=tuple(findings),
            protocol=self.protocol.ref,
            assessed_on=intake.assessed_on,
        )


def _touches(f: Finding, area: str) -> bool:
    return f.areas is None or area in f.areas


def _area_decision(area: str, findings: list[Finding]) -> str:
    return most_restrictive([f.decision for f in findings if _touches(f, area)])


def _decide(areas: dict[str, str], findings: list[Finding]) -> tuple[str, list[Finding]]:
    """Return the patient's decision and the findings that bear on the areas still treatable."""
    treatable = [a for a, d in areas.items() if d != "contraindicated"]
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
