"""The safety gate: may a course be approved, booked, moved, booked again, treated or have its
outcomes recorded on day D, for the areas of its plan?

`blockers(step, day, facts)` answers over plain facts (the latest screening's decision,
earliest date and findings, the doctor's clearances, the consent, the plan's areas and, for a
session, the day it is due) and returns every reason against, each a `Blocker` with a code
from a small closed set and words for three audiences: clinical staff (who may read the
findings), the front desk (who never sees a finding or a clinical note) and the patient. An
empty list means the step may go ahead.

Rules stated once here:
- A contraindication, a deferral without a date and a finding still waiting on a doctor's
  clearance block every step that leads to treatment (approve, book, move, book again, treat).
- A deferral with a date blocks a step whose day is before that date. Booking a whole course
  without a known first day is not blocked: the search starts on the date.
- A clearance counts only while it is active: a revoked one leaves its finding waiting again,
  even when the screening still shows the finding as cleared.
- A planned area the screening no longer leaves treatable blocks approving and booking (the
  plan must change first). On the day of treatment the chart refuses that area alone.
- Consent is needed to book, move, book again and treat, not to approve (the patient signs
  the consent of an approved course).
- Recording outcomes is not a treatment: only the course's status and the visit's day count.
"""

import datetime as dt
import enum
from collections.abc import Iterable
from dataclasses import dataclass

from needlepoint.clinical.rules import Finding
from needlepoint.clinical.vocab import area_label


class Step(enum.StrEnum):
    """What is asked of the course."""

    APPROVE = "approve"
    BOOK = "book"
    MOVE = "move"
    REBOOK = "rebook"
    TREAT = "treat"
    OUTCOME = "outcome"


class Code(enum.StrEnum):
    """Why a step is refused (the closed set every caller may branch on)."""

    NOT_APPROVED = "not_approved"
    CONTRAINDICATED = "contraindicated"
    DEFERRED = "deferred"
    DEFERRED_UNTIL = "deferred_until"
    CLEARANCE_PENDING = "clearance_pending"
    CLEARANCE_REVOKED = "clearance_revoked"
    AREA_NOT_ALLOWED = "area_not_allowed"
    CONSENT_MISSING = "consent_missing"
    NOT_YET_DUE = "not_yet_due"
    ALREADY_BOOKED = "already_booked"  # said by the booking service, not by `blockers`


class Audience(enum.StrEnum):
    """Who reads a blocker's words."""

    CLINICAL = "clinical"
    FRONT_DESK = "front_desk"
    PATIENT = "patient"


@dataclass(frozen=True)
class Blocker:
    """One reason a step cannot go ahead: its code and the words for each audience."""

    code: Code
    clinical: str
    front_desk: str
    patient: str

    def words(self, audience: Audience) -> str:
        """Return the words for `audience`."""
        return str(getattr(self, audience.value))


@dataclass(frozen=True)
class Facts:
    """What the gate looks at. `decision` is "" when no screening is to be judged (the
    screening rules are then skipped); `cleared` holds the finding codes with an active
    clearance, `revoked` those whose clearance was revoked and not given again; `due` is the
    day a session is booked for, in the clinic's zone; `session` numbers it for the words."""

    decision: str = ""
    earliest_date: dt.date | None = None
    findings: tuple[Finding, ...] = ()
    cleared: frozenset[str] = frozenset()
    revoked: frozenset[str] = frozenset()
    consent_signed: bool = True
    plan_areas: tuple[str, ...] = ()
    treatable_areas: tuple[str, ...] = ()
    status: str = "approved"
    status_words: str = ""
    due: dt.date | None = None
    session: int | None = None


TREATING = frozenset({Step.APPROVE, Step.BOOK, Step.MOVE, Step.REBOOK, Step.TREAT})
NEEDS_CONSENT = frozenset({Step.BOOK, Step.MOVE, Step.REBOOK, Step.TREAT})
CHECKS_AREAS = frozenset({Step.APPROVE, Step.BOOK, Step.MOVE, Step.REBOOK})
DATED = frozenset({Step.TREAT, Step.OUTCOME})
OPEN = {
    Step.BOOK: ("approved", "active"),
    Step.MOVE: ("approved", "active"),
    Step.REBOOK: ("approved", "active"),
    Step.TREAT: ("approved", "active"),
    Step.OUTCOME: ("approved", "active", "completed"),
}
DONE = {
    Step.APPROVE: "approved",
    Step.BOOK: "booked",
    Step.MOVE: "moved",
    Step.REBOOK: "booked",
    Step.TREAT: "treated",
    Step.OUTCOME: "given outcomes",
}
REVIEW = "Needs clinical review — ask the practitioner."
PATIENT_REVIEW = (
    "Your practitioner needs to look at your answers again before treatment can go "
    "ahead. The clinic will contact you, or you can call them."
)


def blockers(step: Step, day: dt.date | None, facts: Facts) -> list[Blocker]:
    """Return every reason `step` cannot be taken on `day` (None: not known yet), most basic
    first: the course's status, the screening, the plan's areas, the consent, the visit's day.
    An empty list means it may go ahead."""
    found = _status(step, facts)
    if step in TREATING and facts.decision:
        found += _screening(step, day, facts)
    if step in NEEDS_CONSENT and not facts.consent_signed:
        found.append(_consent(step))
    if step in DATED and day is not None and facts.due is not None and day < facts.due:
        found.append(_not_yet_due(step, facts))
    return found


def day_words(day: dt.date) -> str:
    """Return `day` as the clinic writes it, e.g. "1 March 2027"."""
    return f"{day.day} {day:%B %Y}"


# ---- the course's status ------------------------------------------------------------------------


def _status(step: Step, facts: Facts) -> list[Blocker]:
    if step not in OPEN or facts.status in OPEN[step]:
        return []
    shown = facts.status_words or facts.status.replace("_", " ")
    words = f"Only an approved course can be {DONE[step]}; this one is “{shown}”."
    return [
        Blocker(Code.NOT_APPROVED, words, words, "This course is not ready yet: the clinic will contact you.")
    ]


# ---- the screening ------------------------------------------------------------------------------


def _screening(step: Step, day: dt.date | None, facts: Facts) -> list[Blocker]:
    if facts.decision == "contraindicated":
        return [_contraindicated(facts)]
    found = _deferral(step, day, facts) if facts.decision == "defer" else []
    found += _clearances(facts)
    if step in CHECKS_AREAS:
        found += [_area(a, facts) for a in facts.plan_areas if a not in facts.treatable_areas]
    return found


def _bearing(facts: Facts) -> list[Finding]:
    """Return the findings that bear on the whole patient or on an area of the plan."""
    areas = set(facts.plan_areas)
    return [f for f in facts.findings if f.areas is None or not areas or areas & set(f.areas)]


def _said(findings: Iterable[Finding]) -> str:
    return " ".join(dict.fromkeys(f.message for f in findings if f.message))


def _staff(words: str, findings: Iterable[Finding]) -> str:
    return f"{words} {_said(findings)}".strip()


def _contraindicated(facts: Facts) -> Blocker:
    findings = [f for f in _bearing(facts) if f.decision == "contraindicated"]
    return Blocker(
        Code.CONTRAINDICATED,
        _staff("The latest screening rules microneedling out for this patient.", findings),
        REVIEW,
        PATIENT_REVIEW,
    )


def _what(step: Step, facts: Facts) -> str:
    if facts.session is not None:
        return f"session {facts.session}"
    return {Step.BOOK: "the first session", Step.APPROVE: "the course"}.get(step, "the session")


def _deferral(step: Step, day: dt.date | None, facts: Facts) -> list[Blocker]:
    findings = [f for f in _bearing(facts) if f.decision == "defer"]
    until = facts.earliest_date
    if until is None:
        return [
            Blocker(
                Code.DEFERRED,
                _staff(
                    "Treatment has to wait until the reason in the latest screening has passed.", findings
                ),
                "Treatment has to wait: needs clinical review — ask the practitioner.",
                PATIENT_REVIEW,
            )
        ]
    if day is None or day >= until:
        return []
    when = day_words(until)
    return [
        Blocker(
            Code.DEFERRED_UNTIL,
            _staff(f"Treatment has to wait: {_what(step, facts)} cannot be before {when}.", findings),
            f"Not before {when}.",
            f"Your treatment can start from {when}.",
        )
    ]


def _clearances(facts: Facts) -> list[Blocker]:
    """A blocker for the findings still waiting on a clearance, and one for those whose
    clearance was revoked."""
    waiting = [
        f
        for f in _bearing(facts)
        if f.code not in facts.cleared and (f.decision == "needs_clearance" or f.cleared)
    ]
    revoked = [f for f in waiting if f.code in facts.revoked]
    pending = [f for f in waiting if f.code not in facts.revoked]
    return ([_clearance(Code.CLEARANCE_PENDING, pending)] if pending else []) + (
        [_clearance(Code.CLEARANCE_REVOKED, revoked)] if revoked else []
    )


def _clearance(code: Code, findings: list[Finding]) -> Blocker:
    names = ", ".join(dict.fromkeys(f.code.replace("_", " ") for f in findings))
    if code == Code.CLEARANCE_REVOKED:
        staff = f"The doctor's clearance was revoked ({names}): it is needed again."
    else:
        staff = f"A doctor's clearance is still needed ({names})."
    return Blocker(
        code,
        _staff(staff, findings),
        "Waiting for a doctor's clearance: needs clinical review — ask the practitioner.",
        "The clinic is waiting for a letter from your doctor before treatment can go "
        "ahead. The clinic will contact you.",
    )


def _area(area: str, facts: Facts) -> Blocker:
    findings = [
        f
        for f in facts.findings
        if f.decision == "contraindicated" and f.areas is not None and area in f.areas
    ]
    label = area_label(area).capitalize()
    return Blocker(
        Code.AREA_NOT_ALLOWED,
        _staff(f"{label} is no longer treatable according to the latest screening.", findings),
        "The treatment plan needs clinical review — ask the practitioner.",
        "Your practitioner needs to change your treatment plan before it can be booked. "
        "The clinic will contact you.",
    )


# ---- consent and the day ------------------------------------------------------------------------


def _consent(step: Step) -> Blocker:
    if step == Step.TREAT:
        words = (
            "This course has no signed consent: the patient must sign the consent (in the "
            "portal or on the clinic's tablet) before the first session."
        )
    else:
        words = (
            "The patient has not signed the consent for this course yet: they sign it in the "
            "portal or on the clinic's tablet before the course is booked."
        )
    return Blocker(
        Code.CONSENT_MISSING,
        words,
        words,
        "Please sign the consent for your course in the portal (or at the clinic) before your first session.",
    )


def _not_yet_due(step: Step, facts: Facts) -> Blocker:
    assert facts.due is not None  # blockers() checks it
    when = day_words(facts.due)
    what = _what(step, facts).capitalize()
    doing = "charted" if step == Step.TREAT else "given outcomes"
    staff = f"{what} is booked for {when}: it cannot be {doing} before that day."
    return Blocker(Code.NOT_YET_DUE, staff, f"Not before {when}.", f"This visit is on {when}.")
