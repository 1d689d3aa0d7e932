"""Middleware of the web layer: no page of the application is kept by a browser or a proxy."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.cache import add_never_cache_headers, patch_cache_control, patch_vary_headers


class NoStoreMiddleware:
    """Mark every response of the application's views `Cache-Control: no-store, private` (with
    `Vary: Cookie`), so that a patient's record, a staff page or the answers a visitor typed into
    the inquiry never sit in a shared computer's browser cache or a proxy, and Back after signing
    out shows nothing. Static files are served before this middleware (by WhiteNoise, with their
    own long cache headers), so only the application's pages are marked; a view that already
    chose a cache policy keeps its directives, with no-store and private added."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        add_never_cache_headers(response)
        patch_cache_control(response, private=True)
        patch_vary_headers(response, ["Cookie"])
        return response
