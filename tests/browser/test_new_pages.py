"""Pages added for issues #17-#19, in a real browser: the admin's import page shows only the chosen
source's fields and names a missing one beside it; My notifications fits a phone; the Slack account
link page links on a press, not on opening."""

from chat.models import SlackIdentity
from chat.slack.identity import link_url
from tests.browser_harness import PHONE, login


def test_the_import_page_shows_only_the_chosen_sources_fields_and_names_a_missing_one(page, live_server, admin_user):
    login(page, live_server, admin_user)
    page.goto(f"{live_server.url}/admin/importers/importedobject/import/")
    source = page.locator("#import-form select[name=source]")
    source.select_option("uptime-kuma")
    assert page.locator("#row-db").is_visible() and not page.locator("#row-api_key").is_visible()
    source.select_option("pagerduty")
    assert page.locator("#row-api_key").is_visible() and not page.locator("#row-db").is_visible()
    with page.expect_navigation():
        page.get_by_role("button", name="Show the plan").click()
    row = page.locator("#row-api_key")
    assert row.is_visible() and "errors" in (row.get_attribute("class") or "")
    assert row.locator(".errorlist").inner_text().strip()
    assert page.js_errors == []


def test_my_notifications_fits_a_phone_and_lists_both_rule_sets(phone_page, live_server, responder):
    page = phone_page
    login(page, live_server, responder)
    page.goto(f"{live_server.url}/comms/me/notifications/")
    text = page.locator("main").inner_text()
    assert "High urgency" in text and "Low urgency" in text
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert page.js_errors == []


def test_the_slack_link_page_links_only_when_pressed(page, live_server, responder):
    login(page, live_server, responder)
    page.goto(f"{live_server.url}/chat/" + link_url("U777", "T0001").split("/chat/", 1)[1])
    assert "will act as you" in page.locator("main").inner_text()
    assert not SlackIdentity.objects.exists()
    with page.expect_navigation():
        page.get_by_role("button", name="Link").click()
    assert page.get_by_test_id("slack-linked").is_visible()
    assert SlackIdentity.objects.get(slack_user_id="U777").user == responder
