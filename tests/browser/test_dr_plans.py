"""A DR plan in a real browser: write it, approve it, drill it through its checklist, read the report,
file a finding as an action item that flags the plan for review."""

from dr_plans.models import Drill, DRPlan
from postmortems.models import ActionItem

from .conftest import login


def test_write_approve_and_drill_a_plan(page, live_server, admin_user):
    login(page, live_server, admin_user)
    page.goto(f"{live_server.url}/dr-plans/")
    page.get_by_role("link", name="New plan").click()
    page.fill("#id_name", "Region down")
    page.fill("#id_rto_minutes", "45")
    page.fill("#id_rpo_minutes", "15")
    with page.expect_navigation():
        page.get_by_role("button", name="Save").click()
    assert page.get_by_test_id("plan-status").inner_text() == "Draft"

    for section, title in (("Fail over", "Switch DNS to the standby region"), ("Verify", "Run the smoke tests")):
        page.get_by_role("link", name="Add a step").click()
        page.fill("#id_section", section)
        page.fill("#id_title", title)
        page.fill("#id_instructions", "Check **every** endpoint.")
        with page.expect_navigation():
            page.get_by_role("button", name="Save").click()
    assert page.locator(".dr-md strong").first.inner_text() == "every"

    with page.expect_navigation():
        page.get_by_role("button", name="Submit for review").click()
    assert page.get_by_test_id("plan-status").inner_text() == "In review"
    with page.expect_navigation():
        page.get_by_role("button", name="Approve").click()
    assert page.get_by_test_id("plan-status").inner_text() == "Approved"
    assert page.get_by_role("link", name="Version 1").is_visible()

    page.get_by_role("link", name="Schedule a drill").click()
    page.fill("#id_scenario", "Primary region lost")
    page.fill("#id_scheduled_for", "2030-01-01T10:00")
    with page.expect_navigation():
        page.get_by_role("button", name="Save").click()
    with page.expect_navigation():
        page.get_by_role("button", name="Start the drill").click()
    assert page.get_by_test_id("drill-status").inner_text() == "Running"
    assert page.get_by_test_id("drill-step").count() == 2

    for _ in range(2):
        with page.expect_navigation():
            page.get_by_role("button", name="Step done").first.click()
    assert page.locator("[data-testid=drill-step].done").count() == 2

    page.fill("#id_data_loss_minutes", "5")
    page.fill("#id_findings", "DNS TTL was 1 h; lower it.")
    with page.expect_navigation():
        page.get_by_role("button", name="Finish drill").click()

    drill = Drill.objects.get()
    assert drill.status == Drill.Status.COMPLETED and drill.passed
    assert page.get_by_test_id("drill-verdict").inner_text() == "Pass"
    assert page.get_by_test_id("recovery-time").inner_text().startswith("0:0")
    assert "against an RTO of 45 min: met" in page.get_by_test_id("rto-verdict").inner_text()

    # The finding becomes an action item that changes the plan.
    finding = page.get_by_test_id("finding-form")
    assert finding.count() == 1
    assert page.input_value("#finding1_title") == "DNS TTL was 1 h; lower it."
    page.fill("#finding1_title", "Lower the DNS TTL to 60 s")
    page.select_option("#finding1_kind", "prevent")
    page.check("#finding1_updates_plan")
    with page.expect_navigation():
        finding.get_by_role("button", name="File as action item").click()
    items = page.get_by_test_id("drill-action-items")
    assert "Lower the DNS TTL to 60 s" in items.inner_text() and "changes Region down" in items.inner_text()
    assert page.get_by_test_id("finding-form").count() == 0
    item = ActionItem.objects.get()
    assert item.source == drill and item.target == DRPlan.objects.get()

    page.goto(f"{live_server.url}{DRPlan.objects.get().get_absolute_url()}")
    assert page.get_by_test_id("recovery-chart").locator("rect").count() == 1
    assert "Lower the DNS TTL to 60 s" in page.get_by_test_id("review-requested").inner_text()
    page.goto(f"{live_server.url}/postmortems/action-items/")
    assert "Lower the DNS TTL to 60 s" in page.get_by_test_id("action-items").inner_text()
    assert not page.js_errors
