"""Every finding code the contract requires of the default protocol, each from the smallest intake
that should produce it: the finding's decision, `until`, areas and plain-words message, and what
it does to the screening (decision, earliest_date, per-area decisions).

Every intake is assessed on 2026-11-22; dates in comments are worked out by hand."""

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

import pytest

from needlepoint.clinical import vocab
from needlepoint.clinical.rules import Finding
from needlepoint.clinical.screening import Screening

MakeIntake = Callable[..., dict[str, Any]]
Screen = Callable[[dict[str, Any]], Screening]

TODAY = dt.date(2026, 11, 22)
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _codes(s: Screening) -> list[str]:
    return [f.code for f in s.findings]


def _only(s: Screening, code: str) -> Finding:
    hits = [f for f in s.findings if f.code == code]
    assert len(hits) == 1, f"expected one {code!r}, got {_codes(s)}"
    return hits[0]


def _plain(message: str, *phrases: str) -> None:
    """The message is words a patient reads: no template left over, dates written out."""
    assert message.strip()
    assert "{" not in message
    assert "}" not in message
    assert not ISO_DATE.search(message), message
    for phrase in phrases:
        assert phrase in message, f"{phrase!r} not in {message!r}"


def _day(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


# ---- the list itself ---------------------------------------------------------------------------

TESTED_HERE = (
    "skin_cancer_in_area",
    "open_wound_in_area",
    "skin_infection_in_area",
    "active_herpes",
    "warts_in_area",
    "bleeding_disorder",
    "antithrombotic_medication",
    "pregnancy",
    "breastfeeding",
    "isotretinoin_current",
    "isotretinoin_recent",
    "keloid_tendency",
    "active_acne",
    "immunosuppression",
    "diabetes",
    "scleroderma",
    "collagen_vascular_disease",
    "inflammatory_skin_disease_in_area",
    "herpes_simplex_history",
    "metal_allergy",
    "anaesthetic_allergy",
    "recent_chemical_peel",
    "recent_laser",
    "recent_radiation",
    "recent_botulinum_toxin",
    "recent_dermal_filler",
    "recent_facial_surgery",
    "recent_sun_exposure",
    "tattoo_in_area",
    "excluded_site",
    "minor",
    "outside_device_age",
    "pigmentation_risk",
    "sensitive_skin",
    "topical_retinoid",
    "unknown_medication",
)


def test_it_covers_every_finding_code_the_contract_lists() -> None:
    assert set(TESTED_HERE) == set(vocab.REQUIRED_FINDINGS)
    assert len(TESTED_HERE) == 36


def test_it_finds_nothing_for_the_baseline_adult(make_intake: MakeIntake, screen: Screen) -> None:
    s = screen(make_intake())
    assert s.findings == ()
    assert s.decision == "eligible"
    assert s.earliest_date == TODAY
    assert s.areas == {"cheeks": "eligible", "forehead": "eligible"}
    assert s.protocol["id"] == "default"


# ---- skin_cancer_in_area -----------------------------------------------------------------------


def test_it_removes_an_area_with_skin_cancer(make_intake: MakeIntake, screen: Screen) -> None:
    s = screen(make_intake(conditions=[{"code": "skin_cancer", "status": "active", "areas": ["cheeks"]}]))
    f = _only(s, "skin_cancer_in_area")
    assert (f.decision, f.until, f.areas, f.rule) == (
        "contraindicated",
        None,
        ("cheeks",),
        "skin-cancer-in-area",
    )
    _plain(f.message, "cheeks")
    assert s.areas == {"cheeks": "contraindicated", "forehead": "eligible"}
    assert s.decision == "eligible"  # the forehead remains treatable
    assert s.earliest_date == TODAY
    assert s.treatable_areas == ("forehead",)


def test_it_treats_the_cheeks_when_skin_cancer_is_on_the_nose(
    make_intake: MakeIntake, screen: Screen
) -> None:
    s = screen(
        make_intake(
            areas=["cheeks", "nose"],
            conditions=[{"code": "skin_cancer", "status": "active", "areas": ["nose"]}],
        )
    )
    f = _only(s, "skin_cancer_in_area")
    assert (f.decision, f.areas) == ("contraindicated", ("nose",))
    assert s.areas == {"cheeks": "eligible", "nose": "contraindicated"}
    assert s.decision != "contraindicated"
    assert s.decision == "eligible"
    assert s.treatable_areas == ("cheeks",)


def test_it_contraindicates_the_patient_when_every_area_has_skin_cancer(
    make_intake: MakeIntake, screen: Screen
) -> None:
    s = screen(
        make_intake(
            conditions=[
                {"code": "skin_cancer", "status": "controlled", "areas": ["cheeks", "forehead", "chin"]}
            ]
        )
    )
    f = _only(s, "skin_cancer_in_area")
    assert f.areas == ("cheeks", "forehead")  # only the requested areas, in the order asked
    assert s.areas == {"cheeks": "contraindicated", "forehead": "contraindicated"}
    assert s.decision == "contraindicated"
    assert s.earliest_date == TODAY
    assert s.treatable_areas == ()


def test_it_contraindicates_the_patient_for_skin_cancer_without_a_place(
    make_intake: MakeIntake, screen: Screen
) -> None:
    s = screen(make_intake(conditions=[{"code": "skin_cancer", "status": "active"}]))
    f = _only(s, "skin_cancer_in_area")
    assert (f.decision, f.areas) == ("contraindicated", None)
    _plain(f.message)
    assert s.decision == "contraindicated"
    assert s.areas == {"cheeks": "contraindicated", "forehead": "contraindicated"}


def test_it_ignores_skin_cancer_away_from_the_treated_areas(make_intake: MakeIntake, screen: Screen) -> None:
    s = screen(make_intake(conditions=[{"code": "skin_cancer", "status": "active", "areas": ["back"]}]))
    assert s.findings == ()
    assert s.decision == "eligible"


def test_it_treats_an_empty_area_list_as_not_located(make_intake: MakeIntake, screen: Screen) -> None:
    s = screen(make_intake(conditions=[{"code": "skin_cancer", "status": "active", "areas": []}]))
    assert "skin_cancer_in_area" in _codes(s)
    assert s.decision == "contraindicated"


@pytest.mark.parametrize(
    ("located", "named"),
    [
        ({}, "the treatment areas"),
        ({"areas": ["cheeks"]}, "the cheeks"),
        ({"areas": ["cheeks", "forehead"]}, "the cheeks and forehead"),
    ],
)
def test_it_names_the_areas_of_an_area_finding_once_with_one_article(
    make_intake: MakeIntake, screen: Screen, located: dict[str, Any], named: str
) -> None:
    s = screen(make_intake(conditions=[{"code": "skin_cancer", "status": "active", **located}]))
    assert _only(s, "skin_cancer_in_area").message == (
        f"Microneedling is never done over skin cancer, so {named} cannot be treated."
        " If you did not say where it is, we cannot treat until a doctor has checked."
    )


# ---- deferrals until healed, by area -----------------------------------------------------------


def test_it_defers_an_area_with_an_open_wound(make_intake: MakeIntake, screen: Screen) -> None:
    s = screen(make_intake(conditions=[{"code": "open_wound", "status": "active", "areas": ["forehead"]}]))
    f = _only(s, "open_wound_in_area")
    assert (f.decision, f.until, f.areas) == ("defer", None, ("forehead",))
    _plain(f.message, "forehead")
    assert s.areas == {"cheeks": "eligible", "forehead": "defer"}
    assert s.decision == "defer"
    assert s.earliest_date is None  # waits until healed: no date


def test_it_defers_an_area_with_a_skin_infection(make_intake: MakeIntake, screen: Screen) -> None:
    s = screen(
        make_intake(conditions=[{"code": "skin_infection", "status": "uncontrolled", "areas": ["cheeks"]}])
    )
    f = _only(s, "skin_infection_in_area")
    assert (f.decision, f.until, f.areas) == ("defer", None, ("cheeks",))
    _plain(f.message, "cheeks")
    assert s.areas == {"cheeks": "defer", "forehead": "eligible"}
    assert (s.decision, s.earliest_date) == ("defer", None)


def test_it_defers_an_area_with_warts(make_intake: MakeIntake, screen: Screen) -> None:
    s = screen(
        make_intake(
            conditions=[{"code": "warts", "status": "active", "areas": ["forehead", "cheeks", "neck"]}]
        )
    )
    f = _only(s, "warts_in_area")
    assert (f.decision, f.until) == ("defer", None)
    assert f.areas == ("cheeks", "forehead")  # requested areas only, in the order asked
    _plain(f.message, "cheeks and forehead")
    assert s.areas == {"cheeks": "defer", "forehead": "defer"}
    assert (s.decision, s.earliest_date) == ("defer", None)


def test_it_defers_the_whole_patient_for_an_active_cold_sore_elsewhere(
    make_intake: MakeIntake, screen: Screen
) -> None:
    # the sore is on the lips, not a treated area: herpes is patient-wide (the virus spreads)
    s = screen(make_intake(conditions=[{"code": "herpes_simplex", "status": "active", "areas": ["lips"]}]))
    f = _only(s, "active_herpes")
    assert (f.decision, f.until, f.areas) == ("defer", None, None)
    _plain(f.message)
    assert s.areas == {"cheeks": "defer", "forehead": "defer"}
    assert (s.decision, s.earliest_date) == ("defer", None)


def test_it_defers_an_area_with_active_acne(make_intake: MakeIntake, screen: Screen) -> None:
    s = screen(
        make_intake(
            conditions=[{"code": "acne", "status": "active", "severity": "moderate", "areas": ["cheeks"]}]
        )
    )
    f = _only(s, "active_acne")
    assert (f.decision, f.until, f.areas) == ("defer", None, ("cheeks",))
    _plain(f.message, "cheeks")
    assert s.areas == {"cheeks": "defer", "forehead": "eligible"}
    assert (s.decision, s.earliest_date) == ("defer", None)


def test_it_ignores_acne_on_the_chin_while_treating_the_cheeks(
    make_intake: MakeIntake, screen: Screen
) -> None:
    s = screen(
        make_intake(areas=["cheeks"], conditions=[{"code": "acne", "status": "active", "areas": ["chin"]}])
    )
    assert "active_acne" not in _codes(s)
    assert s.decision == "eligible"
    assert s.areas == {"cheeks": "eligible"}


def test_it_ignores_acne_that_is_only_history(make_intake: MakeIntake, screen: Screen) -> None:
    s = screen(make_intake(conditions=[{"code": "acne", "status": "history", "areas": ["cheeks"]}]))
    assert s.findings == ()


def test_it_defers_every_area_for_acne_without_a_place(make_intake: MakeIntake, screen: Screen) -> None:
    s = screen(make_intake(conditions=[{"code": "acne", "status": "active"}]))
    assert _only(s, "active_acne").areas is None
    assert s.areas == {"cheeks": "defer", "forehead": "defer"}


def test_it_defers_an_area_with_active_eczema_and_watches_a_settled_one(
    make_intake: MakeIntake, screen: Screen
) -> None:
    s = screen(
        make_intake(
            conditions=[
                {"code": "eczema", "status": "active", "areas": ["cheeks"]},
                {"code": "psoriasis", "status": "controlled", "areas": ["forehead"]},
                {"code": "rosacea", "status": "active", "areas": ["chin"]},  # not treated: ignored
            ]
        )
    )
    found = [f for f in s.findings if f.code == "inflammatory_skin_disease_in_area"]
    assert [(f.decision, f.areas, f.until) for f in found] == [
        ("defer", ("cheeks",), None),
        ("proceed_with_precautions", ("forehead",), None),
    ]
    _plain(found[0].message, "eczema", "cheeks")
    _plain(found[1].message, "psoriasis", "forehead")
    assert s.areas == {"cheeks": "defer", "forehead": "proceed_with_precautions"}
    assert (s.decision, s.earliest_date) == ("defer", None)


@pytest.mark.parametrize("code", ["eczema", "psoriasis", "rosacea", "dermatitis"])
def test_it_counts_each_inflammatory_disease(code: str, make_intake: MakeIntake, screen: Screen) -> None:
    s = screen(make_intake(conditions=[{"code": code, "status": "uncontrolled", "areas": ["forehead"]}]))
    assert _only(s, "inflammatory_skin_disease_in_area").decision == "defer"


# ---- patient-wide conditions -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("condition", "code", "status"),
    [
        ("bleeding_disorder", "bleeding_disorder", "history"),
        ("keloid_tendency", "keloid_tendency", "history"),
        ("immunosuppression", "immunosuppression", "active"),
        ("scleroderma", "scleroderma", "controlled"),
        ("collagen_vascular_disease", "collagen_vascular_disease", "history"),
    ],
)
def test_it_contraindicates_the_patient_for_a_systemic_condition(
    condition: str, code: str, status: str, make_intake: MakeIntake, screen: Screen
) -> None:
    s = screen(make_intake(conditions=[{"code": condition, "status": status}]))
    f = _only(s, code)
    assert (f.decision, f.until, f.areas) == ("contraindicated", None, None)
    _plain(f.message)
    assert s.decision == "contraindicated"
    assert s.earliest_date == TODAY
    assert s.areas == {"cheeks": "contraindicated", "forehead": "contraindicated"}


def test_it_needs_clearance_for_diabetes(make_intake: MakeIntake, screen: Screen) -> None:
    s = screen(make_intake(conditions=[{"code": "diabetes", "status": "controlled"}]))
    f = _only(s, "diabetes")
    assert (f.decision, f.until, f.areas) == ("needs_clearance", None, None)
    _plain(f.message)
    assert s.decision == "needs_clearance"
    assert s.earliest_date == TODAY
    assert s.areas == {"cheeks": "needs_clearance", "forehead": "needs_clearance"}


@pytest.mark.parametrize("status", ["history", "controlled"])
def test_it_plans_precautions_for_a_cold_sore_history(
    status: str, make_intake: MakeIntake, screen: Screen
) -> None:
    s = screen(make_intake(conditions=[{"code": "herpes_simplex", "status": status}]))
    f = _only(s, "herpes_simplex_history")
    assert (f.decision, f.until, f.areas) == ("proceed_with_precautions", None, None)
    _plain(f.message, "antiviral")
    assert "active_herpes" not in _codes(s)
    assert s.decision == "proceed_with_precautions"
    assert s.earliest_date == TODAY


def test_it_plans_precautions_for_sensitive_skin(make_intake: MakeIntake, screen: Screen) -> None:
    s = screen(make_intake(conditions=[{"code": "sensitive_skin", "status": "active"}]))
    f = _only(s, "sensitive_skin")
    assert (f.decision, f.until, f.areas) == ("proceed_with_precautions", None, None)
    _plain(f.message)
    assert s.decision == "proceed_with_precautions"
    assert s.areas == {"cheeks": "proceed_with_precautions", "forehead": "proceed_with_precautions"}


# ---- tattoos and excluded sites ----------------------------------------------------------------


def test_it_removes_a_tattooed_area(make_intake: MakeIntake, screen: Screen) -> None:
    s = screen(make_intake(conditions=[{"code": "tattoo", "status": "history", "areas": ["forehead"]}]))
    f = _only(s, "tattoo_in_area")
    assert (f.decision, f.until, f.areas) == ("contraindicated", None, ("forehead",))
    _plain(f.message, "forehead")
    assert s.areas == {"cheeks": "eligible", "forehead": "contraindicated"}
    assert s.decision == "eligible"
    assert s.treatable_areas == ("cheeks",)


def test_it_needs_clearance_for_a_tattoo_without_a_place(make_intake: MakeIntake, screen: Screen) -> None:
    s = screen(make_intake(conditions=[{"code": "tattoo", "status": "history"}]))
    f = _only(s, "tattoo_in_area")
    assert (f.decision, f.until, f.areas) == ("needs_clearance", None, None)
    assert s.decision == "needs_clearance"
    assert s.earliest_date == TODAY
    assert s.areas == {"cheeks": "needs_clearance", "forehead": "needs_clearance"}


def test_it_contraindicates_when_every_area_is_tattooed(make_intake: MakeIntake, screen: Screen) -> None:
    s = screen(
        make_intake(
            conditions=[
                {"code": "tattoo", "status": "active", "areas": ["cheeks"]},
                {"code": "tattoo", "status": "active", "areas": ["forehead"]},
            ]
        )
    )
    assert _codes(s) == ["tattoo_in_area", "tattoo_in_area"]
    assert s.decision == "contraindicated"
    assert s.areas == {"cheeks": "contraindicated", "forehead": "contraindicated"}


def test_it_removes_the_eyelids_and_keeps_the_cheeks(make_intake: MakeIntake, screen: Screen) -> None:
    s = screen(make_intake(areas=["eyelids", "cheeks"]))
    f = _only(s, "excluded_site")
    assert (f.decision, f.until, f.areas) == ("contraindicated", None, ("eyelids",))
    _plain(f.message, "eyelids")
    assert s.areas == {"eyelids": "contraindicated", "cheeks": "eligible"}
    assert s.decision == "eligible"
    assert s.treatable_areas == ("cheeks",)


def test_it_contraindicates_a_request_for_the_eyelids_alone(make_intake: MakeIntake, screen: Screen) -> None:
    s = screen(make_intake(areas=["eyelids"]))
    assert _codes(s) == ["excluded_site"]
    assert s.decision == "contraindicated"
    assert s.areas == {"eyelids": "contraindicated"}


# ---- pregnancy -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("status", "code"), [("pregnant", "pregnancy"), ("breastfeeding", "breastfeeding")])
def test_it_defers_without_a_date_for_pregnancy_and_breastfeeding(
    status: str, code: str, make_intake: MakeIntake, screen: Screen
) -> None:
    s = screen(make_intake(pregnancy=status))
    f = _only(s, code)
    assert (f.decision, f.until, f.areas) == ("defer", None, None)
    _plain(f.message)
    assert s.decision == "defer"
    assert s.earliest_date is None
    assert s.areas == {"cheeks": "defer", "forehead": "defer"}


def test_it_finds_nothing_for_trying_to_conceive(make_intake: MakeIntake, screen: Screen) -> None:
    s = screen(make_intake(pregnancy="trying"))
    assert s.findings == ()
    assert s.decision == "eligible"


def test_it_finds_nothing_when_pregnancy_was_not_asked(make_intake: MakeIntake, screen: Screen) -> None:
    data = make_intake()
    del data["pregnancy"]
    assert screen(data).findings == ()


# ---- age ---------------------------------------------------------------------------------------


def test_it_defers_a_minor_until_the_eighteenth_birthday(make_intake: MakeIntake, screen: Screen) -> None:
    # born 2010-06-01: 16 on 2026-11-22; 18th birthday 2028-06-01
    s = screen(make_intake(birth_date="2010-06-01"))
    f = _only(s, "minor")
    assert (f.decision, f.until, f.areas) == ("defer", _day("2028-06-01"), None)
    _plain(f.message, "16", "18th birthday", "1 June 2028")
    device = _only(s, "outside_device_age")
    assert (device.decision, device.until) == ("needs_clearance", None)
    assert _codes(s) == ["minor", "outside_device_age"]  # most restrictive first
    assert s.decision == "defer"
    assert s.earliest_date == _day("2028-06-01")


def test_it_needs_clearance_for_a_twenty_year_old(make_intake: MakeIntake, screen: Screen) -> None:
    s = screen(make_intake(birth_date="2006-01-15"))  # 20 on 2026-11-22
    assert _codes(s) == ["outside_device_age"]
    f = s.findings[0]
    assert (f.decision, f.until, f.areas) == ("needs_clearance", None, None)
    _plain(f.message, "22", "20")
    assert s.decision == "needs_clearance"
    assert s.earliest_date == TODAY


def test_it_counts_the_twenty_second_birthday_itself(make_intake: MakeIntake, screen: Screen) -> None:
    assert screen(make_intake(birth_date="2004-11-22")).findings == ()  # 22 today
    s = screen(make_intake(birth_date="2004-11-23"))  # 22 tomorrow: 21 today
    assert _codes(s) == ["outside_device_age"]


def test_it_counts_the_eighteenth_birthday_itself(make_intake: MakeIntake, screen: Screen) -> None:
    assert "minor" not in _codes(screen(make_intake(birth_date="2008-11-22")))  # 18 today
    f = _only(screen(make_intake(birth_date="2008-11-23")), "minor")  # 18 tomorrow
    assert f.until == _day("2026-11-23")


# ---- medicines -----------------------------------------------------------------------------------

ANTITHROMBOTICS = [
    "warfarin",
    "apixaban",
    "rivaroxaban",
    "dabigatran",
    "edoxaban",
    "heparin",
    "enoxaparin",
    "aspirin",
    "clopidogrel",
    "ticagrelor",
    "prasugrel",
]


@pytest.mark.parametrize("name", ANTITHROMBOTICS)
def test_it_needs_clearance_for_each_antithrombotic(
    name: str, make_intake: MakeIntake, screen: Screen
) -> None:
    s = screen(make_intake(medications=[{"name": name, "status": "current"}]))
    assert _codes(s) == ["antithrombotic_medication"]
    f = s.findings[0]
    assert (f.decision, f.until, f.areas, f.rule) == (
        "needs_clearance",
        None,
        None,
        "antithrombotic-medication",
    )
    _plain(f.message, name)
    assert s.decision == "needs_clearance"
    assert s.earliest_date == TODAY
    assert s.areas == {"cheeks": "needs_clearance", "forehead": "needs_clearance"}


@pytest.mark.parametrize(
    "name", ["RivaroXaban", " Warfarin ", "WARFARIN", "Xarelto", "eliquis", "Plavix", "Acetylsalicylic Acid"]
)
def test_it_matches_medicine_names_ignoring_case_spaces_and_brand(
    name: str, make_intake: MakeIntake, screen: Screen
) -> None:
    s = screen(make_intake(medications=[{"name": name}]))
    assert _codes(s) == ["antithrombotic_medication"]


def test_it_matches_a_medicine_given_by_atc_only(make_intake: MakeIntake, screen: Screen) -> None:
    s = screen(make_intake(medications=[{"atc": "B01AF01", "status": "current"}]))
    assert _codes(s) == ["antithrombotic_medication"]
    _plain(s.findings[0].message)


def test_it_prefers_the_atc_code_to_the_name(make_intake: MakeIntake, screen: Screen) -> None:
    # a name the protocol does not know, with an ATC code: matched by the code, not "unknown"
    s = screen(make_intake(medications=[{"name": "Marevan", "atc": "B01AA03"}]))
    assert _codes(s) == ["antithrombotic_medication"]


def test_it_ignores_a_stopped_antithrombotic(make_intake: MakeIntake, screen: Screen) -> None:
    s = screen(
        make_intake(medications=[{"name": "warfarin", "status": "stopped", "last_taken": "2026-11-01"}])
    )
    assert s.findings == ()


def test_it_defers_without_a_date_while_isotretinoin_is_taken(
    make_intake: MakeIntake, screen: Screen
) -> None:
    s = screen(make_intake(medications=[{"name": "isotretinoin", "status": "current"}]))
    f = _only(s, "isotretinoin_current")
    assert (f.decision, f.until, f.areas) == ("defer", None, None)
    _plain(f.message, "6 months")
    assert "isotretinoin_recent" not in _codes(s)
    assert (s.decision, s.earliest_date) == ("defer", None)


def test_it_defers_six_calendar_months_after_isotretinoin(make_intake: MakeIntake, screen: Screen) -> None:
    # stopped 2026-09-01 + 6 calendar months = 2027-03-01
    s = screen(
        make_intake(medications=[{"name": "isotretinoin", "status": "stopped", "last_taken": "2026-09-01"}])
    )
    f = _only(s, "isotretinoin_recent")
    assert (f.decision, f.until, f.areas, f.rule) == (
        "defer",
        _day("2027-03-01"),
        None,
        "isotretinoin-washout",
    )
    _plain(f.message, "1 September 2026", "1 March 2027")
    assert s.decision == "defer"
    assert s.earliest_date == _day("2027-03-01")
    assert s.areas == {"cheeks": "defer", "forehead": "defer"}
    assert s.as_dict()["earliest_date"] == "2027-03-01"


def test_it_finds_nothing_once_the_isotretinoin_washout_has_passed(
    make_intake: MakeIntake, screen: Screen
) -> None:
    # stopped 2026-05-01 + 6 months = 2026-11-01, before 2026-11-22
    s = screen(
        make_intake(medications=[{"name": "isotretinoin", "status": "stopped", "last_taken": "2026-05-01"}])
    )
    assert s.findings == ()
    assert s.decision == "eligible"


def test_it_ends_the_isotretinoin_washout_on_its_last_day(make_intake: MakeIntake, screen: Screen) -> None:
    # 2026-05-22 + 6 months = 2026-11-22: treatable today
    stopped = {"name": "Roaccutane", "status": "stopped", "last_taken": "2026-05-22"}
    assert screen(make_intake(medications=[stopped])).findings == ()
    # 2026-05-23 + 6 months = 2026-11-23: one more day
    s = screen(make_intake(medications=[{**stopped, "last_taken": "2026-05-23"}]))
    assert _only(s, "isotretinoin_recent").until == _day("2026-11-23")


def test_it_counts_an_isotretinoin_stop_without_a_date_from_the_assessment(
    make_intake: MakeIntake, screen: Screen
) -> None:
    # no last_taken: counted from 2026-11-22 + 6 months = 2027-05-22
    s = screen(make_intake(medications=[{"name": "isotretinoin", "status": "stopped"}]))
    f = _only(s, "isotretinoin_recent")
    assert (f.decision, f.until) == ("defer", _day("2027-05-22"))
    _plain(f.message, "22 May 2027")
    assert s.earliest_date == _day("2027-05-22")


def test_it_words_an_undated_isotretinoin_stop_as_a_sentence(make_intake: MakeIntake, screen: Screen) -> None:
    s = screen(make_intake(medications=[{"name": "isotretinoin", "status": "stopped"}]))
    assert "on recently" not in _only(s, "isotretinoin_recent").message


RETINOIDS = ["tretinoin", "adapalene", "tazarotene", "trifarotene", "retinol"]


@pytest.mark.parametrize("name", RETINOIDS)
def test_it_plans_precautions_for_each_topical_retinoid(
    name: str, make_intake: MakeIntake, screen: Screen
) -> None:
    s = screen(make_intake(medications=[{"name": name, "status": "current"}]))
    assert _codes(s) == ["topical_retinoid"]
    f = s.findings[0]
    assert (f.decision, f.until, f.areas) == ("proceed_with_precautions", None, None)
    _plain(f.message, name)
    assert s.decision == "proceed_with_precautions"
    assert s.earliest_date == TODAY


def test_it_does_not_take_a_topical_retinoid_for_isotretinoin(
    make_intake: MakeIntake, screen: Screen
) -> None:
    s = screen(make_intake(medications=[{"name": "tretinoin"}, {"name": "isotretinoin"}]))
    assert _codes(s) == ["isotretinoin_current", "topical_retinoid"]


IMMUNOSUPPRESSANTS = [
    "methotrexate",
    "ciclosporin",
    "azathioprine",
    "mycophenolate",
    "tacrolimus",
    "prednisone",
    "prednisolone",
]


@pytest.mark.parametrize("name", IMMUNOSUPPRESSANTS)
def test_it_needs_clearance_for_each_immunosuppressant(
    name: str, make_intake: MakeIntake, screen: Screen
) -> None:
    s = screen(make_intake(medications=[{"name": name, "status": "current"}]))
    assert _codes(s) == ["immunosuppression"]
    f = s.findings[0]
    assert (f.decision, f.until, f.areas, f.rule) == (
        "needs_clearance",
        None,
        None,
        "immunosuppressive-medication",
    )
    _plain(f.message, name)
    assert s.decision == "needs_clearance"


def test_it_recognises_auranofin_without_a_finding(make_intake: MakeIntake, screen: Screen) -> None:
    s = screen(make_intake(medications=[{"name": "auranofin", "status": "current"}]))
    assert s.findings == ()
    assert s.decision == "eligible"


def test_it_asks_for_review_of_an_unknown_medicine(make_intake: MakeIntake, screen: Screen) -> None:
    s = screen(make_intake(medications=[{"name": "Mystery Tonic", "status": "current"}]))
    f = _only(s, "unknown_medication")
    assert (f.decision, f.until, f.areas) == ("needs_clearance", None, None)
    _plain(f.message, "Mystery Tonic")
    assert s.decision == "needs_clearance"
    assert s.earliest_date == TODAY


def test_it_reviews_an_unknown_medicine_even_when_stopped(make_intake: MakeIntake, screen: Screen) -> None:
    s = screen(
        make_intake(medications=[{"name": "metformin", "status": "stopped", "last_taken": "2026-01-01"}])
    )
    assert _codes(s) == ["unknown_medication"]


def test_it_does_not_call_an_unlisted_atc_code_unknown(make_intake: MakeIntake, screen: Screen) -> None:
    s = screen(make_intake(medications=[{"atc": "N02BE01"}]))  # paracetamol: no rule, not unknown
    assert s.findings == ()


# ---- allergies -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("allergy", "words"), [("nickel", "nickel"), ("stainless_steel", "stainless steel")])
def test_it_contraindicates_a_metal_allergy(
    allergy: str, words: str, make_intake: MakeIntake, screen: Screen
) -> None:
    s = screen(make_intake(allergies=[allergy]))
    assert _codes(s) == ["metal_allergy"]
    f = s.findings[0]
    assert (f.decision, f.until, f.areas) == ("contraindicated", None, None)
    _plain(f.message, words)
    assert s.decision == "contraindicated"
    assert s.earliest_date == TODAY


@pytest.mark.parametrize("allergy", ["lidocaine", "tetracaine", "benzocaine"])
def test_it_contraindicates_an_anaesthetic_allergy(
    allergy: str, make_intake: MakeIntake, screen: Screen
) -> None:
    s = screen(make_intake(allergies=[allergy]))
    assert _codes(s) == ["anaesthetic_allergy"]  # recognised: no allergy_review besides
    f = s.findings[0]
    assert (f.decision, f.until, f.areas) == ("contraindicated", None, None)
    _plain(f.message, allergy)
    assert s.decision == "contraindicated"


def test_it_asks_to_check_an_unrecognised_allergy(make_intake: MakeIntake, screen: Screen) -> None:
    s = screen(make_intake(allergies=["chlorhexidine"]))
    f = _only(s, "allergy_review")
    assert (f.decision, f.until, f.areas) == ("proceed_with_precautions", None, None)
    _plain(f.message, "chlorhexidine")
    assert s.decision == "proceed_with_precautions"


def test_it_reports_a_repeated_allergy_once(make_intake: MakeIntake, screen: Screen) -> None:
    s = screen(make_intake(allergies=["nickel", "nickel"]))
    assert _codes(s) == ["metal_allergy"]


# ---- skin type ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("fitzpatrick", "roman"), [(4, "IV"), (5, "V"), (6, "VI")])
def test_it_plans_precautions_for_darker_phototypes(
    fitzpatrick: int, roman: str, make_intake: MakeIntake, screen: Screen
) -> None:
    s = screen(make_intake(fitzpatrick=fitzpatrick))
    assert _codes(s) == ["pigmentation_risk"]
    f = s.findings[0]
    assert (f.decision, f.until, f.areas) == ("proceed_with_precautions", None, None)
    _plain(f.message, f"type {roman} ")
    assert s.decision == "proceed_with_precautions"


@pytest.mark.parametrize("fitzpatrick", [1, 2, 3])
def test_it_finds_no_pigmentation_risk_for_lighter_phototypes(
    fitzpatrick: int, make_intake: MakeIntake, screen: Screen
) -> None:
    assert screen(make_intake(fitzpatrick=fitzpatrick)).findings == ()


def test_it_finds_no_pigmentation_risk_when_the_phototype_is_missing(
    make_intake: MakeIntake, screen: Screen
) -> None:
    data = make_intake()
    del data["skin"]
    assert screen(data).findings == ()


# ---- recent procedures ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("depth", "date", "until"),
    [
        ("superficial", "2026-11-12", "2026-12-12"),  # + 30 days: 18 left in November, 12 in December
        ("medium", "2026-09-01", "2026-12-01"),  # + 3 months
        ("deep", "2026-08-31", "2026-12-01"),  # + 3 months = 31 November, which does not exist: 1 December
        (None, "2026-10-01", "2027-01-01"),  # depth not given: the deep window, + 3 months
    ],
)
def test_it_defers_after_a_chemical_peel_by_depth(
    depth: str | None, date: str, until: str, make_intake: MakeIntake, screen: Screen
) -> None:
    peel: dict[str, Any] = {"code": "chemical_peel", "date": date, "areas": ["cheeks"]}
    if depth:
        peel["depth"] = depth
    s = screen(make_intake(procedures=[peel]))
    f = _only(s, "recent_chemical_peel")
    assert (f.decision, f.until, f.areas) == ("defer", _day(until), ("cheeks",))
    assert s.areas == {"cheeks": "defer", "forehead": "eligible"}
    assert s.decision == "defer"
    assert s.earliest_date == _day(until)


def test_it_words_a_peel_finding_with_written_dates(make_intake: MakeIntake, screen: Screen) -> None:
    s = screen(
        make_intake(
            procedures=[
                {"code": "chemical_peel", "depth": "superficial", "date": "2026-11-12", "areas": ["cheeks"]}
            ]
        )
    )
    _plain(
        _only(s, "recent_chemical_peel").message,
        "superficial chemical peel",
        "12 November 2026",
        "12 December 2026",
    )


def test_it_finds_nothing_when_the_peel_window_ends_today(make_intake: MakeIntake, screen: Screen) -> None:
    # 2026-10-23 + 30 days = 2026-11-22, the assessment day
    s = screen(
        make_intake(procedures=[{"code": "chemical_peel", "depth": "superficial", "date": "2026-10-23"}])
    )
    assert s.findings == ()


def test_it_ignores_a_peel_on_an_area_not_treated(make_intake: MakeIntake, screen: Screen) -> None:
    s = screen(
        make_intake(
            procedures=[{"code": "chemical_peel", "depth": "deep", "date": "2026-11-01", "areas": ["back"]}]
        )
    )
    assert s.findings == ()


def test_it_defers_the_whole_patient_for_a_peel_without_a_place(
    make_intake: MakeIntake, screen: Screen
) -> None:
    s = screen(
        make_intake(procedures=[{"code": "chemical_peel", "depth": "superficial", "date": "2026-11-12"}])
    )
    assert _only(s, "recent_chemical_peel").areas is None
    assert s.areas == {"cheeks": "defer", "forehead": "defer"}


@pytest.mark.parametrize(
    ("kind", "date", "until"),
    [
        ("non_ablative", "2026-11-10", "2026-12-01"),  # + 21 days: 20 left in November, then 1 December
        ("fractional_ablative", "2026-10-01", "2026-12-24"),  # + 84 days: 31 (Oct) + 30 (Nov) + 23
        ("ablative", "2026-10-01", "2026-12-24"),
        (None, "2026-10-01", "2026-12-24"),  # kind not given: the longest laser window
    ],
)
def test_it_defers_after_a_laser_by_kind(
    kind: str | None, date: str, until: str, make_intake: MakeIntake, screen: Screen
) -> None:
    laser: dict[str, Any] = {"code": "laser", "date": date}
    if kind:
        laser["kind"] = kind
    s = screen(make_intake(procedures=[laser]))
    f = _only(s, "recent_laser")
    assert (f.decision, f.until, f.areas) == ("defer", _day(until), None)
    _plain(f.message, human(date), human(until))
    assert (s.decision, s.earliest_date) == ("defer", _day(until))


@pytest.mark.parametrize(
    ("procedure", "code", "date", "until"),
    [
        ("radiation", "recent_radiation", "2026-01-10", "2027-01-10"),  # + 12 months
        (
            "botulinum_toxin",
            "recent_botulinum_toxin",
            "2026-08-31",
            "2027-03-01",
        ),  # + 6 months: 31 Feb → 1 Mar
        ("dermal_filler", "recent_dermal_filler", "2026-02-01", "2027-02-01"),  # + 12 months
        ("facial_surgery", "recent_facial_surgery", "2025-12-01", "2026-12-01"),  # + 12 months
        ("tanning", "recent_sun_exposure", "2026-11-15", "2026-11-29"),  # + 14 days
    ],
)
def test_it_defers_after_a_recent_procedure(
    procedure: str, code: str, date: str, until: str, make_intake: MakeIntake, screen: Screen
) -> None:
    s = screen(make_intake(procedures=[{"code": procedure, "date": date, "areas": ["forehead"]}]))
    f = _only(s, code)
    assert (f.decision, f.until, f.areas) == ("defer", _day(until), ("forehead",))
    _plain(f.message, human(date), human(until))
    assert s.areas == {"cheeks": "eligible", "forehead": "defer"}
    assert (s.decision, s.earliest_date) == ("defer", _day(until))


@pytest.mark.parametrize(
    ("procedure", "date"),
    [
        ("radiation", "2025-11-22"),
        ("botulinum_toxin", "2026-05-22"),
        ("dermal_filler", "2025-11-21"),
        ("facial_surgery", "2025-10-01"),
        ("tanning", "2026-11-08"),
    ],
)
def test_it_finds_nothing_once_a_procedure_window_has_passed(
    procedure: str, date: str, make_intake: MakeIntake, screen: Screen
) -> None:
    assert screen(make_intake(procedures=[{"code": procedure, "date": date}])).findings == ()


# ---- sunburn -------------------------------------------------------------------------------------


def test_it_defers_two_weeks_after_sunburn(make_intake: MakeIntake, screen: Screen) -> None:
    # 2026-11-18 + 14 days = 2026-12-02
    s = screen(make_intake(conditions=[{"code": "sunburn", "status": "active", "date": "2026-11-18"}]))
    f = _only(s, "recent_sun_exposure")
    assert (f.decision, f.until, f.areas, f.rule) == ("defer", _day("2026-12-02"), None, "sunburn")
    _plain(f.message, "18 November 2026", "2 December 2026")
    assert (s.decision, s.earliest_date) == ("defer", _day("2026-12-02"))


def test_it_waits_without_a_date_on_sunburn_still_active_after_its_window(
    make_intake: MakeIntake, screen: Screen
) -> None:
    # 2026-10-01 + 14 days = 2026-10-15 has passed, but the sunburn is still active
    s = screen(make_intake(conditions=[{"code": "sunburn", "status": "active", "date": "2026-10-01"}]))
    f = _only(s, "recent_sun_exposure")
    assert (f.decision, f.until) == ("defer", None)
    _plain(f.message, "still")
    assert s.decision == "defer"
    assert s.earliest_date is None


def test_it_finds_nothing_for_an_old_sunburn_in_the_history(make_intake: MakeIntake, screen: Screen) -> None:
    s = screen(make_intake(conditions=[{"code": "sunburn", "status": "history", "date": "2026-10-01"}]))
    assert s.findings == ()


def test_it_counts_an_undated_sunburn_from_the_assessment(make_intake: MakeIntake, screen: Screen) -> None:
    # 2026-11-22 + 14 days = 2026-12-06
    s = screen(make_intake(conditions=[{"code": "sunburn", "status": "active"}]))
    assert _only(s, "recent_sun_exposure").until == _day("2026-12-06")
    assert s.earliest_date == _day("2026-12-06")


def test_it_scopes_sunburn_to_the_burnt_area(make_intake: MakeIntake, screen: Screen) -> None:
    s = screen(
        make_intake(
            conditions=[
                {"code": "sunburn", "status": "active", "date": "2026-11-18", "areas": ["forehead", "back"]}
            ]
        )
    )
    assert _only(s, "recent_sun_exposure").areas == ("forehead",)
    assert s.areas == {"cheeks": "eligible", "forehead": "defer"}
    away = screen(
        make_intake(
            conditions=[{"code": "sunburn", "status": "active", "date": "2026-11-18", "areas": ["back"]}]
        )
    )
    assert away.findings == ()


# ---- combinations --------------------------------------------------------------------------------


def test_it_waits_for_the_latest_of_several_dated_deferrals(make_intake: MakeIntake, screen: Screen) -> None:
    s = screen(
        make_intake(
            medications=[
                {"name": "isotretinoin", "status": "stopped", "last_taken": "2026-09-01"}
            ],  # 2027-03-01
            procedures=[
                {"code": "chemical_peel", "depth": "superficial", "date": "2026-11-12"}
            ],  # 2026-12-12
            conditions=[{"code": "herpes_simplex", "status": "history"}],
        )
    )
    assert _codes(s) == ["isotretinoin_recent", "recent_chemical_peel", "herpes_simplex_history"]
    assert s.decision == "defer"
    assert s.earliest_date == _day("2027-03-01")


def test_it_ignores_a_deferral_that_touches_only_a_removed_area(
    make_intake: MakeIntake, screen: Screen
) -> None:
    # the nose is removed (skin cancer); its open wound does not hold back the cheeks
    s = screen(
        make_intake(
            areas=["cheeks", "nose"],
            conditions=[
                {"code": "skin_cancer", "status": "active", "areas": ["nose"]},
                {"code": "open_wound", "status": "active", "areas": ["nose"]},
            ],
        )
    )
    assert _codes(s) == ["skin_cancer_in_area", "open_wound_in_area"]
    assert s.areas == {"cheeks": "eligible", "nose": "contraindicated"}
    assert s.decision == "eligible"
    assert s.earliest_date == TODAY


def human(iso: str) -> str:
    """'2026-12-01' → '1 December 2026' (written here independently of the core)."""
    months = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ]
    d = _day(iso)
    return f"{d.day} {months[d.month - 1]} {d.year}"


@pytest.mark.parametrize("written", ["Lidocaine", " lidocaine ", "LIDOCAINE"])
def test_it_recognises_an_allergy_whatever_its_case_or_spacing(
    written: str, make_intake: MakeIntake, screen: Screen
) -> None:
    s = screen(make_intake(allergies=[written]))
    assert _codes(s) == ["anaesthetic_allergy"]
    assert s.decision == "contraindicated"


def test_it_asks_for_clearance_for_diabetes_reported_as_history(
    make_intake: MakeIntake, screen: Screen
) -> None:
    s = screen(make_intake(conditions=[{"code": "diabetes", "status": "history"}]))
    assert _only(s, "diabetes").decision == "needs_clearance"


def test_it_treats_an_empty_procedure_area_list_as_the_whole_patient(
    make_intake: MakeIntake, screen: Screen
) -> None:
    s = screen(
        make_intake(procedures=[{"code": "laser", "kind": "non_ablative", "date": "2026-11-10", "areas": []}])
    )
    f = _only(s, "recent_laser")
    assert (f.areas, s.decision) == (None, "defer")
