"""Assessment scales recorded at consultation, encoded only from cited sources.

Scales: Fitzpatrick skin phototype (with a self-report questionnaire), the Goodman & Baron
qualitative global acne-scarring grade, scar counts by morphology (Jacob classification),
MASI and modified MASI (mMASI) for melasma, and the Global Aesthetic Improvement Scale (GAIS).

Every rule here cites source ids such as "S27b"; each scale has a ``*_SOURCES`` constant
mapping them to citations so the application can show them, and ``SOURCES`` collects all of them
by scale. Where a rule is taken from a secondary source, derived, or left out, a ``*_NOTE``
constant says so.

Every invalid input raises :class:`ScaleError`, whose message names the scale, the item and the
offending value, e.g. "mMASI darkness for forehead must be 0-4, got 7".
"""

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import TypeGuard

from needlepoint.clinical.errors import ScaleError


def _is_int(value: object) -> TypeGuard[int]:
    """Return True for a real int: bool is refused because True would silently score 1."""
    return isinstance(value, int) and not isinstance(value, bool)


def _checked_int(value: object, low: int, high: int, what: str) -> int:
    """Return ``value`` unchanged if it is an int in low..high; never coerce a score.

    Raises ScaleError naming ``what`` for a non-int (str, float, bool) or out-of-range value.
    """
    if not _is_int(value):
        raise ScaleError(f"{what} must be an integer {low}-{high}, got {value!r}")
    if not low <= value <= high:
        raise ScaleError(f"{what} must be {low}-{high}, got {value!r}")
    return value


def _names(keys: Iterable[object]) -> str:
    """Return keys as a comma-separated list for an error message."""
    return ", ".join(str(key) for key in keys)


# ---------------------------------------------------------------------------------------------
# Fitzpatrick skin phototype
# ---------------------------------------------------------------------------------------------

FITZPATRICK_SOURCES: Mapping[str, str] = MappingProxyType(
    {
        "S27": "StatPearls: Fitzpatrick skin phototype (PubMed 32491558)",
        "S27b": "NCBI Bookshelf NBK481857, Table 1 (phototype descriptions)",
        "S28": "Fitzpatrick self-report questionnaires (practice pages): opensnp.org/phenotypes/275"
        " (Wikipedia version); bystefany.com; ambergoodner.com",
    }
)

PHOTOTYPES: Mapping[int, str] = MappingProxyType(
    {
        1: "White skin. Always burns, never tans",
        2: "Fair skin. Always burns, tans with difficulty",
        3: "Average skin colour. Sometimes mild burn, tans about average",
        4: "Light-brown skin. Rarely burns, tans easily",
        5: "Brown skin. Never burns, tans very easily",
        6: "Black skin. Heavily pigmented. Never burns, tans very easily",
    }
)
"""Phototype (1-6 for I-VI) → description, as in NCBI Bookshelf Table 1 [S27b]."""

PHOTOTYPE_RANGE = (min(PHOTOTYPES), max(PHOTOTYPES))

PHOTOTYPE_ROMAN: tuple[str, ...] = ("I", "II", "III", "IV", "V", "VI")

FITZPATRICK_SECTIONS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "genetic disposition": ("eye_colour", "hair_colour", "skin_colour", "freckles"),
        "reaction to sun exposure": (
            "sun_reaction",
            "tanning_degree",
            "turns_brown_within_hours",
            "face_sensitivity",
        ),
        "tanning habits": ("last_exposure", "area_sun_exposure"),
    }
)
"""The three sections of the questionnaire and their item keys [S28]."""

FITZPATRICK_ITEMS: Mapping[str, str] = MappingProxyType(
    {
        "eye_colour": "eye colour",
        "hair_colour": "natural hair colour",
        "skin_colour": "skin colour of unexposed areas",
        "freckles": "freckles on unexposed areas",
        "sun_reaction": "what happens after too long in the sun",
        "tanning_degree": "degree of tanning",
        "turns_brown_within_hours": "turning brown within hours of sun exposure",
        "face_sensitivity": "facial sensitivity to the sun",
        "last_exposure": "last sun, sunbed or tanning-cream exposure",
        "area_sun_exposure": "sun exposure of the area to be treated",
    }
)
"""Item key → what the item asks. Answer wording is not encoded: no authoritative source."""

FITZPATRICK_ITEM_MAX = 4
"""Each item is scored 0-4 [S28]; ten items give a maximum total of 40."""

FITZPATRICK_BANDS: tuple[tuple[int, int, int | None], ...] = (
    (1, 0, 6),
    (2, 7, 13),
    (3, 14, 20),
    (4, 21, 27),
    (5, 28, 34),
    (6, 35, None),
)
"""(phototype, lowest total, highest total or None for open-ended): openSNP/Wikipedia [S28]."""


def _band_label(phototype: int, low: int, high: int | None) -> str:
    """Return a band as written in the source, e.g. "II 7-13" or "VI 35+"."""
    roman = PHOTOTYPE_ROMAN[phototype - 1]
    return f"{roman} {low}+" if high is None else f"{roman} {low}-{high}"


FITZPATRICK_VERSION = (
    "three-section self-report questionnaire, score bands "
    + ", ".join(_band_label(*band) for band in FITZPATRICK_BANDS)
    + " (openSNP/Wikipedia version)"
)

FITZPATRICK_VERSION_NOTE = (
    "Fitzpatrick self-report questionnaires differ between versions and no authoritative"
    " original was found [S28]: score bands 0-6/7-13/… (Wikipedia via openSNP)"
    " vs 0-7/8-16/… (bystefany, whose bands overlap at 25), and two- vs three-section"
    " questionnaires (ambergoodner uses two sections, 8 items) [S28, practice pages]. Encoded:"
    f" the {FITZPATRICK_VERSION}; ten items, each scored 0-4, total 0-40. Answer wording is not"
    " encoded; the practitioner's form supplies each item's score."
)


@dataclass(frozen=True, slots=True)
class FitzpatrickResult:
    """Outcome of the self-report questionnaire: total score, phototype and the version used."""

    total: int
    phototype: int
    band: str
    version: str
    sources: tuple[str, ...]

    @property
    def roman(self) -> str:
        """Return the phototype as the roman numeral clinicians write (I-VI)."""
        return PHOTOTYPE_ROMAN[self.phototype - 1]

    @property
    def description(self) -> str:
        """Return the NCBI Bookshelf description of the phototype [S27b]."""
        return PHOTOTYPES[self.phototype]


def _check_fitzpatrick_keys(answers: Mapping[str, int]) -> None:
    """Refuse unknown or missing items, so a partial questionnaire never yields a phototype."""
    unknown = [key for key in answers if key not in FITZPATRICK_ITEMS]
    if unknown:
        raise ScaleError(f"Fitzpatrick questionnaire has unknown item(s): {_names(unknown)}")
    missing = [key for key in FITZPATRICK_ITEMS if key not in answers]
    if missing:
        raise ScaleError(f"Fitzpatrick questionnaire is missing item(s): {_names(missing)}")


def _fitzpatrick_band(total: int) -> tuple[int, str]:
    """Return (phototype, band label) for a questionnaire total, using FITZPATRICK_BANDS."""
    for phototype, low, high in reversed(FITZPATRICK_BANDS):
        if total >= low:
            return phototype, _band_label(phototype, low, high)
    raise ScaleError(f"Fitzpatrick total must be at least 0, got {total}")


def fitzpatrick_from_questionnaire(answers: Mapping[str, int]) -> FitzpatrickResult:
    """Return the phototype for a completed questionnaire: sum the ten item scores, then band.

    ``answers`` maps every key of FITZPATRICK_ITEMS to its score 0-4. Bands are the
    openSNP/Wikipedia version (see FITZPATRICK_VERSION_NOTE for why versions differ).
    """
    _check_fitzpatrick_keys(answers)
    total = sum(
        _checked_int(answers[key], 0, FITZPATRICK_ITEM_MAX, f"Fitzpatrick item {key}")
        for key in FITZPATRICK_ITEMS
    )
    phototype, band = _fitzpatrick_band(total)
    return FitzpatrickResult(total, phototype, band, FITZPATRICK_VERSION, ("S28", "S27b"))


def phototype_from_value(value: int | str) -> int:
    """Return the phototype 1-6 from an int 1-6 or a roman numeral "I"-"VI" (any case).

    Records and forms write phototypes both ways; one normal form keeps comparisons simple.
    """
    if isinstance(value, str) and value.strip().upper() in PHOTOTYPE_ROMAN:
        return PHOTOTYPE_ROMAN.index(value.strip().upper()) + 1
    if _is_int(value) and value in PHOTOTYPES:
        return value
    raise ScaleError(f"Fitzpatrick phototype must be 1-6 or I-VI, got {value!r}")


# ---------------------------------------------------------------------------------------------
# Goodman & Baron qualitative global acne-scarring grade
# ---------------------------------------------------------------------------------------------

GOODMAN_BARON_SOURCES: Mapping[str, str] = MappingProxyType(
    {
        "S19": "Goodman GJ, Baron JA. Qualitative global scarring grading system (2006),"
        " PMID 17199653 (abstract)",
        "S21": "Reproduced G&B qualitative grade text (practice pages: beautyoasisrx.com/"
        "type-of-scars; geantsage.pixnet.net)",
        "S20": "Goodman GJ, Baron JA. Quantitative global scarring grading system."
        " J Cosmet Dermatol 2006, doi 10.1111/j.1473-2165.2006.00222.x (abstract)",
        "S54d": "SkinPen clinical study summary; NCT02646917 registration/results",
    }
)

GOODMAN_BARON_NOTE = (
    "Goodman & Baron assign the grade by scar morphology and disease load, as indicated by"
    " whether the patient can easily disguise the scarring at social distances [S19]. The grade"
    " definitions are taken from a page reproducing them [S21, practice page], not from the"
    " original table: verify against Goodman & Baron 2006 before relying on the wording. Grade 1"
    " is 'macular' in the G&B scheme, but the SkinPen trial registration NCT02646917 reports the"
    " scale as '1 = mild to 4 = severe' [S54d]; this module uses the G&B levels [S19, S21]."
)

GOODMAN_BARON_QUANTITATIVE_NOTE = (
    "The Goodman & Baron quantitative global scarring grading system [S20] is deliberately not"
    " implemented: its points per scar type, count bands, hyperplastic/keloid scoring and maximum"
    " score are unverified, because the original table could not be retrieved from any source"
    " read [S20]. Only its validation is verified: photographs of 21 patients scored by"
    " 4 observers, agreeing within four score points in 19 of 21."
)


@dataclass(frozen=True, slots=True)
class GoodmanBaronGrade:
    """One grade of the qualitative scale: number, level name and definition (as reproduced)."""

    grade: int
    level: str
    definition: str
    sources: tuple[str, ...] = ("S19", "S21")


GOODMAN_BARON_GRADES: Mapping[int, GoodmanBaronGrade] = MappingProxyType(
    {
        1: GoodmanBaronGrade(
            1,
            "macular",
            "Erythematous, hyperpigmented or hypopigmented flat marks; a problem of colour, not contour",
        ),
        2: GoodmanBaronGrade(
            2,
            "mild",
            "Mild atrophic or hypertrophic scars that may not be obvious at social distances of"
            " 50 cm or greater; may be covered adequately by makeup or the normal shadow of shaved"
            " beard hair in men, or normal body hair if extrafacial",
        ),
        3: GoodmanBaronGrade(
            3,
            "moderate",
            "Obvious at social distances of 50 cm or greater; not covered easily by makeup or"
            " shaved-beard shadow/body hair; still able to be flattened by manual stretching of the"
            " skin (if atrophic)",
        ),
        4: GoodmanBaronGrade(
            4,
            "severe",
            "Evident at social distances greater than 50 cm; not covered easily by makeup or"
            " shaved-beard shadow/body hair; not able to be flattened by manual stretching",
        ),
    }
)


GOODMAN_BARON_RANGE = (min(GOODMAN_BARON_GRADES), max(GOODMAN_BARON_GRADES))


def goodman_baron_grade(grade: int) -> GoodmanBaronGrade:
    """Return the qualitative grade 1-4 with its level and definition, so charts show words."""
    return GOODMAN_BARON_GRADES[_checked_int(grade, *GOODMAN_BARON_RANGE, "Goodman & Baron grade")]


# ---------------------------------------------------------------------------------------------
# Scar counts by morphology
# ---------------------------------------------------------------------------------------------

SCAR_COUNT_SOURCES: Mapping[str, str] = MappingProxyType(
    {
        "S18": "Jacob CI, Dover JS, Kaminer MS. J Am Acad Dermatol 2001;45(1):109-17,"
        " PMID 11423843 (abstract)",
        "S17": "Fabbrocini G et al. Acne scars: pathogenesis, classification and treatment."
        " Dermatol Res Pract 2010, Table 1 (adapted from Jacob)",
        "S66": "Practice pages corroborating '<2 mm' for icepick scars (theskinrepairclinic;"
        " droracle, an AI summary)",
    }
)

SCAR_TYPES: tuple[str, ...] = ("icepick", "boxcar", "rolling", "hypertrophic")
"""Scar types counted, in the order that also breaks ties for ScarCounts.dominant."""

ATROPHIC_SCAR_TYPES: tuple[str, ...] = ("icepick", "boxcar", "rolling")
"""The three types of the Jacob classification [S18], all depressions per Fabbrocini [S17]."""

SCAR_MORPHOLOGY_NOTE = (
    "Icepick, rolling and boxcar are the three types of the Jacob/Dover/Kaminer classification"
    " [S18]; sizes and descriptions are from Fabbrocini 2010 Table 1, adapted from Jacob [S17]."
    " The table's web rendering dropped '<' and '≥': '<2 mm' for icepick is corroborated by"
    " secondary pages [S66]; '≥0.5 mm' for deep boxcar scars is a reading of the lost symbol."
    " Hypertrophic scars are not part of the Jacob classification and no source read defines"
    " them, so no description is encoded. Relative prevalence of the types is"
    " unverified and not encoded."
)


@dataclass(frozen=True, slots=True)
class ScarMorphology:
    """A scar type with its size and description; None/"not defined" where no source gives one."""

    name: str
    size: str | None
    description: str
    sources: tuple[str, ...]


SCAR_MORPHOLOGIES: Mapping[str, ScarMorphology] = MappingProxyType(
    {
        "icepick": ScarMorphology(
            "icepick",
            "narrow, <2 mm",
            "deep, sharply marginated epithelial tracts extending vertically to deep dermis or"
            " subcutaneous tissue",
            ("S18", "S17", "S66"),
        ),
        "boxcar": ScarMorphology(
            "boxcar",
            "most often 1.5-4.0 mm in diameter; shallow (0.1-0.5 mm) or deep (≥0.5 mm)",
            "round to oval depressions with sharply demarcated vertical edges; wider at the surface"
            " than icepick scars; do not taper to a point",
            ("S18", "S17"),
        ),
        "rolling": ScarMorphology(
            "rolling",
            "usually wider than 4-5 mm",
            "dermal tethering of otherwise normal-appearing skin; fibrous anchoring of the dermis to"
            " the subcutis gives an undulating surface",
            ("S18", "S17"),
        ),
        "hypertrophic": ScarMorphology(
            "hypertrophic",
            None,
            "not defined by the Jacob classification",
            ("S18",),
        ),
    }
)


def _checked_count(value: object, what: str) -> int:
    """Return a scar count if it is a non-negative int (bool refused), else raise ScaleError."""
    if not _is_int(value) or value < 0:
        raise ScaleError(f"{what} must be a non-negative integer, got {value!r}")
    return value


@dataclass(frozen=True, slots=True)
class ScarCounts:
    """Number of scars of each type in one area (or summed over areas); all validated >= 0."""

    icepick: int = 0
    boxcar: int = 0
    rolling: int = 0
    hypertrophic: int = 0

    def __post_init__(self) -> None:
        """Refuse negative or non-int counts however the object is built."""
        for scar_type in SCAR_TYPES:
            _checked_count(getattr(self, scar_type), f"scar count for {scar_type}")

    def as_dict(self) -> dict[str, int]:
        """Return the counts keyed by scar type, in SCAR_TYPES order."""
        return {scar_type: getattr(self, scar_type) for scar_type in SCAR_TYPES}

    @property
    def total(self) -> int:
        """Return the number of scars of all types."""
        return sum(self.as_dict().values())

    @property
    def atrophic_total(self) -> int:
        """Return the number of icepick, boxcar and rolling (depressed) scars."""
        return self.icepick + self.boxcar + self.rolling

    @property
    def dominant(self) -> str | None:
        """Return the type with the highest count, or None when there are no scars.

        Ties go to the type listed first in SCAR_TYPES (icepick, boxcar, rolling,
        hypertrophic), so the answer never depends on dict or input order.
        """
        counts = self.as_dict()
        best = max(SCAR_TYPES, key=counts.__getitem__)  # max keeps the first of equals
        return best if counts[best] > 0 else None


def scar_counts_from_mapping(counts: Mapping[str, int], area: str | None = None) -> ScarCounts:
    """Return ScarCounts from a mapping such as {"icepick": 4, "rolling": 12}.

    Only SCAR_TYPES keys are accepted; a type left out counts 0 (not seen). ``area`` is named in
    error messages so the practitioner can find the wrong entry.
    """
    where = "" if area is None else f" in {area}"
    unknown = [key for key in counts if key not in SCAR_TYPES]
    if unknown:
        raise ScaleError(f"unknown scar type(s){where}: {_names(unknown)}")
    for scar_type, value in counts.items():
        _checked_count(value, f"scar count for {scar_type}{where}")
    return ScarCounts(**counts)


def combine_counts(counts: Iterable[ScarCounts]) -> ScarCounts:
    """Return the per-type sum of several ScarCounts, e.g. the whole face from its areas."""
    totals = dict.fromkeys(SCAR_TYPES, 0)
    for item in counts:
        for scar_type, value in item.as_dict().items():
            totals[scar_type] += value
    return ScarCounts(**totals)


def summarise_by_area(per_area: Mapping[str, Mapping[str, int]]) -> dict[str, ScarCounts]:
    """Return validated ScarCounts for each area, keyed as given.

    The combined total is ``combine_counts(result.values())``; it is not put in the dict, so
    iterating over areas never counts a scar twice.
    """
    for area in per_area:
        if not isinstance(area, str) or not area.strip():
            raise ScaleError(f"scar area name must be a non-empty string, got {area!r}")
    return {area: scar_counts_from_mapping(counts, area) for area, counts in per_area.items()}


# ---------------------------------------------------------------------------------------------
# MASI and modified MASI
# ---------------------------------------------------------------------------------------------

MASI_SOURCES: Mapping[str, str] = MappingProxyType(
    {
        "S24": "MASI formula (Kimbrough-Green): 'The Scoring Aid: MASI and Modified MASI' (book"
        " chapter, plasticsurgerykey.com); medicalalgorithms.com; altmeyers.org",
        "S26": "MASI calculator, range 0-48 (mMASI 0-24), clincalcpro.com",
    }
)

MMASI_SOURCES: Mapping[str, str] = MappingProxyType(
    {
        "S23": "Pandya AG et al. J Am Acad Dermatol 2011;64(1):78-83 (abstract)",
        "S25": "Rodrigues M et al. Interpretability of the mMASI. JAMA Dermatol 2016;152(9):1051-2",
        "S24": MASI_SOURCES["S24"],
        "S26": MASI_SOURCES["S26"],
    }
)

_WEIGHT_TENTHS: Mapping[str, int] = MappingProxyType(
    {"forehead": 3, "right_malar": 3, "left_malar": 3, "chin": 1}
)

MASI_REGION_WEIGHTS: Mapping[str, float] = MappingProxyType(
    {region: tenths / 10 for region, tenths in _WEIGHT_TENTHS.items()}
)
"""Region → weight: forehead 0.3, right malar 0.3, left malar 0.3, chin 0.1 [S24]."""

MASI_INTENSITY_LABELS: Mapping[int, str] = MappingProxyType(
    {0: "absent", 1: "slight", 2: "mild", 3: "marked", 4: "maximum"}
)
"""Darkness D and homogeneity H, 0-4 [S24]; 3 is also written "moderate/marked"."""

MASI_AREA_BAND_LOWER_PERCENTS: tuple[int, ...] = (10, 30, 50, 70, 90)
"""Lowest percentage of area scores 2-6 (10-29, 30-49, 50-69, 70-89, 90-100%) [S24]."""

MASI_RANGE = (0, 48)
MMASI_RANGE = (0, 24)

MASI_AREA_NOTE = (
    "Area score A: 0 none; 1 '<10%' (altmeyers) or '1-9%' (medicalalgorithms) — the sources"
    " conflict [S24]; 2 10-29%; 3 30-49%; 4 50-69%; 5 70-89%; 6 90-100% [S24]. A"
    " percentage gives A 1 whenever involvement is above 0 and below 10, which agrees with both"
    " readings for whole percentages and also scores fractions such as 0.5% as 1 instead of"
    " leaving them unscored. The other bands are whole-percent ranges, read as half-open"
    " intervals: 29.9% is still 2, 30% is 3, 89.9% is 5, 90% is 6."
)

MMASI_NOTE = (
    "mMASI is MASI without homogeneity: Pandya 2011 found homogeneity 'can be removed from the"
    " MASI score without any loss of reliability' [S23], and Rodrigues 2016 confirms this gave"
    " the mMASI [S25]. The formula Σ weight * A * D (range 0-24 [S26]) is derived from those two"
    " facts; the JAMA 2016 'Determination of the mMASI score' table was not read — verify."
)

MASI_SEVERITY_NOTE = (
    "No severity bands (mild/moderate/severe) are given for MASI or mMASI: the cut-offs are"
    " unverified in the sources read [S23, S25, S26], so only the numeric score is reported."
)


@dataclass(frozen=True, slots=True)
class MasiRegion:
    """Assessment of one region: area (score 0-6 or percent 0-100, exactly one), D and H 0-4.

    Homogeneity is needed for MASI only; mMASI ignores it (but still refuses a bad value).
    """

    darkness: int
    homogeneity: int | None = None
    area_score: int | None = None
    area_percent: float | None = None


def _checked_percent(percent: object, what: str) -> float:
    """Return a percentage if it is a finite int/float in 0-100 (bool refused), else raise."""
    if _is_int(percent) or (isinstance(percent, float) and math.isfinite(percent)):
        if 0 <= percent <= 100:
            return percent
        raise ScaleError(f"{what} must be 0-100, got {percent!r}")
    raise ScaleError(f"{what} must be a number 0-100, got {percent!r}")


def _area_score(percent: object, what: str) -> int:
    """Return area score A 0-6 for a percentage; see MASI_AREA_NOTE for the band edges."""
    value = _checked_percent(percent, what)
    if value == 0:
        return 0
    return 1 + sum(value >= low for low in MASI_AREA_BAND_LOWER_PERCENTS)


def area_score_from_percent(percent: float) -> int:
    """Return the MASI area score A (0-6) for the percentage of a region involved (0-100)."""
    return _area_score(percent, "MASI area percent")


def _region_area(region: MasiRegion, name: str, scale: str) -> int:
    """Return A for one region from whichever of area_score / area_percent was given."""
    score, percent = region.area_score, region.area_percent
    if (score is None) == (percent is None):
        raise ScaleError(f"{scale} area for {name}: give exactly one of area_score or area_percent")
    if score is not None:
        return _checked_int(score, 0, 6, f"{scale} area score for {name}")
    return _area_score(percent, f"{scale} area percent for {name}")


def _homogeneity(region: MasiRegion, name: str, scale: str, required: bool) -> int:
    """Return H for one region; missing is an error only when the scale uses it (MASI)."""
    if region.homogeneity is None:
        if required:
            raise ScaleError(f"{scale} homogeneity for {name} is missing")
        return 0
    return _checked_int(region.homogeneity, 0, 4, f"{scale} homogeneity for {name}")


def _checked_regions(regions: Mapping[str, MasiRegion], scale: str) -> None:
    """Refuse unknown or missing regions: all four must be assessed, even if uninvolved."""
    unknown = [name for name in regions if name not in _WEIGHT_TENTHS]
    if unknown:
        raise ScaleError(f"{scale} has unknown region(s): {_names(unknown)}")
    missing = [name for name in _WEIGHT_TENTHS if name not in regions]
    if missing:
        raise ScaleError(f"{scale} is missing region(s): {_names(missing)}")
    for name, region in regions.items():
        if not isinstance(region, MasiRegion):
            raise ScaleError(f"{scale} region {name} must be a MasiRegion, got {region!r}")


def _score_tenths(regions: Mapping[str, MasiRegion], scale: str, use_h: bool) -> int:
    """Return Σ (10 * weight) * A * (D [+ H]) over the four regions, exactly, as an int."""
    _checked_regions(regions, scale)
    total = 0
    for name, tenths in _WEIGHT_TENTHS.items():
        region = regions[name]
        area = _region_area(region, name, scale)
        darkness = _checked_int(region.darkness, 0, 4, f"{scale} darkness for {name}")
        homogeneity = _homogeneity(region, name, scale, required=use_h)
        total += tenths * area * (darkness + (homogeneity if use_h else 0))
    return total


def masi(regions: Mapping[str, MasiRegion]) -> float:
    """Return the MASI, 0-48: Σ weight * A * (D + H) over forehead, both malars and chin [S24].

    Computed in integer tenths (weights 3, 3, 3, 1) and divided by 10 once, so the result is
    the float nearest the exact decimal (3.0, never 3.0000000000000004). Not rounded further.
    """
    return _score_tenths(regions, "MASI", use_h=True) / 10


def mmasi(regions: Mapping[str, MasiRegion]) -> float:
    """Return the modified MASI, 0-24: Σ weight * A * D [S23, S25]; derived, see MMASI_NOTE.

    Same exact integer-tenths arithmetic as masi(); homogeneity is not used.
    """
    return _score_tenths(regions, "mMASI", use_h=False) / 10


# ---------------------------------------------------------------------------------------------
# Global Aesthetic Improvement Scale
# ---------------------------------------------------------------------------------------------

GAIS_SOURCES: Mapping[str, str] = MappingProxyType(
    {
        "S54f": "SkinPen Precision manual p.5 (GAIS as used in the SkinPen study), manualslib.fr 363305",
    }
)

GAIS_LABELS: Mapping[int, str] = MappingProxyType(
    {
        1: "very much improved",
        2: "much improved",
        3: "improved",
        4: "no change",
        5: "worse",
    }
)


GAIS_RANGE = (min(GAIS_LABELS), max(GAIS_LABELS))


@dataclass(frozen=True, slots=True)
class GaisRating:
    """A GAIS score 1-5 with its label (1 is the best outcome, 5 is worse)."""

    score: int
    label: str
    sources: tuple[str, ...] = ("S54f",)


def gais(score: int) -> GaisRating:
    """Return the GAIS rating for a score 1-5, so outcome charts show the label, not a number."""
    checked = _checked_int(score, *GAIS_RANGE, "GAIS score")
    return GaisRating(checked, GAIS_LABELS[checked])


SOURCES: Mapping[str, Mapping[str, str]] = MappingProxyType(
    {
        "fitzpatrick": FITZPATRICK_SOURCES,
        "goodman_baron": GOODMAN_BARON_SOURCES,
        "scar_counts": SCAR_COUNT_SOURCES,
        "masi": MASI_SOURCES,
        "mmasi": MMASI_SOURCES,
        "gais": GAIS_SOURCES,
    }
)
"""Scale → {source id → citation}."""
