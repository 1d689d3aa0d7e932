"""Where an audit record learns "from where": the client address of the request being served
(None for commands and background work)."""

import contextlib
import contextvars
from collections.abc import Iterator

from django.http import HttpRequest

_ip: contextvars.ContextVar[str | None] = contextvars.ContextVar("audit_ip", default=None)


def client_ip(request: HttpRequest) -> str | None:
    """Return the client's address (REMOTE_ADDR; a proxy in front must set it correctly)."""
    return request.META.get("REMOTE_ADDR") or None


@contextlib.contextmanager
def bind_request(request: HttpRequest) -> Iterator[None]:
    token = _ip.set(client_ip(request))
    try:
        yield
    finally:
        _ip.reset(token)


def current_ip() -> str | None:
    return _ip.get()
