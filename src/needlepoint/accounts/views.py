"""Sign in, sign out and the staff two-factor step (TOTP via django-otp, or a backup code)."""

import io
from typing import Any

import qrcode
import qrcode.image.svg
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django_otp import login as otp_login
from django_otp.models import Device
from django_otp.plugins.otp_totp.models import TOTPDevice

from needlepoint.accounts.forms import ThrottledLoginForm
from needlepoint.accounts.services.backup_codes import backup_code_use
from needlepoint.accounts.staff_forms import CodeForm
from needlepoint.audit.services import audit_record


@method_decorator(login_not_required, name="dispatch")
class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = ThrottledLoginForm
    redirect_authenticated_user = True

    def form_valid(self, form: AuthenticationForm) -> HttpResponse:
        response = super().form_valid(form)
        audit_record(actor=form.get_user(), action="login", obj=form.get_user())
        return response


def _safe_next(request: HttpRequest) -> str:
    nxt = request.GET.get("next") or request.POST.get("next") or "/"
    ok = url_has_allowed_host_and_scheme(nxt, allowed_hosts={request.get_host()})
    return nxt if ok else "/"


def two_factor(request: HttpRequest) -> HttpResponse:
    """Verify the staff member's authenticator code, or one of their backup codes (each works
    once). Someone without a confirmed authenticator is not offered one here: enrolment needs
    the one-time link the medical director sends, so a password alone never enrols a device."""
    user = request.user
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        return render(request, "accounts/two_factor.html", {"not_enrolled": True}, status=403)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        verified = _verified_device(user, device, form)
        if verified is not None:
            otp_login(request, verified)
            messages.success(request, "Two-factor check passed.")
            return redirect(_safe_next(request))
        form.add_error("token", "That code is not right, or has expired. Try the current one.")
    return render(request, "accounts/two_factor.html", {"form": form, "next": _safe_next(request)})


def _verified_device(user: Any, device: TOTPDevice, form: CodeForm) -> Device | None:
    code = form.cleaned_data["token"]
    if form.is_backup_code:
        return backup_code_use(user=user, code=code)
    return device if device.verify_token(code) else None


def qr_svg(data: str) -> str:
    """The QR code of an authenticator's key URL, as inline SVG."""
    img = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    buf = io.BytesIO()
    img.save(buf)
    return buf.getvalue().decode()
