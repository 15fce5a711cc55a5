"""In Chromium: a responder sees who is on call now and accepts a swap request in one click, on a phone too."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from incidents.models import Override, SwapRequest
from incidents.oncall.schedule import on_call_users
from tests.browser.conftest import login
from tests.conftest import make_user
from tests.oncall.conftest import make_rotation, make_schedule
from vigil.roles import Role

pytestmark = pytest.mark.browser


@pytest.fixture
def ann(roles):
    return make_user("ann", Role.RESPONDER)


@pytest.fixture
def swap(responder, ann):
    """ann is on call this week and asks the responder to take tonight."""
    now = timezone.now()
    schedule = make_schedule("Payments", tz="Europe/Paris")
    make_rotation(schedule, [ann, responder], starts_at=now - timedelta(days=1), unit="weeks")
    return SwapRequest.objects.create(
        schedule=schedule,
        requester=ann,
        covering_user=responder,
        starts_at=now - timedelta(minutes=5),
        ends_at=now + timedelta(hours=10),
        message="Dentist",
    )


def test_a_responder_sees_who_is_on_call_and_accepts_a_swap_in_one_click(page, live_server, responder, ann, swap):
    login(page, live_server, responder)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="On-call").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("On-call")

    card = page.locator("[data-testid=schedule-now]", has_text="Payments")
    expect(card.locator("[data-testid=on-call-now]")).to_contain_text("ann")
    request = page.locator("[data-testid=incoming] [data-testid=swap-request]")
    expect(request).to_contain_text("ann asks you to cover Payments")
    expect(request).to_contain_text("Dentist")

    with page.expect_navigation():
        request.get_by_role("button", name="Accept").click()

    expect(page.locator(".msg.success")).to_have_text("Swap accepted: you are covering.")
    expect(page.locator("[data-testid=incoming]")).to_have_count(0)
    expect(card.locator("[data-testid=on-call-now]")).to_contain_text(responder.username)
    assert Override.objects.filter(user=responder).count() == 1
    assert on_call_users(swap.schedule, timezone.now()) == [responder]
    assert page.js_errors == []


def test_the_on_call_pages_work_on_a_phone(phone_page, live_server, responder, ann, swap):
    login(phone_page, live_server, responder)
    phone_page.goto(f"{live_server.url}/oncall/")
    accept = phone_page.get_by_role("button", name="Accept")
    expect(accept).to_be_visible()
    # Nothing wider than the screen: no sideways scrolling at 390 px.
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 390
    phone_page.get_by_role("link", name="Payments").first.tap()
    expect(phone_page.get_by_role("heading", level=1)).to_have_text("Payments")
    expect(phone_page.locator("[data-testid=schedule-tz]")).to_have_text("Europe/Paris")
    expect(phone_page.get_by_role("button", name="Add override")).to_be_visible()
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 390
    assert phone_page.js_errors == []
