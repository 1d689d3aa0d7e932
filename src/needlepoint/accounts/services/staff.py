"""The medical director's staff actions: invite, send a new enrolment link (which resets the
second factor), deactivate, reactivate, change a role. Each is refused for anyone but an active
medical director, audited, and all-or-nothing. The clinic always keeps one active medical
director: the last one cannot be deactivated or given another role, and a director does not
deactivate themselves or change their own role. Deactivating someone, changing their role or
resetting their second factor ends their sessions at once; their records keep their name (the
user row stays)."""

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from needlepoint.accounts.models import CLINICAL_ROLES, STAFF_ROLES, InvitationPurpose, Role, User
from needlepoint.accounts.services.invitations import invitation_email, invitation_issue
from needlepoint.accounts.services.sessions import sessions_end
from needlepoint.audit.services import audit_record
from needlepoint.bookings.models import Location, PractitionerProfile
from needlepoint.clinic.services import ServiceError, require_role, validated


def _director(actor: User, doing: str) -> None:
    if not actor.is_active:
        raise ServiceError(f"Only the medical director can {doing}.")
    require_role(actor, doing=doing, director=True)


@transaction.atomic
def staff_invite(
    *,
    actor: User,
    email: str,
    first_name: str,
    last_name: str,
    role: str,
    location: Location | None = None,
    working_hours: str = "",
) -> User:
    """Create a staff account (username = email, no usable password) and email its invitation.
    A practitioner is also made bookable at `location` during `working_hours`."""
    _director(actor, "invite staff")
    email = email.strip().lower()
    if role not in STAFF_ROLES:
        raise ServiceError("Choose practitioner, front desk or medical director.", field="role")
    if User.objects.filter(Q(username__iexact=email) | Q(email__iexact=email)).exists():
        raise ServiceError("Someone already signs in with this email.", field="email")
    user = User(
        username=email, email=email, first_name=first_name.strip(), last_name=last_name.strip(), role=role
    )
    user.set_unusable_password()
    validated(user, labelled=True).save()
    if role == Role.PRACTITIONER:
        _profile_create(user, location, working_hours)
    audit_record(
        actor=actor, action="create", obj=user, summary=f"staff invited as {user.get_role_display()}"
    )
    invitation, token = invitation_issue(user=user, actor=actor, purpose=InvitationPurpose.INVITATION)
    invitation_email(invitation=invitation, token=token)
    return user


def _profile_create(user: User, location: Location | None, working_hours: str) -> None:
    if location is None:
        raise ServiceError("Choose where this practitioner works.", field="location")
    if not working_hours.strip():
        raise ServiceError("Give this practitioner's working hours.", field="working_hours")
    profile = PractitionerProfile(
        user=user, location=location, working_hours=working_hours.strip(), skills=[]
    )
    validated(profile, labelled=True).save()


def _staff_member(user: User) -> User:
    if not user.is_clinic_staff:
        raise ServiceError("This person is not a member of staff.")
    return user


@transaction.atomic
def enrolment_link_send(*, actor: User, user: User) -> None:
    """Send `user` a new link to choose a password and enrol an authenticator: the invitation
    again for someone who has not enrolled, or a reset of the second factor for someone who
    has (their devices and backup codes are deleted and their sessions ended first)."""
    _director(actor, "send enrolment links")
    _staff_member(user)
    if not user.is_active:
        raise ServiceError("Reactivate this person first.")
    had_device = TOTPDevice.objects.filter(user=user, confirmed=True).exists()
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
    sessions_end(user=user)
    purpose = InvitationPurpose.RESET if had_device else InvitationPurpose.INVITATION
    invitation, token = invitation_issue(user=user, actor=actor, purpose=purpose)
    invitation_email(invitation=invitation, token=token)
    summary = "second factor reset, new enrolment link sent" if had_device else "invitation sent again"
    audit_record(actor=actor, action="change", obj=user, summary=summary)


def _active_directors_besides(user: User) -> int:
    """Lock the active medical directors' rows (two directors demoting each other at once are
    settled one after the other) and count those other than `user`."""
    directors = User.objects.select_for_update().filter(role=Role.MEDICAL_DIRECTOR, is_active=True)
    return sum(1 for d in directors if d.pk != user.pk)


@transaction.atomic
def staff_deactivate(*, actor: User, user: User) -> None:
    """Stop `user` signing in, end their sessions now, void their links, and take them off the
    booking calendar. Their name stays on everything they recorded."""
    _director(actor, "deactivate staff")
    _staff_member(user)
    if user.pk == actor.pk:
        raise ServiceError("You cannot deactivate yourself. Ask another medical director.")
    if user.is_medical_director and _active_directors_besides(user) == 0:
        raise ServiceError("The clinic needs at least one active medical director.")
    User.objects.filter(pk=user.pk).update(is_active=False)
    user.is_active = False
    user.invitations.filter(used_at=None, voided_at=None).update(voided_at=timezone.now())
    PractitionerProfile.objects.filter(user=user).update(active=False)
    sessions_end(user=user)
    audit_record(actor=actor, action="change", obj=user, summary="deactivated; sessions ended")


@transaction.atomic
def staff_reactivate(*, actor: User, user: User) -> None:
    """Let `user` sign in again (with their password and authenticator, if enrolled), and put a
    clinical member back on the booking calendar."""
    _director(actor, "reactivate staff")
    _staff_member(user)
    User.objects.filter(pk=user.pk).update(is_active=True)
    user.is_active = True
    if user.is_clinical:
        PractitionerProfile.objects.filter(user=user).update(active=True)
    audit_record(actor=actor, action="change", obj=user, summary="reactivated")


@transaction.atomic
def staff_role_change(*, actor: User, user: User, role: str) -> None:
    """Give `user` another staff role; their sessions end so that the new rights apply at once.
    A role that does not treat takes them off the booking calendar."""
    _director(actor, "change roles")
    _staff_member(user)
    if role not in STAFF_ROLES:
        raise ServiceError("Choose practitioner, front desk or medical director.", field="role")
    if user.pk == actor.pk:
        raise ServiceError("You cannot change your own role. Ask another medical director.", field="role")
    if role == user.role:
        raise ServiceError(
            f"{user.get_full_name()} is already {user.get_role_display().lower()}.", field="role"
        )
    if user.is_medical_director and user.is_active and _active_directors_besides(user) == 0:
        raise ServiceError("The clinic needs at least one active medical director.", field="role")
    before = user.get_role_display()
    User.objects.filter(pk=user.pk).update(role=role)
    user.role = role
    PractitionerProfile.objects.filter(user=user).update(active=role in CLINICAL_ROLES and user.is_active)
    sessions_end(user=user)
    audit_record(
        actor=actor,
        action="change",
        obj=user,
        summary=f"role changed from {before} to {user.get_role_display()}",
    )
