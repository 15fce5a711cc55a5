"""Approving freezes an immutable version; editing an approved plan makes a new draft; versions compare."""

import pytest
from django.core.exceptions import ValidationError

from dr_plans import services
from dr_plans.diff import side_by_side
from dr_plans.export import version_markdown
from dr_plans.models import DRPlan, PlanVersion

from .conftest import make_plan


def test_approving_freezes_the_plan_as_version_one(plan):
    version = plan.versions.get()
    assert plan.status == DRPlan.Status.APPROVED
    assert version.number == 1
    assert [s["title"] for s in version.steps] == [
        "Confirm the primary is gone",
        "Promote the replica",
        "Run the smoke tests",
    ]
    assert version.snapshot["rto_minutes"] == 30
    assert plan.last_reviewed_at == version.approved_at


def test_an_approved_version_never_changes(plan):
    version = plan.versions.get()
    version.note = "rewritten"
    with pytest.raises(ValidationError):
        version.save()
    with pytest.raises(ValidationError):
        PlanVersion.objects.filter(pk=version.pk).update(note="rewritten")
    with pytest.raises(ValidationError):
        version.delete()
    with pytest.raises(ValidationError):
        PlanVersion.objects.filter(pk=version.pk).delete()
    assert PlanVersion.objects.get(pk=version.pk).note == ""


def test_editing_an_approved_plan_makes_a_draft_and_leaves_the_version(admin_actor, plan):
    step = plan.steps.get(title="Promote the replica")
    services.do_save_step(admin_actor, plan, step, title="Promote the standby in the other region")
    plan.refresh_from_db()
    assert plan.status == DRPlan.Status.DRAFT
    assert plan.versions.get().steps[1]["title"] == "Promote the replica"

    services.do_submit(admin_actor, plan)
    v2 = services.do_approve(admin_actor, plan, note="Cross-region standby")
    assert v2.number == 2
    assert v2.steps[1]["title"] == "Promote the standby in the other region"
    assert plan.versions.get(number=1).steps[1]["title"] == "Promote the replica"


def test_saving_an_approved_plan_unchanged_keeps_it_approved(admin_actor, plan):
    services.do_update_plan(admin_actor, plan, rto_minutes=30)
    plan.refresh_from_db()
    assert plan.status == DRPlan.Status.APPROVED


def test_the_status_workflow_refuses_moves_it_does_not_allow(admin_actor):
    plan = make_plan(admin_actor, approve=False)
    with pytest.raises(services.ActionError, match="in review"):
        services.do_approve(admin_actor, plan)
    services.do_retire(admin_actor, plan)
    with pytest.raises(services.ActionError, match="retired plan is read-only"):
        services.do_update_plan(admin_actor, plan, rto_minutes=10)
    with pytest.raises(services.ActionError):
        services.do_submit(admin_actor, plan)


def test_a_plan_without_steps_is_not_submitted(admin_actor):
    plan = services.do_create_plan(admin_actor, name="Empty", rto_minutes=10, rpo_minutes=1)
    with pytest.raises(services.ActionError, match="at least one step"):
        services.do_submit(admin_actor, plan)


def test_the_plans_own_approver_may_approve_but_another_responder_may_not(admin_actor, responder, roles):
    from tests.conftest import make_user
    from vigil.audit import Actor
    from vigil.roles import Role

    other = make_user("otto-responder", Role.RESPONDER)
    plan = make_plan(admin_actor, approve=False, approver=responder)
    services.do_submit(admin_actor, plan)
    with pytest.raises(services.PermissionDenied):
        services.do_approve(Actor(user=other, via="web"), plan)
    version = services.do_approve(Actor(user=responder, via="web"), plan)
    assert version.approved_by == responder


def test_the_diff_marks_changed_inserted_and_deleted_lines():
    rows = side_by_side("a\nb\nc\nd\n", "a\nB!\nc\ne\nf\n")
    kinds = [(r.kind, r.left_no, r.right_no) for r in rows]
    assert kinds[0] == ("equal", 1, 1)
    assert ("replace", 2, 2) in kinds
    assert kinds[-1] == ("insert", None, 5)
    changed = next(r for r in rows if r.kind == "replace" and r.left_no == 2)
    assert changed.left == [("b", True)]
    assert changed.right == [("B!", True)]


def test_the_diff_of_two_versions_shows_the_edited_step(admin_actor, plan, admin_user, client):
    step = plan.steps.get(title="Promote the replica")
    services.do_save_step(admin_actor, plan, step, title="Promote the standby", expected_minutes=12)
    services.do_submit(admin_actor, plan)
    services.do_approve(admin_actor, plan)
    old, new = (version_markdown(plan.versions.get(number=n).snapshot) for n in (1, 2))
    rows = [r for r in side_by_side(old, new) if r.kind != "equal"]
    assert any("Promote the replica" in "".join(t for t, _ in r.left) for r in rows)
    assert any("Promote the standby" in "".join(t for t, _ in r.right) for r in rows)

    client.force_login(admin_user)
    page = client.get(f"/dr-plans/{plan.pk}/diff/?a=1&b=2")
    assert page.status_code == 200
    body = page.content.decode()
    assert "<mark>" in body and "Promote the" in body
    assert "2 lines changed" in body or "lines changed" in body
