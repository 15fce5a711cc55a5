"""After the outage, in a real browser: resolve a SEV1, open the post-mortem Vigil drafted, add an action
item, have it reviewed and publish it, then read its public summary on the status page (and nothing
internal)."""

from comms.status import snapshot as snapshots
from incidents.models import Component, Incident
from incidents.services import do_add_note, do_declare, do_post_update
from postmortems.models import ActionItem, PostMortem
from vigil.audit import Actor

from .conftest import login

INTERNAL_NOTE = "db-primary-7 password rotated by hand"


def test_resolve_a_sev1_then_review_and_publish_its_drafted_postmortem(
    page, browser, live_server, admin_user, responder, settings, tmp_path
):
    settings.VIGIL_STATUS_DIR = str(tmp_path / "status")
    snapshots._held.reset()
    api = Component.objects.create(name="Public API", public=True)
    actor = Actor(user=admin_user, via="web")
    incident, _ = do_declare(actor, title="API returns 503", severity="sev1", components=[api])
    do_post_update(actor, incident, "investigating", "Requests to the API fail; we are on it.")
    do_add_note(actor, incident, INTERNAL_NOTE)

    login(page, live_server, admin_user)
    page.goto(f"{live_server.url}{incident.get_absolute_url()}")
    with page.expect_navigation():
        page.get_by_role("button", name="Resolve").click()
    assert page.get_by_test_id("incident-status").inner_text() == "Resolved"

    # Resolving a SEV1 drafted the post-mortem; the incident page links to it.
    page.get_by_test_id("postmortem-panel").get_by_role("link").click()
    page.wait_for_url("**/postmortems/*/")
    postmortem = PostMortem.objects.get(incident=incident)
    assert page.get_by_test_id("pm-status").inner_text() == "Draft"
    assert page.get_by_text("Requests to the API fail; we are on it.").first.is_visible()

    page.get_by_role("link", name="Add action item").click()
    page.fill("#id_title", "Alert on 503 rate before customers notice")
    page.select_option("#id_owner", label=responder.username)
    page.fill("#id_due_date", "2026-12-31")
    page.select_option("#id_kind", "detect")
    with page.expect_navigation():
        page.get_by_role("button", name="Save").click()
    item = ActionItem.objects.get(title="Alert on 503 rate before customers notice")
    assert item.postmortem == postmortem and item.owner == responder

    page.goto(f"{live_server.url}{postmortem.get_absolute_url()}")
    page.select_option("#id_reviewers", label=responder.username)
    with page.expect_navigation():
        page.get_by_role("button", name="Save reviewers").click()
    with page.expect_navigation():
        page.get_by_role("button", name="Send for review").click()
    assert page.get_by_test_id("pm-status").inner_text() == "In review"

    # The reviewer signs off in their own browser.
    reviewer_context = browser.new_context()
    try:
        reviewer = reviewer_context.new_page()
        login(reviewer, live_server, responder)
        reviewer.goto(f"{live_server.url}{postmortem.get_absolute_url()}")
        with reviewer.expect_navigation():
            reviewer.get_by_role("button", name="Sign off").click()
        # A responder who is not the commander cannot publish.
        assert reviewer.get_by_role("button", name="Publish").count() == 0
    finally:
        reviewer_context.close()

    page.reload()
    page.fill("#id_public_summary", "A faulty load balancer rule dropped API traffic for 40 minutes.")
    with page.expect_navigation():
        page.get_by_role("button", name="Publish").click()
    assert page.get_by_test_id("pm-status").inner_text() == "Published"

    # The published post-mortem reaches the status page's incident page, and only what is public.
    snapshots.rebuild()
    page.goto(f"{live_server.url}/status/incidents/{incident.pk}/")
    assert page.get_by_text("A faulty load balancer rule dropped API traffic for 40 minutes.").is_visible()
    body = page.content()
    assert INTERNAL_NOTE not in body
    assert admin_user.username not in body and responder.username not in body
    assert Incident.objects.get(pk=incident.pk).postmortem.status == PostMortem.Status.PUBLISHED
    assert not page.js_errors
