"""The pages keep their own content security policy: walking through staff pages, the portal,
the public inquiry and an htmx search leaves no policy violation and no error in the browser's
console (htmx is configured not to inject its inline indicator styles; the stylesheet carries
them instead).

Personas: the front desk and patient A (passwords set here), an anonymous visitor."""

from typing import Any

import pytest
from patient_path_steps import PASSWORD, sign_in, sign_out
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.django_db(transaction=True)


def listen(page: Page) -> list[str]:
    """Collect console errors and the page's own policy-violation reports."""
    found: list[str] = []
    page.on("console", lambda m: found.append(f"{m.type}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: found.append(f"page error: {e}"))
    page.add_init_script(
        "document.addEventListener('securitypolicyviolation', e => "
        "console.error('CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI))"
    )
    return found


def test_it_leaves_no_policy_violation_or_error_in_the_console(page: Page, personas: Any):
    for user in (personas.front_desk, personas.patient_a):
        user.set_password(PASSWORD)
        user.save()
    found = listen(page)
    page.goto("/inquiry/")
    sign_in(page, personas.front_desk.username)
    page.goto("/patients/")
    page.get_by_label("Search by name").fill("Anna")  # the live search swaps the results with htmx
    expect(page.get_by_role("link", name="Alvarez, Anna")).to_be_visible()
    page.goto(f"/patients/{personas.record_a.pk}/")
    page.goto("/bookings/calendar/")
    sign_out(page)
    sign_in(page, personas.patient_a.username)
    page.goto("/portal/")
    assert found == []
