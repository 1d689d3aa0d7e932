"""A course's plan read as a typed value (clinic/plan_view.py), from the stored document."""

import datetime as dt

from needlepoint.clinic.plan_view import CareStep, PlannedAdjunct, PlannedArea, PlanView, SessionWindow

DOC = {
    "schema": "needlepoint.plan/1",
    "sessions": {"count": 3, "interval_days": {"min": 28, "max": 42}},
    "areas": [
        {"area": "cheeks", "depth_mm": {"min": 0.75, "max": 1.25}, "ceiling_mm": 1.5, "sources": ["S1"]},
        {"area": "forehead", "depth_mm": {"min": 0.25, "max": 0.5}},
    ],
    "adjuncts": [
        {"code": "prp", "name": "Platelet-rich plasma", "optional": True, "selected": True},
        {"code": "glide_gel", "optional": False},
    ],
    "schedule": [
        {"session": 1, "earliest": "2026-12-15", "latest": "2026-12-29", "provisional": False},
        {"session": 2, "earliest": "2027-01-12", "latest": "2027-01-26", "provisional": True},
    ],
    "care": [{"offset_days": -14, "code": "no_retinoids", "text": "Stop retinoids.", "sources": []}],
    "expectations": {"text": "Most see a change after three sessions.", "sources": ["S2"]},
}


def test_it_reads_the_stored_plan_once_into_typed_parts():
    plan = PlanView.of(DOC)
    assert (plan.session_count, plan.interval_min, plan.interval_max) == (3, 28, 42)
    assert plan.areas == (
        PlannedArea("cheeks", 0.75, 1.25, 1.5),
        PlannedArea("forehead", 0.25, 0.5, None),
    )
    assert plan.adjuncts == (
        PlannedAdjunct("prp", "Platelet-rich plasma", True),
        PlannedAdjunct("glide_gel", "", False),
    )
    assert plan.schedule[1] == SessionWindow(2, dt.date(2027, 1, 12), dt.date(2027, 1, 26), True)
    assert plan.care == (CareStep(-14, "Stop retinoids."),)
    assert plan.expectations == "Most see a change after three sessions."


def test_it_answers_the_questions_the_pages_ask():
    plan = PlanView.of(DOC)
    assert plan.area_codes == ["cheeks", "forehead"]
    assert plan.area("forehead") == PlannedArea("forehead", 0.25, 0.5, None) and plan.area("chin") is None
    assert [a.code for a in plan.selected_adjuncts] == ["prp"]
    assert plan.adjunct_codes == {"prp", "glide_gel"}
    assert [a.label for a in plan.adjuncts] == ["Platelet-rich plasma", "glide_gel"]  # the code, unnamed


def test_it_reads_a_missing_part_as_empty():
    for doc in (None, {}):
        plan = PlanView.of(doc)
        assert (plan.session_count, plan.areas, plan.adjuncts, plan.schedule, plan.expectations) == (
            0,
            (),
            (),
            (),
            "",
        )
