"""The expected recovery is protocol data: each rule goes from its protocol entry, through
`RecoveryRules.of`, to what `review_recovery` or `check_in_state` decides. Each test edits one
entry of the default protocol and shows the behaviour follow it; the first pins the default."""

import copy
import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from needlepoint.clinical.protocol import protocol_from_data
from needlepoint.clinical.recovery import RecoveryRules, check_in_state, review_recovery

DEFAULT_YAML = Path(__file__).resolve().parents[2] / "protocols" / "default.yaml"
_DATA = yaml.safe_load(DEFAULT_YAML.read_text(encoding="utf-8"))
SESSION = dt.date(2026, 11, 2)
CALM = {"redness": 1, "swelling": 1, "pain": 1}


def _rules(edit: Callable[[dict[str, Any]], None] | None = None) -> RecoveryRules:
    data = copy.deepcopy(_DATA)
    if edit is not None:
        edit(data)
    return RecoveryRules.of(protocol_from_data(data, file="x.yaml"))


def _recovery(data: dict[str, Any]) -> dict[str, Any]:
    section = data["recovery"]
    assert isinstance(section, dict)
    return section


def _state(rules: RecoveryRules, day: int, on_day: int) -> str:
    return check_in_state(
        rules, start=SESSION, day=day, done=False, today=SESSION + dt.timedelta(days=on_day)
    )


def test_the_default_protocol_gives_the_clinics_recovery_rules() -> None:
    rules = _rules()
    assert rules.check_in_days == (1, 3, 7)
    assert rules.score_max == 10
    assert dict(rules.warning_signs) == {
        "pus": "pus",
        "fever": "fever",
        "spreading_redness": "redness that is spreading",
        "blisters": "blisters",
        "cold_sore": "a cold sore",
    }
    assert {day: dict(limits) for day, limits in rules.not_as_expected.items()} == {
        3: {"redness": 7, "swelling": 7},
        7: {"redness": 4, "swelling": 4},
    }
    assert rules.worse_than_before == ("redness", "swelling", "pain")
    assert (rules.due_for_days, rules.open_for_days) == (2, 14)


# ---- check-in days: the `check_in` care items ----------------------------------------------------


def test_a_check_in_care_item_makes_a_check_in_day() -> None:
    def day_10(data: dict[str, Any]) -> None:
        template = next(c for c in data["care"] if c["code"] == "check_in")
        data["care"].append({**template, "offset_days": 10, "text": "Day 10 check-in."})

    rules = _rules(day_10)
    assert rules.check_in_days == (1, 3, 7, 10)
    assert _state(rules, 10, 9) == "upcoming"
    assert _state(rules, 10, 10) == "due"


# ---- warning signs -------------------------------------------------------------------------------


def test_a_warning_sign_added_to_the_protocol_is_urgent_in_its_own_words() -> None:
    def rash(data: dict[str, Any]) -> None:
        _recovery(data)["warning_signs"].append(
            {"code": "rash", "label": "a spreading rash", "clinic_choice": True}
        )

    review = review_recovery(_rules(rash), day=1, scores=CALM, warning_signs=["rash"], previous=None)
    assert review.urgent and not review.expected
    assert review.reasons == ("warning sign reported: a spreading rash",)
    default = review_recovery(_rules(), day=1, scores=CALM, warning_signs=["rash"], previous=None)
    assert default.expected and not default.urgent


def test_a_warning_sign_taken_out_of_the_protocol_no_longer_flags() -> None:
    def no_blisters(data: dict[str, Any]) -> None:
        signs = _recovery(data)["warning_signs"]
        _recovery(data)["warning_signs"] = [s for s in signs if s["code"] != "blisters"]

    assert review_recovery(
        _rules(no_blisters), day=1, scores=CALM, warning_signs=["blisters"], previous=None
    ).expected
    assert review_recovery(_rules(), day=1, scores=CALM, warning_signs=["blisters"], previous=None).urgent


# ---- "not as expected" thresholds ------------------------------------------------------------------


def test_a_lower_day_3_threshold_in_the_protocol_flags_a_lower_score() -> None:
    def from_5(data: dict[str, Any]) -> None:
        _recovery(data)["not_as_expected"][0]["from_score"] = 5

    scores = {"redness": 5, "swelling": 1, "pain": 1}
    review = review_recovery(_rules(from_5), day=3, scores=scores, warning_signs=[], previous=None)
    assert review.reasons == ("redness 5/10 on day 3 (expected to be settling; flagged from 5/10)",)
    assert review_recovery(_rules(), day=3, scores=scores, warning_signs=[], previous=None).expected


def test_a_threshold_covers_only_the_scores_it_names() -> None:
    def redness_only(data: dict[str, Any]) -> None:
        _recovery(data)["not_as_expected"][0]["scores"] = ["redness"]

    scores = {"redness": 1, "swelling": 9, "pain": 1}
    assert review_recovery(
        _rules(redness_only), day=3, scores=scores, warning_signs=[], previous=None
    ).expected
    assert not review_recovery(_rules(), day=3, scores=scores, warning_signs=[], previous=None).expected


def test_a_day_1_threshold_added_to_the_protocol_flags_day_1() -> None:
    def day_1(data: dict[str, Any]) -> None:
        first = _recovery(data)["not_as_expected"][0]
        _recovery(data)["not_as_expected"].append({**first, "day": 1, "from_score": 9})

    scores = {"redness": 10, "swelling": 1, "pain": 1}
    assert not review_recovery(_rules(day_1), day=1, scores=scores, warning_signs=[], previous=None).expected
    assert review_recovery(_rules(), day=1, scores=scores, warning_signs=[], previous=None).expected


def test_the_score_scale_of_the_protocol_is_the_one_reasons_name() -> None:
    def out_of_8(data: dict[str, Any]) -> None:
        _recovery(data)["scores"]["max"] = 8

    review = review_recovery(
        _rules(out_of_8),
        day=3,
        scores={"redness": 8, "swelling": 1, "pain": 1},
        warning_signs=[],
        previous=None,
    )
    assert review.reasons == ("redness 8/8 on day 3 (expected to be settling; flagged from 7/8)",)


# ---- worse than before -----------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["redness", "swelling", "pain"])
def test_only_the_scores_the_protocol_names_must_not_rise(name: str) -> None:
    def without(data: dict[str, Any]) -> None:
        _recovery(data)["worse_than_before"]["scores"] = [
            s for s in ("redness", "swelling", "pain") if s != name
        ]

    previous = {"day": 1, **CALM}
    scores = {**CALM, name: 2}
    assert review_recovery(
        _rules(without), day=3, scores=scores, warning_signs=[], previous=previous
    ).expected
    review = review_recovery(_rules(), day=3, scores=scores, warning_signs=[], previous=previous)
    assert review.reasons == (f"{name} worse than at the day 1 check-in (1/10 → 2/10)",)


# ---- due and open days ------------------------------------------------------------------------------


def test_a_check_in_stays_due_for_the_protocols_days_then_is_overdue() -> None:
    def three_days(data: dict[str, Any]) -> None:
        _recovery(data)["due_for"]["days"] = 3

    assert [_state(_rules(), 3, d) for d in (2, 3, 4, 5)] == ["upcoming", "due", "due", "overdue"]
    assert [_state(_rules(three_days), 3, d) for d in (4, 5, 6)] == ["due", "due", "overdue"]


def test_check_ins_close_the_protocols_days_after_the_session() -> None:
    def ten_days(data: dict[str, Any]) -> None:
        _recovery(data)["open_for"]["days"] = 10

    assert [_state(_rules(), 7, d) for d in (10, 11, 14, 15)] == ["overdue", "overdue", "overdue", "closed"]
    assert [_state(_rules(ten_days), 7, d) for d in (10, 11)] == ["overdue", "closed"]


def test_a_done_check_in_is_done_and_a_session_without_a_date_is_closed() -> None:
    rules = _rules()
    today = SESSION + dt.timedelta(days=3)
    assert check_in_state(rules, start=SESSION, day=3, done=True, today=today) == "done"
    assert check_in_state(rules, start=None, day=3, done=False, today=today) == "closed"
