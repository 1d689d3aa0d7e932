"""Patient records: registration, contact-detail edits (optimistically locked) and the optional
portal login. Every change is validated, audited and all-or-nothing."""

import copy
import datetime as dt
import re
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Model
from django.utils import timezone

from needlepoint.accounts.models import Role
from needlepoint.audit.services import audit_record
from needlepoint.clinic.models import Patient
from needlepoint.clinic.services import ServiceError, bump_version

MAX_AGE_YEARS = 130
PHONE_RE = re.compile(r"^[0-9+() .\-]{3,40}$")
CONTACT_FIELDS = ("first_name", "last_name", "birth_date", "email", "phone")


def clinic_today() -> dt.date:
    """Return today's date in the clinic's zone (TIME_ZONE), whatever zone is active."""
    return timezone.localdate(timezone.now(), timezone.get_default_timezone())


def clean_or_refuse(obj: Model, *, exclude: list[str] | None = None) -> None:
    """Run `full_clean()` on `obj`; raise ServiceError naming the first field at fault, in the
    words of the field's label ("First name: This field cannot be blank.")."""
    try:
        obj.full_clean(exclude=exclude)
    except ValidationError as exc:
        field, messages = next(iter(exc.message_dict.items()))
        if field == "__all__":
            raise ServiceError(messages[0]) from None
        label = str(obj._meta.get_field(field).verbose_name).capitalize()
        raise ServiceError(f"{label}: {messages[0]}", field=field) from None


def _check_birth_date(birth_date: dt.date) -> None:
    today = clinic_today()
    if birth_date > today:
        raise ServiceError("Date of birth cannot be in the future.", field="birth_date")
    if today.year - birth_date.year > MAX_AGE_YEARS:
        raise ServiceError(f"Date of birth is more than {MAX_AGE_YEARS} years ago: check the year.",
                           field="birth_date")


def _check_phone(phone: str) -> None:
    if phone and not PHONE_RE.match(phone):
        raise ServiceError("Phone: use digits, spaces and + ( ) - only.", field="phone")


def _contact(first_name: str, last_name: str, birth_date: dt.date, email: str,
             phone: str) -> dict[str, Any]:
    """Return the contact details trimmed and checked (birth date, phone)."""
    _check_birth_date(birth_date)
    phone = phone.strip()
    _check_phone(phone)
    return {"first_name": first_name.strip(), "last_name": last_name.strip(),
            "birth_date": birth_date, "email": email.strip(), "phone": phone}


def _user_or_none(actor: Any) -> Any:
    return actor if getattr(actor, "is_authenticated", False) else None


@transaction.atomic
def patient_register(*, first_name: str, last_name: str, birth_date: dt.date, email: str,
                     phone: str, actor: Any) -> Patient:
    """Create and return a patient record with their contact details."""
    patient = Patient(**_contact(first_name, last_name, birth_date, email, phone),
                      created_by=_user_or_none(actor))
    clean_or_refuse(patient)
    patient.save()
    audit_record(actor=actor, action="create", obj=patient, summary="patient registered")
    return patient


@transaction.atomic
def patient_update(*, patient: Patient, expected_version: int, first_name: str, last_name: str,
                   birth_date: dt.date, email: str, phone: str, actor: Any) -> Patient:
    """Save new contact details if nobody saved the record since `expected_version` was read;
    raise StaleEdit otherwise (nothing is saved). Returns the updated patient."""
    changes = _contact(first_name, last_name, birth_date, email, phone)
    candidate = copy.copy(patient)
    for key, value in changes.items():
        setattr(candidate, key, value)
    clean_or_refuse(candidate, exclude=["user", "created_by"])
    changed = [k for k, v in changes.items() if getattr(patient, k) != v]
    bump_version(patient, expected=expected_version, **changes)
    audit_record(actor=actor, action="change", obj=patient,
                 summary="changed " + (", ".join(changed) if changed else "nothing"))
    return patient


@transaction.atomic
def patient_portal_account_create(*, patient: Patient, actor: Any) -> Any:
    """Create a portal login (role patient, username = email, no usable password yet) for
    `patient` and return the user; the patient sets a password from the clinic's invitation."""
    if patient.user_id is not None:
        raise ServiceError("This patient already has a portal login.", field="user")
    email = patient.email.strip().lower()
    if not email:
        raise ServiceError("Add the patient's email first: it becomes their portal username.",
                           field="email")
    user_model = get_user_model()
    if user_model._default_manager.filter(username__iexact=email).exists():
        raise ServiceError("A login with this email already exists.", field="email")
    user = user_model(username=email, email=email, role=Role.PATIENT,
                      first_name=patient.first_name, last_name=patient.last_name)
    user.set_unusable_password()
    try:
        clean_or_refuse(user)
    except ServiceError as exc:
        raise ServiceError(f"This email cannot be a portal username ({exc.message})",
                           field="email") from None
    user.save()
    if Patient.objects.filter(pk=patient.pk, user__isnull=True).update(user=user) != 1:
        raise ServiceError("This patient already has a portal login.", field="user")
    patient.user = user
    audit_record(actor=actor, action="create", obj=user, patient_id=patient.pk,
                 summary="portal login created")
    return user
