"""Every page of the demo clinic that a person can reach by following links, as each kind of
user (the medical director, who sees every staff page a practitioner sees and more; the front
desk; a patient; a visitor), passes the accessibility
and width check of a11y.py: no critical or serious axe-core violation; the portal and public
pages fit 390 px, staff pages 768 px. One page per address pattern (ids aside) and kind of user.

Only links are followed (GET): every change in the application is a POSTed form."""

import re
from collections import Counter
from typing import Any
from urllib.parse import urlsplit

import a11y
import pytest
from patient_path_steps import sign_in
from playwright.sync_api import Page

pytestmark = pytest.mark.django_db(transaction=True)

# Not pages: calendar files, sign-out, the Django admin (its own templates), the health probe.
NOT_PAGES = re.compile(r"^/(admin/|accounts/logout/|health/)|\.ics$")
PER_USER = 80


def pattern(path: str) -> str:
    parts = urlsplit(path)
    keys = sorted(re.findall(r"(?:^|&)([^=&]+)=", parts.query))
    return re.sub(r"\d+", "N", parts.path) + ("?" + "&".join(keys) if keys else "")


def walk(page: Page, starts: list[str]) -> tuple[list[str], list[str]]:
    """Follow the links from `starts`; return the addresses visited and the problems found."""
    todo, seen, patterns, problems = list(starts), [], Counter[str](), []
    while todo and len(seen) < PER_USER:
        path = todo.pop(0)
        if path in seen or patterns[pattern(path)] or NOT_PAGES.search(urlsplit(path).path):
            continue
        seen.append(path)
        patterns[pattern(path)] += 1
        response = page.goto(path)
        if response is None or "text/html" not in response.headers.get("content-type", ""):
            continue
        found = a11y.problems_on(page)
        if found and found[1]:
            problems.append(found[0] + ":\n    " + "\n    ".join(found[1]))
        for href in page.eval_on_selector_all("a[href]", "links => links.map(a => a.getAttribute('href'))"):
            link = urlsplit(href)
            if not link.netloc and link.path.startswith("/"):
                todo.append(link.path + (f"?{link.query}" if link.query else ""))
    return seen, problems


def test_it_finds_no_accessibility_or_width_problem_on_any_page_of_the_demo_clinic(page: Page):
    from needlepoint.clinic.demo import build_demo_clinic

    logins: dict[str, dict[str, Any]] = build_demo_clinic(patients=27, password=lambda u: f"pw {u} pw")
    patients = [u for u, info in logins.items() if "patient" in info["role"].lower()][:1]
    assert patients, "the demo clinic prints no patient login"
    visited, problems = {}, []
    for user in ["maria", "frank", *patients, None]:
        page.context.clear_cookies()
        if user:
            sign_in(page, user, f"pw {user} pw")
        seen, found = walk(page, ["/", "/inquiry/"])
        visited[user] = seen
        problems += [f"as {user or 'a visitor'}: {p}" for p in found]
    assert len(visited["maria"]) >= 30 and len(visited[patients[0]]) >= 4, visited  # the walk got far
    assert not problems, "\n".join(problems)
