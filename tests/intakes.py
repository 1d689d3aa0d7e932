"""The tests' baseline intake (contract needlepoint.intake/1): an adult born 2 March 1994,
assessed on 22 November 2026, with acne scars on the cheeks and forehead (Goodman-Baron grade 3)
and nothing against treatment. `intake_with(**changes)` returns a fresh copy with top-level
fields replaced, so each test says only how its patient differs from this one."""

import copy
from typing import Any

ASSESSED_ON = "2026-11-22"
ADULT_BIRTH_DATE = "1994-03-02"

INTAKE: dict[str, Any] = {
    "schema": "needlepoint.intake/1",
    "assessed_on": ASSESSED_ON,
    "patient": {"birth_date": ADULT_BIRTH_DATE},
    "goals": ["acne_scars"],
    "areas": ["cheeks", "forehead"],
    "skin": {"fitzpatrick": 3},
    "scars": {"icepick": 3, "boxcar": 8, "rolling": 10, "hypertrophic": 0, "goodman_baron_grade": 3},
    "pregnancy": "no",
    "conditions": [],
    "medications": [],
    "procedures": [],
    "allergies": [],
}


def intake_with(**changes: Any) -> dict[str, Any]:
    """Return a deep copy of INTAKE with `changes` replacing top-level fields."""
    data = copy.deepcopy(INTAKE)
    data.update(copy.deepcopy(changes))
    return data
