"""Sign-in lockouts, on django-axes: who is locked out, until when, and lifting a lock.

Failures are counted per (account, client address): five wrong passwords for one account from
one address lock that account at that address only; the same person elsewhere, and everyone else
at that address, still sign in. An address alone is locked only past a much higher bar of
failures across accounts (NEEDLEPOINT_ADDRESS_FAILURE_LIMIT), the mark of someone trying many
accounts. Each count covers the cool-off (AXES_COOLOFF_TIME) before the latest failure; a lock
lifts by itself when too few failures remain in it, or at once when the medical director lifts it.
The client address comes from `needlepoint.audit.context.client_ip` (the trusted-proxy rule)."""

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username, get_cool_off, get_failure_limit
from axes.models import AccessAttempt
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from needlepoint.accounts.models import User
from needlepoint.audit.services import audit_record
from needlepoint.words import human_when


def username_key(request: HttpRequest, credentials: dict[str, Any] | None = None) -> str | None:
    """Return the username a failure counts against, in lower case: "Paula" and "paula" are one
    account's failures (AXES_USERNAME_CALLABLE)."""
    raw = (credentials or {}).get("username") or request.POST.get("username") or ""
    return raw.strip().lower()[:150] or None


def _recent(now: dt.datetime | None = None) -> Any:
    """The failures still inside the cool-off (a queryset of axes' AccessAttempt rows)."""
    cool_off = get_cool_off() or dt.timedelta(0)
    return AccessAttempt.objects.filter(attempt_time__gte=(now or timezone.now()) - cool_off)


class PairAndAddressHandler(AxesDatabaseHandler):  # type: ignore[misc]  # axes is untyped
    """Axes' database handler with a second, higher bar for an address across accounts.

    Axes counts the (account, address) pair (AXES_LOCKOUT_PARAMETERS) against AXES_FAILURE_LIMIT;
    once the address as a whole has reached NEEDLEPOINT_ADDRESS_FAILURE_LIMIT, every attempt
    from it counts as having reached the limit."""

    def get_failures(self, request: HttpRequest, credentials: dict[str, Any] | None = None) -> int:
        pair = int(super().get_failures(request, credentials))
        address = request.axes_ip_address  # type: ignore[attr-defined]  # set by axes
        rows = _recent(request.axes_attempt_time).filter(ip_address=address)  # type: ignore[attr-defined]
        total = rows.aggregate(n=Sum("failures_since_start"))["n"] or 0
        if total >= settings.NEEDLEPOINT_ADDRESS_FAILURE_LIMIT:
            return max(pair, int(get_failure_limit(request, credentials)))
        return pair


@dataclass(frozen=True)
class Lockout:
    """One lock: `username` None means every account at `address`."""

    username: str | None
    address: str | None
    failures: int
    since: dt.datetime
    until: dt.datetime

    @property
    def key(self) -> str:
        return f"{self.username or ''}|{self.address or ''}"


def _lock(username: str | None, address: str | None, rows: list[AccessAttempt], bar: int) -> Lockout | None:
    """Return the lock these failures make, or None below the bar. It lifts when the oldest
    failures have left the cool-off and fewer than `bar` remain."""
    failures = sum(r.failures_since_start for r in rows)
    if failures < bar:
        return None
    remaining, oldest = failures, sorted(rows, key=lambda r: r.attempt_time)
    while remaining >= bar:
        last_to_leave = oldest.pop(0)
        remaining -= last_to_leave.failures_since_start
    until = last_to_leave.attempt_time + (get_cool_off() or dt.timedelta(0))
    return Lockout(username, address, failures, max(r.attempt_time for r in rows), until)


def _locks(rows: Iterable[AccessAttempt]) -> list[Lockout]:
    pairs: dict[tuple[str | None, str | None], list[AccessAttempt]] = defaultdict(list)
    addresses: dict[str | None, list[AccessAttempt]] = defaultdict(list)
    for row in rows:
        pairs[(row.username, row.ip_address)].append(row)
        addresses[row.ip_address].append(row)
    found = [_lock(None, a, r, settings.NEEDLEPOINT_ADDRESS_FAILURE_LIMIT) for a, r in addresses.items()]
    found += [_lock(u, a, r, settings.AXES_FAILURE_LIMIT) for (u, a), r in pairs.items()]
    return [lock for lock in found if lock is not None]


def current_lockouts() -> list[Lockout]:
    """Every lock in force now, the latest first (the medical director's page)."""
    return sorted(_locks(_recent()), key=lambda lock: (lock.since, lock.key), reverse=True)


def lockout_for(*, username: str | None, address: str | None) -> Lockout | None:
    """The lock that refuses this account at this address now, the one lasting longest."""
    rows = _recent().filter(ip_address=address)
    locks = [lock for lock in _locks(rows) if lock.username in (None, username)]
    return max(locks, key=lambda lock: lock.until, default=None)


def lockout_message(lock: Lockout | None) -> str:
    """Say why signing in is refused, until when (the clinic's clock), and who can lift it."""
    when = human_when(lock.until, settings.TIME_ZONE) if lock else "a quarter of an hour from now"
    which = "for this account " if lock is None or lock.username else ""
    return (
        f"Too many failed sign-in attempts {which}from your connection. Signing in here is paused "
        f"until {when}; try again then. The medical director can lift the pause sooner."
    )


def lockout_response(
    request: HttpRequest,
    original_response: HttpResponse | None = None,
    credentials: dict[str, Any] | None = None,
) -> HttpResponse:
    """The sign-in page again (status 429), saying until when signing in is paused and who can
    lift it (AXES_LOCKOUT_CALLABLE). The password typed is never checked while locked."""
    from needlepoint.accounts.forms import ThrottledLoginForm

    username = get_client_username(request, credentials)
    lock = lockout_for(username=username, address=request.axes_ip_address)  # type: ignore[attr-defined]
    form = ThrottledLoginForm(request, initial={"username": request.POST.get("username", "")})
    context = {"form": form, "locked": lockout_message(lock), "next": request.POST.get("next", "")}
    return render(request, "accounts/login.html", context, status=429)


@transaction.atomic
def lockout_lift(*, actor: User, username: str | None, address: str | None) -> int:
    """Lift one lock (the medical director's decision, audited): forget the failures of this
    account at this address, or of every account at the address. Returns how many were forgotten."""
    if not actor.is_medical_director:
        raise PermissionDenied("Only the medical director lifts a sign-in lock.")
    rows = AccessAttempt.objects.filter(ip_address=address)
    if username is not None:
        rows = rows.filter(username=username)
    forgotten: int = sum(row.failures_since_start for row in rows)
    rows.delete()
    who = f"{username!r}" if username else "every account"
    account = User.objects.filter(username__iexact=username).first() if username else None
    audit_record(
        actor=actor,
        action="change",
        obj=account,
        object_type="accounts.user",
        summary=f"lifted the sign-in lock of {who} from {address or 'an unknown address'}",
    )
    return forgotten
