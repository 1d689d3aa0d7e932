"""Shared fixtures for the clinic application tests: personas and a patient at every stage.

Personas: patient A and patient B (portal users, each with their own record), front desk,
practitioner, medical director, and anonymous (the plain `client`).

Time is data: every test starts on the same frozen "today" (`FROZEN_NOW`, Monday 23 November
2026, 09:00 in London, which is GMT then) with the clock ticking from there, so no test depends
on the day it runs. A test that needs another moment travels there itself (time_machine nests).
`make test` proves it by running the suite again with the machine's clock moved ahead."""

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import time_machine

from clock import FROZEN_NOW, FROZEN_TODAY  # noqa: F401  (FROZEN_TODAY: for tests that import it here)
from intakes import intake_with


@pytest.fixture(autouse=True)
def frozen_clock() -> Iterator[time_machine.Traveller]:
    """Start every test at `FROZEN_NOW`; the clock ticks on from there."""
    with time_machine.travel(FROZEN_NOW, tick=True) as traveller:
        yield traveller


@pytest.fixture
def intake_a() -> dict[str, Any]:
    """A fresh copy of the baseline intake (tests/intakes.py): an adult with acne scars and
    nothing against treatment."""
    return intake_with()


@dataclass
class Personas:
    patient_a: Any
    patient_b: Any
    front_desk: Any
    practitioner: Any
    director: Any
    record_a: Any
    record_b: Any


@pytest.fixture
def personas(db: Any) -> Personas:
    from needlepoint.accounts.models import Role, User
    from needlepoint.clinic.models import Patient

    def user(name: str, role: str) -> Any:
        return User.objects.create_user(
            username=name, password="correct horse battery", role=role, first_name=name.title()
        )

    pa, pb = user("anna", Role.PATIENT), user("ben", Role.PATIENT)
    rec_a = Patient.objects.create(
        first_name="Anna",
        last_name="Alvarez",
        birth_date=dt.date(1994, 3, 2),
        email="anna@example.org",
        user=pa,
    )
    rec_b = Patient.objects.create(
        first_name="Ben", last_name="Brown", birth_date=dt.date(1988, 7, 9), email="ben@example.org", user=pb
    )
    return Personas(
        pa,
        pb,
        user("frank", Role.FRONT_DESK),
        user("paula", Role.PRACTITIONER),
        user("maria", Role.MEDICAL_DIRECTOR),
        rec_a,
        rec_b,
    )


@pytest.fixture
def client_for(client: Any) -> Any:
    """Return a function giving a test client signed in as a persona's user."""
    from django.test import Client

    def make(user: Any) -> Client:
        c = Client()
        c.force_login(user)
        return c

    return make
