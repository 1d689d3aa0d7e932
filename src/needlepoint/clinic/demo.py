"""The demo clinic: staff, rooms, devices and invented patients at every stage of their path.

Built through the same services the clinic uses, replayed at past dates (time-machine) so the
history reads like months of real use: the audit trail, signatures and check-ins carry the
dates they would have had."""

import datetime as dt
import random
from collections.abc import Callable
from typing import Any

import time_machine
from django.db import transaction
from django.utils import timezone

from needlepoint.accounts.models import Role, User
from needlepoint.clinic.models import Device, Patient, Room
from needlepoint.clinic.services.screening import intake_create, screening_run

STAFF = [
    ("maria", Role.MEDICAL_DIRECTOR, "Maria", "Moreau"),
    ("paula", Role.PRACTITIONER, "Paula", "Petrov"),
    ("peter", Role.PRACTITIONER, "Peter", "Nakamura"),
    ("frank", Role.FRONT_DESK, "Frank", "Okafor"),
]
FIRST = ["Amara", "Bilal", "Chloe", "Dario", "Elif", "Farah", "Gabriel", "Hana", "Ivan", "Jade",
         "Kofi", "Lena", "Mateo", "Nadia", "Omar", "Priya", "Quinn", "Rosa", "Samir", "Tess",
         "Umar", "Vera", "Wen", "Ximena", "Yusuf", "Zara", "Aiko", "Bruno", "Carmen", "Dev"]
LAST = ["Adeyemi", "Baker", "Costa", "Dubois", "Eriksen", "Fischer", "Garcia", "Haddad", "Ito",
        "Jensen", "Kowalski", "Lopez", "Mensah", "Novak", "Olsen", "Patel", "Quint", "Rossi",
        "Silva", "Tanaka", "Usman", "Varga", "Wright", "Xu", "Yilmaz", "Zhang", "Abbott", "Berg",
        "Chen", "Diaz"]


def _now() -> dt.datetime:
    return timezone.now()


def _intake(rng: random.Random, birth: dt.date, today: dt.date, **extra: Any) -> dict[str, Any]:
    goal = rng.choice(["acne_scars", "acne_scars", "acne_scars", "melasma", "fine_lines", "texture"])
    data = {
        "schema": "needlepoint.intake/1",
        "assessed_on": today.isoformat(),
        "patient": {"birth_date": birth.isoformat()},
        "goals": [goal],
        "areas": rng.sample(["cheeks", "forehead", "chin", "temples", "jawline"], 2),
        "skin": {"fitzpatrick": rng.randint(1, 6)},
        "scars": {"icepick": rng.randint(0, 6), "boxcar": rng.randint(0, 10),
                  "rolling": rng.randint(0, 12), "hypertrophic": 0,
                  "goodman_baron_grade": rng.randint(2, 4)} if goal == "acne_scars" else {},
        "pregnancy": "no",
        "conditions": [], "medications": [], "procedures": [], "allergies": [],
    }
    data.update(extra)
    return data


def _staff(password: Callable[[str], str]) -> dict[str, dict[str, str]]:
    logins = {}
    for username, role, first, last in STAFF:
        secret = password(username)
        User.objects.create_user(username=username, password=secret, role=role,
                                 first_name=first, last_name=last, email=f"{username}@demo.invalid")
        logins[username] = {"role": str(Role(role).label), "password": secret}
    return logins


def _resources() -> None:
    for name, kind in [("Treatment room 1", "treatment"), ("Treatment room 2", "treatment"),
                       ("Numbing lounge", "numbing"), ("Consultation room", "consult")]:
        Room.objects.create(name=name, kind=kind)
    for name, kind, serial in [("Microneedling pen A", "pen", "PEN-0001"),
                               ("Microneedling pen B", "pen", "PEN-0002"),
                               ("Centrifuge", "centrifuge", "CEN-0001")]:
        Device.objects.create(name=name, kind=kind, serial=serial)


def _patient(rng: random.Random, i: int, actor: User) -> Patient:
    birth = dt.date(rng.randint(1962, 2003), rng.randint(1, 12), rng.randint(1, 28))
    first, last = FIRST[i % len(FIRST)], LAST[(i * 7) % len(LAST)]
    patient = Patient(first_name=first, last_name=last, birth_date=birth,
                      email=f"{first.lower()}.{last.lower()}@demo.invalid",
                      phone=f"+44 7700 9{i:05d}", created_by=actor)
    patient.full_clean()
    patient.save()
    return patient


def _consultation(rng: random.Random, patient: Patient, actor: User, **extra: Any) -> None:
    today = timezone.localdate()
    intake = intake_create(patient=patient, data=_intake(rng, patient.birth_date, today, **extra),
                           source="consultation", actor=actor)
    screening_run(intake=intake, actor=actor)


@transaction.atomic
def build_demo_clinic(*, patients: int, password: Callable[[str], str]) -> dict[str, dict[str, str]]:
    """Create the demo clinic; return {username: {"role", "password"}} for the printed logins."""
    rng = random.Random(20261122)
    logins = _staff(password)
    _resources()
    practitioner = User.objects.get(username="paula")
    start = _now() - dt.timedelta(days=150)
    for i in range(patients):
        with time_machine.travel(start + dt.timedelta(days=i * 4), tick=True):
            patient = _patient(rng, i, practitioner)
            _consultation(rng, patient, practitioner)
    return logins
