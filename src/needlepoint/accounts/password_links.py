"""One-time links to set a password, sent by email and never shown on a page: the invitation of
a new portal login, the same link again when the front desk sends it, and "Forgot your
password?" on the sign-in page. Whoever reads the login's inbox sets the password; a staff
member who creates a login never sees a link and so can never become the patient.

A link is Django's password-reset token: it works once (setting the password changes what it
was made from) and expires after PASSWORD_RESET_TIMEOUT. Each address gets at most
LINKS_PER_ADDRESS of these emails in LINK_WINDOW (a sliding window kept in the cache that all
workers share), whoever asks, so neither the sign-in page nor the front desk can flood an inbox.

The forgot-password form answers the same whether or not the address has an account, and
whether or not the address has had its share of emails."""

import datetime as dt
import hashlib
import logging
import unicodedata
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Literal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import PasswordResetForm, SetPasswordForm
from django.contrib.auth.tokens import default_token_generator
from django.core.cache import cache
from django.core.exceptions import ObjectDoesNotExist
from django.core.mail import EmailMultiAlternatives
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from needlepoint.audit.services import audit_record

if TYPE_CHECKING:
    from needlepoint.accounts.models import User

log = logging.getLogger(__name__)

LINKS_PER_ADDRESS = 3
LINK_WINDOW = dt.timedelta(hours=1)
SUBJECT = "accounts/password_reset_subject.txt"
BODY = "accounts/password_reset_email.txt"
Purpose = Literal["invitation", "again", "forgotten"]


def link_lifetime_days() -> int:
    """How many days a link works (PASSWORD_RESET_TIMEOUT in whole days, at least 1)."""
    return max(1, int(settings.PASSWORD_RESET_TIMEOUT) // (24 * 60 * 60))


def set_password_link(user: "User") -> str:
    """Return the one-time link for `user` to choose a password, on the clinic's own address
    (NEEDLEPOINT_SITE_URL), never the address a request happened to come in on."""
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    path = reverse("accounts:password_reset_confirm", kwargs={"uidb64": uid, "token": token})
    return str(settings.NEEDLEPOINT_SITE_URL).rstrip("/") + path


def _limit_key(email: str) -> str:
    digest = hashlib.sha256(_folded(email).encode()).hexdigest()[:40]
    return f"needlepoint:password-link:{digest}"


def take_link_slot(email: str) -> dt.datetime | None:
    """Count one email to `email` and return None when it may go; when the address has had
    LINKS_PER_ADDRESS in the last LINK_WINDOW, count nothing and return when the next may go.
    Two workers racing may each send one more: the limit is against flooding, not exact."""
    now = timezone.now().timestamp()
    window = LINK_WINDOW.total_seconds()
    key = _limit_key(email)
    sent = [t for t in cache.get(key, []) if now - t < window]
    if len(sent) >= LINKS_PER_ADDRESS:
        return dt.datetime.fromtimestamp(min(sent) + window, tz=dt.UTC)
    cache.set(key, [*sent, now], timeout=int(window) + 60)
    return None


def _context(user: "User", purpose: Purpose) -> dict[str, Any]:
    return {
        "purpose": purpose,
        "user": user,
        "username": user.get_username(),
        "link": set_password_link(user),
        "days": link_lifetime_days(),
        "clinic_name": settings.NEEDLEPOINT_CLINIC_NAME,
        "sign_in_url": str(settings.NEEDLEPOINT_SITE_URL).rstrip("/") + reverse("accounts:login"),
    }


def send_set_password_email(user: "User", *, purpose: Purpose) -> None:
    """Email `user` (at the login's own address) the one-time link to choose a password;
    raises what the mail backend raises. The caller has checked `take_link_slot`."""
    context = _context(user, purpose)
    subject = "".join(render_to_string(SUBJECT, context).splitlines())
    body = render_to_string(BODY, context)
    EmailMultiAlternatives(subject, body, settings.DEFAULT_FROM_EMAIL, [user.email]).send()


def _folded(text: str) -> str:
    return unicodedata.normalize("NFKC", text.strip()).casefold()


def _patient_id(user: "User") -> int | None:
    try:
        return int(user.patient.pk)  # the reverse one-to-one of clinic.Patient
    except ObjectDoesNotExist:
        return None


class ForgottenPasswordForm(PasswordResetForm):
    """Django's password-reset form for the sign-in page. A link goes to every active account
    with this email that may choose a password by email: any account with a password, and a
    patient's portal login that never had one (their invitation expired). Staff still pass
    their second factor after signing in; a staff member invited but not yet enrolled gets no
    link here (their invitation governs enrolment)."""

    def get_users(self, email: str) -> Iterator[Any]:
        wanted = _folded(email)
        users = get_user_model()._default_manager.filter(email__iexact=email.strip(), is_active=True)
        for user in users:
            if (
                user.email
                and _folded(user.email) == wanted
                and (user.has_usable_password() or user.is_patient)
            ):
                yield user

    def send_mail(
        self,
        subject_template_name: str,
        email_template_name: str,
        context: dict[str, Any],
        from_email: str | None,
        to_email: str,
        html_email_template_name: str | None = None,
    ) -> None:
        user = context["user"]
        if take_link_slot(to_email) is not None:
            log.info("password link for user %s not sent: the address had its share this hour", user.pk)
            return
        try:
            send_set_password_email(user, purpose="forgotten")
        except Exception:  # the answer must not differ, so a failed send is logged, not shown
            log.exception("password link for user %s could not be sent", user.pk)
            return
        audit_record(
            actor=None,
            action="change",
            obj=user,
            patient_id=_patient_id(user),
            summary="link to set a password emailed (forgotten password, asked on the sign-in page)",
        )


class _LinkDays:
    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context: dict[str, Any] = super().get_context_data(**kwargs)  # type: ignore[misc]  # a mixin of Django's views
        return context | {"link_days": link_lifetime_days()}


class ForgottenPasswordView(_LinkDays, auth_views.PasswordResetView):
    """Ask for an email; whatever it is, say the same thing next."""

    form_class = ForgottenPasswordForm
    template_name = "accounts/password_reset_form.html"
    subject_template_name = SUBJECT
    email_template_name = BODY
    success_url = reverse_lazy("accounts:password_reset_done")


class ForgottenPasswordSentView(_LinkDays, auth_views.PasswordResetDoneView):
    """The same answer for every address: known, unknown, or over its share of emails."""

    template_name = "accounts/password_reset_done.html"


class SetPasswordView(auth_views.PasswordResetConfirmView):
    """The page the emailed link opens: choose a password. Audited; no token in the trail."""

    template_name = "accounts/password_set.html"
    success_url = reverse_lazy("accounts:password_set_done")

    def form_valid(self, form: SetPasswordForm[Any]) -> HttpResponse:
        response = super().form_valid(form)
        audit_record(
            actor=form.user,
            action="change",
            obj=form.user,
            patient_id=_patient_id(form.user),
            summary="password set from the emailed one-time link",
        )
        return response
