"""The first browser tests: log in and out, roles in the dashboard, the phone menu."""

import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import login

pytestmark = pytest.mark.browser


def _path(page) -> str:
    return urlsplit(page.url).path


def test_login_dashboard_logout(page, live_server, responder):
    login(page, live_server, responder)

    assert _path(page) == "/"
    expect(page.get_by_role("heading", level=1)).to_have_text("Dashboard")
    expect(page.locator("[data-testid=who]")).to_contain_text(responder.username)
    expect(page.locator("[data-testid=who] .role")).to_have_text("responder")

    with page.expect_navigation():
        page.get_by_role("button", name="Log out").click()
    assert _path(page) == "/login/"
    expect(page.locator("#id_username")).to_be_visible()
    expect(page.locator("[data-testid=who]")).to_have_count(0)

    # The session is gone: the dashboard sends us back to the login page.
    page.goto(f"{live_server.url}/")
    assert _path(page) == "/login/"
    assert re.search(r"[?&]next=/(&|$)", page.url), page.url
    expect(page.locator("#id_password")).to_be_visible()


def test_wrong_password_is_refused(page, live_server, responder):
    login(page, live_server, responder, password="not-the-password")

    assert _path(page) == "/login/"
    expect(page.locator(".errorlist[role=alert]")).to_contain_text("correct username and password")
    expect(page.locator("[data-testid=who]")).to_have_count(0)
    # The username is kept, the password is not.
    expect(page.locator("#id_username")).to_have_value(responder.username)
    expect(page.locator("#id_password")).to_have_value("")

    # Still anonymous.
    page.goto(f"{live_server.url}/")
    assert _path(page) == "/login/"


def test_viewer_is_refused_and_responder_declares(browser, page, live_server, viewer, responder):
    login(page, live_server, viewer)
    expect(page.locator("[data-testid=who]")).to_contain_text(viewer.username)

    response = page.goto(f"{live_server.url}/incidents/declare/")
    assert response is not None and response.status == 403
    expect(page.get_by_role("heading", name="Not allowed")).to_be_visible()

    page.goto(f"{live_server.url}/incidents/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Incidents")
    expect(page.get_by_role("link", name="Declare incident")).to_have_count(0)

    # The responder, in a separate context (own cookies), sees the button and uses it.
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.set_default_timeout(5_000)
    try:
        rpage = context.new_page()
        login(rpage, live_server, responder)
        rpage.goto(f"{live_server.url}/incidents/")
        with rpage.expect_navigation():
            rpage.get_by_role("link", name="Declare incident").click()
        assert _path(rpage) == "/incidents/declare/"

        rpage.get_by_label("Title").fill("Checkout returns 502")
        rpage.locator("input[name=severity][value=sev2]").check()
        with rpage.expect_navigation():
            rpage.get_by_role("button", name="Declare").click()

        assert re.fullmatch(r"/incidents/\d+/", _path(rpage)), rpage.url
        expect(rpage.get_by_role("heading", level=1)).to_have_text("Checkout returns 502")
        expect(rpage.locator("[data-testid=incident-status]")).to_have_text("Triggered")

        with rpage.expect_navigation():
            rpage.get_by_role("button", name="Acknowledge").click()
        expect(rpage.locator("[data-testid=incident-status]")).to_have_text("Acknowledged")
        expect(rpage.get_by_role("button", name="Acknowledge")).to_have_count(0)
    finally:
        context.close()

    # The viewer now sees the incident in the list, still without the button.
    page.goto(f"{live_server.url}/incidents/")
    expect(page.get_by_role("link", name="Checkout returns 502")).to_be_visible()
    expect(page.get_by_role("link", name="Declare incident")).to_have_count(0)


def test_phone_menu_opens_the_nav(phone_page, live_server, responder):
    page = phone_page
    login(page, live_server, responder)
    expect(page.get_by_role("heading", level=1)).to_have_text("Dashboard")

    toggle = page.get_by_role("button", name="Menu")
    nav_link = page.locator("#nav").get_by_role("link", name="Incidents")
    expect(toggle).to_be_visible()
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(nav_link).to_be_hidden()

    toggle.tap()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(nav_link).to_be_visible()
    expect(page.locator("#nav").get_by_role("link", name="System")).to_be_visible()

    # The opened nav works: following a link leaves for that page.
    with page.expect_navigation():
        nav_link.tap()
    expect(page.get_by_role("heading", level=1)).to_have_text("Incidents")
    assert page.js_errors == []
