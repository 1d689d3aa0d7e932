"""End-to-end tests in Debian's Chromium driven by Playwright, against a live test server.

Every page a test acts on is checked with axe-core (no critical or serious violation) and for
width (the portal and public pages fit 390 px, staff pages 768 px): see a11y.py.

Screenshots go to tests/browser/screenshots/ (kept out of git)."""

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import a11y
import pytest

SHOTS = Path(__file__).parent / "screenshots"
CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def pytest_collection_modifyitems(items: list[Any]) -> None:
    for item in items:
        if "tests/browser" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: Any) -> Iterator[None]:
    """After a test that passed, check the last state of the pages it acted on."""
    try:
        result = yield
    except BaseException:
        a11y.forget_pages()
        raise
    a11y.check_pages_at_the_end()
    return result


@pytest.fixture(scope="session", autouse=True)
def accessibility_checks() -> Iterator[None]:
    a11y.axe_source()  # installs the pinned axe-core when missing, before any page is opened
    a11y.install()
    yield
    a11y.uninstall()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not os.path.exists(CHROMIUM):
        pytest.fail("Debian's Chromium is missing: run ./scripts/ensure-chromium.sh (make test does)")
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        yield b
        b.close()


@pytest.fixture
def page(browser: Any, live_server: Any) -> Iterator[Any]:
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    pg.set_default_timeout(15_000)
    yield pg
    context.close()


@pytest.fixture
def shot() -> Any:
    SHOTS.mkdir(exist_ok=True)

    def take(page: Any, name: str) -> Path:
        path = SHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
