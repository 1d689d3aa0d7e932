"""Puts the current request's user and address where audit records can find them."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from needlepoint.audit.context import bind_request


class AuditContextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with bind_request(request):
            return self.get_response(request)
