"""Patient records: registration, contact-detail edits (optimistically locked) and the optional
portal login. Every change is validated, audited and all-or-nothing.

One person, one record: registering someone whose name and date of birth, or email, match an
existing record is refused with the matching records (`PossibleDuplicate`), so staff open the
record they already have; a separate record is kept only with a written reason, stored on the
record and in the audit trail. Names match ignoring case, accents and surrounding spaces.

A portal login's username is the patient's email; its one-time link to choose a password is
emailed to that address only (`needlepoint.accounts.password_links`), never shown to staff."""

import copy
import datetime as dt
import logging
import re
import unicodedata
from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from needlepoint.accounts.models import Role
from needlepoint.accounts.password_links import (
    LINKS_PER_ADDRESS,
    Purpose,
    send_set_password_email,
    take_link_slot,
)
from needlepoint.audit.services import audit_record
from needlepoint.clinic.models import Patient
from needlepoint.clinic.services import ServiceError, bump_version, clinic_today, require_role, validated
from needlepoint.words import human_when

if TYPE_CHECKING:
    from needlepoint.accounts.models import User

log = logging.getLogger(__name__)

MAX_AGE_YEARS = 130
MIN_REASON_CHARS = 10
MAX_MATCHES = 10
PHONE_RE = re.compile(r"^[0-9+() .\-]{3,40}$")
CONTACT_FIELDS = ("first_name", "last_name", "birth_date", "email", "phone")
LIMIT_AUDIT = "link to set a password not sent: the address had its share of emails this hour"


def _check_birth_date(birth_date: dt.date) -> None:
    today = clinic_today()
    if birth_date > today:
        raise ServiceError("Date of birth cannot be in the future.", field="birth_date")
    if today.year - birth_date.year > MAX_AGE_YEARS:
        raise ServiceError(
            f"Date of birth is more than {MAX_AGE_YEARS} years ago: check the year.", field="birth_date"
        )


def _check_phone(phone: str) -> None:
    if phone and not PHONE_RE.match(phone):
        raise ServiceError("Phone: use digits, spaces and + ( ) - only.", field="phone")


def _contact(first_name: str, last_name: str, birth_date: dt.date, email: str, phone: str) -> dict[str, Any]:
    """Return the contact details trimmed and checked (birth date, phone)."""
    _check_birth_date(birth_date)
    phone = phone.strip()
    _check_phone(phone)
    return {
        "first_name": first_name.strip(),
        "last_name": last_name.strip(),
        "birth_date": birth_date,
        "email": email.strip(),
        "phone": phone,
    }


def _user_or_none(actor: "User | None") -> "User | None":
    return actor if actor is not None and actor.is_authenticated else None


class PossibleDuplicate(ServiceError):
    """The person may already have a record: `matches` are the records that match, best first.
    Open one of them, or register again with a written reason for a separate record."""

    def __init__(self, message: str, *, matches: list[Patient]):
        super().__init__(
            message, field="duplicate_reason", extra={"records": [p.record_number for p in matches]}
        )
        self.matches = matches


def name_key(name: str) -> str:
    """Return `name` as it is compared: accents dropped, case folded, spaces trimmed and
    collapsed ("  José  María " and "jose maria" give the same key)."""
    decomposed = unicodedata.normalize("NFKD", name)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(plain.casefold().split())


def patient_matches(
    *, first_name: str, last_name: str, birth_date: dt.date, email: str, exclude: int | None = None
) -> list[Patient]:
    """Return the records of the same person: same first and last name (ignoring case, accents
    and surrounding spaces) and date of birth, or the same email (ignoring case). Those
    matching on both come first. One query: the candidates born that day or using that email."""
    email = email.strip()
    wanted = (name_key(first_name), name_key(last_name))
    same = Q(birth_date=birth_date) | (Q(email__iexact=email) if email else Q(pk__in=[]))
    candidates = Patient.objects.filter(same)
    if exclude is not None:
        candidates = candidates.exclude(pk=exclude)
    found: list[tuple[int, Patient]] = []
    for p in candidates.order_by("id")[:200]:
        by_name = p.birth_date == birth_date and (name_key(p.first_name), name_key(p.last_name)) == wanted
        by_email = bool(email) and p.email.strip().casefold() == email.casefold()
        if by_name or by_email:
            found.append((0 if by_name and by_email else 1, p))
    return [p for _, p in sorted(found, key=lambda t: (t[0], t[1].pk))][:MAX_MATCHES]


def _duplicate_check(contact: dict[str, Any], reason: str) -> tuple[Patient | None, str]:
    """Return (the record matched, the reason) for a deliberate duplicate, (None, "") when no
    record matches; raise PossibleDuplicate when one matches and no usable reason is given."""
    matches = patient_matches(**{k: contact[k] for k in ("first_name", "last_name", "birth_date", "email")})
    if not matches:
        return None, ""
    reason = " ".join((reason or "").split())
    if not reason:
        raise PossibleDuplicate(
            "This person may already have a record: open it instead, or give the reason for "
            "a separate record.",
            matches=matches,
        )
    if len(reason) < MIN_REASON_CHARS:
        raise PossibleDuplicate(
            f"Give the reason for a separate record in a few words (at least {MIN_REASON_CHARS} "
            "characters), for example that these are two people with the same name.",
            matches=matches,
        )
    return matches[0], reason


@transaction.atomic
def patient_register(
    *,
    first_name: str,
    last_name: str,
    birth_date: dt.date,
    email: str,
    phone: str,
    actor: "User",
    duplicate_reason: str = "",
) -> Patient:
    """Create and return a patient record with their contact details.

    Refused with PossibleDuplicate when the name and date of birth, or the email, match an
    existing record, unless `duplicate_reason` says why a separate record is right (then the
    reason and the record it matched are stored and audited)."""
    contact = _contact(first_name, last_name, birth_date, email, phone)
    patient = Patient(**contact, created_by=_user_or_none(actor))
    validated(patient, labelled=True)
    original, reason = _duplicate_check(contact, duplicate_reason)
    patient.duplicate_of, patient.duplicate_reason = original, reason
    patient.save()
    summary = "patient registered"
    if original is not None:
        summary += f", separate from {original.record_number}: {reason}"
    audit_record(actor=actor, action="create", obj=patient, summary=summary[:255])
    return patient


@transaction.atomic
def patient_update(
    *,
    patient: Patient,
    expected_version: int,
    first_name: str,
    last_name: str,
    birth_date: dt.date,
    email: str,
    phone: str,
    actor: "User",
) -> Patient:
    """Save new contact details if nobody saved the record since `expected_version` was read;
    raise StaleEdit otherwise (nothing is saved). Returns the updated patient."""
    changes = _contact(first_name, last_name, birth_date, email, phone)
    candidate = copy.copy(patient)
    for key, value in changes.items():
        setattr(candidate, key, value)
    validated(candidate, exclude=["user", "created_by"], labelled=True)
    changed = [k for k, v in changes.items() if getattr(patient, k) != v]
    bump_version(patient, expected=expected_version, **changes)
    audit_record(
        actor=actor,
        action="change",
        obj=patient,
        summary="changed " + (", ".join(changed) if changed else "nothing"),
    )
    return patient


USERNAME_TAKEN = (
    "Another login already uses this email as its username, so it cannot be this patient's: "
    "if this person already has a record with a portal login, open that record; otherwise "
    "correct the email on this record."
)


class TooManyLinks(ServiceError):
    """The address had its share of set-password emails this hour: nothing was sent."""

    http_status = 429


class LinkNotSent(ServiceError):
    """The mail server did not take the email: nothing was sent, nothing else changed."""

    http_status = 503


def _portal_user(patient: Patient, email: str) -> "User":
    user_model = get_user_model()
    if user_model._default_manager.filter(username__iexact=email).exists():
        raise ServiceError(USERNAME_TAKEN, field="email")
    user = user_model(
        username=email,
        email=email,
        role=Role.PATIENT,
        first_name=patient.first_name,
        last_name=patient.last_name,
    )
    user.set_unusable_password()
    try:
        validated(user, labelled=True)
    except ServiceError as exc:
        raise ServiceError(f"This email cannot be a portal username ({exc.message})", field="email") from None
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:  # the same email, made a login a moment ago by someone else
        raise ServiceError(USERNAME_TAKEN, field="email") from None
    return user


@transaction.atomic
def patient_portal_account_create(*, patient: Patient, actor: "User") -> "User":
    """Create a portal login (role patient, username = the email in lower case, no usable
    password yet) for `patient` and return the user. Nobody is shown a way in: the caller then
    emails the login its one-time link with `patient_portal_link_send`. Refused without an
    email, and when another login already has this email as its username."""
    require_role(actor, doing="create a portal login")
    if patient.user_id is not None:
        raise ServiceError("This patient already has a portal login.", field="user")
    email = patient.email.strip().lower()
    if not email:
        raise ServiceError(
            "Add the patient's email first: a portal login needs one, as the patient's username "
            "and as the only place the link to set a password is sent.",
            field="email",
        )
    user = _portal_user(patient, email)
    if Patient.objects.filter(pk=patient.pk, user__isnull=True).update(user=user) != 1:
        raise ServiceError("This patient already has a portal login.", field="user")
    patient.user = user
    audit_record(
        actor=actor,
        action="create",
        obj=user,
        patient_id=patient.pk,
        summary=f"portal login created, username {email}"[:255],
    )
    return user


def _sendable_login(patient: Patient) -> "User":
    user = patient.user
    if user is None:
        raise ServiceError("This patient has no portal login yet: create one first.", field="user")
    if not user.is_active:
        raise ServiceError("This patient's portal login is switched off.", field="user")
    if not user.email:
        raise ServiceError("This portal login has no email to send the link to.", field="email")
    return user


def patient_portal_link_send(*, patient: Patient, actor: "User", purpose: Purpose = "again") -> str:
    """Email the patient's portal login its one-time link to choose a password and return the
    address it went to: the login's own email (its username), never the record's, which staff
    can edit. The link is never returned or shown. Refused (TooManyLinks, 429) when the address
    had LINKS_PER_ADDRESS such emails in the last hour, saying when the next may go; LinkNotSent
    (503) when the mail server does not take it. Each send and each refusal for the limit is
    audited, without the link."""
    require_role(actor, doing="send a portal login its link to set a password")
    user = _sendable_login(patient)
    next_at = take_link_slot(user.email)
    if next_at is not None:
        audit_record(actor=actor, action="deny", obj=user, patient_id=patient.pk, summary=LIMIT_AUDIT)
        when = human_when(next_at, timezone.get_default_timezone_name())
        raise TooManyLinks(
            f"{user.email} has had {LINKS_PER_ADDRESS} emails with a link in the last hour: "
            f"the next can be sent from {when}. The link already sent works until it is used.",
            field="user",
        )
    try:
        send_set_password_email(user, purpose=purpose)
    except Exception:
        log.exception("link to set a password for user %s could not be sent", user.pk)
        raise LinkNotSent(
            "The email with the link could not be sent (the mail server did not take it). "
            "The login is there: try “Send the link to set a password again” on the patient's "
            "record in a few minutes.",
            field="user",
        ) from None
    summary = f"one-time link to set a password emailed to {user.email} ({purpose})"
    audit_record(actor=actor, action="create", obj=user, patient_id=patient.pk, summary=summary[:255])
    return str(user.email)
