"""Action items: filed, moved through their statuses, linked to what raised them and what they change."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from dr_plans.models import DRPlan
from incidents.services import do_declare
from postmortems import services
from postmortems.models import ActionItem, PostMortem
from vigil.audit import Actor
from vigil.models import AuditEntry

from ..dr_plans.conftest import make_plan


@pytest.fixture
def actor(admin_user):
    return Actor(user=admin_user, via="web")


@pytest.fixture
def postmortem(actor, admin_user):
    incident, _ = do_declare(actor, title="Checkout is down")
    return PostMortem.objects.create(incident=incident, title="Checkout outage", author=admin_user)


def test_an_item_is_filed_open_and_audited(actor, postmortem, responder):
    item = services.do_create_action_item(
        actor, title="  Alert on replica lag  ", owner=responder, due_date=date(2030, 1, 31),
        kind=ActionItem.Kind.DETECT, priority=ActionItem.Priority.HIGH, postmortem=postmortem,
        tracker_url="https://tracker.example/VIG-12",
    )  # fmt: skip
    assert item.title == "Alert on replica lag"
    assert item.status == ActionItem.Status.OPEN and item.completed_at is None
    assert list(postmortem.action_items.all()) == [item]
    assert AuditEntry.objects.filter(action="action_item.create", target_id=str(item.pk)).exists()


def test_done_stamps_completed_at_and_reopening_clears_it(actor):
    item = services.do_create_action_item(actor, title="Lower the DNS TTL")
    item = services.do_update_action_item(actor, item, status=ActionItem.Status.IN_PROGRESS)
    assert item.completed_at is None
    item = services.do_update_action_item(actor, item, status=ActionItem.Status.DONE)
    assert item.completed_at is not None and item.is_closed
    item = services.do_update_action_item(actor, item, status=ActionItem.Status.OPEN)
    assert item.completed_at is None


def test_the_status_table_refuses_moves_it_does_not_list(actor):
    item = services.do_create_action_item(actor, title="x", status=ActionItem.Status.WONT_DO)
    with pytest.raises(services.ActionError, match="from won't do to done"):
        services.do_update_action_item(actor, item, status=ActionItem.Status.DONE)
    created_done = services.do_create_action_item(actor, title="y", status=ActionItem.Status.DONE)
    assert created_done.completed_at is not None


def test_overdue_is_open_and_past_its_due_date(actor):
    today = timezone.localdate()
    item = services.do_create_action_item(actor, title="x", due_date=today - timedelta(days=1))
    assert item.is_overdue(today) and not item.is_overdue(today - timedelta(days=2))
    item = services.do_update_action_item(actor, item, status=ActionItem.Status.DONE)
    assert not item.is_overdue(today)


def test_only_registered_models_are_linked(actor, postmortem):
    with pytest.raises(services.ActionError, match="cannot name"):
        services.do_create_action_item(actor, title="x", target=postmortem)
    with pytest.raises(services.ActionError, match="cannot name"):
        services.do_create_action_item(actor, title="x", source=postmortem)


def test_targeting_a_plan_flags_it_for_review(actor, django_capture_on_commit_callbacks):
    plan = make_plan(actor)
    with django_capture_on_commit_callbacks(execute=True):
        item = services.do_create_action_item(actor, title="Update step 2: promote the standby", target=plan)
    request = plan.review_requests.get()
    assert request.closed_at is None and request.reason == item.title and request.url == item.get_absolute_url()
    assert list(ActionItem.objects.linked_to("target", plan)) == [item]
    # Saving the item again, even moving it on, asks nothing more.
    with django_capture_on_commit_callbacks(execute=True):
        services.do_update_action_item(actor, item, status=ActionItem.Status.IN_PROGRESS, title="Update step 2")
    assert plan.review_requests.count() == 1


def test_retargeting_flags_the_new_plan(actor, django_capture_on_commit_callbacks):
    first, second = make_plan(actor, name="One"), make_plan(actor, name="Two")
    with django_capture_on_commit_callbacks(execute=True):
        item = services.do_create_action_item(actor, title="Fix the runbook")
        assert not DRPlan.objects.filter(review_requests__isnull=False).exists()
        services.do_update_action_item(actor, item, target=first)
        services.do_update_action_item(actor, item, target=second)
    assert first.review_requests.count() == 1 and second.review_requests.count() == 1


# --- The API -----------------------------------------------------------------------------


def test_the_api_files_an_item_targeting_a_plan(api_clients, actor, responder, django_capture_on_commit_callbacks):
    plan = make_plan(actor)
    body = {
        "title": "Update step 4", "kind": "process", "priority": "high", "owner": responder.pk,
        "due_date": "2030-02-01", "target_type": "dr_plans.drplan", "target_id": plan.pk,
    }  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        response = api_clients["responder"].post("/api/v1/action-items/", body, format="json")
    assert response.status_code == 201, response.content
    row = response.json()
    assert row["target_type"] == "dr_plans.drplan" and row["target_label"] == plan.name
    assert row["status"] == "open" and row["overdue"] is False and row["source_type"] is None
    plan_row = api_clients["viewer"].get(f"/api/v1/dr-plans/{plan.pk}/").json()
    assert plan_row["needs_review"] is True


def test_the_api_moves_an_item_and_refuses_a_bad_move(api_clients, actor):
    item = services.do_create_action_item(actor, title="x", status=ActionItem.Status.WONT_DO)
    client = api_clients["responder"]
    refused = client.patch(f"/api/v1/action-items/{item.pk}/", {"status": "done"}, format="json")
    assert refused.status_code == 400
    assert "won't do to done" in refused.json()["errors"][0]["detail"]
    done = client.patch(f"/api/v1/action-items/{item.pk}/", {"status": "open"}, format="json")
    assert done.status_code == 200 and done.json()["completed_at"] is None
    done = client.patch(f"/api/v1/action-items/{item.pk}/", {"status": "done"}, format="json")
    assert done.json()["completed_at"] is not None


def test_the_api_checks_links(api_clients, actor):
    plan = make_plan(actor)
    client = api_clients["admin"]
    for body, attr in (
        ({"title": "x", "target_type": "vigil.apikey", "target_id": 1}, "target_type"),
        ({"title": "x", "target_type": "dr_plans.drplan", "target_id": plan.pk + 1000}, "target_id"),
        ({"title": "x", "target_type": "dr_plans.drplan"}, "target_id"),
        ({"title": "x", "source_id": 3}, "source_type"),
    ):
        response = client.post("/api/v1/action-items/", body, format="json")
        assert response.status_code == 400, body
        assert response.json()["errors"][0]["attr"] == attr, response.json()


def test_the_source_of_an_item_never_changes(api_clients, actor, plan_drill):
    item = services.do_create_action_item(actor, title="x", source=plan_drill)
    url = f"/api/v1/action-items/{item.pk}/"
    client = api_clients["admin"]
    row = client.get(url).json()
    assert row["source_type"] == "dr_plans.drill" and row["source_label"] == str(plan_drill)
    assert client.put(url, {**row, "title": "y"}, format="json").status_code == 200
    other = services.do_create_action_item(actor, title="z")
    moved = client.patch(
        f"/api/v1/action-items/{other.pk}/",
        {"source_type": "dr_plans.drill", "source_id": plan_drill.pk},
        format="json",
    )
    assert moved.status_code == 400 and moved.json()["errors"][0]["attr"] == "source_type"


def test_the_api_lists_by_status_and_post_mortem(api_clients, actor, postmortem):
    services.do_create_action_item(actor, title="a", postmortem=postmortem)
    services.do_create_action_item(actor, title="b", status=ActionItem.Status.DONE)
    client = api_clients["viewer"]
    assert [r["title"] for r in client.get("/api/v1/action-items/?status=done").json()["results"]] == ["b"]
    rows = client.get(f"/api/v1/action-items/?postmortem={postmortem.pk}").json()["results"]
    assert [r["title"] for r in rows] == ["a"]
    assert client.get("/api/v1/action-items/?status=nope").status_code == 400


def test_only_an_admin_deletes_an_item(api_clients, actor):
    item = services.do_create_action_item(actor, title="x")
    assert api_clients["responder"].delete(f"/api/v1/action-items/{item.pk}/").status_code == 403
    assert api_clients["admin"].delete(f"/api/v1/action-items/{item.pk}/").status_code == 204
    assert not ActionItem.objects.exists()


# --- The dashboard -----------------------------------------------------------------------


def test_the_list_shows_open_items_first_and_the_rest_on_demand(web_clients, actor):
    services.do_create_action_item(actor, title="Open one", due_date=timezone.localdate() - timedelta(days=3))
    services.do_create_action_item(actor, title="Closed one", status=ActionItem.Status.DONE)
    page = web_clients["viewer"].get("/postmortems/action-items/").content.decode()
    assert "Open one" in page and "overdue" in page and "Closed one" not in page
    page = web_clients["viewer"].get("/postmortems/action-items/?show=all").content.decode()
    assert "Closed one" in page


def test_a_responder_adds_and_edits_an_item_in_the_dashboard(
    web_clients, actor, responder, django_capture_on_commit_callbacks
):
    plan = make_plan(actor)
    web = web_clients["responder"]
    form = web.get("/postmortems/action-items/new/").content.decode()
    assert f'value="dr_plans.drplan:{plan.pk}"' in form
    with django_capture_on_commit_callbacks(execute=True):
        response = web.post(
            "/postmortems/action-items/new/",
            {"title": "Update step 2", "kind": "process", "priority": "low", "owner": responder.pk,
             "target": f"dr_plans.drplan:{plan.pk}", "tracker_url": "tracker.example/VIG-1"},
        )  # fmt: skip
    item = ActionItem.objects.get()
    assert response.status_code == 302 and response["Location"] == item.get_absolute_url()
    assert item.target == plan and item.tracker_url == "https://tracker.example/VIG-1"
    assert plan.review_requests.filter(closed_at__isnull=True).exists()

    edit = f"/postmortems/action-items/{item.pk}/edit/"
    data = {"title": "Update step 2", "kind": "process", "priority": "low", "status": "done", "target": ""}
    assert web.post(edit, data).status_code == 302
    item.refresh_from_db()
    assert item.status == ActionItem.Status.DONE and item.target is None and item.completed_at
    page = web_clients["viewer"].get(item.get_absolute_url()).content.decode()
    assert "Done" in page and "Update step 2" in page


def test_a_bad_status_move_in_the_dashboard_is_a_form_error(web_clients, actor):
    item = services.do_create_action_item(actor, title="x", status=ActionItem.Status.DONE)
    response = web_clients["responder"].post(
        f"/postmortems/action-items/{item.pk}/edit/",
        {"title": "x", "kind": "prevent", "priority": "low", "status": "wont_do"},
    )
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()


def test_a_viewer_reads_but_does_not_write(web_clients, actor):
    item = services.do_create_action_item(actor, title="x")
    viewer = web_clients["viewer"]
    assert viewer.get(item.get_absolute_url()).status_code == 200
    assert viewer.get("/postmortems/action-items/new/").status_code == 403
    assert viewer.post(f"/postmortems/action-items/{item.pk}/edit/", {"title": "y"}).status_code == 403
