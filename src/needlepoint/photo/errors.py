"""The photo core's one exception type: bad input, naming the offending field."""

from typing import Any


class PhotoError(ValueError):
    """A photo or an argument cannot be used: `field` names which (`file`, `region`, `before`, `after`)."""

    def __init__(self, message: str, field: str = "file"):
        super().__init__(message)
        self.message = message
        self.field = field

    def as_dict(self) -> dict[str, Any]:
        """Return the contract's error shape: {"message": ..., "extra": {"field": ...}}."""
        return {"message": self.message, "extra": {"field": self.field}}
