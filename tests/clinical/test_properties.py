"""Property tests over generated intakes: screening is monotone in what is reported, every plan
keeps to the ceilings, the treatable areas, the schedule rules and the bookability rule, and the
indexed screening finds exactly what evaluating every rule in turn finds."""

import datetime as dt
import itertools
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from needlepoint.clinical import rules, vocab
from needlepoint.clinical.compiled import compile_rule
from needlepoint.clinical.intake import IntakeModel, age_on, intake_from_mapping
from needlepoint.clinical.planning import Plan, Planner, SessionWindow
from needlepoint.clinical.protocol import AllergyRule, load_protocol
from needlepoint.clinical.rules import Finding, gather_facts
from needlepoint.clinical.screening import Screener, Screening

PROTOCOL = load_protocol()
VOCABULARY = PROTOCOL.vocabulary_for_intake()
SCREENER = Screener(PROTOCOL)
PLANNER = Planner(PROTOCOL)
RANK = vocab.SEVERITY_RANK

MEDICATION_NAMES = sorted(PROTOCOL.medications)
ATC_CODES = sorted(
    set(PROTOCOL.medications.values())
    | {
        "B01A",
        "B01AC06",
        "D10BA",
        "D10AD",
        "L04AX03",
        "L01XE01",
        "H02AB06",
        "A10BA02",
        "N02BE01",
        "M01CB03",
        "D05AX05",
    }
)
UNKNOWN_NAMES = ["metformin", "paracetamol", "mystery tonic", "Vitamin D"]
ALLERGIES = [*vocab.RECOGNISED_ALLERGIES, "penicillin", "latex", "peanuts"]
SETTINGS = settings(max_examples=150, deadline=None)


# ---- strategies -------------------------------------------------------------------------------


def _past(draw: st.DrawFn, born: dt.date, today: dt.date, horizon: int = 800) -> str:
    """A date between the birth date and the assessment, mostly recent enough to matter."""
    low = max(born, today - dt.timedelta(days=horizon))
    return draw(st.dates(min_value=low, max_value=today)).isoformat()


@st.composite
def conditions(draw: st.DrawFn, born: dt.date, today: dt.date) -> dict[str, Any]:
    c: dict[str, Any] = {
        "code": draw(st.sampled_from(vocab.CONDITIONS)),
        "status": draw(st.sampled_from(vocab.CONDITION_STATUSES)),
    }
    if draw(st.booleans()):
        c["severity"] = draw(st.sampled_from(vocab.SEVERITIES))
    if draw(st.booleans()):
        c["areas"] = draw(st.lists(st.sampled_from(vocab.AREAS), max_size=3))
    if draw(st.booleans()):
        c["date"] = _past(draw, born, today)
    return c


@st.composite
def medications(draw: st.DrawFn, born: dt.date, today: dt.date) -> dict[str, Any]:
    how = draw(st.sampled_from(["name", "atc", "both", "unknown", "shouted"]))
    m: dict[str, Any] = {}
    if how in ("name", "both"):
        m["name"] = draw(st.sampled_from(MEDICATION_NAMES))
    if how == "shouted":
        m["name"] = " " + draw(st.sampled_from(MEDICATION_NAMES)).upper()
    if how == "unknown":
        m["name"] = draw(st.sampled_from(UNKNOWN_NAMES))
    if how in ("atc", "both"):
        m["atc"] = draw(st.sampled_from(ATC_CODES))
    m["status"] = draw(st.sampled_from(vocab.MEDICATION_STATUSES))
    if m["status"] == "stopped" and draw(st.booleans()):
        m["last_taken"] = _past(draw, born, today, horizon=400)
    return m


@st.composite
def procedures(draw: st.DrawFn, born: dt.date, today: dt.date) -> dict[str, Any]:
    code = draw(st.sampled_from(vocab.PROCEDURES))
    p: dict[str, Any] = {"code": code, "date": _past(draw, born, today, horizon=500)}
    if code == "chemical_peel" and draw(st.booleans()):
        p["depth"] = draw(st.sampled_from(vocab.PEEL_DEPTHS))
    if code == "laser" and draw(st.booleans()):
        p["kind"] = draw(st.sampled_from(vocab.LASER_KINDS))
    if draw(st.booleans()):
        p["areas"] = draw(st.lists(st.sampled_from(vocab.AREAS), min_size=1, max_size=3))
    return p


@st.composite
def context(draw: st.DrawFn) -> tuple[dt.date, dt.date]:
    today = draw(st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2040, 12, 31)))
    age_days = draw(st.integers(min_value=0, max_value=100 * 365))
    return today, today - dt.timedelta(days=age_days)


@st.composite
def intakes(draw: st.DrawFn) -> dict[str, Any]:
    today, born = draw(context())
    intake: dict[str, Any] = {
        "schema": "needlepoint.intake/1",
        "assessed_on": today.isoformat(),
        "patient": {"birth_date": born.isoformat()},
        "goals": draw(st.lists(st.sampled_from(vocab.GOALS), min_size=1, max_size=3)),
        "areas": draw(st.lists(st.sampled_from(vocab.AREAS), min_size=1, max_size=4)),
        "conditions": draw(st.lists(conditions(born, today), max_size=3)),
        "medications": draw(st.lists(medications(born, today), max_size=3)),
        "procedures": draw(st.lists(procedures(born, today), max_size=2)),
        "allergies": draw(st.lists(st.sampled_from(ALLERGIES), max_size=2)),
    }
    if draw(st.booleans()):
        intake["pregnancy"] = draw(st.sampled_from(vocab.PREGNANCY))
    if draw(st.booleans()):
        intake["skin"] = {"fitzpatrick": draw(st.integers(min_value=1, max_value=6))}
    if draw(st.booleans()):
        grade = draw(st.none() | st.integers(min_value=1, max_value=4))
        intake["scars"] = {"goodman_baron_grade": grade} if grade is not None else {}
    return intake


@st.composite
def intake_and_addition(draw: st.DrawFn) -> tuple[dict[str, Any], str, dict[str, Any]]:
    base = draw(intakes())
    today = dt.date.fromisoformat(base["assessed_on"])
    born = dt.date.fromisoformat(base["patient"]["birth_date"])
    kind = draw(st.sampled_from(["conditions", "medications", "procedures"]))
    make = {"conditions": conditions, "medications": medications, "procedures": procedures}[kind]
    return base, kind, draw(make(born, today))


@st.composite
def intake_and_start(draw: st.DrawFn) -> tuple[dict[str, Any], dt.date]:
    raw = draw(intakes())
    today = dt.date.fromisoformat(raw["assessed_on"])
    offset = draw(st.integers(min_value=-60, max_value=400))
    return raw, today + dt.timedelta(days=offset)


# ---- helpers ------------------------------------------------------------------------------------


def _parse(raw: dict[str, Any]) -> IntakeModel:
    return intake_from_mapping(raw, VOCABULARY)


def _screen(raw: dict[str, Any]) -> Screening:
    return SCREENER.screen(_parse(raw))


def _plan(raw: dict[str, Any], start: dt.date) -> tuple[Plan, dict[str, Any]]:
    intake = _parse(raw)
    plan = PLANNER.plan(intake, SCREENER.screen(intake), start)
    return plan, plan.as_dict()


def _later(d: dt.date | None) -> dt.date:
    """An earliest date as an ordering key: no date (waiting on something undated) is last."""
    return dt.date.max if d is None else d


def _no_less_restrictive(before: Screening, after: Screening) -> None:
    assert RANK[after.decision] >= RANK[before.decision], (before.decision, after.decision)
    if before.decision == after.decision == "defer":
        assert _later(after.earliest_date) >= _later(before.earliest_date)


# ---- (a) monotonicity -----------------------------------------------------------------------------


@SETTINGS
@given(intake_and_addition())
def test_it_never_relaxes_the_screening_when_something_is_added(
    case: tuple[dict[str, Any], str, dict[str, Any]],
) -> None:
    base, kind, extra = case
    more = {**base, kind: [*base[kind], extra]}
    before, after = _screen(base), _screen(more)
    # reporting more can only take areas away, never give one back
    assert set(after.treatable_areas) <= set(before.treatable_areas)
    for area, decision in before.areas.items():
        assert RANK[after.areas[area]] >= RANK[decision], area
    if set(after.treatable_areas) == set(before.treatable_areas):
        _no_less_restrictive(before, after)
    elif after.treatable_areas:
        # The contract lets a contraindicated area drop out instead of blocking the patient, so
        # the comparison is made over the areas that remain treatable.
        _no_less_restrictive(_screen({**base, "areas": list(after.treatable_areas)}), after)
    else:
        assert after.decision == "contraindicated"


def test_it_lets_a_contraindicated_area_drop_out_as_the_contract_says() -> None:
    base: dict[str, Any] = {
        "schema": "needlepoint.intake/1",
        "assessed_on": "2026-11-22",
        "patient": {"birth_date": "1994-03-02"},
        "goals": ["acne_scars"],
        "areas": ["cheeks", "forehead"],
        "conditions": [{"code": "acne", "status": "active", "areas": ["cheeks"]}],
    }
    assert _screen(base).decision == "defer"
    more = {
        **base,
        "conditions": [*base["conditions"], {"code": "skin_cancer", "status": "active", "areas": ["cheeks"]}],
    }
    after = _screen(more)
    assert after.areas == {"cheeks": "contraindicated", "forehead": "eligible"}
    assert after.decision == "eligible"
    assert {f.code for f in after.findings} == {"skin_cancer_in_area", "active_acne"}


@SETTINGS
@given(intakes())
def test_it_gives_an_earliest_date_by_the_contract_rule(raw: dict[str, Any]) -> None:
    s = _screen(raw)
    today = dt.date.fromisoformat(raw["assessed_on"])
    if s.decision != "defer":
        assert s.earliest_date == today
    else:
        assert s.earliest_date is None or s.earliest_date > today
        assert any(f.decision == "defer" for f in s.findings)
    for area, decision in s.areas.items():
        assert decision in vocab.DECISIONS, area
    if "eyelids" in s.areas:
        assert s.areas["eyelids"] == "contraindicated"


# ---- (b) areas and depths ----------------------------------------------------------------------


@SETTINGS
@given(intake_and_start())
def test_it_plans_only_treatable_areas_within_their_ceilings(case: tuple[dict[str, Any], dt.date]) -> None:
    raw, start = case
    plan, doc = _plan(raw, start)
    screening_areas = doc["screening"]["areas"]
    planned = [a["area"] for a in doc["areas"]]
    assert planned == [a for a in dict.fromkeys(raw["areas"]) if screening_areas[a] != "contraindicated"]
    assert "eyelids" not in planned
    for a in doc["areas"]:
        ceiling = PROTOCOL.areas[a["area"]].ceiling_mm
        assert a["depth_mm"]["min"] <= a["depth_mm"]["max"] <= ceiling, a
        assert a["depth_mm"]["min"] > 0
        assert screening_areas[a["area"]] != "contraindicated"
    assert plan.goal == raw["goals"][0]


# ---- (c) schedule --------------------------------------------------------------------------------


@SETTINGS
@given(intake_and_start())
def test_it_schedules_inside_the_windows(case: tuple[dict[str, Any], dt.date]) -> None:
    raw, start = case
    _, doc = _plan(raw, start)
    today = dt.date.fromisoformat(raw["assessed_on"])
    lo = doc["sessions"]["interval_days"]["min"]
    hi = doc["sessions"]["interval_days"]["max"]
    sched = [
        (dt.date.fromisoformat(s["earliest"]), dt.date.fromisoformat(s["latest"])) for s in doc["schedule"]
    ]
    assert len(sched) == doc["sessions"]["count"] >= 1
    assert [s["session"] for s in doc["schedule"]] == list(range(1, len(sched) + 1))
    first = sched[0][0]
    assert first >= start
    assert first >= today
    earliest = doc["screening"]["earliest_date"]
    if earliest is not None:
        assert first >= dt.date.fromisoformat(earliest)
    lead = max(-c["offset_days"] for c in doc["care"] if c["offset_days"] < 0)
    assert first >= max(start, today) + dt.timedelta(days=lead)
    for early, late in sched:
        assert (late - early).days == hi - lo
    for (prev, _), (cur, late) in itertools.pairwise(sched):
        assert (cur - prev).days == lo
        assert (late - prev).days == hi
    provisional = {s["provisional"] for s in doc["schedule"]}
    undated = doc["screening"]["decision"] == "defer" and earliest is None
    assert provisional == {undated}


# ---- (d) bookability -----------------------------------------------------------------------------


@SETTINGS
@given(intake_and_start())
def test_it_is_bookable_exactly_when_nothing_blocks(case: tuple[dict[str, Any], dt.date]) -> None:
    raw, start = case
    _, doc = _plan(raw, start)
    decision = doc["screening"]["decision"]
    assert doc["bookable"] is (decision in {"eligible", "proceed_with_precautions"} and bool(doc["areas"]))
    if decision != "contraindicated":
        assert doc["areas"], "a patient who is not contraindicated keeps some area"
    if doc["bookable"]:
        assert doc["blocked_by"] == []
    else:
        blocking = {
            f["code"]
            for f in doc["screening"]["findings"]
            if f["decision"] in {"contraindicated", "defer", "needs_clearance"}
        }
        assert set(doc["blocked_by"]) <= blocking
        if decision != "contraindicated":
            assert doc["blocked_by"], "a blocked plan names what blocks it"
    care = [c["code"] for c in doc["care"]]
    herpes_history = any(f["code"] == "herpes_simplex_history" for f in doc["screening"]["findings"])
    assert ("antiviral_prophylaxis" in care) is herpes_history


# ---- (e) the rule index --------------------------------------------------------------------------

FINDING_CODES = sorted({r.finding for r in PROTOCOL.rules})
KNOWN_ALLERGIES = frozenset(vocab.RECOGNISED_ALLERGIES) | {
    a for r in PROTOCOL.rules if isinstance(r, AllergyRule) for a in r.allergies
}


def _scan(intake: IntakeModel, cleared: frozenset[str]) -> list[Finding]:
    """The findings of every rule of the protocol, evaluated in turn without the index, cleared
    and ordered as the contract says: most restrictive first, then in protocol order."""
    facts = gather_facts(intake, PROTOCOL, KNOWN_ALLERGIES)
    order = {r.id: i for i, r in enumerate(PROTOCOL.rules)}
    found = [f for r in PROTOCOL.rules for f in rules.evaluate(r, facts)]
    found = [
        f._replace(decision="proceed_with_precautions", cleared=True)
        if f.code in cleared and f.decision == "needs_clearance"
        else f
        for f in found
    ]
    return sorted(found, key=lambda f: (-RANK[f.decision], order[f.rule]))


@settings(max_examples=400, deadline=None)
@given(intakes(), st.frozensets(st.sampled_from(FINDING_CODES), max_size=4))
def test_it_finds_what_evaluating_every_rule_finds(raw: dict[str, Any], cleared: frozenset[str]) -> None:
    intake = _parse(raw)
    found = _scan(intake, cleared)
    s = SCREENER.screen(intake, cleared)
    assert list(s.findings) == found
    for area in dict.fromkeys(raw["areas"]):
        touching = [f.decision for f in found if f.areas is None or area in f.areas]
        assert s.areas[area] == (touching[0] if touching else "eligible"), area


@SETTINGS
@given(intake_and_start())
def test_it_builds_every_record_with_all_its_fields(case: tuple[dict[str, Any], dt.date]) -> None:
    # findings, windows, screenings and plans are built by tuple.__new__ on the hot path: each
    # must be a whole record, as its class would build it
    raw, start = case
    plan, _ = _plan(raw, start)
    assert Plan(*plan) == plan
    assert Screening(*plan.screening) == plan.screening
    assert all(Finding(*f) == f for f in plan.screening.findings)
    assert all(SessionWindow(*w) == w for w in plan.schedule)


COMPILED = [(r, compile_rule(r)) for r in PROTOCOL.rules]


@settings(max_examples=400, deadline=None)
@given(intakes())
def test_each_compiled_rule_finds_what_the_rule_kind_finds(raw: dict[str, Any]) -> None:
    # the screener runs each rule compiled once (parameters bound, fixed placeholders joined
    # in): for every rule of the protocol, without the index, the findings must be the same
    intake = _parse(raw)
    facts = gather_facts(intake, PROTOCOL, KNOWN_ALLERGIES)
    assert facts.age == age_on(intake.patient.birth_date, intake.assessed_on)
    for rule, fire in COMPILED:
        assert fire(facts) == rules.evaluate(rule, facts), rule.id
