"""State changes of the clinic: one typed, keyword-only service per action, each validating
(`full_clean`) before saving, writing the audit trail, and all-or-nothing (atomic). HTML views
and the JSON API call the same services."""

from typing import Any

from django.db.models import F, Model


class ServiceError(Exception):
    """A state change was refused; `message` says why in words the user understands and
    `field` names the input at fault (or "" for the whole request)."""

    def __init__(self, message: str, *, field: str = "", extra: dict[str, Any] | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        self.extra = extra or {}


class StaleEdit(ServiceError):
    """Someone else saved this record since it was opened: the edit is refused, not merged."""


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
