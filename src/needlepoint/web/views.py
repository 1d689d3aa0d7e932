"""The front door: send each person to their own start page."""

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse


def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    target = "portal:home" if user.is_authenticated and user.is_patient else "clinic:dashboard"
    try:
        return redirect(reverse(target))
    except NoReverseMatch:  # a deployment without that part of the application
        return render(request, "home.html")


@login_not_required
def health(request: HttpRequest) -> HttpResponse:
    """Liveness check for a load balancer: answers without touching the database."""
    return HttpResponse("ok", content_type="text/plain")
