"""The clinic tablet's signing-only session.

A member of staff, signed in on the tablet, hands it to a patient for one course's consent:
the session then carries a lock (`tablet_lock`: the course, the staff member, when it began)
and `TabletLockMiddleware` answers every other address — staff pages, the portal, the admin,
an old address reached with Back, an htmx partial — with a redirect to the signing page; the
browser keeps none of it (`Cache-Control: no-store` on every page, `needlepoint.web.middleware`).
Only the password of the staff member who started it lifts the lock; after `RETURN_ATTEMPTS`
wrong ones the session is ended and staff sign in again. Starting, each wrong password, the end
and the return are written to the audit trail (the signature itself is written by
`consent_sign`)."""

from collections.abc import Callable
from typing import TypedDict

from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone

from needlepoint.accounts.models import User
from needlepoint.accounts.services.sessions import remember_session
from needlepoint.audit.services import audit_record
from needlepoint.clinic.models import Course

SESSION_KEY = "tablet_lock"
RETURN_ATTEMPTS = 5


class TabletLock(TypedDict):
    course_id: int
    staff_user_id: int
    started: str
    failures: int


def tablet_lock(request: HttpRequest) -> TabletLock | None:
    """The lock on this session, or None when the tablet is not handed over."""
    lock: TabletLock | None = request.session.get(SESSION_KEY)
    return lock


def tablet_hand_over(request: HttpRequest, course: Course, *, staff: User) -> None:
    """Lock this session to signing `course`'s consent; `staff` (signed in) holds the key."""
    request.session[SESSION_KEY] = TabletLock(
        course_id=course.pk,
        staff_user_id=staff.pk,
        started=timezone.now().isoformat(),
        failures=0,
    )
    request.session.cycle_key()
    remember_session(None, request, staff)  # the new key, so deactivating `staff` still ends it
    audit_record(
        actor=request.user,
        action="change",
        obj=course,
        summary="clinic tablet handed to the patient to sign consent",
    )


def tablet_take_back(request: HttpRequest, password: str) -> bool:
    """Lift the lock if `password` is the password of the staff member who started it and
    return True; otherwise count the failure and return False. The `RETURN_ATTEMPTS`th wrong
    password ends the session (the caller sends the tablet to the sign-in page)."""
    lock = tablet_lock(request)
    if lock is None:
        return True
    user = request.user
    if user.is_authenticated and user.pk == lock["staff_user_id"] and user.check_password(password):
        del request.session[SESSION_KEY]
        request.session.cycle_key()
        remember_session(None, request, user)
        _audit(request, lock, "clinic tablet returned to staff (password checked)")
        return True
    lock["failures"] += 1
    request.session[SESSION_KEY] = lock
    _audit(
        request,
        lock,
        f"wrong staff password to return the clinic tablet ({lock['failures']} of {RETURN_ATTEMPTS})",
    )
    if lock["failures"] >= RETURN_ATTEMPTS:
        _audit(request, lock, "clinic tablet session ended after too many wrong passwords")
        logout(request)
    return False


def _audit(request: HttpRequest, lock: TabletLock, summary: str) -> None:
    course = Course.objects.filter(pk=lock["course_id"]).first()
    audit_record(actor=request.user, action="change", obj=course, summary=summary)


def _allowed_paths() -> frozenset[str]:
    return frozenset({reverse("clinic:tablet_sign"), reverse("clinic:tablet_return")})


class TabletLockMiddleware:
    """While the session carries a tablet lock, every address but the signing page and the
    return form redirects to the signing page (htmx requests get an `HX-Redirect`; the
    no-store header every page carries comes from `NoStoreMiddleware`). A lock that does not
    belong to the signed-in user (signed out, or another account) is dropped."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        lock = tablet_lock(request) if hasattr(request, "session") else None
        if lock is None:
            return self.get_response(request)
        if not (request.user.is_authenticated and request.user.pk == lock["staff_user_id"]):
            del request.session[SESSION_KEY]
            return self.get_response(request)
        return self.get_response(request) if request.path in _allowed_paths() else _to_signing(request)


def _to_signing(request: HttpRequest) -> HttpResponse:
    url = reverse("clinic:tablet_sign")
    if request.headers.get("HX-Request") == "true":
        response = HttpResponse(status=200)
        response["HX-Redirect"] = url
        return response
    return HttpResponseRedirect(url)
