"""Course planning (needlepoint.plan/1): areas, depths, sessions, schedule, care, adjuncts and
bookability, checked against the contract with vignette-like patients."""

import datetime as dt
import itertools
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from intake_builder import intake as _intake

from needlepoint.clinical import vocab
from needlepoint.clinical.intake import intake_from_mapping
from needlepoint.clinical.planning import Planner
from needlepoint.clinical.protocol import Protocol, load_protocol, protocol_from_data
from needlepoint.clinical.screening import Screener

ROOT = Path(__file__).resolve().parents[2]
PROTOCOL = load_protocol()
SCREENER = Screener(PROTOCOL)
PLANNER = Planner(PROTOCOL)
START = "2026-11-23"
ASSESSED = dt.date(2026, 11, 22)
LEAD = 14  # the longest preparation lead of the default protocol (sun avoidance, retinoids)


def _plan(raw: dict[str, Any], start: str = START, protocol: Protocol | None = None) -> dict[str, Any]:
    p = protocol or PROTOCOL
    intake = intake_from_mapping(raw, p.vocabulary_for_intake())
    screening = Screener(p).screen(intake) if protocol else SCREENER.screen(intake)
    planner = Planner(p) if protocol else PLANNER
    doc = planner.plan(intake, screening, dt.date.fromisoformat(start)).as_dict()
    return json.loads(json.dumps(doc))  # exactly what the command prints


def _day(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def _areas(plan: dict[str, Any]) -> dict[str, dict[str, float]]:
    return {a["area"]: a["depth_mm"] for a in plan["areas"]}


def _care_codes(plan: dict[str, Any]) -> list[str]:
    return [c["code"] for c in plan["care"]]


# ---- shape -------------------------------------------------------------------------------------


def test_it_gives_the_contract_shape_for_a_healthy_patient() -> None:
    plan = _plan(
        _intake(scars={"icepick": 3, "boxcar": 8, "rolling": 10, "hypertrophic": 0, "goodman_baron_grade": 3})
    )
    assert plan["schema"] == "needlepoint.plan/1"
    assert plan["bookable"] is True
    assert plan["blocked_by"] == []
    assert plan["screening"]["schema"] == "needlepoint.screening/1"
    assert plan["screening"]["decision"] == "eligible"
    assert plan["goal"] == "acne_scars"
    assert plan["sessions"] == {"count": 4, "interval_days": {"min": 28, "max": 60}}
    assert [a["area"] for a in plan["areas"]] == ["cheeks", "forehead"]
    for a in plan["areas"]:
        assert set(a["depth_mm"]) == {"min", "max"}
        assert a["sources"]
    assert [s["session"] for s in plan["schedule"]] == [1, 2, 3, 4]
    for s in plan["schedule"]:
        assert {"session", "earliest", "latest"} <= set(s)
    for c in plan["care"]:
        assert isinstance(c["offset_days"], int)
        assert c["code"] and c["text"] and c["sources"]
    for a in plan["adjuncts"]:
        assert isinstance(a["optional"], bool) and a["sources"]
    assert plan["expectations"]["text"]
    assert plan["protocol"] == {"id": "default", "version": "2026.11.1"}
    assert plan["screening"]["protocol"] == plan["protocol"]


def test_it_plans_the_first_goal_and_lists_the_others() -> None:
    plan = _plan(_intake(goals=["fine_lines", "acne_scars", "fine_lines", "texture"]))
    assert plan["goal"] == "fine_lines"
    assert plan["other_goals"] == ["acne_scars", "texture"]


# ---- areas and depths ----------------------------------------------------------------------------


def test_it_keeps_only_treatable_areas_dropping_an_excluded_site() -> None:
    plan = _plan(_intake(areas=["cheeks", "eyelids"]))
    assert plan["screening"]["areas"] == {"cheeks": "eligible", "eyelids": "contraindicated"}
    assert [a["area"] for a in plan["areas"]] == ["cheeks"]
    assert plan["bookable"] is True


def test_it_drops_an_area_with_skin_cancer_and_keeps_the_rest() -> None:
    plan = _plan(
        _intake(
            areas=["cheeks", "nose"],
            conditions=[{"code": "skin_cancer", "status": "active", "areas": ["nose"]}],
        )
    )
    assert [a["area"] for a in plan["areas"]] == ["cheeks"]
    assert plan["bookable"] is True
    assert plan["blocked_by"] == []
    assert "skin_cancer_in_area" in [f["code"] for f in plan["screening"]["findings"]]


def test_it_keeps_a_deferred_area_in_the_plan() -> None:
    plan = _plan(
        _intake(
            areas=["cheeks", "forehead"],
            conditions=[{"code": "warts", "status": "active", "areas": ["forehead"]}],
        )
    )
    assert [a["area"] for a in plan["areas"]] == ["cheeks", "forehead"]
    assert plan["bookable"] is False
    assert plan["blocked_by"] == ["warts_in_area"]


def test_it_does_not_repeat_an_area_asked_twice() -> None:
    plan = _plan(_intake(areas=["cheeks", "cheeks", "forehead"]))
    assert [a["area"] for a in plan["areas"]] == ["cheeks", "forehead"]


def test_it_gives_acne_scar_depths_from_the_goal_and_others_from_the_area() -> None:
    areas = _areas(_plan(_intake(areas=["cheeks", "forehead", "chin", "neck", "back"])))
    assert areas["cheeks"] == {"min": 0.5, "max": 1.5}
    assert areas["chin"] == {"min": 0.5, "max": 1.5}
    assert areas["forehead"] == {"min": 0.25, "max": 0.5}
    assert areas["neck"] == {"min": 0.25, "max": 0.5}
    assert areas["back"] == {"min": 0.25, "max": 1.5}


def test_it_gives_area_default_depths_for_a_goal_without_its_own() -> None:
    areas = _areas(_plan(_intake(goals=["fine_lines"])))
    assert areas["cheeks"] == {"min": 0.5, "max": 1.0}
    assert areas["forehead"] == {"min": 0.25, "max": 0.5}


def test_it_plans_the_forehead_shallower_than_the_cheeks() -> None:
    for goal in vocab.GOALS:
        areas = _areas(_plan(_intake(goals=[goal])))
        assert areas["forehead"]["max"] < areas["cheeks"]["max"], goal
        assert areas["forehead"]["min"] <= areas["cheeks"]["min"], goal


@pytest.mark.parametrize("goal", vocab.GOALS)
def test_it_never_plans_deeper_than_the_area_ceiling(goal: str) -> None:
    treatable = [a for a in vocab.AREAS if a != "eyelids"]
    plan = _plan(_intake(goals=[goal], areas=treatable))
    assert [a["area"] for a in plan["areas"]] == treatable
    for a in plan["areas"]:
        ceiling = PROTOCOL.areas[a["area"]].ceiling_mm
        assert a["ceiling_mm"] == ceiling
        assert 0 < a["depth_mm"]["min"] <= a["depth_mm"]["max"] <= ceiling, a


def test_it_never_plans_the_eyelids() -> None:
    plan = _plan(_intake(areas=list(vocab.AREAS)))
    assert "eyelids" not in [a["area"] for a in plan["areas"]]
    assert plan["screening"]["areas"]["eyelids"] == "contraindicated"


# ---- sessions -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("grade", "count"), [(None, 3), (1, 3), (2, 3), (3, 4), (4, 6)])
def test_it_counts_acne_scar_sessions_by_goodman_baron_grade(grade: int | None, count: int) -> None:
    scars = {"goodman_baron_grade": grade} if grade is not None else {}
    plan = _plan(_intake(scars=scars))
    assert plan["sessions"]["count"] == count
    assert len(plan["schedule"]) == count


@pytest.mark.parametrize(
    ("goal", "count"),
    [
        ("acne_scars", 3),
        ("surgical_scars", 3),
        ("stretch_marks", 3),
        ("melasma", 3),
        ("hyperpigmentation", 3),
        ("fine_lines", 4),
        ("enlarged_pores", 4),
        ("texture", 4),
        ("laxity", 4),
    ],
)
def test_it_counts_sessions_by_goal(goal: str, count: int) -> None:
    plan = _plan(_intake(goals=[goal]))
    assert plan["sessions"]["count"] == count
    assert plan["sessions"]["interval_days"] == {"min": 28, "max": 60}


def test_it_ignores_the_scar_grade_for_a_goal_without_a_grade_table() -> None:
    plan = _plan(_intake(goals=["fine_lines"], scars={"goodman_baron_grade": 4}))
    assert plan["sessions"]["count"] == 4


# ---- schedule ------------------------------------------------------------------------------------


def _check_windows(plan: dict[str, Any], first: dt.date) -> None:
    lo = plan["sessions"]["interval_days"]["min"]
    hi = plan["sessions"]["interval_days"]["max"]
    sched = plan["schedule"]
    assert len(sched) == plan["sessions"]["count"]
    assert _day(sched[0]["earliest"]) == first
    assert _day(sched[0]["latest"]) == first + dt.timedelta(days=hi - lo)
    for prev, cur in itertools.pairwise(sched):
        assert cur["session"] == prev["session"] + 1
        assert _day(cur["earliest"]) == _day(prev["earliest"]) + dt.timedelta(days=lo)
        assert _day(cur["latest"]) == _day(prev["earliest"]) + dt.timedelta(days=hi)


def test_it_starts_after_the_preparation_lead_for_an_eligible_patient() -> None:
    plan = _plan(_intake(scars={"goodman_baron_grade": 3}))
    _check_windows(plan, _day(START) + dt.timedelta(days=LEAD))
    assert plan["schedule"][0] == {
        "session": 1,
        "earliest": "2026-12-07",
        "latest": "2027-01-08",
        "provisional": False,
    }
    assert plan["schedule"][1]["earliest"] == "2027-01-04"
    assert plan["schedule"][1]["latest"] == "2027-02-05"
    assert plan["schedule"][3]["earliest"] == "2027-03-01"


def test_it_floors_a_start_before_the_assessment_at_the_assessment() -> None:
    plan = _plan(_intake(), start="2026-01-01")
    _check_windows(plan, ASSESSED + dt.timedelta(days=LEAD))
    assert plan["schedule"][0]["earliest"] == "2026-12-06"


def test_it_uses_a_later_start_as_given() -> None:
    plan = _plan(_intake(), start="2027-06-30")
    _check_windows(plan, dt.date(2027, 7, 14))


def test_it_starts_a_deferred_patient_at_the_earliest_date() -> None:
    plan = _plan(
        _intake(medications=[{"name": "isotretinoin", "status": "stopped", "last_taken": "2026-09-01"}])
    )
    assert plan["screening"]["decision"] == "defer"
    assert plan["screening"]["earliest_date"] == "2027-03-01"
    _check_windows(plan, dt.date(2027, 3, 1))
    assert plan["bookable"] is False
    assert plan["blocked_by"] == ["isotretinoin_recent"]
    assert all(s["provisional"] is False for s in plan["schedule"])


def test_it_keeps_the_preparation_lead_when_the_start_is_after_the_deferral() -> None:
    plan = _plan(
        _intake(medications=[{"name": "isotretinoin", "status": "stopped", "last_taken": "2026-09-01"}]),
        start="2027-03-01",
    )
    _check_windows(plan, dt.date(2027, 3, 15))


def test_it_never_schedules_before_a_short_deferral() -> None:
    plan = _plan(_intake(conditions=[{"code": "sunburn", "status": "active", "date": "2026-11-18"}]))
    assert plan["screening"]["earliest_date"] == "2026-12-02"
    # start + lead (7 December) is after the deferral (2 December): the later one wins
    _check_windows(plan, dt.date(2026, 12, 7))
    assert plan["bookable"] is False


def test_it_marks_every_window_provisional_when_the_deferral_has_no_date() -> None:
    plan = _plan(_intake(pregnancy="pregnant"))
    assert plan["screening"]["decision"] == "defer"
    assert plan["screening"]["earliest_date"] is None
    assert plan["bookable"] is False
    assert plan["blocked_by"] == ["pregnancy"]
    assert plan["schedule"] and all(s["provisional"] is True for s in plan["schedule"])
    _check_windows(plan, _day(START) + dt.timedelta(days=LEAD))


def test_it_plans_the_sample_intake_from_the_examples() -> None:
    raw = json.loads((ROOT / "examples" / "sample-intake.json").read_text(encoding="utf-8"))
    plan = _plan(raw)
    screening = plan["screening"]
    assert screening["decision"] == "defer"
    assert screening["earliest_date"] == "2027-03-01"
    assert screening["areas"]["eyelids"] == "contraindicated"
    codes = {f["code"] for f in screening["findings"]}
    assert {
        "isotretinoin_recent",
        "recent_chemical_peel",
        "herpes_simplex_history",
        "topical_retinoid",
        "excluded_site",
        "pigmentation_risk",
    } <= codes
    assert "active_acne" not in codes  # acne on the chin, which was not asked for
    assert [a["area"] for a in plan["areas"]] == ["cheeks", "forehead"]
    assert plan["sessions"]["count"] == 4
    _check_windows(plan, dt.date(2027, 3, 1))
    assert set(plan["blocked_by"]) == {"isotretinoin_recent", "recent_chemical_peel"}
    assert "antiviral_prophylaxis" in _care_codes(plan)


# ---- care timeline -----------------------------------------------------------------------------


def test_it_gives_the_care_timeline_without_antiviral_for_a_healthy_patient() -> None:
    plan = _plan(_intake())
    care = plan["care"]
    codes = _care_codes(plan)
    assert "antiviral_prophylaxis" not in codes
    for code in (
        "sun_avoidance",
        "pause_retinoids",
        "topical_anaesthetic",
        "gentle_cleanser",
        "no_makeup",
        "sunscreen",
        "resume_retinoids",
        "check_in",
    ):
        assert code in codes, code
    offsets = {c["code"]: c["offset_days"] for c in care}
    assert offsets["sun_avoidance"] < 0
    assert offsets["pause_retinoids"] < 0
    assert offsets["topical_anaesthetic"] == 0
    assert offsets["sunscreen"] > 0
    assert sorted(c["offset_days"] for c in care if c["code"] == "check_in") == [1, 3, 7]
    assert [c["offset_days"] for c in care] == sorted(c["offset_days"] for c in care)
    assert min(c["offset_days"] for c in care) == -LEAD


def test_it_adds_antiviral_prophylaxis_only_with_a_herpes_history() -> None:
    plan = _plan(_intake(conditions=[{"code": "herpes_simplex", "status": "history"}]))
    assert plan["screening"]["decision"] == "proceed_with_precautions"
    assert plan["bookable"] is True
    antiviral = [c for c in plan["care"] if c["code"] == "antiviral_prophylaxis"]
    assert len(antiviral) == 1
    assert antiviral[0]["offset_days"] == -7
    # the lead stays the longest preparation item, not the antiviral's
    _check_windows(plan, _day(START) + dt.timedelta(days=LEAD))


def test_it_gives_durations_where_the_protocol_has_them() -> None:
    care = {c["code"]: c for c in _plan(_intake())["care"]}
    assert care["sun_avoidance"]["duration_days"] == 14
    assert care["sunscreen"]["duration_days"] == 14
    assert "duration_days" not in care["pause_retinoids"]


# ---- adjuncts ------------------------------------------------------------------------------------


def test_it_offers_prp_and_prf_for_acne_scars() -> None:
    adjuncts = {a["code"]: a for a in _plan(_intake())["adjuncts"]}
    assert {"prp", "prf"} <= set(adjuncts)
    assert adjuncts["prp"]["optional"] is True
    assert adjuncts["prp"]["timing"] == "during"
    assert adjuncts["prp"]["sources"] == ["S29", "S30", "S31", "S33"]


def test_it_gives_melasma_a_depigmenting_cream_between_sessions_only() -> None:
    adjuncts = {a["code"]: a for a in _plan(_intake(goals=["melasma"]))["adjuncts"]}
    assert adjuncts["depigmenting_cream"]["timing"] == "between_sessions"
    assert "prp" not in adjuncts


@pytest.mark.parametrize("goal", vocab.GOALS)
def test_it_never_offers_an_unapproved_product_during_needling(goal: str) -> None:
    for a in _plan(_intake(goals=[goal]))["adjuncts"]:
        if a["timing"] == "during":
            assert PROTOCOL.adjuncts[a["code"]].for_use_during_needling is True, a["code"]


# ---- bookability ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "decision", "blocked_by"),
    [
        (
            {"conditions": [{"code": "bleeding_disorder", "status": "active"}]},
            "contraindicated",
            ["bleeding_disorder"],
        ),
        ({"pregnancy": "pregnant"}, "defer", ["pregnancy"]),
        ({"pregnancy": "breastfeeding"}, "defer", ["breastfeeding"]),
        ({"medications": [{"name": "isotretinoin", "status": "current"}]}, "defer", ["isotretinoin_current"]),
        (
            {"medications": [{"name": "rivaroxaban", "status": "current"}]},
            "needs_clearance",
            ["antithrombotic_medication"],
        ),
        ({"conditions": [{"code": "diabetes", "status": "controlled"}]}, "needs_clearance", ["diabetes"]),
        (
            {"medications": [{"name": "mystery-pill", "status": "current"}]},
            "needs_clearance",
            ["unknown_medication"],
        ),
        ({"patient": {"birth_date": "2010-06-01"}}, "defer", ["minor", "outside_device_age"]),
    ],
)
def test_it_makes_a_blocked_patient_unbookable(
    overrides: dict[str, Any], decision: str, blocked_by: list[str]
) -> None:
    plan = _plan(_intake(**overrides))
    assert plan["screening"]["decision"] == decision
    assert plan["bookable"] is False
    assert plan["blocked_by"] == blocked_by
    assert plan["schedule"]  # a plan document is still printed


@pytest.mark.parametrize(
    ("overrides", "decision"),
    [
        ({}, "eligible"),
        ({"conditions": [{"code": "herpes_simplex", "status": "history"}]}, "proceed_with_precautions"),
        ({"skin": {"fitzpatrick": 5}, "goals": ["melasma"]}, "proceed_with_precautions"),
        ({"medications": [{"name": "Adapalene", "status": "current"}]}, "proceed_with_precautions"),
    ],
)
def test_it_makes_an_unblocked_patient_bookable(overrides: dict[str, Any], decision: str) -> None:
    plan = _plan(_intake(**overrides))
    assert plan["screening"]["decision"] == decision
    assert plan["bookable"] is True
    assert plan["blocked_by"] == []


def test_it_lists_every_blocking_finding_but_no_precaution() -> None:
    plan = _plan(
        _intake(
            conditions=[
                {"code": "diabetes", "status": "active"},
                {"code": "herpes_simplex", "status": "history"},
            ],
            medications=[{"name": "warfarin", "status": "current"}],
        )
    )
    assert plan["screening"]["decision"] == "needs_clearance"
    assert sorted(plan["blocked_by"]) == ["antithrombotic_medication", "diabetes"]
    assert "herpes_simplex_history" not in plan["blocked_by"]


def test_it_names_the_blocking_finding_when_every_area_is_excluded() -> None:
    plan = _plan(_intake(areas=["eyelids"]))
    assert plan["bookable"] is False
    assert plan["screening"]["decision"] == "contraindicated"
    assert plan["areas"] == []
    assert plan["blocked_by"] == ["excluded_site"]


# ---- expectations and protocol -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("goal", "days"), [("acne_scars", 90), ("surgical_scars", 90), ("melasma", 90), ("fine_lines", 60)]
)
def test_it_sets_the_review_after_the_course_by_goal(goal: str, days: int) -> None:
    plan = _plan(_intake(goals=[goal]))
    assert plan["expectations"]["review_after_days"] == days
    assert plan["expectations"]["sources"]


def test_it_records_a_clinic_protocol_in_the_plan(tmp_path: Path) -> None:
    data = yaml.safe_load((ROOT / "protocols" / "default.yaml").read_text(encoding="utf-8"))
    data["protocol"].update(id="clinic-south", version="7")
    data["goals"]["fine_lines"]["interval_days"] = {"min": 30, "max": 45}
    proto = protocol_from_data(data, file="clinic-south.yaml")
    plan = _plan(_intake(goals=["fine_lines"]), protocol=proto)
    assert plan["protocol"] == {"id": "clinic-south", "version": "7"}
    assert plan["screening"]["protocol"] == plan["protocol"]
    assert plan["sessions"]["interval_days"] == {"min": 30, "max": 45}
    _check_windows(plan, _day(START) + dt.timedelta(days=LEAD))
