"""A plan flagged for review (an action item to update it) stays flagged until a review or an approval."""

from dr_plans import services
from dr_plans.models import DRPlan, ReviewRequest
from postmortems import services as postmortems
from vigil.models import AuditEntry

from .conftest import make_plan


def test_asking_twice_leaves_one_open_request(admin_actor, plan):
    first = services.do_request_review(admin_actor, plan, key="k:1", reason="Update step 2")
    again = services.do_request_review(admin_actor, plan, key="k:1", reason="Update step 2 (edited)")
    other = services.do_request_review(admin_actor, plan, key="k:2", reason="New vendor phone")
    assert first == again and first != other
    assert services.open_review_requests(plan).count() == 2
    assert AuditEntry.objects.filter(action="dr_plan.review_requested").count() == 2


def test_a_review_answers_every_open_request(admin_actor, plan):
    services.do_request_review(admin_actor, plan, key="k:1", reason="Update step 2")
    services.do_record_review(admin_actor, plan, "Updated step 2")
    request = ReviewRequest.objects.get()
    assert request.closed_at is not None and request.closed_by_label == "alice-admin"
    # The same asker may ask again later: a new request.
    services.do_request_review(admin_actor, plan, key="k:1", reason="Update step 2 again")
    assert services.open_review_requests(plan).count() == 1


def test_approving_a_new_version_answers_them_too(admin_actor, plan):
    services.do_request_review(admin_actor, plan, key="k:1", reason="Update step 2")
    services.do_save_step(admin_actor, plan, plan.steps.first(), title="Changed")
    assert services.open_review_requests(plan).exists()
    services.do_submit(admin_actor, plan)
    services.do_approve(admin_actor, plan)
    assert not services.open_review_requests(plan).exists()


def test_the_dashboard_and_the_plan_page_show_the_requests(
    admin_actor, web_clients, django_capture_on_commit_callbacks
):
    plan = make_plan(admin_actor, name="Region failover")
    make_plan(admin_actor, name="Quiet plan")
    with django_capture_on_commit_callbacks(execute=True):
        item = postmortems.do_create_action_item(admin_actor, title="Update step 3: new region", target=plan)
    body = web_clients["viewer"].get("/dr-plans/").content.decode()
    assert "Review requested:" in body and "Region failover</a> (1 request)" in body
    assert "Quiet plan</a> (" not in body
    page = web_clients["viewer"].get(f"/dr-plans/{plan.pk}/").content.decode()
    assert 'data-testid="review-requested"' in page
    assert f'<a href="{item.get_absolute_url()}">Update step 3: new region</a>' in page


def test_the_api_says_which_plans_need_review(admin_actor, plan, api_clients):
    other = make_plan(admin_actor, name="Other")
    services.do_request_review(admin_actor, plan, key="k:1", reason="x")
    rows = {r["name"]: r["needs_review"] for r in api_clients["viewer"].get("/api/v1/dr-plans/").json()["results"]}
    assert rows == {plan.name: True, other.name: False}
    assert [r["name"] for r in api_clients["viewer"].get("/api/v1/dr-plans/").json()["results"]] == sorted(rows)
    services.do_record_review(admin_actor, plan, "done")
    assert api_clients["viewer"].get(f"/api/v1/dr-plans/{plan.pk}/").json()["needs_review"] is False
    assert DRPlan.objects.get(pk=plan.pk).review_requests.filter(closed_at__isnull=True).count() == 0
