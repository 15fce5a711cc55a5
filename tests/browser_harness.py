"""Browser test harness: the real app on a free port, driven by Chromium through Playwright.

Its fixtures (browser, page, phone_page) are made available to every test directory by
tests/conftest.py, so the whole session shares one Chromium (Playwright's sync API can run
only once per thread). Every test under tests/browser is marked `browser`. The tests skip (or, under
REQUIRE_SERVICES=1, fail) when Playwright or a Chromium binary is missing.
Chromium is Debian's (/usr/bin/chromium, or CHROMIUM_PATH): `playwright install`
is never needed. A failing test leaves a screenshot under test-results/browser/.
"""

import os
import re
import shutil
from pathlib import Path

import pytest

from tests.conftest import PASSWORD, need
from vigil_probes import browser as browser_checks

# Playwright's sync API runs an asyncio event loop in the test's own thread (in
# a greenlet) for as long as the browser is open. Django sees that running loop
# and refuses ORM calls from this thread (SynchronousOnlyOperation), which would
# break the fixtures that create users and the database flush between tests.
# Nothing here is actually async: the ORM calls are ordinary blocking calls made
# between Playwright calls, so telling Django it is safe is correct. It must be
# set before the first test runs, hence at import.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM_PATH = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
# The probes' flags (headless, no sandbox, none of Chromium's calls home), and no QUIC.
CHROMIUM_ARGS = [*browser_checks.CHROMIUM_ARGS, "--disable-quic"]
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
# Short enough that a missing element fails the test fast, long enough for a slow CI box.
TIMEOUT_MS = 5_000
SCREENSHOT_DIR = Path(__file__).resolve().parents[1] / "test-results" / "browser"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    # Keep each phase's report on the item, so the page fixture knows if the test failed.
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


def _chromium_available() -> tuple[bool, str]:
    exe = CHROMIUM_PATH if os.path.sep in CHROMIUM_PATH else shutil.which(CHROMIUM_PATH)
    if not exe or not os.path.isfile(exe) or not os.access(exe, os.X_OK):
        return False, f"no executable Chromium at {CHROMIUM_PATH} (set CHROMIUM_PATH)"
    return True, ""


@pytest.fixture(scope="module")
def browser():
    """One Chromium for a test file; each test gets its own context.

    Not one for the whole session: between calls Playwright's sync API leaves its event loop marked as
    running in this thread (playwright/sync_api/_context_manager.py), so while it is up asyncio.run here
    fails ("cannot be called from a running event loop"), and the probe engine's tests use it. Run in
    one process, pytest-django puts every browser test after them; run in several (bin/test), a process
    may take a browser test file first. A file's tests all run in one process, so none of another file
    ever meets a live Playwright (leaving the context manager clears the mark)."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:
        need("Playwright", False, f"the playwright package is not importable ({exc})")
    ok, reason = _chromium_available()
    need("Chromium", ok, reason)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM_PATH, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


def _new_page(browser, request, **context_options):
    context = browser.new_context(**context_options)
    context.set_default_timeout(TIMEOUT_MS)
    context.set_default_navigation_timeout(TIMEOUT_MS)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.js_errors = errors
    try:
        yield page
    finally:
        report = getattr(request.node, "rep_call", None)
        if report is not None and report.failed:
            SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
            name = re.sub(r"[^\w.-]+", "_", request.node.nodeid)[-150:]
            try:
                page.screenshot(path=str(SCREENSHOT_DIR / f"{name}.png"), full_page=True)
            except Exception as exc:  # a failed screenshot must not hide the real failure
                print(f"screenshot failed: {exc}")
        context.close()


@pytest.fixture
def page(browser, live_server, transactional_db, request):
    """A desktop-sized page in a fresh context (no cookies, no storage)."""
    yield from _new_page(browser, request, viewport=DESKTOP)


@pytest.fixture
def phone_page(browser, live_server, transactional_db, request):
    """A phone-sized, touch-enabled page in a fresh context."""
    yield from _new_page(browser, request, viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=3)


def login(page, live_server, user, password: str = PASSWORD):
    """Log USER in through the real login form; return the response of the page landed on."""
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", user.get_username())
    page.fill("#id_password", password)
    with page.expect_navigation():
        page.click("form button[type=submit]")
    return page
