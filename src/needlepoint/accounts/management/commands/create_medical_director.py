"""`django-admin create_medical_director --email E --first-name F --last-name L`: the first
medical director of a fresh install. They get no password: the command prints (and emails,
when the clinic's mail is set up) the one-time link with which they choose a password and
enrol their authenticator, as every invited member of staff does.

`--new-link` sends a new link to an existing medical director instead (their authenticator and
backup codes are removed and their sessions ended): the way back in for a clinic whose only
medical director has lost their phone and their backup codes, or one made by `createsuperuser`
(which also makes a medical director, never a patient, but without a second factor)."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from needlepoint.accounts.models import InvitationPurpose, StaffInvitation, User
from needlepoint.accounts.services.invitations import (
    first_director_create,
    invitation_email,
    invitation_issue,
    invitation_link,
)
from needlepoint.accounts.services.sessions import sessions_end
from needlepoint.audit.services import audit_record
from needlepoint.clinic.services import ServiceError


class Command(BaseCommand):
    help = (
        "Create a medical director (no password yet) and print the one-time link with which they "
        "choose a password and set up their authenticator app. With --new-link, send a new link "
        "to an existing medical director (their second factor is reset). Django's createsuperuser "
        "also makes a medical director, never a patient, but gives them no second factor: follow it "
        "with this command and --new-link."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--email", required=True)
        parser.add_argument("--first-name", default="")
        parser.add_argument("--last-name", default="")
        parser.add_argument(
            "--new-link", action="store_true", help="send a new link to an existing medical director"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        email = options["email"].strip().lower()
        if not options["new_link"] and not (options["first_name"].strip() and options["last_name"].strip()):
            raise CommandError("Give the medical director's --first-name and --last-name.")
        try:
            if options["new_link"]:
                invitation, token = _new_link(email)
            else:
                invitation, token = first_director_create(
                    email=email, first_name=options["first_name"], last_name=options["last_name"]
                )
        except ServiceError as exc:
            raise CommandError(exc.message) from None
        self._send(invitation, token)

    def _send(self, invitation: StaffInvitation, token: str) -> None:
        link = invitation_link(token)
        self.stdout.write(f"Medical director: {invitation.user.get_username()}")
        self.stdout.write(f"One-time link to choose a password and set up the authenticator app:\n{link}")
        self.stdout.write(f"It works once, until {invitation.expires_at:%Y-%m-%d %H:%M %Z}.")
        try:
            invitation_email(invitation=invitation, token=token)
        except ServiceError as exc:
            self.stderr.write(f"Not emailed: {exc.message} Give them the link above yourself.")
        else:
            self.stdout.write(f"Also emailed to {invitation.user.email}.")


@transaction.atomic
def _new_link(email: str) -> tuple[StaffInvitation, str]:
    user = (
        User.objects.filter(email__iexact=email).first()
        or User.objects.filter(username__iexact=email).first()
    )
    if user is None or not user.is_medical_director:
        raise ServiceError(f"No medical director has the email {email}.")
    if not user.is_active:
        raise ServiceError(f"{email} is deactivated; another medical director can reactivate them.")
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
    sessions_end(user=user)
    audit_record(actor=None, action="change", obj=user, summary="second factor reset from the command line")
    return invitation_issue(user=user, actor=None, purpose=InvitationPurpose.RESET)
