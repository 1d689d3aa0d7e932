"""Users and their role. Access is decided by role and, for patients, by ownership. Also the
staff invitation links (only a hash of each token is kept) and the record of each user's
sessions (so that deactivating someone or changing their role signs them out at once)."""

from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.contrib.auth.models import UserManager as DjangoUserManager
from django.db import models


class Role(models.TextChoices):
    MEDICAL_DIRECTOR = "medical_director", "Medical director"
    PRACTITIONER = "practitioner", "Practitioner"
    FRONT_DESK = "front_desk", "Front desk"
    PATIENT = "patient", "Patient"


CLINICAL_ROLES = frozenset({Role.MEDICAL_DIRECTOR, Role.PRACTITIONER})
STAFF_ROLES = frozenset({Role.MEDICAL_DIRECTOR, Role.PRACTITIONER, Role.FRONT_DESK})


class UserManager(DjangoUserManager["User"]):
    def create_superuser(
        self, username: str, email: str | None = None, password: str | None = None, **extra_fields: Any
    ) -> "User":
        """Django's `createsuperuser` makes a medical director, never a patient (the role's
        default). Their second factor is enrolled from a link: `create_medical_director` prints
        one (with `--new-link` for an existing medical director)."""
        extra_fields.setdefault("role", Role.MEDICAL_DIRECTOR)
        if extra_fields["role"] != Role.MEDICAL_DIRECTOR:
            raise ValueError("A superuser must be a medical director.")
        return super().create_superuser(username, email, password, **extra_fields)


class User(AbstractUser):
    role = models.CharField(max_length=32, choices=Role.choices, default=Role.PATIENT)

    objects = UserManager()  # type: ignore[misc]  # django-stubs types AbstractUser.objects as the base manager

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


class InvitationPurpose(models.TextChoices):
    INVITATION = "invitation", "Invitation"
    RESET = "reset", "New second factor"


class StaffInvitation(models.Model):
    """A one-time link to choose a password and enrol a second factor. Only the SHA-256 of the
    token is stored; the link works once, until `expires_at`, and a newer link voids it."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="invitations")
    purpose = models.CharField(max_length=20, choices=InvitationPurpose.choices)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    used_at = models.DateTimeField(null=True, blank=True)
    voided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user"],
                condition=models.Q(used_at__isnull=True, voided_at__isnull=True),
                name="staff_invitation_one_open_per_user",
            ),
            models.CheckConstraint(
                condition=models.Q(expires_at__gt=models.F("created_at")),
                name="staff_invitation_expires_later",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_purpose_display()} for {self.user}"


class UserSession(models.Model):
    """A session a user signed in with (its key), so that all of them can be ended at once."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    session_key = models.CharField(max_length=40, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
