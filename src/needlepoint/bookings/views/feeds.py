"""Calendar feeds: the public feed address (the token is the only key) and the signed-in pages
where an address is made, shown once, listed and revoked.

- A practitioner's feed: the practitioner or the medical director for themself; the director for
  any practitioner. Everyone else gets 404.
- A course's feed: clinic staff on the staff page; the patient on the portal page, for their own
  course only. Everyone else gets 404.

Views never write models: they call the services in `needlepoint.bookings.services.feeds`."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotFound
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from needlepoint.accounts.models import CLINICAL_ROLES, User
from needlepoint.bookings import selectors
from needlepoint.bookings.models import FeedToken
from needlepoint.bookings.services import feeds as services
from needlepoint.clinic.access import get_course_for_user, require_clinical, require_staff
from needlepoint.clinic.models import Course
from needlepoint.clinic.services import ServiceError
from needlepoint.web.http import AuthenticatedHttpRequest

TEMPLATES = "bookings/feeds/"


# ---------------------------------------------------------------------------------------------
# The feed itself (public: the unguessable token is the credential)
# ---------------------------------------------------------------------------------------------


@login_not_required
@require_safe
def feed(request: HttpRequest, token: str) -> HttpResponse:
    """The calendar a subscribed application downloads. Unknown and revoked tokens get the same
    404; the answer is never cached by shared caches or stored."""
    found = services.feed_for_token(token)
    if found is None:  # a plain answer, byte for byte the same for unknown and revoked tokens
        return HttpResponseNotFound("No such calendar feed.\n", content_type="text/plain; charset=utf-8")
    response = HttpResponse(services.feed_read(token=found), content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = "private, no-store, max-age=0"
    response["Content-Disposition"] = 'inline; filename="needlepoint.ics"'
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _addresses(request: AuthenticatedHttpRequest, raw: str) -> dict[str, str]:
    url = request.build_absolute_uri(reverse("bookings:feed", args=[raw]))
    return {"https": url, "webcal": "webcal://" + url.split("://", 1)[1]}


def _page(
    request: AuthenticatedHttpRequest,
    context: dict[str, Any],
    tokens: QuerySet[FeedToken],
    *,
    raw: str = "",
    status: int = 200,
) -> HttpResponse:
    context = {
        **context,
        "tokens": selectors.live_feed_tokens(tokens),
        "new_address": _addresses(request, raw) if raw else None,
    }
    response = render(request, TEMPLATES + "feed.html", context, status=status)
    add_never_cache_headers(response)  # the page may hold an address shown once
    return response


# ---------------------------------------------------------------------------------------------
# A practitioner's feed
# ---------------------------------------------------------------------------------------------


def _practitioner(request: AuthenticatedHttpRequest, user_id: int) -> User:
    """Return the practitioner whose feed the user may manage (404 for anyone else)."""
    require_clinical(request)
    target = User.objects.filter(pk=user_id, role__in=CLINICAL_ROLES, is_active=True).first()
    if target is None or not services.may_manage_practitioner_feed(request.user, target):
        raise Http404("No such page.")
    return target


@require_safe
def practitioner_feeds(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The director picks a practitioner; a practitioner goes straight to their own feed."""
    require_clinical(request)
    if not request.user.is_medical_director:
        return redirect("bookings:practitioner_feed", request.user.pk)
    return render(request, TEMPLATES + "practitioners.html", {"people": selectors.clinical_staff()})


def _practitioner_context(target: User) -> dict[str, Any]:
    name = target.get_full_name() or target.get_username()
    return {
        "title": f"Calendar feed: {name}",
        "who": name,
        "kind": "practitioner",
        "create_url": reverse("bookings:practitioner_feed", args=[target.pk]),
        "revoke_name": "bookings:practitioner_feed_revoke",
        "owner_pk": target.pk,
        "back_url": reverse("bookings:practitioner_feeds"),
    }


@require_http_methods(["GET", "HEAD", "POST"])
def practitioner_feed(request: AuthenticatedHttpRequest, user_id: int) -> HttpResponse:
    """List the practitioner's live feed addresses; POST makes a new one and shows it once."""
    target = _practitioner(request, user_id)
    context = _practitioner_context(target)
    tokens = FeedToken.objects.filter(practitioner=target)
    if request.method != "POST":
        return _page(request, context, tokens)
    try:
        _, raw = services.feed_token_create(actor=request.user, practitioner=target)
    except ServiceError as exc:
        return _page(request, {**context, "error": exc.message}, tokens, status=400)
    return _page(request, context, tokens, raw=raw)


@require_POST
def practitioner_feed_revoke(request: AuthenticatedHttpRequest, user_id: int, token_id: int) -> HttpResponse:
    target = _practitioner(request, user_id)
    token = FeedToken.objects.filter(pk=token_id, practitioner=target).first()
    return _revoke(request, token, reverse("bookings:practitioner_feed", args=[target.pk]))


def _revoke(request: AuthenticatedHttpRequest, token: FeedToken | None, back: str) -> HttpResponse:
    if token is None:
        raise Http404("No such calendar feed.")
    try:
        services.feed_token_revoke(actor=request.user, token=token)
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "The feed address was revoked: calendars using it stop updating.")
    return redirect(back)


# ---------------------------------------------------------------------------------------------
# A course's feed: the staff page and the patient's portal page
# ---------------------------------------------------------------------------------------------


def _course(request: AuthenticatedHttpRequest, course_id: int, *, portal: bool) -> Course:
    """Return the course: for staff on the staff page, for its own patient on the portal page;
    404 for everyone else (audited as a view by the access helper)."""
    if portal:
        if not request.user.is_patient:
            raise Http404("No such page.")
    else:
        require_staff(request)
    return get_course_for_user(request, course_id, clinical=False)


def _course_context(course: Course, *, portal: bool) -> dict[str, Any]:
    patient = course.patient
    prefix = "bookings:portal_course_feed" if portal else "bookings:course_feed"
    back = reverse("portal:home") if portal else reverse("clinic:patient_detail", args=[patient.pk])
    title = "Your treatment in your calendar" if portal else f"Calendar feed: course of {patient}"
    return {
        "title": title,
        "who": "you" if portal else str(patient),
        "kind": "course",
        "portal": portal,
        "course": course,
        "create_url": reverse(prefix, args=[course.pk]),
        "revoke_name": prefix + "_revoke",
        "owner_pk": course.pk,
        "back_url": back,
    }


def _course_feed(request: AuthenticatedHttpRequest, course_id: int, *, portal: bool) -> HttpResponse:
    course = _course(request, course_id, portal=portal)
    context = _course_context(course, portal=portal)
    tokens = FeedToken.objects.filter(course=course)
    if request.method != "POST":
        return _page(request, context, tokens)
    try:
        _, raw = services.feed_token_create(actor=request.user, course=course)
    except ServiceError as exc:
        return _page(request, {**context, "error": exc.message}, tokens, status=400)
    return _page(request, context, tokens, raw=raw)


def _course_revoke(
    request: AuthenticatedHttpRequest, course_id: int, token_id: int, *, portal: bool
) -> HttpResponse:
    course = _course(request, course_id, portal=portal)
    token = FeedToken.objects.select_related("course__patient").filter(pk=token_id, course=course).first()
    prefix = "bookings:portal_course_feed" if portal else "bookings:course_feed"
    return _revoke(request, token, reverse(prefix, args=[course.pk]))


@require_http_methods(["GET", "HEAD", "POST"])
def course_feed(request: AuthenticatedHttpRequest, course_id: int) -> HttpResponse:
    """Staff: the course's live feed addresses; POST makes one to give to the patient."""
    return _course_feed(request, course_id, portal=False)


@require_POST
def course_feed_revoke(request: AuthenticatedHttpRequest, course_id: int, token_id: int) -> HttpResponse:
    return _course_revoke(request, course_id, token_id, portal=False)


@require_http_methods(["GET", "HEAD", "POST"])
def portal_course_feed(request: AuthenticatedHttpRequest, course_id: int) -> HttpResponse:
    """The patient: put my own course's visits in my calendar."""
    return _course_feed(request, course_id, portal=True)


@require_POST
def portal_course_feed_revoke(
    request: AuthenticatedHttpRequest, course_id: int, token_id: int
) -> HttpResponse:
    return _course_revoke(request, course_id, token_id, portal=True)


urls: list[URLPattern] = [
    path("feeds/<str:token>.ics", feed, name="feed"),
    path("feeds/practitioners/", practitioner_feeds, name="practitioner_feeds"),
    path("feeds/practitioners/<int:user_id>/", practitioner_feed, name="practitioner_feed"),
    path(
        "feeds/practitioners/<int:user_id>/revoke/<int:token_id>/",
        practitioner_feed_revoke,
        name="practitioner_feed_revoke",
    ),
    path("feeds/courses/<int:course_id>/", course_feed, name="course_feed"),
    path(
        "feeds/courses/<int:course_id>/revoke/<int:token_id>/", course_feed_revoke, name="course_feed_revoke"
    ),
    path("feeds/my-courses/<int:course_id>/", portal_course_feed, name="portal_course_feed"),
    path(
        "feeds/my-courses/<int:course_id>/revoke/<int:token_id>/",
        portal_course_feed_revoke,
        name="portal_course_feed_revoke",
    ),
]
