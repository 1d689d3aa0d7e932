"""Backup codes: ten single-use codes (django-otp's static device) for a staff member who has
lost their phone. They are shown once, when made; a new set voids the old one."""

from django.db import transaction
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken

from needlepoint.accounts.models import User
from needlepoint.audit.services import audit_record

BACKUP_CODES = 10
DEVICE_NAME = "backup codes"


@transaction.atomic
def backup_codes_create(*, user: User, actor: User) -> list[str]:
    """Replace `user`'s backup codes with a fresh set of ten and return them (the only time
    they can be read)."""
    device, _ = StaticDevice.objects.get_or_create(user=user, name=DEVICE_NAME, defaults={"confirmed": True})
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(BACKUP_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    audit_record(actor=actor, action="change", obj=user, summary="new backup codes made")
    return codes


def backup_codes_left(user: User) -> int:
    left: int = StaticToken.objects.filter(device__user=user, device__confirmed=True).count()
    return left


def normalised(code: str) -> str:
    """A backup code as stored: lower case, without the spaces or dashes people type."""
    return "".join(code.split()).replace("-", "").lower()


def backup_code_use(*, user: User, code: str) -> StaticDevice | None:
    """Spend one of `user`'s backup codes: return its device if `code` is unused (and delete
    it, so it never works again), None otherwise. The delete's row count settles two uses of
    one code at the same moment: only one of them gets the row."""
    device = StaticDevice.objects.filter(user=user, confirmed=True).first()
    if device is None or not device.verify_is_allowed()[0]:
        return None
    token = device.token_set.filter(token=normalised(code)).first()
    if token is None or StaticToken.objects.filter(pk=token.pk).delete()[0] != 1:
        device.throttle_increment()
        return None
    device.throttle_reset()
    audit_record(actor=user, action="change", obj=user, summary="backup code used")
    return device
