"""Where an audit record learns "from where": the client address of the request being served
(None for commands and background work). The same address feeds the sign-in lockouts and the
inquiry's rate limit, so the audit trail and the throttles always name the same client."""

import contextlib
import contextvars
import ipaddress
from collections.abc import Iterator

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest

_ip: contextvars.ContextVar[str | None] = contextvars.ContextVar("audit_ip", default=None)


def trusted_proxies() -> int:
    """Return NEEDLEPOINT_TRUSTED_PROXIES, the number of reverse proxies in front of the
    application whose X-Forwarded-For entries are believed (0: none)."""
    count = getattr(settings, "NEEDLEPOINT_TRUSTED_PROXIES", 0)
    if isinstance(count, bool) or not isinstance(count, int) or count < 0:
        raise ImproperlyConfigured(
            "NEEDLEPOINT_TRUSTED_PROXIES must be a whole number of reverse proxies (0 or more), "
            f"got {count!r}"
        )
    return count


def _address(value: str | None) -> str | None:
    try:
        return str(ipaddress.ip_address((value or "").strip()))
    except ValueError:
        return None


def client_ip(request: HttpRequest) -> str | None:
    """Return the address of the client, as the outermost trusted proxy saw it.

    With no trusted proxy (the default) it is REMOTE_ADDR and X-Forwarded-For is ignored: any
    client can write that header. Each proxy appends the address it received the request from,
    so with N trusted proxies the client is the Nth entry from the right; the entries left of it
    were written by the client and are never read. A request with fewer entries than trusted
    proxies (or a garbled one) did not come through the proxies as configured: it gets
    REMOTE_ADDR, the one address nobody can forge."""
    remote = _address(request.META.get("REMOTE_ADDR"))
    count = trusted_proxies()
    if count == 0:
        return remote
    forwarded = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    if len(forwarded) < count or not forwarded[-count]:
        return remote
    return _address(forwarded[-count]) or remote


@contextlib.contextmanager
def bind_request(request: HttpRequest) -> Iterator[None]:
    token = _ip.set(client_ip(request))
    try:
        yield
    finally:
        _ip.reset(token)


def current_ip() -> str | None:
    return _ip.get()
