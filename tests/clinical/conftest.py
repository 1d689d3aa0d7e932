"""Shared fixtures for the clinical-core tests: the default protocol, an intake builder and a
one-call screening helper.

- `protocol`: the default protocol (protocols/default.yaml), loaded once per session.
- `make_intake(**overrides)`: a valid needlepoint.intake/1 dict of an adult with acne scars and
  nothing against treatment; keyword arguments replace top-level keys. Two shortcuts reach into
  nested objects: `birth_date=` sets patient.birth_date and `fitzpatrick=` sets
  skin.fitzpatrick. Every call returns a fresh, independent dict.
- `screen(data)`: parses `data` with `intake_from_mapping` and returns the `Screening` made by a
  `Screener` over the default protocol.
"""

import copy
from collections.abc import Callable
from typing import Any

import pytest
from intake_builder import BASE_INTAKE

from needlepoint.clinical.intake import intake_from_mapping
from needlepoint.clinical.protocol import Protocol, load_protocol
from needlepoint.clinical.screening import Screener, Screening

MakeIntake = Callable[..., dict[str, Any]]
ScreenIntake = Callable[[dict[str, Any]], Screening]


@pytest.fixture(scope="session")
def protocol() -> Protocol:
    """The default protocol, loaded and checked once."""
    return load_protocol()


@pytest.fixture(scope="session")
def screener(protocol: Protocol) -> Screener:
    return Screener(protocol)


@pytest.fixture
def make_intake() -> MakeIntake:
    """Return a builder of valid intake dicts (see the module docstring)."""

    def build(**overrides: Any) -> dict[str, Any]:
        data = copy.deepcopy(BASE_INTAKE)
        if "birth_date" in overrides:
            data["patient"] = {"birth_date": overrides.pop("birth_date")}
        if "fitzpatrick" in overrides:
            data["skin"] = {"fitzpatrick": overrides.pop("fitzpatrick")}
        data.update(copy.deepcopy(overrides))
        return data

    return build


@pytest.fixture
def screen(protocol: Protocol, screener: Screener) -> ScreenIntake:
    """Return a function screening an intake dict against the default protocol."""
    vocabulary = protocol.vocabulary_for_intake()

    def run(data: dict[str, Any]) -> Screening:
        return screener.screen(intake_from_mapping(data, vocabulary))

    return run
