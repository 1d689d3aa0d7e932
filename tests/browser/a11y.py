"""Every page the browser tests see is checked for accessibility and for width.

axe-core (pinned, installed by scripts/ensure-axe.sh into .tools/axe/) runs on each page state a
test acts on: a new document, or the same document after an htmx swap. A violation of impact
"critical" or "serious" fails the test with the rule, the element and the rule's help. The page
must also fit its audience's screen without scrolling sideways: pages a patient or a visitor
sees (the portal, the public inquiry, signing in) at 390 px, staff pages at 768 px.

The check runs just before the test's next action on the page (a click, a fill, a goto…), when
the test has already waited for the page to show what it expects, and once more at the end of
the test; so it is deterministic and needs no step to call it. The same page (same markup, ids
and digits aside) is checked once per run.

A11Y_SURVEY=<file> records every problem in that file (JSON lines) instead of failing: to count
what is left."""

import contextlib
import functools
import hashlib
import json
import os
import re
import subprocess
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
BLOCKING = ("critical", "serious")
PATIENT_WIDTH, STAFF_WIDTH = 390, 768

# Where the test acts on a page: before any of these runs, the page as it is now is checked.
LOCATOR_ACTIONS = (
    "click",
    "dblclick",
    "fill",
    "clear",
    "check",
    "uncheck",
    "set_checked",
    "select_option",
    "press",
    "press_sequentially",
    "type",
    "tap",
    "set_input_files",
    "drag_to",
)
PAGE_ACTIONS = (
    "goto",
    "reload",
    "go_back",
    "go_forward",
    "click",
    "dblclick",
    "fill",
    "check",
    "uncheck",
    "select_option",
    "press",
    "type",
    "tap",
    "set_input_files",
)

_checked: set[str] = set()  # pages (normalised markup and audience) that passed, this run
_pages: list[Any] = []  # pages the current test acted on


@functools.cache
def axe_source() -> str:
    try:
        out = subprocess.run(
            [str(ROOT / "scripts" / "ensure-axe.sh")], check=True, text=True, capture_output=True
        ).stdout
    except subprocess.CalledProcessError as exc:
        raise RuntimeError(f"axe-core could not be installed: {exc.stderr.strip()}") from exc
    return Path(out.strip().splitlines()[-1]).read_text()


# The page's state: already checked (this document, since its last htmx swap)? who is it for?
STATE_JS = """() => {
  const nav = document.querySelector('nav[aria-label="Main"]');
  const path = location.pathname;
  const staff = path.startsWith('/admin/')
    || (!!nav && !nav.querySelector('a[href^="/portal/"]')
        && !/^\\/(portal|inquiry|accounts)\\//.test(path));
  const checked = window.__a11yChecked === true;
  return {checked: checked, url: location.href, staff: staff,
          html: checked ? '' : document.documentElement.outerHTML};
}"""

MARK_CHECKED_JS = """() => {
  window.__a11yChecked = true;
  if (!window.__a11yListening) {
    window.__a11yListening = true;
    const again = () => { window.__a11yChecked = false; };
    document.addEventListener('htmx:afterSettle', again);
    document.addEventListener('htmx:historyRestore', again);
  }
}"""

AXE_RUN_JS = """async () => {
  const result = await axe.run(document, {resultTypes: ['violations']});
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
    nodes: v.nodes.map(n => ({target: n.target.join(' '), html: n.html.slice(0, 160),
                              summary: n.failureSummary || ''}))}));
}"""

# The page scrolls sideways when the document is wider than the window; name the outermost
# elements that stick out (those inside a scrolling box of their own do not count).
WIDTH_JS = """() => {
  const root = document.documentElement, width = root.clientWidth;
  const out = [];
  const scrolls = el => ['auto', 'scroll', 'hidden'].includes(getComputedStyle(el).overflowX);
  const describe = el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
    + (el.classList.length ? '.' + [...el.classList].join('.') : '')
    + ' "' + (el.textContent || '').trim().replace(/\\s+/g, ' ').slice(0, 50) + '"';
  const walk = el => {
    for (const child of el.children) {
      const box = child.getBoundingClientRect();
      if (box.width > 0 && box.right > width + 0.5) {
        out.push(describe(child) + ' reaches ' + Math.round(box.right) + ' px');
        if (out.length >= 8) return;
        continue;
      }
      if (!scrolls(child)) walk(child);
      if (out.length >= 8) return;
    }
  };
  if (root.scrollWidth > width) walk(document.body);
  return {scrollWidth: root.scrollWidth, clientWidth: width, culprits: out};
}"""


def _normalised(html: str) -> str:
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", html)
    html = re.sub(r'nonce="[^"]*"', "", html)
    return re.sub(r"\d+", "0", html)


def _audience(staff: bool) -> tuple[str, int]:
    return ("staff page", STAFF_WIDTH) if staff else ("patient or public page", PATIENT_WIDTH)


def _measure_width(page: Any, width: int) -> dict[str, Any]:
    before = page.viewport_size
    page.set_viewport_size({"width": width, "height": before["height"] if before else 900})
    try:
        return page.evaluate(WIDTH_JS)
    finally:
        if before:
            page.set_viewport_size(before)


def problems_on(page: Any) -> tuple[str, list[str], dict[str, Any]] | None:
    """The page's blocking accessibility problems and sideways scrolling, as readable lines
    (with the raw findings); None when this page state was checked already."""
    with contextlib.suppress(Exception):  # a page that never settles is checked as it is
        page.wait_for_function(
            "() => document.readyState === 'complete' && !document.querySelector('.htmx-request')",
            timeout=5_000,
        )
    state = page.evaluate(STATE_JS)
    if state["checked"]:
        return None
    who, width = _audience(state["staff"])
    key = hashlib.sha256(f"{who}\n{_normalised(state['html'])}".encode()).hexdigest()
    if key in _checked:
        page.evaluate(MARK_CHECKED_JS)
        return None
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(axe_source())  # evaluated by the browser itself: the page's CSP does not apply
    violations = [v for v in page.evaluate(AXE_RUN_JS) if v["impact"] in BLOCKING]
    fit = _measure_width(page, width)
    lines = []
    for v in violations:
        lines.append(f"{v['id']} ({v['impact']}): {v['help']} — {v['helpUrl']}")
        for node in v["nodes"][:6]:
            summary = " ".join(node["summary"].split())[:220]
            lines.append(f"    at {node['target']}: {summary}")
        if len(v["nodes"]) > 6:
            lines.append(f"    … and {len(v['nodes']) - 6} more")
    if fit["scrollWidth"] > fit["clientWidth"]:
        lines.append(
            f"page-width: the {who} scrolls sideways at {width} px "
            f"(content {fit['scrollWidth']} px wide, window {fit['clientWidth']} px)"
        )
        lines.extend(f"    {c}" for c in fit["culprits"])
    page.evaluate(MARK_CHECKED_JS)
    if not lines:
        _checked.add(key)
    heading = f"{state['url']} ({who}, {width} px)"
    return heading, lines, {"violations": violations, "width": fit}


def check_page(page: Any) -> None:
    """Fail (or, with A11Y_SURVEY, record) if the page as it is now has a critical or serious
    accessibility violation or scrolls sideways on its audience's screen."""
    if page.is_closed() or not page.url.startswith("http"):
        return  # closed, or not opened yet (about:blank)
    found = None
    for attempt in range(3):  # a navigation under way destroys the page's context: try again
        try:
            found = problems_on(page)
            break
        except Exception as exc:
            if attempt == 2 or ("context was destroyed" not in str(exc) and "navigat" not in str(exc)):
                raise
            page.wait_for_load_state("load")
    if found is None or not found[1]:
        return
    heading, lines, raw = found
    survey = os.environ.get("A11Y_SURVEY")
    if survey:
        with open(survey, "a") as fh:
            fh.write(json.dumps({"url": heading, **raw}) + "\n")
        return
    raise AssertionError("Accessibility and width problems on " + heading + ":\n  " + "\n  ".join(lines))


def _before(method: Any, page_of: Any) -> Any:
    @functools.wraps(method)
    def acting(self: Any, *args: Any, **kwargs: Any) -> Any:
        page = page_of(self)
        if page not in _pages:
            _pages.append(page)
        check_page(page)
        return method(self, *args, **kwargs)

    acting.__a11y_original__ = method  # type: ignore[attr-defined]
    return acting


def install() -> None:
    """Check the page before each action the tests take on it."""
    from playwright.sync_api import Locator, Page

    for cls, names, page_of in (
        (Locator, LOCATOR_ACTIONS, lambda loc: loc.page),
        (Page, PAGE_ACTIONS, lambda page: page),
    ):
        for name in names:
            method = getattr(cls, name, None)
            if method is not None and not hasattr(method, "__a11y_original__"):
                setattr(cls, name, _before(method, page_of))


def uninstall() -> None:
    from playwright.sync_api import Locator, Page

    for cls in (Locator, Page):
        for name, method in list(vars(cls).items()):
            if hasattr(method, "__a11y_original__"):
                setattr(cls, name, method.__a11y_original__)


def check_pages_at_the_end() -> None:
    """The last state of every page the test acted on."""
    pages, _pages[:] = list(_pages), []
    for page in pages:
        check_page(page)


def forget_pages() -> None:
    _pages.clear()
