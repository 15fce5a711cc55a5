"""A plan attached to an incident: steps copied at that moment, ticks written to the timeline."""

import pytest

from dr_plans import services
from incidents.models import IncidentEvent
from incidents.services import do_declare
from vigil.audit import Actor


@pytest.fixture
def incident(admin_user):
    incident, _ = do_declare(Actor(user=admin_user), title="Database down")
    return incident


def test_attaching_copies_the_approved_steps(admin_actor, plan, incident):
    checklist = services.do_attach_plan(admin_actor, incident, plan)
    assert [i.title for i in checklist.items.all()] == [s["title"] for s in plan.latest_version().steps]
    # A later edit to the plan does not reach the checklist in progress.
    services.do_save_step(admin_actor, plan, plan.steps.first(), title="Something else")
    assert checklist.items.first().title == "Confirm the primary is gone"
    assert incident.events.filter(message__startswith="DR plan attached").exists()
    with pytest.raises(services.ActionError, match="already attached"):
        services.do_attach_plan(admin_actor, incident, plan)


def test_a_plan_never_approved_is_not_attached(admin_actor, incident):
    from .conftest import make_plan

    draft = make_plan(admin_actor, name="Draft", approve=False)
    with pytest.raises(services.ActionError):
        services.do_attach_plan(admin_actor, incident, draft)


def test_ticking_a_step_records_who_and_when_in_the_timeline(plan, incident, responder, web_clients):
    web = web_clients["responder"]
    response = web.post(f"/dr-plans/incidents/{incident.pk}/checklist/attach/", {"plan": plan.pk})
    assert response.status_code == 302
    item = incident.dr_checklists.get().items.first()
    response = web.post(f"/dr-plans/incidents/{incident.pk}/checklist/items/{item.pk}/", {"done": "1"})
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.done_by == responder and item.done_at is not None
    event = incident.events.filter(kind=IncidentEvent.Kind.NOTE).latest("created_at")
    assert event.actor == responder
    assert event.message == f"DR step done: Assess / Confirm the primary is gone ({plan})"
    page = web_clients["viewer"].get(f"/dr-plans/incidents/{incident.pk}/checklist/").content.decode()
    assert "done by rita-responder" in page


def test_a_viewer_cannot_attach_or_tick(plan, incident, web_clients, admin_actor):
    checklist = services.do_attach_plan(admin_actor, incident, plan)
    item = checklist.items.first()
    viewer = web_clients["viewer"]
    assert viewer.post(f"/dr-plans/incidents/{incident.pk}/checklist/attach/", {"plan": plan.pk}).status_code == 403
    assert (
        viewer.post(f"/dr-plans/incidents/{incident.pk}/checklist/items/{item.pk}/", {"done": "1"}).status_code == 403
    )


def test_attaching_nothing_is_a_form_error(incident, web_clients):
    response = web_clients["responder"].post(f"/dr-plans/incidents/{incident.pk}/checklist/attach/", {"plan": "x"})
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()


def test_the_incident_page_panel_renders_the_checklist_for_who_may_see_it(admin_actor, plan, incident, viewer, rf):
    from django.contrib.auth.models import AnonymousUser

    from dr_plans.receivers import incident_page_panel

    services.do_attach_plan(admin_actor, incident, plan)
    request = rf.get(f"/incidents/{incident.pk}/")
    request.user = viewer
    html = incident_page_panel(sender=None, incident=incident, request=request)
    assert "Confirm the primary is gone" in html and "dr.css" in html
    assert "Attach plan" not in html  # a viewer reads, a responder attaches
    request.user = AnonymousUser()
    assert incident_page_panel(sender=None, incident=incident, request=request) == ""
