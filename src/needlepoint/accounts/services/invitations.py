"""Staff invitations: a one-time link, emailed, with which a new staff member (or one whose
second factor was reset) chooses a password and enrols an authenticator app. Only a hash of the
link's token is stored. The link works once, for NEEDLEPOINT_STAFF_INVITATION_HOURS; a newer
link voids the older ones. Until it is used the account cannot be signed into: an invited
account has no usable password, and a staff member without a confirmed device is refused at the
two-factor step."""

import datetime as dt
import hashlib
import secrets
import uuid

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from needlepoint.accounts.models import InvitationPurpose, Role, StaffInvitation, User
from needlepoint.accounts.services.backup_codes import backup_codes_create
from needlepoint.audit.services import audit_record
from needlepoint.clinic.services import ServiceError, validated
from needlepoint.mailing import message_id, send_email
from needlepoint.words import human_when

REFUSED = "This link has already been used or has been replaced by a newer one."
ASK = "Ask the medical director to send you a new one."


class LinkRefused(ServiceError):
    """The link is unknown, used, replaced or expired: the page says which, and what to do."""

    http_status = 410


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invitation_link(token: str) -> str:
    return settings.NEEDLEPOINT_SITE_URL + reverse("accounts:invitation", args=[token])


def invitation_issue(*, user: User, actor: User | None, purpose: str) -> tuple[StaffInvitation, str]:
    """Void `user`'s open links and make a new one; return it with its token (the only place
    the token exists: it is not stored)."""
    now = timezone.now()
    StaffInvitation.objects.filter(user=user, used_at=None, voided_at=None).update(voided_at=now)
    token = secrets.token_urlsafe(32)
    hours = dt.timedelta(hours=settings.NEEDLEPOINT_STAFF_INVITATION_HOURS)
    invitation = StaffInvitation.objects.create(
        user=user,
        purpose=purpose,
        token_hash=token_hash(token),
        created_at=now,
        expires_at=now + hours,
        sent_by=actor,
    )
    return invitation, token


def invitation_email(*, invitation: StaffInvitation, token: str) -> None:
    """Email the link to the staff member; raise ServiceError (so the caller's transaction
    rolls back) when the mail backend refuses it."""
    user = invitation.user
    if not user.email:
        raise ServiceError("This person has no email address to send the link to.", field="email")
    try:
        send_email(
            subject=_subject(invitation),
            body=_body(invitation, token),
            to=[user.email],
            message_id=message_id("staff-invitation", uuid.uuid4().hex),
        )
    except Exception as exc:  # whatever the backend raises, nothing is saved and the reason is shown
        raise ServiceError(
            f"The email could not be sent ({type(exc).__name__}); nothing was changed."
        ) from exc


def _subject(invitation: StaffInvitation) -> str:
    if invitation.purpose == InvitationPurpose.RESET:
        return f"{settings.NEEDLEPOINT_CLINIC_NAME}: set up your authenticator app again"
    return f"{settings.NEEDLEPOINT_CLINIC_NAME}: your staff account"


def _body(invitation: StaffInvitation, token: str) -> str:
    user = invitation.user
    until = human_when(invitation.expires_at, settings.TIME_ZONE)
    why = (
        "Your second factor has been reset."
        if invitation.purpose == InvitationPurpose.RESET
        else f"{settings.NEEDLEPOINT_CLINIC_NAME} has invited you to join its staff as "
        f"{user.get_role_display().lower()}."
    )
    return (
        f"Hello {user.first_name or user.get_username()},\n\n{why} Open this link to choose your "
        f"password and set up the authenticator app on your phone:\n\n{invitation_link(token)}\n\n"
        f"The link works once, until {until}. Your username is {user.get_username()}.\n\n"
        "If you did not expect this email, ignore it and tell the clinic.\n"
    )


def invitation_find(token: str) -> StaffInvitation:
    """Return the open invitation of `token`; raise LinkRefused saying why it cannot be used."""
    invitation = StaffInvitation.objects.select_related("user").filter(token_hash=token_hash(token)).first()
    if invitation is None or invitation.used_at or invitation.voided_at or not invitation.user.is_active:
        raise LinkRefused(f"{REFUSED} {ASK}")
    if invitation.expires_at <= timezone.now():
        until = human_when(invitation.expires_at, settings.TIME_ZONE)
        raise LinkRefused(f"This link expired on {until}. {ASK}")
    return invitation


def enrolment_device(invitation: StaffInvitation) -> TOTPDevice:
    """The authenticator the link enrols: the same unconfirmed device on every visit, so the
    key a person has already scanned stays valid."""
    device = TOTPDevice.objects.filter(user=invitation.user, confirmed=False).first()
    return device or TOTPDevice.objects.create(user=invitation.user, name="authenticator", confirmed=False)


def invitation_accept(*, token: str, password: str, code: str) -> tuple[User, TOTPDevice, list[str]]:
    """Use the link: check the code against the device being enrolled (outside the transaction,
    so that django-otp's count of wrong codes sticks), then set the password, confirm the
    device and make ten backup codes; return the user, the device and the codes. The link is
    marked used by a conditional update, so two uses at once cannot both succeed."""
    invitation = invitation_find(token)
    device = enrolment_device(invitation)
    if not device.verify_token(code):
        raise ServiceError(
            "That code is not right, or has expired. Enter the one your app shows now.", field="token"
        )
    with transaction.atomic():
        return _accept(invitation, device, password)


def _accept(
    invitation: StaffInvitation, device: TOTPDevice, password: str
) -> tuple[User, TOTPDevice, list[str]]:
    now = timezone.now()
    open_link = StaffInvitation.objects.filter(
        pk=invitation.pk, used_at=None, voided_at=None, expires_at__gt=now
    )
    if open_link.update(used_at=now) != 1:
        raise LinkRefused(f"{REFUSED} {ASK}")
    user = invitation.user
    user.set_password(password)  # also ends any session signed in with the old one
    user.save(update_fields=["password"])
    TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    what = invitation.get_purpose_display().lower()
    audit_record(
        actor=user, action="change", obj=user, summary=f"{what} used: password and authenticator set"
    )
    return user, device, backup_codes_create(user=user, actor=user)


@transaction.atomic
def first_director_create(*, email: str, first_name: str, last_name: str) -> tuple[StaffInvitation, str]:
    """Create a medical director with no usable password and return the invitation that enrols
    them, with its token (for `create_medical_director`, before anyone can sign in)."""
    if (
        User.objects.filter(username__iexact=email).exists()
        or User.objects.filter(email__iexact=email).exists()
    ):
        raise ServiceError(f"A user with the email {email} already exists.", field="email")
    user = User(
        username=email, email=email, first_name=first_name, last_name=last_name, role=Role.MEDICAL_DIRECTOR
    )
    user.set_unusable_password()
    validated(user, labelled=True).save()
    audit_record(
        actor=None, action="create", obj=user, summary="medical director created from the command line"
    )
    return invitation_issue(user=user, actor=None, purpose=InvitationPurpose.INVITATION)
