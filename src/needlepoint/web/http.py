"""The request types of views: `AuthenticatedHttpRequest` for views behind sign-in (every view
not marked `login_not_required`: LoginRequiredMiddleware turns anonymous visitors away before
the view runs, so `request.user` is a `User`), and `HtmxHttpRequest` for those that also read
django-htmx's `request.htmx` (all of them behind sign-in)."""

from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails

from needlepoint.accounts.models import User


class AuthenticatedHttpRequest(HttpRequest):
    user: User


class HtmxHttpRequest(AuthenticatedHttpRequest):
    htmx: HtmxDetails
