"""State changes of the clinic: one typed, keyword-only service per action, each validating
(`validated`) before saving, writing the audit trail, and all-or-nothing (atomic). Here too the
plumbing every service shares: the error types (each with the HTTP status a view answers), the
role check, validation and the clinic's today."""

import datetime as dt
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db.models import F, Field, Model
from django.utils import timezone

if TYPE_CHECKING:
    from needlepoint.accounts.models import User


class ServiceError(Exception):
    """A state change was refused; `message` says why in words the user understands and
    `field` names the input at fault (or "" for the whole request). Views answer with
    `http_status`: 400 for bad input, 409 when the record changed under the user."""

    http_status = 400

    def __init__(self, message: str, *, field: str = "", extra: dict[str, Any] | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        self.extra = extra or {}


class StaleEdit(ServiceError):
    """Someone else saved this record since it was opened: the edit is refused, not merged."""

    http_status = 409


class Blocked(ServiceError):
    """Clinical safety refuses the action (screening defers, contraindicates, lacks a clearance
    or consent)."""


def bump_version(obj: Model, *, expected: int, **changes: Any) -> None:
    """Save `changes` on `obj` only if its version is still `expected` (a conditional update
    settled by the database); raise StaleEdit otherwise. Updates `obj` in memory."""
    model = type(obj)
    updated = model._default_manager.filter(pk=obj.pk, version=expected).update(
        version=F("version") + 1, **changes
    )
    if updated != 1:
        raise StaleEdit(
            "Someone else changed this record after you opened it. Reload the page "
            "to see their changes, then make yours again.",
            field="version",
        )
    for key, value in changes.items():
        setattr(obj, key, value)
    obj.version = expected + 1  # type: ignore[attr-defined]


def validated[M: Model](obj: M, *, exclude: Iterable[str] = (), labelled: bool = False) -> M:
    """Run `full_clean()` on `obj` and return it; raise ServiceError with Django's message for
    the first field at fault (field "" when the fault is the whole record). `labelled` gives
    that field's first message only, after its label ("First name: This field cannot be
    blank."), for pages that show the error apart from the field."""
    try:
        obj.full_clean(exclude=list(exclude) or None)
    except ValidationError as exc:
        name, messages = next(iter(exc.message_dict.items()))
        field = "" if name == NON_FIELD_ERRORS else name
        if not labelled:
            raise ServiceError(" ".join(messages), field=field) from None
        found = obj._meta.get_field(field) if field else None
        label = f"{str(found.verbose_name).capitalize()}: " if isinstance(found, Field) else ""
        raise ServiceError(label + messages[0], field=field) from None
    return obj


def require_role(actor: "User", *, doing: str, clinical: bool = False, director: bool = False) -> None:
    """Refuse `actor` unless they are clinic staff (the default), clinical staff (medical
    director or practitioner) or the medical director; `doing` completes "Only ... can ___"."""
    if director and not actor.is_medical_director:
        raise ServiceError(f"Only the medical director can {doing}.")
    if clinical and not actor.is_clinical:
        raise ServiceError(f"Only the medical director or a practitioner can {doing}.")
    if not actor.is_clinic_staff:
        raise ServiceError(f"Only the clinic's staff can {doing}.")


def clinic_today() -> dt.date:
    """Today's date in the clinic's zone (TIME_ZONE), whatever zone is active."""
    return timezone.localdate(timezone.now(), timezone.get_default_timezone())
