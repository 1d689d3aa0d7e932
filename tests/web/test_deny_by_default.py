"""Deny by default: walk every URL the project serves and fail on any page that answers an
anonymous visitor (or a patient, for staff pages) without being on the public allow-list."""

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

# Pages anyone may open, with the reason.
PUBLIC = {
    "accounts:login": "signing in",
    "clinic:inquiry": "the public 'Is microneedling for me?' page",
    "accounts:password_reset": "'Forgot your password?': asks for an email; the same answer whatever "
    "the address, and a link goes to that inbox only (a few per address per hour)",
    "accounts:password_reset_done": "says a link was emailed if an account uses the address (the same page "
    "for every address)",
    "accounts:password_reset_confirm": "one-time set-password link (token checked by Django)",
    "accounts:password_set_done": "says the password was saved",
    "accounts:invitation": "one-time staff invitation link (the token is the credential: only its hash is "
    "stored, it works once and expires; unknown, used or expired tokens get 410 and a message)",
    "health": "liveness check for a load balancer; says only 'ok'",
    "bookings:feed": "calendar feed for calendar applications, which cannot sign in: the unguessable, "
    "revocable token in the address is the credential; unknown or revoked tokens get 404",
}
# Paths served outside Django's URL patterns.
IGNORED_PREFIXES = ("static/",)


def _walk(resolver: URLResolver, prefix: str = "", namespace: str = ""):
    for p in resolver.url_patterns:
        if isinstance(p, URLResolver):
            ns = p.namespace or ""
            full_ns = f"{namespace}:{ns}" if namespace and ns else (ns or namespace)
            yield from _walk(p, prefix + str(p.pattern), full_ns)
        elif isinstance(p, URLPattern):
            name = f"{namespace}:{p.name}" if namespace and p.name else (p.name or "")
            yield name, prefix + str(p.pattern)


def _concrete(route: str) -> str:
    """Turn a route into a concrete path, filling every converter with a plausible value."""
    path = re.sub(r"<(?:(\w+):)?(\w+)>", lambda m: "1" if m.group(1) in (None, "int") else "x", route)
    path = path.lstrip("^").rstrip("$").replace("\\", "")
    return "/" + path


def all_routes():
    return sorted(
        {
            (name, _concrete(route))
            for name, route in _walk(get_resolver())
            if not route.startswith(IGNORED_PREFIXES)
        }
    )


def test_it_finds_the_projects_pages():
    names = {name for name, _ in all_routes()}
    assert "accounts:login" in names and "home" in names


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "path"), all_routes())
def test_it_refuses_anonymous_visitors_everywhere_but_the_allow_list(client, name, path):
    for method in (client.get, client.post):
        response = method(path)
        if name in PUBLIC:
            assert response.status_code < 500, f"{name} {path} fails for anonymous visitors"
            continue
        refused = response.status_code in (302, 404, 405) and (
            response.status_code != 302 or "/accounts/login/" in response["Location"]
        )
        assert refused, f"{name} ({path}) answered {response.status_code} to an anonymous visitor"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "path"),
    [r for r in all_routes() if not r[1].startswith("/portal/") and r[0] not in PUBLIC and r[0] != "home"],
)
def test_it_refuses_patients_on_staff_pages(client_for, personas, name, path):
    client = client_for(personas.patient_a)
    response = client.get(path)
    ok = response.status_code in (404, 405) or (
        response.status_code == 302 and not response["Location"].startswith("/patients")
    )
    assert ok or name.startswith("accounts:"), f"{name} ({path}) answered {response.status_code} to a patient"


HTMX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_CURRENT_URL": "http://testserver/"}


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["patient_a", "front_desk", "practitioner", "director"])
def test_it_answers_every_role_on_every_url_without_a_server_error_also_as_htmx(client_for, personas, role):
    """The URL x role walk: every page, as a full page and as an htmx partial, GET and POST,
    answers each role with a page, a refusal or a redirect, never a server error."""
    client = client_for(getattr(personas, role))
    failures = []
    for name, path in all_routes():
        if name == "accounts:logout":
            continue  # signing out would end the walk's session
        for label, response in (
            ("GET", client.get(path)),
            ("htmx GET", client.get(path, **HTMX)),
            ("htmx POST", client.post(path, **HTMX)),
        ):
            if response.status_code >= 500:
                failures.append(f"{label} {name} ({path}) answered {response.status_code}")
    assert failures == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "path"),
    [r for r in all_routes() if not r[1].startswith("/portal/") and r[0] not in PUBLIC and r[0] != "home"],
)
def test_it_refuses_patients_on_staff_pages_also_as_htmx_partials(client_for, personas, name, path):
    client = client_for(personas.patient_a)
    response = client.get(path, **HTMX)
    ok = response.status_code in (404, 405) or (
        response.status_code == 302 and not response["Location"].startswith("/patients")
    )
    assert ok or name.startswith("accounts:"), f"{name} ({path}) answered {response.status_code} to a patient"
