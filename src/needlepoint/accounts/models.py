"""Users and their role. Access is decided by role and, for patients, by ownership."""

from django.contrib.auth.models import AbstractUser
from django.db import models


class Role(models.TextChoices):
    MEDICAL_DIRECTOR = "medical_director", "Medical director"
    PRACTITIONER = "practitioner", "Practitioner"
    FRONT_DESK = "front_desk", "Front desk"
    PATIENT = "patient", "Patient"


CLINICAL_ROLES = frozenset({Role.MEDICAL_DIRECTOR, Role.PRACTITIONER})
STAFF_ROLES = frozenset({Role.MEDICAL_DIRECTOR, Role.PRACTITIONER, Role.FRONT_DESK})


class User(AbstractUser):
    role = models.CharField(max_length=32, choices=Role.choices, default=Role.PATIENT)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=models.Q(role__in=Role.values), name="user_role_valid"),
        ]

    @property
    def is_clinical(self) -> bool:
        """True for the medical director and practitioners: they see clinical notes."""
        return self.role in CLINICAL_ROLES

    @property
    def is_clinic_staff(self) -> bool:
        return self.role in STAFF_ROLES

    @property
    def is_medical_director(self) -> bool:
        return self.role == Role.MEDICAL_DIRECTOR

    @property
    def is_patient(self) -> bool:
        return self.role == Role.PATIENT
