"""The invitation link (public: the token in the address is the credential, checked against
its stored hash, used once, until it expires) and the backup-codes page of a signed-in staff
member. Enrolling a second factor happens only here, from a link the medical director sent."""

import base64

from django.contrib.auth import login
from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django_otp import login as otp_login

from needlepoint.accounts.models import User
from needlepoint.accounts.services import backup_codes, invitations
from needlepoint.accounts.staff_forms import EnrolForm
from needlepoint.accounts.views import qr_svg
from needlepoint.clinic.services import ServiceError

BACKEND = "django.contrib.auth.backends.ModelBackend"


@login_not_required
@never_cache
def invitation(request: HttpRequest, token: str) -> HttpResponse:
    """Choose a password and enrol the authenticator (QR code and key, then its first code);
    on success the person is signed in and sees their ten backup codes, once."""
    try:
        found = invitations.invitation_find(token)
    except ServiceError as exc:
        return render(
            request, "accounts/invitation_refused.html", {"message": exc.message}, status=exc.http_status
        )
    form = EnrolForm(found.user, request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            user, device, codes = invitations.invitation_accept(
                token=token, password=form.cleaned_data["new_password1"], code=form.cleaned_data["token"]
            )
        except invitations.LinkRefused as exc:
            return render(request, "accounts/invitation_refused.html", {"message": exc.message}, status=410)
        except ServiceError as exc:
            form.add_error("token", exc.message)
            status = exc.http_status
        else:
            login(request, user, backend=BACKEND)
            otp_login(request, device)
            return render(request, "accounts/backup_codes.html", {"codes": codes, "enrolled": True})
    elif form.errors:
        status = 400
    device = invitations.enrolment_device(found)
    context = {
        "form": form,
        "person": found.user,
        "qr_svg": qr_svg(device.config_url),
        "secret": base64.b32encode(device.bin_key).decode(),
    }
    return render(request, "accounts/invitation.html", context, status=status)


@never_cache
def backup_codes_page(request: HttpRequest) -> HttpResponse:
    """How many backup codes are left; POST makes a fresh set (the old ones stop working) and
    shows it, once. Staff only, after their two-factor check."""
    user = request.user
    if not (isinstance(user, User) and user.is_clinic_staff):
        raise Http404("No such page.")
    if request.method == "POST":
        codes = backup_codes.backup_codes_create(user=user, actor=user)
        return render(request, "accounts/backup_codes.html", {"codes": codes, "enrolled": False})
    return render(request, "accounts/backup_codes.html", {"left": backup_codes.backup_codes_left(user)})
