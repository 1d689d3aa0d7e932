"""The safety gate as one table: every step against every kind of finding, the codes it
answers, and words for the front desk and the patient that never quote a finding."""

import datetime as dt

import pytest

from needlepoint.clinical.gate import Audience, Code, Facts, Step, blockers, day_words
from needlepoint.clinical.rules import Finding

D = dt.date(2026, 11, 23)  # the day asked about (the suite's frozen today); the gate reads no clock
LATER = D + dt.timedelta(days=100)

BLEEDING = "You have a bleeding disorder: microneedling is not done for people with one."
PREGNANT = "Microneedling is not done during pregnancy: wait until after the birth."
ISOTRETINOIN = "You took isotretinoin recently: wait six months after the last dose."
DIABETES = "You have diabetes: your doctor needs to confirm that your healing is good."
NECK = "You have an active infection on the neck: the neck cannot be treated."
MESSAGES = (BLEEDING, PREGNANT, ISOTRETINOIN, DIABETES, NECK)


def finding(
    code: str,
    decision: str,
    message: str,
    *,
    areas: tuple[str, ...] | None = None,
    until: dt.date | None = None,
    cleared: bool = False,
) -> Finding:
    return Finding(code, decision, until, areas, message, f"rule_{code}", ("S1",), cleared)


def facts(**changes: object) -> Facts:
    base: dict[str, object] = {
        "decision": "eligible",
        "earliest_date": D,
        "plan_areas": ("cheeks",),
        "treatable_areas": ("cheeks",),
        "due": D,
        "session": 2,
    }
    return Facts(**{**base, **changes})  # type: ignore[arg-type]


CASES = {
    "all fine": facts(),
    "contraindicated": facts(
        decision="contraindicated",
        treatable_areas=(),
        findings=(finding("bleeding_disorder", "contraindicated", BLEEDING),),
    ),
    "deferred without a date": facts(
        decision="defer", earliest_date=None, findings=(finding("pregnancy", "defer", PREGNANT),)
    ),
    "deferred until after D": facts(
        decision="defer",
        earliest_date=LATER,
        findings=(finding("isotretinoin", "defer", ISOTRETINOIN, until=LATER),),
    ),
    "deferred until before D": facts(
        decision="defer",
        earliest_date=D - dt.timedelta(days=1),
        findings=(finding("isotretinoin", "defer", ISOTRETINOIN, until=D - dt.timedelta(days=1)),),
    ),
    "clearance pending": facts(
        decision="needs_clearance", findings=(finding("diabetes", "needs_clearance", DIABETES),)
    ),
    "clearance given": facts(
        decision="proceed_with_precautions",
        cleared=frozenset({"diabetes"}),
        findings=(finding("diabetes", "proceed_with_precautions", DIABETES, cleared=True),),
    ),
    "clearance revoked": facts(
        decision="proceed_with_precautions",
        revoked=frozenset({"diabetes"}),
        findings=(finding("diabetes", "proceed_with_precautions", DIABETES, cleared=True),),
    ),
    "area no longer allowed": facts(
        plan_areas=("cheeks", "neck"),
        treatable_areas=("cheeks",),
        findings=(finding("infection", "contraindicated", NECK, areas=("neck",)),),
    ),
    "consent missing": facts(consent_signed=False),
    "session not yet due": facts(due=D + dt.timedelta(days=14)),
    "course not approved": facts(status="draft", status_words="draft plan"),
}

TREATING = (Step.APPROVE, Step.BOOK, Step.MOVE, Step.REBOOK, Step.TREAT)
NONE: dict[Step, set[Code]] = {s: set() for s in Step}


def only(steps: tuple[Step, ...], code: Code) -> dict[Step, set[Code]]:
    return {s: ({code} if s in steps else set()) for s in Step}


EXPECTED: dict[str, dict[Step, set[Code]]] = {
    "all fine": NONE,
    "contraindicated": only(TREATING, Code.CONTRAINDICATED),
    "deferred without a date": only(TREATING, Code.DEFERRED),
    "deferred until after D": only(TREATING, Code.DEFERRED_UNTIL),
    "deferred until before D": NONE,
    "clearance pending": only(TREATING, Code.CLEARANCE_PENDING),
    "clearance given": NONE,
    "clearance revoked": only(TREATING, Code.CLEARANCE_REVOKED),
    # on the day, the chart refuses the area alone; the rest of the session can be treated
    "area no longer allowed": only((Step.APPROVE, Step.BOOK, Step.MOVE, Step.REBOOK), Code.AREA_NOT_ALLOWED),
    "consent missing": only((Step.BOOK, Step.MOVE, Step.REBOOK, Step.TREAT), Code.CONSENT_MISSING),
    "session not yet due": only((Step.TREAT, Step.OUTCOME), Code.NOT_YET_DUE),
    "course not approved": only(
        (Step.BOOK, Step.MOVE, Step.REBOOK, Step.TREAT, Step.OUTCOME), Code.NOT_APPROVED
    ),
}

TABLE = [(step, case) for case in CASES for step in Step]


@pytest.mark.parametrize(("step", "case"), TABLE, ids=[f"{s}-{c}" for s, c in TABLE])
def test_it_answers_each_step_for_each_kind_of_finding(step, case):
    found = blockers(step, D, CASES[case])
    assert {b.code for b in found} == EXPECTED[case][step]
    for b in found:
        assert b.front_desk and b.patient and b.clinical
        for message in MESSAGES:
            assert message not in b.front_desk
            assert message not in b.patient


@pytest.mark.parametrize(
    "case",
    [
        "contraindicated",
        "deferred without a date",
        "deferred until after D",
        "clearance pending",
        "clearance revoked",
        "area no longer allowed",
    ],
)
def test_it_quotes_the_findings_to_clinical_staff_only(case):
    (b,) = blockers(Step.BOOK, D, CASES[case])
    said = [m for m in MESSAGES if m in b.clinical]
    assert said and all(m not in b.words(Audience.FRONT_DESK) for m in said)
    assert b.words(Audience.CLINICAL) == b.clinical


def test_it_tells_the_front_desk_the_first_day_not_the_reason():
    (b,) = blockers(Step.MOVE, D, CASES["deferred until after D"])
    assert b.front_desk == f"Not before {day_words(LATER)}."
    assert b.front_desk == "Not before 3 March 2027."
    assert b.clinical.startswith("Treatment has to wait: session 2 cannot be before 3 March 2027.")
    assert b.patient == "Your treatment can start from 3 March 2027."


def test_it_tells_the_front_desk_to_ask_the_practitioner():
    (b,) = blockers(Step.BOOK, D, CASES["contraindicated"])
    assert b.front_desk == "Needs clinical review — ask the practitioner."


def test_it_lets_a_course_be_booked_from_a_dated_deferral_before_its_first_day_is_known():
    assert blockers(Step.BOOK, None, CASES["deferred until after D"]) == []
    assert [
        b.code for b in blockers(Step.BOOK, LATER - dt.timedelta(days=1), CASES["deferred until after D"])
    ] == [Code.DEFERRED_UNTIL]
    assert blockers(Step.BOOK, LATER, CASES["deferred until after D"]) == []


def test_it_allows_a_late_entry_for_a_session_that_has_passed():
    assert blockers(Step.TREAT, D, facts(due=D - dt.timedelta(days=3))) == []
    assert blockers(Step.OUTCOME, D, facts(due=D - dt.timedelta(days=3))) == []


def test_it_counts_a_clearance_given_after_the_screening():
    pending = CASES["clearance pending"]
    assert blockers(Step.BOOK, D, Facts(**{**pending.__dict__, "cleared": frozenset({"diabetes"})})) == []


def test_it_ignores_a_clearance_for_an_area_the_plan_does_not_treat():
    neck_only = facts(
        decision="needs_clearance", findings=(finding("keloid", "needs_clearance", NECK, areas=("neck",)),)
    )
    assert blockers(Step.BOOK, D, neck_only) == []
    whole = facts(
        decision="needs_clearance",
        plan_areas=("neck",),
        treatable_areas=("neck",),
        findings=neck_only.findings,
    )
    assert [b.code for b in blockers(Step.BOOK, D, whole)] == [Code.CLEARANCE_PENDING]


def test_it_says_every_reason_most_basic_first():
    worst = facts(
        status="draft",
        decision="needs_clearance",
        consent_signed=False,
        due=D + dt.timedelta(days=1),
        findings=(finding("diabetes", "needs_clearance", DIABETES),),
    )
    assert [b.code for b in blockers(Step.TREAT, D, worst)] == [
        Code.NOT_APPROVED,
        Code.CLEARANCE_PENDING,
        Code.CONSENT_MISSING,
        Code.NOT_YET_DUE,
    ]


def test_it_judges_no_screening_when_none_is_given():
    assert blockers(Step.TREAT, D, Facts(decision="", consent_signed=True)) == []
