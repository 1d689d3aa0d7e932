"""The rule kinds of needlepoint.clinical.rules, each called directly with a hand-built rule (cited
to a test-only source id), so their semantics are shown independently of the default protocol;
then how a Screener aggregates findings into a decision, per-area decisions and earliest_date.

Every intake is assessed on 2026-11-22; dates in comments are worked out by hand."""

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from needlepoint.clinical import rules, vocab
from needlepoint.clinical.compiled import compile_rule
from needlepoint.clinical.intake import intake_from_mapping
from needlepoint.clinical.protocol import (
    AgeRule,
    AllergyRule,
    ConditionRule,
    MedicationRule,
    PhototypeRule,
    PregnancyRule,
    ProcedureRule,
    Protocol,
    SiteRule,
    UnknownMedicationRule,
    Window,
    add_months,
)
from needlepoint.clinical.rules import Facts, Finding, gather_facts
from needlepoint.clinical.screening import Screener, Screening

MakeIntake = Callable[..., dict[str, Any]]
TODAY = dt.date(2026, 11, 22)
TEST_SOURCES = ("S900",)  # cited by no real entry: these rules exist only in this file
KNOWN_ALLERGIES = frozenset({"nickel", "lidocaine"})


def _day(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def _common(**kw: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": "test-rule",
        "finding": "test_finding",
        "decision": "defer",
        "message": "Test finding.",
        "sources": TEST_SOURCES,
        "evidence": "PR",
    }
    base.update(kw)
    return base


def condition_rule(**kw: Any) -> ConditionRule:
    kw.setdefault("conditions", ["eczema"])
    kw.setdefault("statuses", ["active"])
    return ConditionRule(**_common(kind="condition", **kw))


def procedure_rule(**kw: Any) -> ProcedureRule:
    kw.setdefault("procedures", ["chemical_peel"])
    kw.setdefault("windows", {"default": {"days": 30}})
    return ProcedureRule(**_common(kind="procedure", **kw))


def medication_rule(**kw: Any) -> MedicationRule:
    kw.setdefault("atc", ["B01A"])
    kw.setdefault("status", "current")
    return MedicationRule(**_common(kind="medication", **kw))


@pytest.fixture
def facts(make_intake: MakeIntake, protocol: Protocol) -> Callable[..., Facts]:
    """Return a function: intake overrides -> Facts (names resolved with the default protocol's
    medication table; allergies 'nickel' and 'lidocaine' count as recognised)."""
    vocabulary = protocol.vocabulary_for_intake()

    def make(**overrides: Any) -> Facts:
        intake = intake_from_mapping(make_intake(**overrides), vocabulary)
        return gather_facts(intake, protocol, KNOWN_ALLERGIES)

    return make


Facter = Callable[..., Facts]


# ---- windows -----------------------------------------------------------------------------------


def test_it_counts_a_window_in_days() -> None:
    assert Window(days=14).after(_day("2026-11-18")) == _day("2026-12-02")
    assert Window(days=30).after(_day("2026-12-15")) == _day("2027-01-14")  # across the year
    assert Window(days=0).after(TODAY) == TODAY


def test_it_counts_a_window_in_calendar_months() -> None:
    assert Window(months=6).after(_day("2026-09-01")) == _day("2027-03-01")
    assert Window(months=3).after(_day("2026-11-15")) == _day("2027-02-15")  # across the year
    assert Window(months=12).after(_day("2026-01-10")) == _day("2027-01-10")
    assert Window(months=0).after(TODAY) == TODAY


def test_it_moves_a_missing_month_end_to_the_first_of_the_next_month() -> None:
    # 31 August + 6 months = "31 February": never earlier than a full window, so 1 March
    assert Window(months=6).after(_day("2026-08-31")) == _day("2027-03-01")
    assert add_months(_day("2026-08-31"), 6) == _day("2027-03-01")
    assert add_months(_day("2026-01-31"), 1) == _day("2026-03-01")  # 31 February 2026
    assert add_months(_day("2024-01-31"), 1) == _day("2024-03-01")  # 31 February of a leap year too
    assert add_months(_day("2026-05-31"), 1) == _day("2026-07-01")  # 31 June
    assert add_months(_day("2026-01-30"), 1) == _day("2026-03-01")  # 30 February
    assert add_months(_day("2024-01-29"), 1) == _day("2024-02-29")  # exists in a leap year


def test_it_handles_29_february_by_calendar_months() -> None:
    assert add_months(_day("2024-02-29"), 12) == _day("2025-03-01")  # no 29 February in 2025
    assert add_months(_day("2024-02-29"), 48) == _day("2028-02-29")  # leap year again
    assert add_months(_day("2024-02-29"), 1) == _day("2024-03-29")
    assert add_months(_day("2023-12-31"), 2) == _day("2024-03-01")  # 31 February 2024


@pytest.mark.parametrize("days", [0, 1, 14, 30, 90, 365, 3650])
def test_it_ends_a_window_of_days_as_the_window_says(days: int) -> None:
    window = Window(days=days)
    for day in (_day("2024-02-28"), _day("2026-12-31"), _day("2999-12-31") - dt.timedelta(days=days)):
        assert rules.window_end(window, day) == window.after(day) == day + dt.timedelta(days=days)
    assert rules.window_end(Window(months=6), _day("2026-08-31")) == _day("2027-03-01")


def test_it_counts_whole_years_of_months() -> None:
    assert add_months(_day("2010-06-01"), 12 * 18) == _day("2028-06-01")
    assert add_months(_day("2026-12-15"), 1) == _day("2027-01-15")
    assert add_months(_day("2026-11-22"), 120) == _day("2036-11-22")


# ---- condition -----------------------------------------------------------------------------------


def test_it_fires_a_condition_rule_on_its_codes_and_statuses_only(facts: Facter) -> None:
    rule = condition_rule(
        conditions=["eczema", "psoriasis"], statuses=["active", "uncontrolled"], message="Your {name} flares."
    )
    f = facts(
        conditions=[
            {"code": "eczema", "status": "active"},
            {"code": "psoriasis", "status": "uncontrolled"},
            {"code": "eczema", "status": "history"},  # status not listed
            {"code": "rosacea", "status": "active"},  # code not listed
        ]
    )
    found = rules.condition(rule, f)
    assert [x.message for x in found] == ["Your eczema flares.", "Your psoriasis flares."]
    assert all(
        (x.decision, x.until, x.areas, x.rule, x.code, x.sources)
        == ("defer", None, None, "test-rule", "test_finding", TEST_SOURCES)
        for x in found
    )


def test_it_waits_without_a_date_on_a_condition_rule_without_a_window(facts: Facter) -> None:
    found = rules.condition(
        condition_rule(), facts(conditions=[{"code": "eczema", "status": "active", "date": "2026-01-01"}])
    )
    assert [x.until for x in found] == [None]


def test_it_defers_a_condition_for_a_window_in_days(facts: Facter) -> None:
    rule = condition_rule(
        conditions=["sunburn"],
        statuses=["active", "history"],
        window={"days": 14},
        message="Burnt on {date}; from {until}.",
    )
    # 2026-11-18 + 14 days = 2026-12-02
    [found] = rules.condition(
        rule, facts(conditions=[{"code": "sunburn", "status": "history", "date": "2026-11-18"}])
    )
    assert found.until == _day("2026-12-02")
    assert found.message == "Burnt on 18 November 2026; from 2 December 2026."


def test_it_defers_a_condition_for_a_window_in_months(facts: Facter) -> None:
    rule = condition_rule(conditions=["skin_infection"], statuses=["history"], window={"months": 6})
    # 2026-08-31 + 6 months = 31 February 2027, which does not exist: 1 March 2027
    [found] = rules.condition(
        rule, facts(conditions=[{"code": "skin_infection", "status": "history", "date": "2026-08-31"}])
    )
    assert found.until == _day("2027-03-01")


def test_it_clears_a_past_condition_once_its_window_has_passed(facts: Facter) -> None:
    rule = condition_rule(conditions=["sunburn"], statuses=["active", "history"], window={"days": 14})
    # 2026-11-08 + 14 = 2026-11-22: the window ends on the assessment day
    assert (
        rules.condition(
            rule, facts(conditions=[{"code": "sunburn", "status": "history", "date": "2026-11-08"}])
        )
        == []
    )
    # 2026-11-09 + 14 = 2026-11-23: one day left
    [found] = rules.condition(
        rule, facts(conditions=[{"code": "sunburn", "status": "history", "date": "2026-11-09"}])
    )
    assert found.until == _day("2026-11-23")


@pytest.mark.parametrize("status", ["active", "uncontrolled"])
def test_it_keeps_an_unresolved_condition_after_its_window_without_a_date(status: str, facts: Facter) -> None:
    rule = condition_rule(
        conditions=["sunburn"],
        statuses=["active", "uncontrolled"],
        window={"days": 14},
        message="Burnt on {date}; from {until}.",
        message_undated="Still burnt.",
    )
    [found] = rules.condition(
        rule, facts(conditions=[{"code": "sunburn", "status": status, "date": "2026-10-01"}])
    )
    assert (found.decision, found.until) == ("defer", None)
    assert found.message == "Still burnt."  # the undated wording replaces the dated one


def test_it_counts_an_undated_condition_from_the_assessment(facts: Facter) -> None:
    rule = condition_rule(conditions=["sunburn"], statuses=["history"], window={"days": 14})
    [found] = rules.condition(rule, facts(conditions=[{"code": "sunburn", "status": "history"}]))
    assert found.until == _day("2026-12-06")  # 2026-11-22 + 14 days


def test_it_scopes_a_patient_condition_to_the_whole_patient(facts: Facter) -> None:
    rule = condition_rule(scope="patient")
    [found] = rules.condition(
        rule, facts(conditions=[{"code": "eczema", "status": "active", "areas": ["chin"]}])
    )  # chin not requested
    assert found.areas is None


def test_it_scopes_an_area_condition_to_the_requested_areas_it_touches(facts: Facter) -> None:
    rule = condition_rule(scope="area", message="On the {areas}.")
    f = facts(
        areas=["forehead", "cheeks", "nose"],
        conditions=[{"code": "eczema", "status": "active", "areas": ["chin", "nose", "forehead"]}],
    )
    [found] = rules.condition(rule, f)
    assert found.areas == ("forehead", "nose")  # in the order the areas were requested
    assert found.message == "On the forehead and nose."
    assert (
        rules.condition(rule, facts(conditions=[{"code": "eczema", "status": "active", "areas": ["chin"]}]))
        == []
    )


def test_it_applies_an_unlocated_area_condition_to_the_whole_patient(facts: Facter) -> None:
    [found] = rules.condition(
        condition_rule(scope="area"), facts(conditions=[{"code": "eczema", "status": "active"}])
    )
    assert found.areas is None
    assert found.decision == "defer"


def test_it_uses_the_unlocated_decision_for_a_condition_without_a_place(facts: Facter) -> None:
    rule = condition_rule(
        conditions=["tattoo"],
        statuses=["history"],
        scope="area",
        decision="contraindicated",
        unlocated_decision="needs_clearance",
    )
    [unlocated] = rules.condition(rule, facts(conditions=[{"code": "tattoo", "status": "history"}]))
    assert (unlocated.decision, unlocated.areas, unlocated.until) == ("needs_clearance", None, None)
    [located] = rules.condition(
        rule, facts(conditions=[{"code": "tattoo", "status": "history", "areas": ["cheeks"]}])
    )
    assert (located.decision, located.areas) == ("contraindicated", ("cheeks",))


def test_it_keeps_the_window_when_the_unlocated_decision_is_a_deferral(facts: Facter) -> None:
    rule = condition_rule(
        conditions=["warts"],
        statuses=["history"],
        scope="area",
        window={"days": 10},
        decision="contraindicated",
        unlocated_decision="defer",
    )
    [found] = rules.condition(
        rule, facts(conditions=[{"code": "warts", "status": "history", "date": "2026-11-20"}])
    )
    assert (found.decision, found.until) == ("defer", _day("2026-11-30"))


def test_it_ignores_the_unlocated_decision_for_a_patient_scope(facts: Facter) -> None:
    rule = condition_rule(scope="patient", decision="contraindicated", unlocated_decision="needs_clearance")
    [found] = rules.condition(rule, facts(conditions=[{"code": "eczema", "status": "active"}]))
    assert found.decision == "contraindicated"


# ---- procedure -----------------------------------------------------------------------------------


def test_it_picks_the_procedure_window_by_depth_or_kind_else_default(facts: Facter) -> None:
    rule = procedure_rule(
        procedures=["chemical_peel", "laser"],
        windows={"superficial": {"days": 7}, "non_ablative": {"days": 21}, "default": {"months": 3}},
    )
    f = facts(
        procedures=[
            {"code": "chemical_peel", "depth": "superficial", "date": "2026-11-20"},  # + 7 = 2026-11-27
            {"code": "laser", "kind": "non_ablative", "date": "2026-11-10"},  # + 21 = 2026-12-01
            {"code": "chemical_peel", "depth": "deep", "date": "2026-09-30"},  # no "deep": + 3 months
            {"code": "laser", "date": "2026-11-01"},  # no kind: + 3 months = 2027-02-01
            {"code": "tanning", "date": "2026-11-21"},  # not the rule's procedure
        ]
    )
    assert [x.until for x in rules.procedure(rule, f)] == [
        _day("2026-11-27"),
        _day("2026-12-01"),
        _day("2026-12-30"),
        _day("2027-02-01"),
    ]


def test_it_clears_a_procedure_on_the_day_its_window_ends(facts: Facter) -> None:
    rule = procedure_rule(windows={"default": {"days": 30}})
    assert rules.procedure(rule, facts(procedures=[{"code": "chemical_peel", "date": "2026-10-23"}])) == []
    [found] = rules.procedure(rule, facts(procedures=[{"code": "chemical_peel", "date": "2026-10-24"}]))
    assert found.until == _day("2026-11-23")


def test_it_scopes_a_procedure_to_its_areas_by_default(facts: Facter) -> None:
    rule = procedure_rule(message="A {name} on {date} ({areas}); from {until}.")
    [found] = rules.procedure(
        rule,
        facts(
            procedures=[
                {
                    "code": "chemical_peel",
                    "depth": "medium",
                    "date": "2026-11-12",
                    "areas": ["cheeks", "back"],
                }
            ]
        ),
    )
    assert found.areas == ("cheeks",)
    assert found.message == "A medium chemical peel on 12 November 2026 (cheeks); from 12 December 2026."
    assert (
        rules.procedure(
            rule, facts(procedures=[{"code": "chemical_peel", "date": "2026-11-12", "areas": ["back"]}])
        )
        == []
    )


def test_it_applies_a_patient_scoped_procedure_rule_wherever_it_was_done(facts: Facter) -> None:
    rule = procedure_rule(scope="patient")
    [found] = rules.procedure(
        rule, facts(procedures=[{"code": "chemical_peel", "date": "2026-11-12", "areas": ["back"]}])
    )
    assert found.areas is None


# ---- medication ----------------------------------------------------------------------------------


def test_it_matches_medications_by_atc_prefix(facts: Facter) -> None:
    rule = medication_rule(atc=["B01A"], message="You take {name}.")
    f = facts(
        medications=[
            {"atc": "B01AF01"},  # rivaroxaban: B01A... matches
            {"atc": "B02BA01"},  # vitamin K: B02, not B01A
            {"atc": "B01"},  # the shorter group code does not start with B01A
            {"atc": "B01A"},  # the prefix itself
        ]
    )
    assert [x.message for x in rules.medication(rule, f)] == ["You take B01AF01.", "You take B01A."]


def test_it_matches_any_of_several_prefixes(facts: Facter) -> None:
    rule = medication_rule(atc=["L04A", "H02AB"])
    f = facts(medications=[{"atc": "L04AX03"}, {"atc": "H02AB06"}, {"atc": "H02BX01"}])
    assert len(rules.medication(rule, f)) == 2


def test_it_resolves_medicine_names_through_the_protocol_table(facts: Facter) -> None:
    rule = medication_rule(atc=["B01A"], message="You take {name}.")
    f = facts(medications=[{"name": "Warfarin"}, {"name": " XARELTO "}, {"name": "paracetamol"}])
    assert [m.atc for m in f.medications] == ["B01AA03", "B01AF01", None]
    assert [x.message for x in rules.medication(rule, f)] == ["You take Warfarin.", "You take XARELTO."]


def test_it_separates_current_and_stopped_medications(facts: Facter) -> None:
    f = facts(
        medications=[
            {"atc": "B01AF01", "status": "current"},
            {"atc": "B01AA03", "status": "stopped", "last_taken": "2026-11-01"},
        ]
    )
    assert [x.message for x in rules.medication(medication_rule(status="current", message="{name}"), f)] == [
        "B01AF01"
    ]
    assert [x.message for x in rules.medication(medication_rule(status="stopped", message="{name}"), f)] == [
        "B01AA03"
    ]


def test_it_defers_a_stopped_medication_for_its_window(facts: Facter) -> None:
    rule = medication_rule(
        atc=["D10BA"], status="stopped", window={"months": 6}, message="Stopped on {date}; from {until}."
    )
    # 2026-08-31 + 6 months = 31 February 2027: 1 March 2027
    [found] = rules.medication(
        rule, facts(medications=[{"atc": "D10BA01", "status": "stopped", "last_taken": "2026-08-31"}])
    )
    assert (found.until, found.areas) == (_day("2027-03-01"), None)
    assert found.message == "Stopped on 31 August 2026; from 1 March 2027."
    # 2026-05-22 + 6 months = 2026-11-22: over
    assert (
        rules.medication(
            rule, facts(medications=[{"atc": "D10BA01", "status": "stopped", "last_taken": "2026-05-22"}])
        )
        == []
    )


def test_it_counts_a_stopped_medication_without_a_date_from_the_assessment(facts: Facter) -> None:
    rule = medication_rule(atc=["D10BA"], status="stopped", window={"months": 6})
    [found] = rules.medication(rule, facts(medications=[{"atc": "D10BA01", "status": "stopped"}]))
    assert found.until == _day("2027-05-22")


def test_it_gives_no_date_for_a_current_medication(facts: Facter) -> None:
    [found] = rules.medication(medication_rule(), facts(medications=[{"atc": "B01AC06"}]))
    assert found.until is None


# ---- pregnancy -----------------------------------------------------------------------------------


def test_it_fires_a_pregnancy_rule_on_its_statuses_only(facts: Facter, make_intake: MakeIntake) -> None:
    rule = PregnancyRule(**_common(kind="pregnancy", statuses=["pregnant", "trying"]))
    assert [(x.until, x.areas) for x in rules.pregnancy(rule, facts(pregnancy="pregnant"))] == [(None, None)]
    assert len(rules.pregnancy(rule, facts(pregnancy="trying"))) == 1
    assert rules.pregnancy(rule, facts(pregnancy="breastfeeding")) == []
    assert rules.pregnancy(rule, facts(pregnancy="no")) == []


# ---- age -----------------------------------------------------------------------------------------


def test_it_defers_until_the_birthday_of_the_age_rule(facts: Facter) -> None:
    rule = AgeRule(**_common(kind="age", below_years=18, message="Aged {age}; from your {years}th, {until}."))
    [found] = rules.age(rule, facts(birth_date="2010-06-01"))  # 16 on 2026-11-22
    assert (found.until, found.areas) == (_day("2028-06-01"), None)
    assert found.message == "Aged 16; from your 18th, 1 June 2028."


def test_it_does_not_fire_an_age_rule_from_that_birthday(facts: Facter) -> None:
    rule = AgeRule(**_common(kind="age", below_years=18))
    assert rules.age(rule, facts(birth_date="2008-11-22")) == []  # 18 today
    [found] = rules.age(rule, facts(birth_date="2008-11-23"))  # 18 tomorrow
    assert found.until == _day("2026-11-23")


def test_it_counts_a_29_february_birthday_from_1_march(facts: Facter) -> None:
    rule = AgeRule(**_common(kind="age", below_years=18))
    # born 2008-02-29: the 18th birthday falls in 2026, which has no 29 February
    [found] = rules.age(rule, facts(birth_date="2008-02-29", assessed_on="2026-02-28"))
    assert found.until == _day("2026-03-01")
    assert rules.age(rule, facts(birth_date="2008-02-29", assessed_on="2026-03-01")) == []


def test_it_gives_no_date_to_an_age_rule_that_is_not_a_deferral(facts: Facter) -> None:
    rule = AgeRule(**_common(kind="age", below_years=22, decision="needs_clearance"))
    [found] = rules.age(rule, facts(birth_date="2006-01-15"))
    assert (found.decision, found.until) == ("needs_clearance", None)


# ---- allergy -------------------------------------------------------------------------------------


def test_it_fires_an_allergy_rule_per_named_allergy(facts: Facter) -> None:
    rule = AllergyRule(**_common(kind="allergy", allergies=["nickel", "stainless_steel"], message="{name}"))
    f = facts(allergies=["stainless_steel", "penicillin", "nickel", "nickel"])
    assert [x.message for x in rules.allergy(rule, f)] == ["stainless steel", "nickel"]


def test_it_reads_each_allergy_once_whatever_its_case_and_spacing(facts: Facter) -> None:
    rule = AllergyRule(**_common(kind="allergy", allergies=["nickel"], unrecognised=True, message="{name}"))
    f = facts(allergies=[" Nickel", "nickel", "LATEX ", "latex"])
    assert f.allergies == ("nickel", "latex")
    assert [x.message for x in rules.allergy(rule, f)] == ["nickel", "latex"]


def test_it_fires_an_unrecognised_allergy_rule_on_allergies_no_rule_knows(facts: Facter) -> None:
    rule = AllergyRule(**_common(kind="allergy", unrecognised=True, message="{name}"))
    f = facts(allergies=["nickel", "chlorhexidine", "lidocaine", "latex"])  # nickel, lidocaine known here
    assert [x.message for x in rules.allergy(rule, f)] == ["chlorhexidine", "latex"]
    assert rules.allergy(AllergyRule(**_common(kind="allergy", allergies=[])), f) == []


# ---- site ----------------------------------------------------------------------------------------


def test_it_removes_the_requested_sites_of_a_site_rule(facts: Facter) -> None:
    rule = SiteRule(
        **_common(
            kind="site", decision="contraindicated", areas=["eyelids", "lips"], message="Not the {areas}."
        )
    )
    [found] = rules.site(rule, facts(areas=["lips", "cheeks", "eyelids"]))
    assert (found.areas, found.until, found.decision) == (("lips", "eyelids"), None, "contraindicated")
    assert found.message == "Not the lips and eyelids."
    assert rules.site(rule, facts(areas=["cheeks"])) == []


# ---- phototype -----------------------------------------------------------------------------------


def test_it_fires_a_phototype_rule_from_its_minimum(facts: Facter) -> None:
    rule = PhototypeRule(**_common(kind="phototype", minimum=4, message="Type {name}."))
    assert rules.phototype(rule, facts(fitzpatrick=3)) == []
    assert [x.message for x in rules.phototype(rule, facts(fitzpatrick=4))] == ["Type IV."]
    assert [x.message for x in rules.phototype(rule, facts(fitzpatrick=6))] == ["Type VI."]
    assert rules.phototype(rule, facts(skin={})) == []  # missing, and when_missing is off


def test_it_fires_a_phototype_rule_when_missing_if_asked(facts: Facter) -> None:
    rule = PhototypeRule(**_common(kind="phototype", when_missing=True, message="Type {name}."))
    assert [x.message for x in rules.phototype(rule, facts(skin={}))] == ["Type unknown."]
    assert [x.message for x in rules.phototype(rule, facts(skin=None))] == ["Type unknown."]
    assert rules.phototype(rule, facts(fitzpatrick=6)) == []  # no minimum: only when missing


# ---- unknown medication --------------------------------------------------------------------------


def test_it_fires_on_each_medicine_name_the_protocol_cannot_map(facts: Facter) -> None:
    rule = UnknownMedicationRule(
        **_common(kind="unknown_medication", decision="needs_clearance", message="'{name}'")
    )
    f = facts(
        medications=[
            {"name": "mystery tonic"},
            {"name": "warfarin"},  # in the table
            {"name": "unlisted", "atc": "N02BE01"},  # an ATC code is enough
            {"atc": "A10BA02"},
            {"name": "Other Drops", "status": "stopped"},
        ]
    )
    assert [x.message for x in rules.unknown_medication(rule, f)] == ["'mystery tonic'", "'Other Drops'"]


def test_it_dispatches_every_rule_kind(facts: Facter) -> None:
    assert set(rules.KINDS) == {
        ConditionRule,
        ProcedureRule,
        MedicationRule,
        PregnancyRule,
        AgeRule,
        AllergyRule,
        SiteRule,
        PhototypeRule,
        UnknownMedicationRule,
    }
    f = facts(conditions=[{"code": "eczema", "status": "active"}])
    assert rules.evaluate(condition_rule(), f) == rules.condition(condition_rule(), f)


ALL_PLACEHOLDERS = "{finding}: {name} on {date} for {areas}, {years} from {until}, aged {age}."
COMPILED_CASES = [
    condition_rule(
        scope="area",
        statuses=["active", "history"],
        window={"months": 6},
        unlocated_decision="needs_clearance",
        message=ALL_PLACEHOLDERS,
        message_undated="{finding} waits on {name} ({areas}).",
    ),
    condition_rule(conditions=["eczema", "sunburn"], window={"days": 10}, message=ALL_PLACEHOLDERS),
    procedure_rule(windows={"default": {"days": 30}, "deep": {"months": 6}}, message=ALL_PLACEHOLDERS),
    procedure_rule(scope="patient", message="{name} {areas}"),
    medication_rule(status="stopped", atc=["D10BA", "B"], window={"months": 6}, message=ALL_PLACEHOLDERS),
    medication_rule(message="{name} {until}"),
    AgeRule(**_common(kind="age", below_years=30, message=ALL_PLACEHOLDERS)),
    AgeRule(**_common(kind="age", decision="needs_clearance", below_years=40, message="{years} {until}")),
    AllergyRule(**_common(kind="allergy", allergies=["nickel"], unrecognised=True, message=ALL_PLACEHOLDERS)),
    SiteRule(**_common(kind="site", areas=["eyelids", "cheeks"], message=ALL_PLACEHOLDERS)),
    PhototypeRule(**_common(kind="phototype", minimum=4, when_missing=True, message=ALL_PLACEHOLDERS)),
    PregnancyRule(**_common(kind="pregnancy", statuses=["pregnant"], message="No {years}{finding}.")),
    UnknownMedicationRule(**_common(kind="unknown_medication", message=ALL_PLACEHOLDERS)),
]
COMPILED_INTAKES: list[dict[str, Any]] = [
    {},
    {
        "birth_date": "2000-11-23",
        "areas": ["cheeks", "forehead", "eyelids"],
        "pregnancy": "pregnant",
        "allergies": ["Nickel", "latex"],
        "conditions": [
            {"code": "eczema", "status": "active", "date": "2026-11-20"},
            {"code": "eczema", "status": "history", "areas": ["cheeks", "back"], "date": "2026-10-01"},
            {"code": "sunburn", "status": "active", "areas": ["back"]},
            {"code": "eczema", "status": "active", "date": "2020-01-01"},
        ],
        "procedures": [
            {"code": "chemical_peel", "depth": "deep", "date": "2026-08-01", "areas": ["forehead"]},
            {"code": "chemical_peel", "date": "2026-11-01"},
        ],
        "medications": [
            {"name": "isotretinoin", "status": "stopped", "last_taken": "2026-09-01"},
            {"atc": "B01AC06", "status": "stopped"},
            {"name": "warfarin"},
            {"name": "mystery tonic"},
        ],
    },
    {"fitzpatrick": 5, "birth_date": "1990-02-28", "areas": ["forehead"], "allergies": ["lidocaine"]},
    {"fitzpatrick": 2, "birth_date": "1960-01-01"},
]


@pytest.mark.parametrize("overrides", COMPILED_INTAKES)
def test_a_compiled_rule_finds_what_its_kind_finds(facts: Facter, overrides: dict[str, Any]) -> None:
    # the screener runs each rule compiled once; every placeholder, both messages, windows in
    # days and months, located and unlocated findings must come out as the rule kind gives them
    f = facts(**overrides)
    for rule in COMPILED_CASES:
        assert compile_rule(rule)(f) == rules.evaluate(rule, f), rule.kind


def test_every_compiled_case_fires_on_some_intake(facts: Facter) -> None:
    # so the comparison above compares findings, not only empty lists
    every = [facts(**overrides) for overrides in COMPILED_INTAKES]
    for rule in COMPILED_CASES:
        assert any(rules.evaluate(rule, f) for f in every), rule.kind


# ---- aggregation ---------------------------------------------------------------------------------

CODES = ("eczema", "psoriasis", "rosacea", "dermatitis", "warts", "acne", "diabetes")


def _rule(
    code: str, decision: str, *, scope: str = "patient", window: dict[str, int] | None = None
) -> ConditionRule:
    return condition_rule(
        id=f"test-{code.replace('_', '-')}",
        finding=f"{code}_found",
        decision=decision,
        conditions=[code],
        statuses=["active", "history"],
        scope=scope,
        window=window,
    )


def _screener(
    protocol: Protocol, *rule_list: Any, id_: str = "default", version: str | None = None
) -> Screener:
    header = protocol.protocol.model_copy(update={"id": id_, "version": version or protocol.protocol.version})
    return Screener(protocol.model_copy(update={"rules": tuple(rule_list), "protocol": header}))


@pytest.fixture
def screen_with(make_intake: MakeIntake, protocol: Protocol) -> Callable[..., Screening]:
    """Return a function (rules, **intake overrides) -> Screening under a protocol of just those rules."""
    vocabulary = protocol.vocabulary_for_intake()

    def run(rule_list: list[Any], **overrides: Any) -> Screening:
        intake = intake_from_mapping(make_intake(**overrides), vocabulary)
        return _screener(protocol, *rule_list).screen(intake)

    return run


ScreenWith = Callable[..., Screening]


def _cond(code: str, *, areas: list[str] | None = None, date: str | None = None) -> dict[str, Any]:
    c: dict[str, Any] = {"code": code, "status": "active"}
    if areas is not None:
        c["areas"] = areas
    if date is not None:
        c["date"] = date
    return c


@pytest.mark.parametrize(
    "decisions",
    [
        ("proceed_with_precautions",),
        ("proceed_with_precautions", "needs_clearance"),
        ("needs_clearance", "defer", "proceed_with_precautions"),
        ("defer", "contraindicated", "needs_clearance", "proceed_with_precautions"),
    ],
)
def test_it_decides_by_the_most_restrictive_patient_finding(
    decisions: tuple[str, ...], screen_with: ScreenWith
) -> None:
    rule_list = [_rule(code, d) for code, d in zip(CODES, decisions, strict=False)]
    s = screen_with(rule_list, conditions=[_cond(c) for c in CODES[: len(decisions)]])
    expected = next(d for d in vocab.DECISIONS if d in decisions)
    assert s.decision == expected
    assert s.areas == {"cheeks": expected, "forehead": expected}


def test_it_orders_the_decisions_as_the_contract_does() -> None:
    assert vocab.DECISIONS == (
        "contraindicated",
        "defer",
        "needs_clearance",
        "proceed_with_precautions",
        "eligible",
    )
    assert vocab.most_restrictive([]) == "eligible"
    assert vocab.most_restrictive(["needs_clearance", "defer", "proceed_with_precautions"]) == "defer"


def test_it_is_eligible_without_findings(screen_with: ScreenWith) -> None:
    s = screen_with([_rule("eczema", "contraindicated")])
    assert (s.decision, s.earliest_date, s.findings) == ("eligible", TODAY, ())
    assert s.bookable


def test_it_only_removes_a_contraindicated_area_while_others_remain(screen_with: ScreenWith) -> None:
    rule_list = [
        _rule("eczema", "contraindicated", scope="area"),
        _rule("psoriasis", "proceed_with_precautions"),
    ]
    s = screen_with(rule_list, conditions=[_cond("eczema", areas=["cheeks"]), _cond("psoriasis")])
    assert s.areas == {"cheeks": "contraindicated", "forehead": "proceed_with_precautions"}
    assert s.decision == "proceed_with_precautions"
    assert s.treatable_areas == ("forehead",)
    assert [f.code for f in s.findings] == ["eczema_found", "psoriasis_found"]  # still listed


def test_it_contraindicates_when_no_area_remains(screen_with: ScreenWith) -> None:
    s = screen_with(
        [_rule("eczema", "contraindicated", scope="area")],
        conditions=[_cond("eczema", areas=["cheeks"]), _cond("eczema", areas=["forehead"])],
    )
    assert s.decision == "contraindicated"
    assert s.earliest_date == TODAY
    assert s.treatable_areas == ()
    assert not s.bookable


def test_it_contraindicates_for_a_patient_wide_contraindication_despite_area_findings(
    screen_with: ScreenWith,
) -> None:
    s = screen_with(
        [_rule("eczema", "contraindicated"), _rule("warts", "defer", scope="area")],
        conditions=[_cond("eczema"), _cond("warts", areas=["cheeks"])],
    )
    assert s.decision == "contraindicated"
    assert s.areas == {"cheeks": "contraindicated", "forehead": "contraindicated"}


def test_it_gives_each_area_its_most_restrictive_finding(screen_with: ScreenWith) -> None:
    rule_list = [
        _rule("eczema", "proceed_with_precautions", scope="area"),
        _rule("warts", "defer", scope="area"),
        _rule("diabetes", "needs_clearance"),
    ]
    s = screen_with(
        rule_list,
        areas=["cheeks", "forehead", "chin"],
        conditions=[
            _cond("eczema", areas=["cheeks", "chin"]),
            _cond("warts", areas=["chin"]),
            _cond("diabetes"),
        ],
    )
    assert s.areas == {"cheeks": "needs_clearance", "forehead": "needs_clearance", "chin": "defer"}
    assert s.decision == "defer"


def test_it_takes_the_latest_until_of_the_deferrals(screen_with: ScreenWith) -> None:
    rule_list = [
        _rule("eczema", "defer", window={"days": 14}),  # 2026-11-20 + 14 = 2026-12-04
        _rule("warts", "defer", window={"months": 3}),  # 2026-11-01 + 3 months = 2027-02-01
        _rule("psoriasis", "needs_clearance"),
    ]
    s = screen_with(
        rule_list,
        conditions=[
            _cond("eczema", date="2026-11-20"),
            _cond("warts", date="2026-11-01"),
            _cond("psoriasis"),
        ],
    )
    assert s.decision == "defer"
    assert s.earliest_date == _day("2027-02-01")
    assert s.as_dict()["earliest_date"] == "2027-02-01"


def test_it_gives_no_earliest_date_when_any_deferral_is_undated(screen_with: ScreenWith) -> None:
    rule_list = [_rule("eczema", "defer", window={"days": 14}), _rule("warts", "defer")]
    s = screen_with(rule_list, conditions=[_cond("eczema", date="2026-11-20"), _cond("warts")])
    assert s.decision == "defer"
    assert s.earliest_date is None
    assert s.as_dict()["earliest_date"] is None


def test_it_gives_the_assessment_day_when_not_deferred(screen_with: ScreenWith) -> None:
    for decision in ("needs_clearance", "proceed_with_precautions", "contraindicated"):
        s = screen_with([_rule("eczema", decision)], conditions=[_cond("eczema")])
        assert (s.decision, s.earliest_date) == (decision, TODAY)


def test_it_ignores_deferrals_of_a_removed_area_for_the_earliest_date(screen_with: ScreenWith) -> None:
    rule_list = [
        _rule("eczema", "contraindicated", scope="area"),
        _rule("warts", "defer", scope="area", window={"months": 6}),  # 2026-11-01 -> 2027-05-01
        _rule("acne", "defer", scope="area"),  # undated
        _rule("psoriasis", "defer", scope="area", window={"days": 14}),
    ]  # 2026-11-20 -> 2026-12-04
    s = screen_with(
        rule_list,
        conditions=[
            _cond("eczema", areas=["cheeks"]),
            _cond("warts", areas=["cheeks"], date="2026-11-01"),
            _cond("acne", areas=["cheeks"]),
            _cond("psoriasis", areas=["forehead"], date="2026-11-20"),
        ],
    )
    assert s.areas == {"cheeks": "contraindicated", "forehead": "defer"}
    assert s.decision == "defer"
    assert s.earliest_date == _day("2026-12-04")


def test_it_sorts_findings_most_restrictive_first_then_in_protocol_order(screen_with: ScreenWith) -> None:
    rule_list = [
        _rule("eczema", "proceed_with_precautions"),
        _rule("warts", "defer", window={"days": 5}),
        _rule("diabetes", "needs_clearance"),
        _rule("acne", "defer", window={"days": 9}),
        _rule("psoriasis", "contraindicated", scope="area"),
    ]
    # reported in another order than the protocol's
    s = screen_with(
        rule_list,
        conditions=[
            _cond("acne", date="2026-11-20"),
            _cond("diabetes"),
            _cond("psoriasis", areas=["cheeks"]),
            _cond("eczema"),
            _cond("warts", date="2026-11-20"),
        ],
    )
    assert [f.rule for f in s.findings] == [
        "test-psoriasis",
        "test-warts",
        "test-acne",
        "test-diabetes",
        "test-eczema",
    ]
    ranks = [vocab.SEVERITY_RANK[f.decision] for f in s.findings]
    assert ranks == sorted(ranks, reverse=True)


def test_it_records_the_protocol_id_and_version(make_intake: MakeIntake, protocol: Protocol) -> None:
    screener = _screener(protocol, _rule("eczema", "defer"), id_="clinic-north", version="2027.1")
    intake = intake_from_mapping(make_intake(), protocol.vocabulary_for_intake())
    s = screener.screen(intake)
    assert s.protocol == {"id": "clinic-north", "version": "2027.1"}
    assert s.as_dict()["protocol"] == {"id": "clinic-north", "version": "2027.1"}


def test_it_records_the_default_protocol(make_intake: MakeIntake, protocol: Protocol) -> None:
    s = Screener(protocol).screen(intake_from_mapping(make_intake(), protocol.vocabulary_for_intake()))
    assert s.protocol == {"id": "default", "version": protocol.protocol.version}
    assert s.protocol["version"] == "2026.11.1"


def test_it_gives_the_contract_shape(screen_with: ScreenWith) -> None:
    s = screen_with(
        [_rule("eczema", "defer", scope="area", window={"days": 14})],
        conditions=[_cond("eczema", areas=["cheeks"], date="2026-11-20")],
    )
    doc = s.as_dict()
    assert doc["schema"] == "needlepoint.screening/1"
    assert doc["decision"] == "defer"
    assert doc["earliest_date"] == "2026-12-04"
    assert doc["areas"] == {"cheeks": "defer", "forehead": "eligible"}
    [finding] = doc["findings"]
    assert {k: finding[k] for k in ("code", "decision", "until", "areas", "rule", "sources")} == {
        "code": "eczema_found",
        "decision": "defer",
        "until": "2026-12-04",
        "areas": ["cheeks"],
        "rule": "test-eczema",
        "sources": ["S900"],
    }


def test_it_writes_null_for_patient_wide_areas_and_undated_findings() -> None:
    f = Finding(code="x", decision="defer", until=None, areas=None, message="m", rule="r", sources=("S900",))
    assert f.as_dict()["areas"] is None
    assert f.as_dict()["until"] is None


def test_it_lets_a_doctor_clear_only_needs_clearance_findings(
    make_intake: MakeIntake, protocol: Protocol
) -> None:
    screener = _screener(protocol, _rule("diabetes", "needs_clearance"), _rule("eczema", "defer"))
    vocabulary = protocol.vocabulary_for_intake()
    intake = intake_from_mapping(make_intake(conditions=[_cond("diabetes")]), vocabulary)
    s = screener.screen(intake, cleared=frozenset({"diabetes_found"}))
    [f] = s.findings
    assert (f.decision, f.cleared) == ("proceed_with_precautions", True)
    assert s.decision == "proceed_with_precautions"
    both = intake_from_mapping(make_intake(conditions=[_cond("eczema")]), vocabulary)
    s2 = screener.screen(both, cleared=frozenset({"eczema_found"}))
    assert (s2.findings[0].decision, s2.findings[0].cleared, s2.decision) == ("defer", False, "defer")
