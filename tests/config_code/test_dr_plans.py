"""DR plans as code, with their steps: written through dr_plans' actions, so an approved plan that
the files change goes back to draft for its approver, and one they leave as it is keeps its version."""

import pytest

from config_code.apply import ConfigInvalid, apply_loaded
from config_code.export import as_yaml, export
from config_code.loader import load
from config_code.models import ManagedObject
from config_code.plan import make_plan
from dr_plans import services as dr
from dr_plans.models import DRPlan
from tests.conftest import make_user
from vigil.audit import Actor

from .conftest import EXAMPLE, loaded

PLANS = (
    EXAMPLE
    + """\
dr_plans:
  - key: checkout-db
    name: Checkout database
    rto_minutes: 30
    rpo_minutes: 5
    team: payments
    owner: Ann@example.com
    components: [checkout-api]
    steps:
      - section: Assess
        title: Check replication lag
        command: psql -c 'select now() - pg_last_xact_replay_timestamp()'
      - section: Fail over
        title: Promote the replica
        expected_minutes: 10
        link: https://wiki.example.com/promote
"""
)


@pytest.fixture
def ann(db):
    return make_user("ann", None)


def approve(plan: DRPlan) -> None:
    dr.do_submit(Actor(via="system"), plan)
    dr.do_approve(Actor(via="system"), plan)


def test_a_plan_is_made_with_its_steps_in_order_and_applied_once(ann):
    plan = make_plan(loaded(PLANS))
    assert plan.errors == []
    [change] = [c for c in plan.changes if c.kind.name == "dr_plans"]
    assert [d[0] for d in change.diffs] == [
        "name", "description", "rto_minutes", "rpo_minutes", "review_every_days", "team", "owner", "approver",
        "components", "steps",
    ]  # fmt: skip
    apply_loaded(loaded(PLANS))
    made = DRPlan.objects.get()
    assert (made.owner, made.status, [c.name for c in made.components.all()]) == (ann, "draft", ["Checkout API"])
    assert [(s.position, s.title, s.expected_minutes) for s in made.steps.all()] == [
        (0, "Check replication lag", 5),
        (1, "Promote the replica", 10),
    ]
    assert make_plan(loaded(PLANS)).changes == []


def test_an_approved_plan_left_as_it_is_keeps_its_version_and_a_changed_one_goes_back_to_draft(ann):
    apply_loaded(loaded(PLANS))
    approve(DRPlan.objects.get())
    apply_loaded(loaded(PLANS))
    assert make_plan(loaded(PLANS[: PLANS.index("    steps:")])).changes == []  # left out: the dashboard's
    assert DRPlan.objects.get().status == "approved"
    edited = PLANS.replace("        expected_minutes: 10\n", "        expected_minutes: 20\n")
    edited = edited[: edited.index("      - section: Fail over")].replace("rto_minutes: 30", "rto_minutes: 20")
    [change] = [c for c in make_plan(loaded(edited)).changes]
    assert [d[0] for d in change.diffs] == ["rto_minutes", "steps"]
    apply_loaded(loaded(edited))
    changed = DRPlan.objects.get()
    assert (changed.status, changed.rto_minutes, changed.steps.count(), changed.versions.count()) == (
        "draft",
        20,
        1,
        1,
    )
    assert changed.versions.get().snapshot["rto_minutes"] == 30  # the approved version as it was
    apply_loaded(loaded(edited.split("dr_plans:")[0]), prune=True)
    assert DRPlan.objects.get().status == "retired"


def test_a_bad_step_or_an_unknown_owner_is_placed(ann):
    text = PLANS.replace("https://wiki.example.com/promote", "not a link").replace("Ann@", "carol@")
    plan = make_plan(loaded(text))
    assert [(e.path, e.message[:40]) for e in plan.errors] == [
        ("dr_plans[0].steps[1]", "Value error, link: Enter a valid URL."),
    ]
    plan = make_plan(loaded(PLANS.replace("Ann@", "carol@")))
    assert [(e.line, e.path) for e in plan.errors] == [(32, "dr_plans[0].owner")]
    with pytest.raises(ConfigInvalid):
        apply_loaded(loaded(PLANS.replace("rpo_minutes: 5", "rpo_minutes: 999999")))


def test_plans_export_and_plan_back_to_no_change(ann):
    apply_loaded(loaded(PLANS))
    ManagedObject.objects.all().delete()
    text = as_yaml(export())
    assert "owner: ann@example.com" in text and "  - title: Promote the replica" not in text
    assert "  - section: Fail over\n    title: Promote the replica\n" in text
    assert make_plan(load([("export.yaml", text)])).changes == []
