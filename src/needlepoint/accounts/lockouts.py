"""The medical director's page of sign-in locks: who is locked out, from where, until when, and
a button to lift one (`needlepoint.accounts.signin`)."""

import ipaddress

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from needlepoint.accounts.models import User
from needlepoint.accounts.signin import current_lockouts, lockout_lift


def _director(request: HttpRequest) -> User:
    user = request.user
    if not (isinstance(user, User) and user.is_medical_director):
        raise Http404("No such page.")
    return user


def _address(raw: str) -> str | None:
    """The address posted, or None for "unknown"; ValueError for anything else."""
    return str(ipaddress.ip_address(raw.strip())) if raw.strip() else None


@require_http_methods(["GET", "POST"])
def lockouts(request: HttpRequest) -> HttpResponse:
    """List the locks in force; POST (username, address) lifts one and says so."""
    director = _director(request)
    if request.method == "POST":
        username = request.POST.get("username", "").strip().lower() or None
        try:
            address = _address(request.POST.get("address", ""))
        except ValueError:
            return _page(request, error="That address is not an IP address.", status=400)
        lockout_lift(actor=director, username=username, address=address)
        who = username or "every account"
        messages.success(
            request, f"Signing in is open again for {who} from {address or 'the unknown address'}."
        )
        return redirect("accounts:lockouts")
    return _page(request)


def _page(request: HttpRequest, *, error: str = "", status: int = 200) -> HttpResponse:
    context = {
        "lockouts": current_lockouts(),
        "error": error,
        "pair_limit": settings.AXES_FAILURE_LIMIT,
        "address_limit": settings.NEEDLEPOINT_ADDRESS_FAILURE_LIMIT,
        "cool_off_minutes": int(settings.AXES_COOLOFF_TIME.total_seconds() // 60),
    }
    return render(request, "accounts/lockouts.html", context, status=status)
