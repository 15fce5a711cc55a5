"""An incident from declaration to resolution, in a real browser: declare, get paged,
acknowledge from the page's link, post an update, resolve."""

import re

from comms import outbox
from comms.models import Notification
from incidents import escalation
from incidents.models import EscalationLevel, EscalationPolicy, Incident
from tests.conftest import make_user
from vigil.roles import Role

from .conftest import login


def test_declare_ack_from_the_page_link_update_and_resolve(page, browser, live_server, responder):
    oncall = make_user("olive", Role.RESPONDER)  # the person paged: one whose role may acknowledge
    policy = EscalationPolicy.objects.create(name="Platform on-call")
    level = EscalationLevel.objects.create(policy=policy, timeout_minutes=5)
    level.users.add(oncall)

    login(page, live_server, responder)
    page.goto(f"{live_server.url}/incidents/declare/")
    page.fill("#id_title", "Checkout returns 502")
    page.locator("input[name=severity][value=sev1]").check()
    # Changed with issue #15: paging is shown on the form (no longer folded under "More").
    page.select_option("#id_escalation_policy", label="Platform on-call")
    with page.expect_navigation():
        page.get_by_role("button", name="Declare").click()
    assert page.get_by_test_id("incident-status").inner_text() == "Triggered"
    incident = Incident.objects.get(title="Checkout returns 502")

    # The worker's part: run the due escalation step, which pages level 1.
    assert escalation.run_due() == 1
    # The link is in the page as it reaches the person (rendered at send time, never stored).
    paged_row = Notification.objects.get(page__incident=incident, page__user=oncall, medium="email")
    assert "/incidents/ack/" not in paged_row.body
    ack_path = re.search(r"/incidents/ack/[^/\s]+/", outbox._message(paged_row).body).group(0)

    # The paged person opens the link from their phone: no login needed.
    paged = browser.new_context(viewport={"width": 390, "height": 844})
    try:
        phone = paged.new_page()
        phone.goto(live_server.url + ack_path)
        phone.get_by_role("button", name="Acknowledge").click()
        assert "Paging has stopped" in phone.get_by_test_id("ack-done").inner_text()
    finally:
        paged.close()

    page.reload()
    assert page.get_by_test_id("incident-status").inner_text() == "Acknowledged"
    assert page.get_by_text(f"Acknowledged by {oncall.username}").first.is_visible()

    page.get_by_test_id("action-update").click()  # issue #15: the header's Update opens the composer
    page.select_option("#id_status", "identified")
    page.fill("#id_message", "A bad deploy; rolling back now.")
    with page.expect_navigation():
        page.get_by_role("button", name="Post update").click()
    assert page.get_by_test_id("incident-status").inner_text() == "Identified"
    assert page.get_by_text("A bad deploy; rolling back now.").first.is_visible()

    with page.expect_navigation():
        page.get_by_role("button", name="Resolve").click()
    assert page.get_by_test_id("incident-status").inner_text() == "Resolved"
    incident.refresh_from_db()
    assert incident.acknowledged_by == oncall and incident.resolved_at is not None
    assert not page.js_errors


def test_the_incident_list_refreshes_itself(page, live_server, responder):
    from incidents.services import do_declare
    from vigil.audit import Actor

    login(page, live_server, responder)
    page.goto(f"{live_server.url}/incidents/?refresh=2")
    page.get_by_text("Quiet night").wait_for()
    page.evaluate("window.loadedOnce = true")
    do_declare(Actor(user=responder), title="Appeared without a reload")
    page.get_by_text("Appeared without a reload").wait_for(timeout=10_000)
    assert page.evaluate("window.loadedOnce") is True  # the same page: no reload happened
