"""The scheduling core's one exception type."""

from typing import Any


class SchedulingError(ValueError):
    """A calendar, request or booking cannot be used: `field` names what is wrong.

    Raised for bad input only (a naive datetime, hours that end before they start, a course
    request with a maximum gap below its minimum). A course that cannot be booked is not an
    error: the search says so in `why_not`."""

    def __init__(self, message: str, *, field: str):
        super().__init__(message)
        self.message = message
        self.field = field

    def as_dict(self) -> dict[str, Any]:
        """Return the contract's error shape: {"message": ..., "extra": {"field": ...}}."""
        return {"message": self.message, "extra": {"field": self.field}}
