"""The API runs the same actions as the dashboard, and answers bad input with field errors."""

from datetime import UTC, datetime

from dr_plans.models import DRPlan

WHEN = datetime(2030, 1, 1, tzinfo=UTC).isoformat()


def test_write_submit_approve_and_drill_through_the_api(api_clients, admin_user):
    admin = api_clients["admin"]
    plan = admin.post("/api/v1/dr-plans/", {"name": "API plan", "rto_minutes": 20, "rpo_minutes": 1}, format="json")
    assert plan.status_code == 201, plan.content
    pk = plan.json()["id"]
    for title in ("Fail over", "Verify"):
        step = admin.post("/api/v1/dr-plan-steps/", {"plan": pk, "title": title, "section": "Run"}, format="json")
        assert step.status_code == 201, step.content
    assert admin.post(f"/api/v1/dr-plans/{pk}/submit/").json()["status"] == "in_review"
    version = admin.post(f"/api/v1/dr-plans/{pk}/approve/", {"note": "first"}, format="json")
    assert version.status_code == 201 and version.json()["number"] == 1
    assert [s["title"] for s in version.json()["snapshot"]["steps"]] == ["Fail over", "Verify"]

    responder = api_clients["responder"]
    drill = responder.post(
        "/api/v1/dr-drills/", {"plan": pk, "scenario": "Region down", "scheduled_for": WHEN}, format="json"
    )
    assert drill.status_code == 201, drill.content
    started = responder.post(f"/api/v1/dr-drills/{drill.json()['id']}/start/").json()
    for step in started["steps"]:
        assert responder.post(f"/api/v1/dr-drill-steps/{step['id']}/finish/", {}, format="json").status_code == 200
    done = responder.post(f"/api/v1/dr-drills/{started['id']}/finish/", {"data_loss_minutes": 0}, format="json")
    assert done.json()["status"] == "completed" and done.json()["passed"] is True
    assert done.json()["rto_met"] is True


def test_bad_input_gives_field_errors(api_clients):
    admin = api_clients["admin"]
    response = admin.post("/api/v1/dr-plans/", {"name": "", "rto_minutes": 0, "rpo_minutes": -1}, format="json")
    assert response.status_code == 400
    fields = {e["attr"] for e in response.json()["errors"]}
    assert {"name", "rto_minutes", "rpo_minutes"} <= fields


def test_a_refused_move_is_a_400_with_the_reason(api_clients, plan):
    response = api_clients["admin"].post(f"/api/v1/dr-plans/{plan.pk}/approve/", {}, format="json")
    assert response.status_code == 400
    assert "in review" in response.json()["errors"][0]["detail"]


def test_an_approved_plan_is_not_deleted(api_clients, plan):
    response = api_clients["admin"].delete(f"/api/v1/dr-plans/{plan.pk}/")
    assert response.status_code == 400
    assert DRPlan.objects.filter(pk=plan.pk).exists()


def test_finishing_a_drill_needs_the_data_loss_window(api_clients, admin_actor, plan):
    from dr_plans import services

    drill = services.do_schedule_drill(admin_actor, plan, scenario="x", scheduled_for=datetime(2030, 1, 1, tzinfo=UTC))
    services.do_start_drill(admin_actor, drill)
    response = api_clients["responder"].post(f"/api/v1/dr-drills/{drill.pk}/finish/", {}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == "data_loss_minutes"
