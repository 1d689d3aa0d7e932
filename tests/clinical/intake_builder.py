"""The clinical core's baseline intake: the shared one (tests/intakes.py) without scar counts.
Without a Goodman-Baron grade the planner plans for an unknown grade (three sessions for acne
scars), which is the clinical tests' default case; each test that depends on the grade gives
it. `intake(**overrides)` returns a fresh copy with top-level fields replaced."""

import copy
from typing import Any

from intakes import INTAKE

BASE_INTAKE: dict[str, Any] = {key: value for key, value in INTAKE.items() if key != "scars"}


def intake(**overrides: Any) -> dict[str, Any]:
    """Return a deep copy of BASE_INTAKE with `overrides` replacing top-level fields."""
    data = copy.deepcopy(BASE_INTAKE)
    data.update(copy.deepcopy(overrides))
    return data
