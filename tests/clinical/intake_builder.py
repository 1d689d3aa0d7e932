"""One valid intake (an adult with acne scars and nothing against treatment) for the clinical
tests, and a builder that returns a fresh copy with top-level fields replaced."""

import copy
from typing import Any

ASSESSED_ON = "2026-11-22"
ADULT_BIRTH_DATE = "1994-03-02"

BASE_INTAKE: dict[str, Any] = {
    "schema": "needlepoint.intake/1",
    "assessed_on": ASSESSED_ON,
    "patient": {"birth_date": ADULT_BIRTH_DATE},
    "goals": ["acne_scars"],
    "areas": ["cheeks", "forehead"],
    "skin": {"fitzpatrick": 3},
    "pregnancy": "no",
    "conditions": [],
    "medications": [],
    "procedures": [],
    "allergies": [],
}


def intake(**overrides: Any) -> dict[str, Any]:
    """Return a deep copy of BASE_INTAKE with `overrides` replacing top-level fields."""
    data = copy.deepcopy(BASE_INTAKE)
    data.update(copy.deepcopy(overrides))
    return data
