"""The accessibility and width check that runs on every page the browser tests see (a11y.py)
finds what it must, on pages made up for the purpose and served at the test server's address."""

import a11y
import pytest
from playwright.sync_api import Page

PAGE = """<!doctype html><html lang="en"><head><title>Probe</title></head><body>
<header>{nav}</header><main><h1>Probe</h1>{body}</main></body></html>"""
STAFF_NAV = '<nav aria-label="Main"><a href="/dashboard/">Dashboard</a></nav>'
PATIENT_NAV = '<nav aria-label="Main"><a href="/portal/">My treatment</a></nav>'


def serve(page: Page, path: str, *, nav: str = "", body: str = "") -> None:
    html = PAGE.format(nav=nav, body=body)
    page.route(f"**{path}", lambda route: route.fulfill(content_type="text/html", body=html))
    page.goto(path)


def test_it_fails_a_page_with_a_serious_violation_naming_the_rule_and_the_element(page: Page):
    serve(page, "/probe/unlabelled/", body='<form><input type="text" id="who"></form>')
    with pytest.raises(AssertionError) as failed:
        a11y.check_page(page)
    message = str(failed.value)
    assert "/probe/unlabelled/ (patient or public page, 390 px)" in message
    assert "label (critical): Form elements must have labels" in message
    assert "at #who" in message


def test_it_fails_a_staff_page_wider_than_768_px_but_not_a_table_in_its_own_scrolling_box(page: Page):
    serve(page, "/probe/wide/", nav=STAFF_NAV, body='<p id="wide" style="width: 800px">A long line</p>')
    with pytest.raises(AssertionError) as failed:
        a11y.check_page(page)
    message = str(failed.value)
    assert "page-width: the staff page scrolls sideways at 768 px" in message
    assert 'p#wide "A long line" reaches' in message
    assert page.viewport_size == {"width": 1280, "height": 900}  # put back for the test

    serve(
        page,
        "/probe/scrolling-box/",
        nav=STAFF_NAV,
        body='<div style="overflow-x: auto"><p style="width: 800px">A long line</p></div>',
    )
    a11y.check_page(page)


def test_it_measures_portal_pages_at_390_px_and_staff_pages_at_768_px(page: Page):
    body = '<p style="width: 500px">Five hundred pixels</p>'
    serve(page, "/probe/staff-500/", nav=STAFF_NAV, body=body)
    a11y.check_page(page)
    for path, nav in (
        ("/portal/probe/", STAFF_NAV),
        ("/probe/patient-500/", PATIENT_NAV),
        ("/probe/public-500/", ""),
    ):
        serve(page, path, nav=nav, body=body)
        with pytest.raises(AssertionError, match="the patient or public page scrolls sideways at 390 px"):
            a11y.check_page(page)


def test_it_checks_a_page_again_after_an_htmx_swap_and_not_before(page: Page):
    serve(page, "/probe/swap/", body='<div id="target"><p>Fine</p></div>')
    a11y.check_page(page)
    page.evaluate("""() => {
        document.getElementById('target').innerHTML = '<img src="/x.png">';
    }""")
    a11y.check_page(page)  # the same document, no swap: not checked again
    page.evaluate("() => document.dispatchEvent(new CustomEvent('htmx:afterSettle'))")
    with pytest.raises(AssertionError, match="image-alt"):
        a11y.check_page(page)
