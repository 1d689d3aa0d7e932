"""The sessions a user is signed in with. Each sign-in records its session key (the
`user_logged_in` signal), so that deactivating someone, changing their role or resetting their
second factor can end every one of their sessions at once by deleting those rows of Django's
database sessions."""

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.contrib.sessions.models import Session
from django.dispatch import receiver
from django.http import HttpRequest

from needlepoint.accounts.models import User, UserSession


@receiver(user_logged_in, dispatch_uid="needlepoint.accounts.sessions.remember")
def remember_session(sender: Any, request: HttpRequest | None, user: User, **kwargs: Any) -> None:
    """Record the new session's key; forget this user's sessions that have already ended."""
    key = request.session.session_key if request is not None else None
    if not key:
        return
    gone = UserSession.objects.filter(user=user).exclude(
        session_key__in=Session.objects.values("session_key")
    )
    gone.delete()
    UserSession.objects.update_or_create(session_key=key, defaults={"user": user})


@receiver(user_logged_out, dispatch_uid="needlepoint.accounts.sessions.forget")
def forget_session(sender: Any, request: HttpRequest | None, user: User | None, **kwargs: Any) -> None:
    key = request.session.session_key if request is not None else None
    if key:
        UserSession.objects.filter(session_key=key).delete()


def sessions_end(*, user: User) -> int:
    """Delete every session `user` signed in with; return how many were still open. Their next
    request finds no session and goes to the sign-in page."""
    keys = list(UserSession.objects.filter(user=user).values_list("session_key", flat=True))
    ended, _ = Session.objects.filter(session_key__in=keys).delete()
    UserSession.objects.filter(user=user).delete()
    return ended
