"""Staff two-factor: a staff member who has not verified a TOTP device this session is sent to
the two-factor step before any other page (when the setting requires it)."""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

# Only the pages of signing in and out, the two-factor step itself and the one-time links; the
# medical director's staff pages (also under /accounts/) need the second factor like any other.
EXEMPT_PREFIXES = (
    "/accounts/login/",
    "/accounts/logout/",
    "/accounts/two-factor/",
    "/accounts/invitation/",
    "/accounts/reset/",
    "/static/",
)


class StaffTwoFactorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if self._must_verify(request):
            return redirect(f"{reverse('accounts:two_factor')}?next={request.path}")
        return self.get_response(request)

    def _must_verify(self, request: HttpRequest) -> bool:
        user = request.user
        if not getattr(settings, "NEEDLEPOINT_REQUIRE_STAFF_2FA", True):
            return False
        if not user.is_authenticated or not user.is_clinic_staff:
            return False
        if request.path.startswith(EXEMPT_PREFIXES):
            return False
        return not user.is_verified()  # type: ignore[attr-defined]  # django-otp's middleware adds it
