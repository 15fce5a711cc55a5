"""The dashboard's navigation on one line at 1366 px, a "More" menu that works without JavaScript, and a
favicon (issue #15: the navigation wrapped onto two lines on a 1366 px laptop, and tabs showed no icon)."""

import pytest

from tests.browser_harness import TIMEOUT_MS, _new_page, login

LAPTOP = {"width": 1366, "height": 768}
LESS_USED = ["Mentions", "Maintenance", "DR plans", "Reports", "System"]


@pytest.fixture
def laptop_page(browser, live_server, transactional_db, request):
    yield from _new_page(browser, request, viewport=LAPTOP)


def one_line(page, selector: str) -> bool:
    """True when every visible item of SELECTOR sits on the same line: one horizontal line crosses them all."""
    boxes = page.locator(selector).evaluate_all(
        "els => els.filter(e => e.offsetParent !== null)"
        ".map(e => [e.getBoundingClientRect().top, e.getBoundingClientRect().bottom])"
    )
    return len(boxes) > 5 and max(top for top, _ in boxes) < min(bottom for _, bottom in boxes)


@pytest.mark.parametrize("persona", ["admin_user", "responder"])
def test_the_navigation_fits_one_line_at_1366_px(persona, laptop_page, live_server, request):
    page = laptop_page
    login(page, live_server, request.getfixturevalue(persona))
    bar = page.locator("header.topbar")
    link_height = page.locator("#nav > a").first.bounding_box()["height"]
    # The whole bar is one row: its height is a link's and its padding, not two rows of them.
    assert bar.bounding_box()["height"] < 2 * link_height + 8
    assert one_line(page, "#nav > a, #nav > details > summary, header.topbar .account > *")
    assert page.evaluate("document.documentElement.scrollWidth") <= LAPTOP["width"]
    assert page.js_errors == []


def test_the_less_used_pages_are_under_more_and_it_opens_without_javascript(browser, live_server, responder, request):
    pages = _new_page(browser, request, viewport=LAPTOP, java_script_enabled=False)
    page = next(pages)
    try:
        login(page, live_server, responder)
        more = page.locator("#nav details.nav-more")
        for name in LESS_USED:
            assert not more.get_by_role("link", name=name).is_visible()
        more.locator("summary").click()
        for name in LESS_USED:
            assert more.get_by_role("link", name=name).is_visible()
        with page.expect_navigation(timeout=TIMEOUT_MS):
            more.get_by_role("link", name="Reports").click()
        assert page.get_by_role("heading", level=1).inner_text() == "Reports"
    finally:
        pages.close()


def test_every_page_names_a_favicon_that_is_served(page, live_server, responder):
    login(page, live_server, responder)
    href = page.locator("link[rel=icon]").get_attribute("href")
    response = page.request.get(f"{live_server.url}{href}")
    assert response.status == 200 and response.headers["content-type"].startswith("image/svg+xml")
    assert b"<svg" in response.body()
    page.goto(f"{live_server.url}/login/")
    assert page.locator("link[rel=icon]").count() == 1
