"""`{{ user|person }}`: a staff member's or patient's display name, or "—" when there is none
(records made by a visitor or a background job have no user)."""

from django import template

from needlepoint.accounts.models import User

register = template.Library()


@register.filter
def person(user: User | None) -> str:
    if user is None:
        return "—"
    return user.get_full_name() or user.get_username()
