"""Adding and editing a stakeholder in the dashboard, in a real browser on desktop and phone (issue #15):
a bad value is refused with its message beside its field, scrolled into view, and nothing is stored."""

import pytest

from comms.models import Stakeholder, StakeholderGroup
from tests.browser_harness import PHONE, login


@pytest.fixture
def enterprise(transactional_db):
    return StakeholderGroup.objects.create(name="Enterprise customers")


def in_viewport(page, locator) -> bool:
    box = locator.bounding_box()
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= page.viewport_size["height"]


@pytest.mark.parametrize("viewport", ["page", "phone_page"])
def test_an_admin_adds_then_edits_a_stakeholder_with_errors_beside_their_fields(
    viewport, admin_user, enterprise, live_server, request
):
    page = request.getfixturevalue(viewport)
    login(page, live_server, admin_user)
    page.goto(f"{live_server.url}/comms/")
    with page.expect_navigation():
        page.get_by_role("link", name="Add a stakeholder").click()
    form = page.get_by_test_id("stakeholder-form")
    form.get_by_label("Name", exact=True).fill("Grace Buyer")
    form.get_by_role("textbox", name="Email").fill("grace@globex.example")
    form.get_by_label("Phone").fill("12345")
    form.get_by_label("Enterprise customers").check()
    form.get_by_role("group", name="Channels").get_by_label("SMS").check()
    with page.expect_navigation():
        form.get_by_role("button", name="Add stakeholder").click()

    phone = page.locator('[data-field="phone"]')
    assert "not a phone number" in phone.locator(".errorlist").inner_text()
    assert phone.locator("input").evaluate("el => el === document.activeElement")  # focused, so in view
    assert in_viewport(page, phone.locator(".errorlist"))
    assert page.get_by_test_id("form-errors").is_visible()
    assert not Stakeholder.objects.exists()
    # What was typed is still there, and ticked boxes stay ticked.
    assert page.get_by_label("Name", exact=True).input_value() == "Grace Buyer"
    assert page.get_by_label("Enterprise customers").is_checked()

    page.get_by_label("Phone").fill("+44 20 7946 0958")
    with page.expect_navigation():
        page.get_by_role("button", name="Add stakeholder").click()
    grace = Stakeholder.objects.get()
    assert grace.phone == "+442079460958" and grace.channels == ["email", "sms"]
    assert "Stakeholder “Grace Buyer” added." in page.locator(".messages").inner_text()

    with page.expect_navigation():
        page.get_by_role("link", name="Edit Grace Buyer").click()
    page.get_by_label("Organisation").fill("Globex")
    with page.expect_navigation():
        page.get_by_role("button", name="Save").click()
    grace.refresh_from_db()
    assert grace.organisation == "Globex" and list(grace.groups.all()) == [enterprise]
    if viewport == "phone_page":
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert page.js_errors == []


def test_a_responder_sees_contact_details_but_no_add_or_edit(responder, enterprise, page, live_server):
    Stakeholder.objects.create(name="Ada Customer", email="ada@acme.example", phone="+14155552671")
    login(page, live_server, responder)
    page.goto(f"{live_server.url}/comms/")
    assert page.get_by_text("ada@acme.example").is_visible()
    assert page.get_by_role("link", name="Add a stakeholder").count() == 0
    assert page.get_by_role("link", name="Edit Ada Customer").count() == 0
    response = page.goto(f"{live_server.url}/comms/stakeholders/new/")
    assert response.status == 403
