"""The contract's vocabularies (needlepoint.intake/1): a protocol may add codes, never remove."""

from collections.abc import Mapping
from typing import Final

INTAKE_SCHEMA: Final = "needlepoint.intake/1"
SCREENING_SCHEMA: Final = "needlepoint.screening/1"
PLAN_SCHEMA: Final = "needlepoint.plan/1"

GOALS: Final = (
    "acne_scars",
    "surgical_scars",
    "stretch_marks",
    "hyperpigmentation",
    "melasma",
    "fine_lines",
    "enlarged_pores",
    "texture",
    "laxity",
)
AREAS: Final = (
    "forehead",
    "temples",
    "periorbital",
    "eyelids",
    "nose",
    "cheeks",
    "perioral",
    "lips",
    "chin",
    "jawline",
    "neck",
    "decolletage",
    "back",
    "abdomen",
    "arms",
    "thighs",
    "buttocks",
)
PREGNANCY: Final = ("no", "pregnant", "breastfeeding", "trying")
CONDITIONS: Final = (
    "acne",
    "skin_infection",
    "herpes_simplex",
    "warts",
    "open_wound",
    "skin_cancer",
    "eczema",
    "psoriasis",
    "rosacea",
    "dermatitis",
    "keloid_tendency",
    "bleeding_disorder",
    "immunosuppression",
    "diabetes",
    "scleroderma",
    "collagen_vascular_disease",
    "sunburn",
    "tattoo",
    "sensitive_skin",
)
CONDITION_STATUSES: Final = ("active", "history", "controlled", "uncontrolled")
SEVERITIES: Final = ("mild", "moderate", "severe")
MEDICATION_STATUSES: Final = ("current", "stopped")
PROCEDURES: Final = (
    "chemical_peel",
    "laser",
    "radiation",
    "botulinum_toxin",
    "dermal_filler",
    "facial_surgery",
    "microneedling",
    "tanning",
)
PEEL_DEPTHS: Final = ("superficial", "medium", "deep")
LASER_KINDS: Final = ("non_ablative", "fractional_ablative", "ablative")
RECOGNISED_ALLERGIES: Final = ("lidocaine", "tetracaine", "benzocaine", "nickel", "stainless_steel")

# Most restrictive first, as the contract orders them.
DECISIONS: Final = (
    "contraindicated",
    "defer",
    "needs_clearance",
    "proceed_with_precautions",
    "eligible",
)
SEVERITY_RANK: Final = {d: len(DECISIONS) - i for i, d in enumerate(DECISIONS)}

# Finding codes the default protocol must be able to produce (the contract's list).
REQUIRED_FINDINGS: Final = (
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


def most_restrictive(decisions: "list[str] | tuple[str, ...]") -> str:
    """Return the most restrictive of `decisions`, or "eligible" when there are none."""
    best = "eligible"
    for d in decisions:
        if SEVERITY_RANK[d] > SEVERITY_RANK[best]:
            best = d
    return best


def area_label(code: str) -> str:
    """Return an area code as words a patient reads ("perioral" stays, "decolletage" too)."""
    return code.replace("_", " ")


def medicine_names(medications: Mapping[str, str]) -> tuple[str, ...]:
    """Return the medicine names a protocol recognises (its name → ATC code table), sorted, for
    staff to pick from: they name a medicine, the code is looked up behind the scenes."""
    return tuple(sorted(medications, key=str.casefold))


def medicine_name_for(code: str, medications: Mapping[str, str]) -> str:
    """Return the protocol's first name for ATC `code` (the generic name, which the table lists
    before brands), or "" when the protocol has no name for it."""
    return next((name for name, atc in medications.items() if atc == code), "")


def medicine_code_for(name: str, medications: Mapping[str, str]) -> str:
    """Return the ATC code the protocol gives medicine `name` (case and surrounding spaces
    ignored, as screening resolves it), or "" for a name it does not know."""
    return medications.get(name.strip().lower(), "")


def name_key(name: str) -> str:
    """Return a name as it is compared: case folded, spaces trimmed and collapsed."""
    return " ".join(name.casefold().split())
