"""A drill's findings become action items (postmortems.ActionItem, source: the drill) from its report page."""

import pytest

from dr_plans import services
from dr_plans.models import Drill
from postmortems.models import ActionItem
from vigil.audit import Actor


@pytest.fixture
def finished_drill(admin_actor, plan_drill):
    first = plan_drill.steps.first()
    services.do_finish_step(admin_actor, first, problem="Replica was 40 min behind")
    return services.do_finish_drill(
        admin_actor,
        plan_drill,
        data_loss_minutes=3,
        findings="- Lower the DNS TTL to 60 s\n\n* Page the DBA, not the whole team\n2) Write down the VPN steps\n",
    )


def test_findings_are_read_one_per_line_without_list_markers(finished_drill):
    assert finished_drill.finding_lines() == [
        "Lower the DNS TTL to 60 s",
        "Page the DBA, not the whole team",
        "Write down the VPN steps",
    ]
    assert Drill(findings="").finding_lines() == []


def test_filing_a_finding_makes_an_action_item_whose_source_is_the_drill(admin_actor, finished_drill, responder):
    item = services.do_file_finding(
        Actor(user=responder, via="web"), finished_drill, title="Lower the DNS TTL to 60 s", kind="mitigate",
        priority="high", owner=responder, details="Lower the DNS TTL to 60 s",
    )  # fmt: skip
    assert item.source == finished_drill and item.target is None and item.created_by == responder
    assert list(services.drill_action_items(finished_drill)) == [item]
    steps = list(finished_drill.steps.all())
    assert services.unfiled_findings(finished_drill, steps) == [
        "Page the DBA, not the whole team",
        "Write down the VPN steps",
        "Confirm the primary is gone: Replica was 40 min behind",
    ]


def test_a_finding_that_changes_the_plan_flags_it(admin_actor, finished_drill, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        item = services.do_file_finding(admin_actor, finished_drill, title="Add a replica-lag check", updates_plan=True)
    assert item.target == finished_drill.plan
    request = finished_drill.plan.review_requests.get()
    assert request.reason == "Add a replica-lag check" and request.key == f"postmortems.actionitem:{item.pk}"


def test_a_drill_not_started_has_no_findings_to_file(admin_actor, plan):
    from django.utils import timezone

    drill = services.do_schedule_drill(admin_actor, plan, scenario="x", scheduled_for=timezone.now())
    with pytest.raises(services.ActionError, match="not started"):
        services.do_file_finding(admin_actor, drill, title="x")


def test_the_report_page_files_findings_and_lists_them(finished_drill, web_clients, responder):
    web = web_clients["responder"]
    report = f"/dr-plans/drills/{finished_drill.pk}/report/"
    page = web.get(report).content.decode()
    assert page.count('data-testid="finding-form"') == 4
    assert 'value="Page the DBA, not the whole team"' in page

    response = web.post(
        f"/dr-plans/drills/{finished_drill.pk}/action-items/",
        {"title": "Page the DBA only", "details": "Page the DBA, not the whole team", "kind": "process",
         "priority": "medium", "owner": responder.pk, "due_date": "2030-03-01", "updates_plan": "on"},
    )  # fmt: skip
    assert response.status_code == 302 and response["Location"].endswith(f"{report}#action-items")
    item = ActionItem.objects.get()
    assert (item.title, item.kind, item.owner, item.source, item.target) == (
        "Page the DBA only", "process", responder, finished_drill, finished_drill.plan,
    )  # fmt: skip

    page = web_clients["viewer"].get(report).content.decode()
    assert "Page the DBA only" in page and f"changes {finished_drill.plan}" in page
    assert 'data-testid="finding-form"' not in page  # a viewer files nothing
    page = web.get(report).content.decode()
    assert page.count('data-testid="finding-form"') == 3  # the filed finding is no longer offered


def test_a_finding_without_a_title_is_a_form_error(finished_drill, web_clients):
    response = web_clients["responder"].post(
        f"/dr-plans/drills/{finished_drill.pk}/action-items/", {"title": "", "kind": "mitigate", "priority": "low"}
    )
    assert response.status_code == 400
    assert "This field is required" in response.content.decode()
    assert not ActionItem.objects.exists()


def test_a_viewer_cannot_file_a_finding(finished_drill, web_clients):
    response = web_clients["viewer"].post(
        f"/dr-plans/drills/{finished_drill.pk}/action-items/", {"title": "x", "kind": "mitigate", "priority": "low"}
    )
    assert response.status_code == 403
    assert not ActionItem.objects.exists()


def test_findings_filed_through_the_api_show_on_the_report(finished_drill, api_clients, web_clients):
    body = {"title": "Write down the VPN steps", "source_type": "dr_plans.drill", "source_id": finished_drill.pk}
    assert api_clients["responder"].post("/api/v1/action-items/", body, format="json").status_code == 201
    rows = api_clients["viewer"].get("/api/v1/action-items/").json()["results"]
    assert rows[0]["source_label"] == str(finished_drill)
    page = web_clients["viewer"].get(f"/dr-plans/drills/{finished_drill.pk}/report/").content.decode()
    assert "Write down the VPN steps" in page
