"""The public pages answer what browsers, monitors and link checkers ask besides GET: HEAD gets
the same status as GET (without a body), the site has a favicon at /favicon.ico and linked from
every page, and htmx is configured to keep to the page's content security policy (no inline
indicator styles; the stylesheet carries them).

Personas: an anonymous visitor, and the front desk (still served, HEAD included)."""

import json
import re

import pytest
from django.urls import reverse

from needlepoint.web.settings.base import BASE_DIR

STYLESHEET = BASE_DIR / "src" / "needlepoint" / "static" / "needlepoint" / "needlepoint.css"


@pytest.mark.parametrize("name", ["accounts:login", "clinic:inquiry", "health"])
def test_head_on_a_public_page_answers_as_get_does(client, db, name):
    url = reverse(name)
    head, get = client.head(url), client.get(url)
    assert (head.status_code, get.status_code, head.content) == (200, 200, b"")


def test_head_on_the_front_door_sends_a_visitor_to_sign_in_as_get_does(client, db):
    head = client.head("/")
    assert (head.status_code, head["Location"]) == (302, "/accounts/login/?next=/")


def test_head_and_get_on_the_front_door_serve_a_signed_in_user(client_for, personas):
    client = client_for(personas.front_desk)
    assert (client.head("/").status_code, client.get("/").status_code) == (302, 302)
    assert client.head(reverse("clinic:dashboard")).status_code == 200


def test_the_inquiry_still_refuses_other_methods(client, db):
    assert client.put(reverse("clinic:inquiry")).status_code == 405


def test_it_serves_a_favicon_at_the_root_and_links_it_from_every_page(client, db):
    icon = client.get("/favicon.ico")
    assert (icon.status_code, icon["Content-Type"]) == (200, "image/x-icon")
    assert b"".join(icon.streaming_content)[:4] == b"\x00\x00\x01\x00"  # an ICO file's header
    page = client.get(reverse("accounts:login")).content.decode()
    links = re.findall(r'<link rel="icon" href="([^"]+)"', page)
    assert links[0] == "/favicon.ico"
    svg = client.get(links[1])
    assert (svg.status_code, svg["Content-Type"]) == (200, "image/svg+xml")


def test_htmx_is_told_not_to_inject_inline_styles_and_the_stylesheet_has_them(client, db):
    page = client.get(reverse("accounts:login")).content.decode()
    config = re.search(r"<meta name=\"htmx-config\" content='([^']+)'>", page)
    assert config is not None
    assert json.loads(config.group(1))["includeIndicatorStyles"] is False
    assert page.index('name="htmx-config"') < page.index("<script")  # read when htmx starts
    css = STYLESHEET.read_text()
    assert (".htmx-indicator {" in css, ".htmx-request .htmx-indicator" in css) == (True, True)
