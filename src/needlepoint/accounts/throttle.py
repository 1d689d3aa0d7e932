"""Login throttling: too many failures for a username or from an address in the window
refuses further attempts until the window passes."""

import datetime as dt

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from needlepoint.accounts.models import LoginFailure


def _window_start() -> dt.datetime:
    return timezone.now() - dt.timedelta(seconds=settings.NEEDLEPOINT_LOGIN_WINDOW_SECONDS)


def is_throttled(*, username: str, ip: str | None) -> bool:
    """True when the username or the address has reached the failure limit in the window."""
    recent = LoginFailure.objects.filter(at__gte=_window_start())
    who = Q(username__iexact=username) | (Q(ip=ip) if ip else Q(pk__in=[]))
    return recent.filter(who).count() >= settings.NEEDLEPOINT_LOGIN_MAX_FAILURES


def record_failure(*, username: str, ip: str | None) -> None:
    LoginFailure.objects.create(username=username[:150], ip=ip)
    LoginFailure.objects.filter(at__lt=_window_start()).delete()


def clear_failures(*, username: str) -> None:
    LoginFailure.objects.filter(username__iexact=username).delete()
