"""The skin and scar assessment: phototype (entered, or from the Fitzpatrick questionnaire),
Goodman & Baron grade, scar counts per area and the MASI regions. Scores are always computed
here with the scales library, never taken from the client; the live preview and the stored
assessment use the same `assessment_scores`, so what the form shows is what is saved."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db import transaction

from needlepoint.audit.services import audit_record
from needlepoint.clinic.models import Assessment, Patient
from needlepoint.clinic.services import ServiceError, require_role, validated
from needlepoint.clinical import scales
from needlepoint.clinical.errors import ScaleError

if TYPE_CHECKING:
    from needlepoint.accounts.models import User


@dataclass(frozen=True)
class AssessmentScores:
    """What an assessment's inputs score to; `errors` maps a field to a plain message."""

    phototype: int | None = None
    fitzpatrick: scales.FitzpatrickResult | None = None
    goodman_baron: scales.GoodmanBaronGrade | None = None
    scars: dict[str, scales.ScarCounts] = field(default_factory=dict)
    scar_total: scales.ScarCounts = field(default_factory=scales.ScarCounts)
    masi_areas: dict[str, int] = field(default_factory=dict)
    masi: float | None = None
    mmasi: float | None = None
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def phototype_roman(self) -> str:
        return scales.PHOTOTYPE_ROMAN[self.phototype - 1] if self.phototype else ""

    @property
    def phototype_description(self) -> str:
        return scales.PHOTOTYPES[self.phototype] if self.phototype else ""

    @property
    def masi_area_rows(self) -> list[tuple[str, int]]:
        """Return (region in words, area score A) for display."""
        return [(r.replace("_", " "), a) for r, a in self.masi_areas.items()]

    @property
    def is_empty(self) -> bool:
        return self.phototype is None and self.goodman_baron is None and not self.scars and self.mmasi is None


def _phototype(
    direct: Any, answers: Mapping[str, Any] | None, errors: dict[str, str]
) -> tuple[int | None, scales.FitzpatrickResult | None]:
    """Return (phototype, questionnaire result): the questionnaire, when answered, decides; a
    directly entered phototype that disagrees with it is an error, not silently dropped."""
    result = chosen = None
    try:
        chosen = scales.phototype_from_value(direct) if direct is not None else None
    except ScaleError as exc:
        errors["phototype"] = str(exc)
    if answers:
        try:
            result = scales.fitzpatrick_from_questionnaire(answers)
        except ScaleError as exc:
            errors["phototype_answers"] = str(exc)
    if result and chosen and chosen != result.phototype:
        errors["phototype"] = (
            f"The questionnaire gives phototype {result.roman} (total "
            f"{result.total}) but {scales.PHOTOTYPE_ROMAN[chosen - 1]} was "
            "entered: clear one of them."
        )
    return (result.phototype if result else chosen), result


def _goodman_baron(grade: Any, errors: dict[str, str]) -> scales.GoodmanBaronGrade | None:
    if grade is None:
        return None
    try:
        return scales.goodman_baron_grade(grade)
    except ScaleError as exc:
        errors["goodman_baron_grade"] = str(exc)
        return None


def _scars(
    counts: Mapping[str, Mapping[str, Any]] | None, errors: dict[str, str]
) -> dict[str, scales.ScarCounts]:
    if not counts:
        return {}
    try:
        return scales.summarise_by_area(counts)
    except (ScaleError, TypeError) as exc:
        area = next((a for a in counts if f" in {a}" in str(exc)), None)
        errors[f"scar_counts.{area}" if area else "scar_counts"] = str(exc)
        return {}


def _masi_region(values: Mapping[str, Any]) -> scales.MasiRegion:
    return scales.MasiRegion(
        darkness=values.get("darkness"),  # type: ignore[arg-type]
        homogeneity=values.get("homogeneity"),
        area_score=values.get("area_score"),
        area_percent=values.get("area_percent"),
    )


def _masi_error(exc: Exception, errors: dict[str, str]) -> None:
    region = next((r for r in scales.MASI_REGION_WEIGHTS if f" {r}" in str(exc)), None)
    errors[f"masi_regions.{region}" if region else "masi_regions"] = str(exc)


def _masi(
    regions: Mapping[str, Mapping[str, Any]] | None,
    errors: dict[str, str],
) -> tuple[dict[str, int], float | None, float | None]:
    """Return (area score A per region, MASI or None, mMASI or None). MASI is computed only
    when homogeneity is given for the regions; mMASI does not use it."""
    given = {r: v for r, v in (regions or {}).items() if any(x is not None for x in v.values())}
    if not given:
        return {}, None, None
    core = {r: _masi_region(v) for r, v in given.items()}
    try:
        mmasi = scales.mmasi(core)
    except ScaleError as exc:
        _masi_error(exc, errors)
        return {}, None, None
    areas = {
        r: (v.area_score if v.area_score is not None else scales.area_score_from_percent(v.area_percent))  # type: ignore[arg-type]
        for r, v in core.items()
    }
    masi = None
    if any(v.homogeneity is not None for v in core.values()):
        try:
            masi = scales.masi(core)
        except ScaleError as exc:
            _masi_error(exc, errors)
    return areas, masi, mmasi


def assessment_scores(
    *,
    phototype: int | str | None = None,
    phototype_answers: Mapping[str, int] | None = None,
    goodman_baron_grade: int | None = None,
    scar_counts: Mapping[str, Mapping[str, int]] | None = None,
    masi_regions: Mapping[str, Mapping[str, Any]] | None = None,
) -> AssessmentScores:
    """Return the scores of an assessment's inputs, computed with the scales library, with
    every problem found (not only the first) in `errors`. Stores nothing: the live preview and
    `assessment_record` both use it, so what the form shows is what is saved."""
    errors: dict[str, str] = {}
    chosen, questionnaire = _phototype(phototype, phototype_answers, errors)
    scars = _scars(scar_counts, errors)
    areas, masi, mmasi = _masi(masi_regions, errors)
    return AssessmentScores(
        phototype=chosen,
        fitzpatrick=questionnaire,
        goodman_baron=_goodman_baron(goodman_baron_grade, errors),
        scars=scars,
        scar_total=scales.combine_counts(scars.values()),
        masi_areas=areas,
        masi=masi,
        mmasi=mmasi,
        errors=errors,
    )


def _as_counted(
    given: Mapping[str, Mapping[str, Any]], scars: Mapping[str, scales.ScarCounts]
) -> dict[str, dict[str, int | None]]:
    """Return {area: {scar type: count or None}} for the areas counted: a type left blank is
    "not counted" (None), never 0, which would read as no scar of that type."""
    return {area: {t: given[area].get(t) for t in scales.SCAR_TYPES} for area in scars}


@transaction.atomic
def assessment_record(
    *,
    patient: Patient,
    actor: "User",
    phototype: int | str | None = None,
    phototype_answers: Mapping[str, int] | None = None,
    goodman_baron_grade: int | None = None,
    scar_counts: Mapping[str, Mapping[str, int]] | None = None,
    masi_regions: Mapping[str, Mapping[str, Any]] | None = None,
    notes: str = "",
) -> Assessment:
    """Store a skin and scar assessment with its scores computed here (never trusted from the
    client). Refused as a whole, naming the field, when any input is invalid."""
    require_role(actor, clinical=True, doing="record an assessment")
    scores = assessment_scores(
        phototype=phototype,
        phototype_answers=phototype_answers,
        goodman_baron_grade=goodman_baron_grade,
        scar_counts=scar_counts,
        masi_regions=masi_regions,
    )
    if scores.errors:
        name, message = next(iter(scores.errors.items()))
        raise ServiceError(message, field=name, extra={"errors": scores.errors})
    if scores.is_empty:
        raise ServiceError(
            "Nothing to record: enter a phototype, a grade, scar counts or the MASI regions.", field=""
        )
    regions = {
        r: {**{k: v for k, v in values.items() if v is not None}, "area": scores.masi_areas[r]}
        for r, values in (masi_regions or {}).items()
        if r in scores.masi_areas
    }
    assessment = Assessment(
        patient=patient,
        assessed_by=actor,
        phototype=scores.phototype,
        phototype_answers=dict(phototype_answers) if phototype_answers else None,
        goodman_baron_grade=scores.goodman_baron.grade if scores.goodman_baron else None,
        scar_counts=_as_counted(scar_counts or {}, scores.scars),
        masi_regions=regions or None,
        masi=scores.masi,
        mmasi=scores.mmasi,
        notes=(notes or "").strip(),
    )
    validated(assessment).save()
    audit_record(actor=actor, action="create", obj=assessment, summary="skin and scar assessment")
    return assessment
