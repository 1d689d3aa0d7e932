"""The clinical core's exception types: one per subsystem, each naming what is wrong."""

from typing import Any


class IntakeError(ValueError):
    """An intake cannot be used: `field` is the dotted path of the offending field."""

    def __init__(self, message: str, *, field: str, errors: list[dict[str, str]] | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        self.errors = errors or [{"field": field, "message": message}]

    def as_dict(self) -> dict[str, Any]:
        """Return the contract's error shape: {"message": ..., "extra": {"field": ...}}."""
        return {"message": self.message, "extra": {"field": self.field, "errors": self.errors}}


class ProtocolError(ValueError):
    """A protocol file is refused: names the file, the entry and what is wrong."""

    def __init__(self, problem: str, *, file: str, entry: str):
        super().__init__(f"{file}: {entry}: {problem}")
        self.problem = problem
        self.file = file
        self.entry = entry

    def as_dict(self) -> dict[str, Any]:
        """Return the contract's error shape, with the file and entry in `extra`."""
        return {
            "message": str(self),
            "extra": {"field": "protocol", "file": self.file, "entry": self.entry},
        }


class PlanningError(ValueError):
    """A plan cannot be made from the given inputs (e.g. a goal the protocol does not cover)."""

    def __init__(self, message: str, *, field: str):
        super().__init__(message)
        self.message = message
        self.field = field


class ScaleError(ValueError):
    """An input to an assessment scale is invalid; the message says which and why."""
