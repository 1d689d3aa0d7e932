"""Tests for needlepoint.clinical.scales: every band edge, every error path, worked examples."""

import dataclasses
import re
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from needlepoint.clinical import scales
from needlepoint.clinical.errors import ScaleError
from needlepoint.clinical.scales import (
    FITZPATRICK_ITEMS,
    FITZPATRICK_VERSION_NOTE,
    GOODMAN_BARON_QUANTITATIVE_NOTE,
    MASI_AREA_NOTE,
    MASI_REGION_WEIGHTS,
    MASI_SEVERITY_NOTE,
    MMASI_NOTE,
    PHOTOTYPES,
    SCAR_MORPHOLOGIES,
    SCAR_TYPES,
    SOURCES,
    MasiRegion,
    ScarCounts,
    area_score_from_percent,
    combine_counts,
    fitzpatrick_from_questionnaire,
    gais,
    goodman_baron_grade,
    masi,
    mmasi,
    phototype_from_value,
    scar_counts_from_mapping,
    summarise_by_area,
)

ITEM_KEYS = list(FITZPATRICK_ITEMS)
REGIONS = ("forehead", "right_malar", "left_malar", "chin")


def answers_totalling(total: int) -> dict[str, int]:
    """Return a complete questionnaire whose item scores (each 0-4) add up to ``total``."""
    answers = {}
    remaining = total
    for key in ITEM_KEYS:
        answers[key] = min(4, remaining)
        remaining -= answers[key]
    assert remaining == 0
    return answers


def uninvolved() -> MasiRegion:
    return MasiRegion(darkness=0, homogeneity=0, area_score=0)


def face(**regions: MasiRegion) -> dict[str, MasiRegion]:
    """Return all four MASI regions, uninvolved unless given."""
    return {name: regions.get(name, uninvolved()) for name in REGIONS}


# ---------------------------------------------------------------------------------------------
# Fitzpatrick
# ---------------------------------------------------------------------------------------------


def test_it_lists_the_ten_questionnaire_items_in_three_sections() -> None:
    assert ITEM_KEYS == [
        "eye_colour",
        "hair_colour",
        "skin_colour",
        "freckles",
        "sun_reaction",
        "tanning_degree",
        "turns_brown_within_hours",
        "face_sensitivity",
        "last_exposure",
        "area_sun_exposure",
    ]
    sections = scales.FITZPATRICK_SECTIONS
    assert list(sections) == ["genetic disposition", "reaction to sun exposure", "tanning habits"]
    assert [key for items in sections.values() for key in items] == ITEM_KEYS


def test_it_describes_the_six_phototypes_as_the_ncbi_table() -> None:
    assert list(PHOTOTYPES) == [1, 2, 3, 4, 5, 6]
    assert PHOTOTYPES[1] == "White skin. Always burns, never tans"
    assert PHOTOTYPES[3] == "Average skin colour. Sometimes mild burn, tans about average"
    assert PHOTOTYPES[6] == "Black skin. Heavily pigmented. Never burns, tans very easily"


@pytest.mark.parametrize(
    ("total", "phototype", "band"),
    [
        (0, 1, "I 0-6"),
        (6, 1, "I 0-6"),
        (7, 2, "II 7-13"),
        (13, 2, "II 7-13"),
        (14, 3, "III 14-20"),
        (20, 3, "III 14-20"),
        (21, 4, "IV 21-27"),
        (27, 4, "IV 21-27"),
        (28, 5, "V 28-34"),
        (34, 5, "V 28-34"),
        (35, 6, "VI 35+"),
        (40, 6, "VI 35+"),
    ],
)
def test_it_bands_questionnaire_totals_at_every_edge(total: int, phototype: int, band: str) -> None:
    result = fitzpatrick_from_questionnaire(answers_totalling(total))
    assert result.total == total
    assert result.phototype == phototype
    assert result.band == band


def test_it_reports_the_questionnaire_version_and_sources() -> None:
    result = fitzpatrick_from_questionnaire(answers_totalling(15))
    assert result.version == (
        "three-section self-report questionnaire, score bands I 0-6, II 7-13, III 14-20,"
        " IV 21-27, V 28-34, VI 35+ (openSNP/Wikipedia version)"
    )
    assert result.roman == "III"
    assert result.description == PHOTOTYPES[3]
    assert set(result.sources) <= set(SOURCES["fitzpatrick"])
    assert "S28" in result.sources


def test_it_scores_a_mixed_questionnaire() -> None:
    # 2+3+1+0 + 4+2+2+1 + 0+3 = 18 -> III (14-20)
    answers = dict(zip(ITEM_KEYS, [2, 3, 1, 0, 4, 2, 2, 1, 0, 3], strict=True))
    result = fitzpatrick_from_questionnaire(answers)
    assert (result.total, result.phototype) == (18, 3)


def test_it_returns_a_frozen_fitzpatrick_result() -> None:
    result = fitzpatrick_from_questionnaire(answers_totalling(0))
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.total = 40  # type: ignore[misc]


def test_it_refuses_a_questionnaire_with_a_missing_item() -> None:
    answers = answers_totalling(10)
    del answers["freckles"]
    with pytest.raises(ScaleError, match=r"missing item\(s\): freckles$"):
        fitzpatrick_from_questionnaire(answers)


def test_it_names_every_missing_item() -> None:
    with pytest.raises(ScaleError, match=r"missing item\(s\): last_exposure, area_sun_exposure"):
        fitzpatrick_from_questionnaire(
            {key: 0 for key in ITEM_KEYS if key not in ("last_exposure", "area_sun_exposure")}
        )


def test_it_refuses_a_questionnaire_with_an_unknown_item() -> None:
    answers: dict[str, int] = {**answers_totalling(10), "eye_color": 2}
    with pytest.raises(ScaleError, match=r"unknown item\(s\): eye_color"):
        fitzpatrick_from_questionnaire(answers)


@pytest.mark.parametrize("score", [-1, 5, 40])
def test_it_refuses_item_scores_outside_0_to_4(score: int) -> None:
    answers = {**answers_totalling(0), "tanning_degree": score}
    expected = f"Fitzpatrick item tanning_degree must be 0-4, got {score}"
    with pytest.raises(ScaleError, match=f"^{re.escape(expected)}$"):
        fitzpatrick_from_questionnaire(answers)


@pytest.mark.parametrize("score", [True, False, 2.0, "3", None])
def test_it_refuses_item_scores_that_are_not_integers(score: Any) -> None:
    answers = {**answers_totalling(0), "eye_colour": score}
    with pytest.raises(ScaleError, match=r"^Fitzpatrick item eye_colour must be an integer 0-4"):
        fitzpatrick_from_questionnaire(answers)


def test_it_raises_scale_errors_that_are_value_errors() -> None:
    with pytest.raises(ValueError, match=r"Fitzpatrick"):
        fitzpatrick_from_questionnaire({})


@pytest.mark.parametrize(
    ("value", "phototype"),
    [(1, 1), (6, 6), ("I", 1), ("iv", 4), ("Vi", 6), (" III ", 3), ("v", 5), ("II", 2)],
)
def test_it_reads_phototypes_as_ints_or_roman_numerals(value: int | str, phototype: int) -> None:
    assert phototype_from_value(value) == phototype


@pytest.mark.parametrize("value", [0, 7, -1, "VII", "0", "3", "", "IIII", True, 3.0, None])
def test_it_refuses_other_phototype_values(value: Any) -> None:
    with pytest.raises(ScaleError, match=r"^Fitzpatrick phototype must be 1-6 or I-VI, got"):
        phototype_from_value(value)


def test_it_states_which_fitzpatrick_version_is_encoded() -> None:
    assert "0-7/8-16" in FITZPATRICK_VERSION_NOTE
    assert "VI 35+ (openSNP/Wikipedia version)" in FITZPATRICK_VERSION_NOTE
    assert "[S28]" in FITZPATRICK_VERSION_NOTE


# ---------------------------------------------------------------------------------------------
# Goodman & Baron
# ---------------------------------------------------------------------------------------------


def test_it_gives_goodman_baron_levels_for_grades_1_to_4() -> None:
    levels = [goodman_baron_grade(g).level for g in (1, 2, 3, 4)]
    assert levels == ["macular", "mild", "moderate", "severe"]


def test_it_gives_the_reproduced_goodman_baron_definitions() -> None:
    assert goodman_baron_grade(1).definition == (
        "Erythematous, hyperpigmented or hypopigmented flat marks; a problem of colour, not contour"
    )
    assert "50 cm or greater" in goodman_baron_grade(2).definition
    assert "may be covered adequately by makeup" in goodman_baron_grade(2).definition
    assert goodman_baron_grade(3).definition.endswith(
        "still able to be flattened by manual stretching of the skin (if atrophic)"
    )
    assert goodman_baron_grade(4).definition.endswith("not able to be flattened by manual stretching")
    assert "greater than 50 cm" in goodman_baron_grade(4).definition


def test_it_cites_the_goodman_baron_sources() -> None:
    grade = goodman_baron_grade(3)
    assert grade.grade == 3
    assert grade.sources == ("S19", "S21")
    assert set(grade.sources) <= set(SOURCES["goodman_baron"])


@pytest.mark.parametrize("grade", [0, 5, -1, True, "2", 2.0])
def test_it_refuses_other_goodman_baron_grades(grade: Any) -> None:
    with pytest.raises(ScaleError, match=r"^Goodman & Baron grade must be"):
        goodman_baron_grade(grade)


def test_it_keeps_goodman_and_barons_levels_where_the_skinpen_registration_differs() -> None:
    """The SkinPen registration (S54d) reads the scale as "1 = mild to 4 = severe"; the clinic
    keeps Goodman & Baron's own levels (S19), where grade 1 is macular (colour, not contour) and
    "mild" is grade 2."""
    grades = [goodman_baron_grade(g) for g in (1, 2, 3, 4)]
    assert [(g.grade, g.level) for g in grades] == [
        (1, "macular"),
        (2, "mild"),
        (3, "moderate"),
        (4, "severe"),
    ]
    assert goodman_baron_grade(1).definition.endswith("a problem of colour, not contour")


def test_it_leaves_out_the_quantitative_goodman_baron_system() -> None:
    assert "not implemented" in GOODMAN_BARON_QUANTITATIVE_NOTE
    assert "unverified" in GOODMAN_BARON_QUANTITATIVE_NOTE
    assert "[S20]" in GOODMAN_BARON_QUANTITATIVE_NOTE
    assert not hasattr(scales, "goodman_baron_quantitative")


# ---------------------------------------------------------------------------------------------
# Scar counts
# ---------------------------------------------------------------------------------------------


def test_it_describes_scar_morphologies_from_the_jacob_table() -> None:
    assert SCAR_MORPHOLOGIES["icepick"].size == "narrow, <2 mm"
    assert SCAR_MORPHOLOGIES["boxcar"].size is not None
    assert "1.5-4.0 mm" in SCAR_MORPHOLOGIES["boxcar"].size
    assert SCAR_MORPHOLOGIES["rolling"].size == "usually wider than 4-5 mm"
    assert "do not taper to a point" in SCAR_MORPHOLOGIES["boxcar"].description


def test_it_does_not_define_hypertrophic_scars() -> None:
    hypertrophic = SCAR_MORPHOLOGIES["hypertrophic"]
    assert hypertrophic.size is None
    assert hypertrophic.description == "not defined by the Jacob classification"


def test_it_totals_scar_counts() -> None:
    counts = ScarCounts(icepick=4, boxcar=9, rolling=12, hypertrophic=2)
    assert counts.total == 27
    assert counts.atrophic_total == 25
    assert counts.dominant == "rolling"
    assert counts.as_dict() == {"icepick": 4, "boxcar": 9, "rolling": 12, "hypertrophic": 2}


def test_it_has_no_dominant_type_without_scars() -> None:
    assert ScarCounts().dominant is None
    assert ScarCounts().total == 0


@pytest.mark.parametrize(
    ("counts", "dominant"),
    [
        (ScarCounts(icepick=3, boxcar=3, rolling=3, hypertrophic=3), "icepick"),
        (ScarCounts(boxcar=5, rolling=5), "boxcar"),
        (ScarCounts(rolling=2, hypertrophic=2), "rolling"),
        (ScarCounts(icepick=1, hypertrophic=2), "hypertrophic"),
    ],
)
def test_it_breaks_dominant_ties_in_scar_type_order(counts: ScarCounts, dominant: str) -> None:
    assert SCAR_TYPES == ("icepick", "boxcar", "rolling", "hypertrophic")
    assert counts.dominant == dominant


def test_it_breaks_ties_the_same_whatever_the_mapping_order() -> None:
    counts = scar_counts_from_mapping({"rolling": 7, "boxcar": 7})
    assert counts.dominant == "boxcar"


def test_it_reads_scar_counts_from_a_mapping_with_missing_types_as_zero() -> None:
    counts = scar_counts_from_mapping({"icepick": 4, "rolling": 12})
    assert counts == ScarCounts(icepick=4, boxcar=0, rolling=12, hypertrophic=0)


def test_it_refuses_unknown_scar_types() -> None:
    with pytest.raises(ScaleError, match=r"^unknown scar type\(s\) in chin: keloid$"):
        scar_counts_from_mapping({"icepick": 1, "keloid": 2}, area="chin")


@pytest.mark.parametrize("value", [-1, True, 1.5, "3", None])
def test_it_refuses_scar_counts_that_are_not_non_negative_integers(value: Any) -> None:
    expected = f"scar count for boxcar in cheeks must be a non-negative integer, got {value!r}"
    with pytest.raises(ScaleError, match=f"^{re.escape(expected)}$"):
        scar_counts_from_mapping({"boxcar": value}, area="cheeks")


def test_it_validates_scar_counts_built_directly() -> None:
    with pytest.raises(ScaleError, match=r"^scar count for rolling must be a non-negative"):
        ScarCounts(rolling=-2)


def test_it_summarises_scar_counts_by_area_and_combines_them() -> None:
    summary = summarise_by_area(
        {
            "cheeks": {"icepick": 4, "boxcar": 9, "rolling": 12},
            "forehead": {"boxcar": 2, "hypertrophic": 1},
            "chin": {},
        }
    )
    assert list(summary) == ["cheeks", "forehead", "chin"]
    assert summary["forehead"] == ScarCounts(boxcar=2, hypertrophic=1)
    assert summary["chin"].dominant is None
    combined = combine_counts(summary.values())
    assert combined == ScarCounts(icepick=4, boxcar=11, rolling=12, hypertrophic=1)
    assert combined.total == 28
    assert combined.atrophic_total == 27


def test_it_combines_no_areas_into_zero() -> None:
    assert combine_counts([]) == ScarCounts()
    assert summarise_by_area({}) == {}


def test_it_names_the_area_of_a_bad_count() -> None:
    with pytest.raises(ScaleError, match=r"^scar count for icepick in forehead must be"):
        summarise_by_area({"cheeks": {"icepick": 1}, "forehead": {"icepick": -3}})


@pytest.mark.parametrize("area", ["", "  "])
def test_it_refuses_blank_area_names(area: str) -> None:
    with pytest.raises(ScaleError, match=r"^scar area name must be a non-empty string"):
        summarise_by_area({area: {"icepick": 1}})


# ---------------------------------------------------------------------------------------------
# MASI and mMASI
# ---------------------------------------------------------------------------------------------


def test_it_weights_the_four_masi_regions() -> None:
    assert dict(MASI_REGION_WEIGHTS) == {
        "forehead": 0.3,
        "right_malar": 0.3,
        "left_malar": 0.3,
        "chin": 0.1,
    }


@pytest.mark.parametrize(
    ("percent", "score"),
    [
        (0, 0),
        (0.0, 0),
        (0.5, 1),
        (1, 1),
        (9, 1),
        (9.9, 1),
        (10, 2),
        (29, 2),
        (29.9, 2),
        (30, 3),
        (49.9, 3),
        (50, 4),
        (69.9, 4),
        (70, 5),
        (89.9, 5),
        (90, 6),
        (100, 6),
        (100.0, 6),
    ],
)
def test_it_converts_area_percent_to_area_score_at_every_edge(percent: float, score: int) -> None:
    assert area_score_from_percent(percent) == score


@pytest.mark.parametrize("percent", [100.1, -0.1, -1, 101])
def test_it_refuses_area_percent_outside_0_to_100(percent: float) -> None:
    expected = f"MASI area percent must be 0-100, got {percent!r}"
    with pytest.raises(ScaleError, match=f"^{re.escape(expected)}$"):
        area_score_from_percent(percent)


@pytest.mark.parametrize("percent", [float("nan"), float("inf"), True, "50", None])
def test_it_refuses_area_percent_that_is_not_a_finite_number(percent: Any) -> None:
    with pytest.raises(ScaleError, match=r"^MASI area percent must be a number 0-100"):
        area_score_from_percent(percent)


def test_it_computes_masi_for_one_region_by_hand() -> None:
    # forehead A=2 D=3 H=2 -> 0.3 * 2 * (3 + 2) = 3.0; other regions uninvolved
    regions = face(forehead=MasiRegion(darkness=3, homogeneity=2, area_score=2))
    assert masi(regions) == 3.0
    # mMASI drops H: 0.3 * 2 * 3 = 1.8
    assert mmasi(regions) == 1.8


def test_it_computes_masi_for_a_whole_face_by_hand() -> None:
    regions = {
        # 0.3 * 3 * (2 + 1) = 2.7   (35% -> A 3)
        "forehead": MasiRegion(darkness=2, homogeneity=1, area_percent=35),
        # 0.3 * 4 * (3 + 3) = 7.2   (A 4)
        "right_malar": MasiRegion(darkness=3, homogeneity=3, area_score=4),
        # 0.3 * 5 * (3 + 2) = 7.5   (72.5% -> A 5)
        "left_malar": MasiRegion(darkness=3, homogeneity=2, area_percent=72.5),
        # 0.1 * 1 * (1 + 1) = 0.2   (5% -> A 1)
        "chin": MasiRegion(darkness=1, homogeneity=1, area_percent=5),
    }
    # 2.7 + 7.2 + 7.5 + 0.2 = 17.6
    assert masi(regions) == 17.6
    # mMASI: 0.3*3*2 + 0.3*4*3 + 0.3*5*3 + 0.1*1*1 = 1.8 + 3.6 + 4.5 + 0.1 = 10.0
    assert mmasi(regions) == 10.0


def test_it_avoids_float_noise_in_masi() -> None:
    # chin only: 0.1 * 3 * (1 + 0) = 0.3 exactly (naive 0.1 * 3 gives 0.30000000000000004)
    regions = face(chin=MasiRegion(darkness=1, homogeneity=0, area_score=3))
    assert repr(masi(regions)) == "0.3"
    assert repr(mmasi(regions)) == "0.3"


def test_it_reaches_masi_48_and_mmasi_24_at_maximum() -> None:
    worst = {name: MasiRegion(darkness=4, homogeneity=4, area_percent=100) for name in REGIONS}
    # (0.3 + 0.3 + 0.3 + 0.1) * 6 * (4 + 4) = 48; with D only: 1.0 * 6 * 4 = 24
    assert masi(worst) == 48.0
    assert mmasi(worst) == 24.0


def test_it_scores_zero_for_an_uninvolved_face() -> None:
    assert masi(face()) == 0.0
    assert mmasi(face()) == 0.0


def test_it_does_not_need_homogeneity_for_mmasi() -> None:
    regions = face(left_malar=MasiRegion(darkness=2, area_score=6))
    # 0.3 * 6 * 2 = 3.6
    assert mmasi(regions) == 3.6
    with pytest.raises(ScaleError, match=r"^MASI homogeneity for left_malar is missing$"):
        masi(regions)


def test_it_names_the_scale_region_and_value_in_darkness_errors() -> None:
    regions = face(forehead=MasiRegion(darkness=7, homogeneity=1, area_score=1))
    with pytest.raises(ScaleError, match=r"^mMASI darkness for forehead must be 0-4, got 7$"):
        mmasi(regions)
    with pytest.raises(ScaleError, match=r"^MASI darkness for forehead must be 0-4, got 7$"):
        masi(regions)


@pytest.mark.parametrize("homogeneity", [-1, 5, True, 2.5])
def test_it_refuses_bad_homogeneity_even_for_mmasi(homogeneity: Any) -> None:
    regions = face(chin=MasiRegion(darkness=1, homogeneity=homogeneity, area_score=1))
    with pytest.raises(ScaleError, match=r"^mMASI homogeneity for chin must be"):
        mmasi(regions)


@pytest.mark.parametrize("score", [-1, 7, True, 2.0])
def test_it_refuses_area_scores_outside_0_to_6(score: Any) -> None:
    regions = face(right_malar=MasiRegion(darkness=1, homogeneity=1, area_score=score))
    with pytest.raises(ScaleError, match=r"^MASI area score for right_malar must be"):
        masi(regions)


def test_it_refuses_area_percent_over_100_in_a_region() -> None:
    regions = face(right_malar=MasiRegion(darkness=1, homogeneity=1, area_percent=100.1))
    with pytest.raises(ScaleError, match=r"^MASI area percent for right_malar must be 0-100"):
        masi(regions)


def test_it_requires_exactly_one_of_area_score_and_area_percent() -> None:
    both = face(chin=MasiRegion(darkness=1, homogeneity=1, area_score=1, area_percent=5))
    neither = face(chin=MasiRegion(darkness=1, homogeneity=1))
    for regions in (both, neither):
        with pytest.raises(ScaleError, match=r"^MASI area for chin: give exactly one of"):
            masi(regions)


def test_it_requires_all_four_regions() -> None:
    regions = face()
    del regions["chin"]
    with pytest.raises(ScaleError, match=r"^mMASI is missing region\(s\): chin$"):
        mmasi(regions)


def test_it_refuses_unknown_regions() -> None:
    regions = {**face(), "nose": uninvolved()}
    with pytest.raises(ScaleError, match=r"^MASI has unknown region\(s\): nose$"):
        masi(regions)


def test_it_refuses_a_region_that_is_not_a_masi_region() -> None:
    regions: dict[str, Any] = {**face(), "forehead": {"darkness": 1}}
    with pytest.raises(ScaleError, match=r"^MASI region forehead must be a MasiRegion"):
        masi(regions)


def test_it_documents_masi_conflicts_and_missing_cut_offs() -> None:
    assert "<10%" in MASI_AREA_NOTE
    assert "1-9%" in MASI_AREA_NOTE
    assert "not read" in MMASI_NOTE
    assert "verify" in MMASI_NOTE
    assert "No severity bands" in MASI_SEVERITY_NOTE
    assert "conflict [S24]" in MASI_AREA_NOTE
    assert "[S23, S25, S26]" in MASI_SEVERITY_NOTE
    assert not hasattr(scales, "masi_severity")


area_strategy = st.one_of(
    st.integers(0, 6).map(lambda score: {"area_score": score}),
    st.floats(0, 100, allow_nan=False).map(lambda percent: {"area_percent": percent}),
)
region_strategy = st.builds(
    lambda darkness, homogeneity, area: MasiRegion(darkness, homogeneity, **area),
    st.integers(0, 4),
    st.integers(0, 4),
    area_strategy,
)
regions_strategy = st.fixed_dictionaries({name: region_strategy for name in REGIONS})


@given(regions_strategy)
def test_it_keeps_mmasi_at_most_masi_and_both_in_range(regions: dict[str, MasiRegion]) -> None:
    full, modified = masi(regions), mmasi(regions)
    assert 0 <= modified <= full <= 48
    assert modified <= 24


@given(regions_strategy, st.sampled_from(REGIONS))
def test_it_never_lowers_the_score_when_darkness_rises(regions: dict[str, MasiRegion], region: str) -> None:
    before = regions[region]
    if before.darkness == 4:
        return
    darker = {**regions, region: dataclasses.replace(before, darkness=before.darkness + 1)}
    assert mmasi(darker) >= mmasi(regions)
    assert masi(darker) >= masi(regions)
    assert masi(darker) - mmasi(darker) == pytest.approx(masi(regions) - mmasi(regions))


@given(st.floats(min_value=0, max_value=100, allow_nan=False))
def test_it_maps_every_percent_to_an_area_score_that_never_falls(percent: float) -> None:
    score = area_score_from_percent(percent)
    assert 0 <= score <= 6
    assert (score == 0) == (percent == 0)
    assert area_score_from_percent(min(100.0, percent + 10)) >= score


# ---------------------------------------------------------------------------------------------
# GAIS
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("score", "label"),
    [
        (1, "very much improved"),
        (2, "much improved"),
        (3, "improved"),
        (4, "no change"),
        (5, "worse"),
    ],
)
def test_it_labels_gais_scores(score: int, label: str) -> None:
    rating = gais(score)
    assert (rating.score, rating.label, rating.sources) == (score, label, ("S54f",))


@pytest.mark.parametrize("score", [0, 6, True, "1", 1.0])
def test_it_refuses_other_gais_scores(score: Any) -> None:
    with pytest.raises(ScaleError, match=r"^GAIS score must be"):
        gais(score)


# ---------------------------------------------------------------------------------------------
# Sources
# ---------------------------------------------------------------------------------------------


def test_it_collects_citations_for_every_scale() -> None:
    assert set(SOURCES) == {"fitzpatrick", "goodman_baron", "scar_counts", "masi", "mmasi", "gais"}
    assert set(SOURCES["fitzpatrick"]) == {"S27", "S27b", "S28"}
    assert {"S19", "S21", "S20"} <= set(SOURCES["goodman_baron"])
    assert {"S18", "S17"} <= set(SOURCES["scar_counts"])
    assert set(SOURCES["masi"]) == {"S24", "S26"}
    assert set(SOURCES["mmasi"]) == {"S23", "S25", "S24", "S26"}
    assert set(SOURCES["gais"]) == {"S54f"}
    assert all(text for cited in SOURCES.values() for text in cited.values())


def test_it_cites_only_listed_sources_on_every_morphology() -> None:
    listed = set(SOURCES["scar_counts"])
    for morphology in SCAR_MORPHOLOGIES.values():
        assert set(morphology.sources) <= listed


def test_its_notes_cite_source_ids_and_nothing_outside_the_repository() -> None:
    notes = {name: getattr(scales, name) for name in dir(scales) if name.endswith("_NOTE")}
    assert len(notes) >= 6
    assert [name for name, note in notes.items() if "evidence" in note or "§" in note] == []
    assert "[S19, S21]" in notes["GOODMAN_BARON_NOTE"]
