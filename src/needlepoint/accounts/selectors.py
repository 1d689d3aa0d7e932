"""Reads of people and access: the staff list of the medical director's page."""

from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Prefetch
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from needlepoint.accounts.models import STAFF_ROLES, StaffInvitation, User
from needlepoint.bookings.models import PractitionerProfile


@dataclass(frozen=True)
class StaffRow:
    user: User
    location: str
    enrolled: bool
    invitation: str  # "", "pending until …" or "expired"


def staff_rows() -> list[StaffRow]:
    """Every staff member (active first, then by name) with their location, whether their
    second factor is enrolled and the state of their latest link; three queries in all."""
    enrolled = TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True)
    open_links = StaffInvitation.objects.filter(used_at=None, voided_at=None)
    users = (
        User.objects.filter(role__in=STAFF_ROLES)
        .annotate(enrolled=Exists(enrolled))
        .select_related("practitioner_profile__location")
        .prefetch_related(Prefetch("invitations", queryset=open_links, to_attr="open_links"))
        .order_by("-is_active", "last_name", "first_name", "username")
    )
    return [_row(u) for u in users]


def _row(user: User) -> StaffRow:
    profile: PractitionerProfile | None = getattr(user, "practitioner_profile", None)
    links: list[StaffInvitation] = getattr(user, "open_links", [])
    return StaffRow(
        user=user,
        location=profile.location.name if profile else "",
        enrolled=bool(getattr(user, "enrolled", False)),
        invitation=_link_state(links[0]) if links else "",
    )


def _link_state(link: StaffInvitation) -> str:
    return "pending" if link.expires_at > timezone.now() else "expired"


def staff_member(pk: int) -> User | None:
    return User.objects.filter(pk=pk, role__in=STAFF_ROLES).first()
