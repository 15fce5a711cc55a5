import pytest

from dr_plans import services
from dr_plans.models import DRPlan
from vigil.audit import Actor

STEPS = [
    ("Assess", "Confirm the primary is gone", 5),
    ("Fail over", "Promote the replica", 10),
    ("Verify", "Run the smoke tests", 10),
]


def make_plan(actor: Actor, name: str = "Primary database lost", *, approve: bool = True, **fields) -> DRPlan:
    fields = {"rto_minutes": 30, "rpo_minutes": 5, "review_every_days": 90, **fields}
    plan = services.do_create_plan(actor, name=name, **fields)
    for section, title, minutes in STEPS:
        services.do_save_step(actor, plan, section=section, title=title, expected_minutes=minutes)
    if approve:
        services.do_submit(actor, plan)
        services.do_approve(actor, plan)
        plan.refresh_from_db()
    return plan


@pytest.fixture
def admin_actor(admin_user):
    return Actor(user=admin_user, via="web")


@pytest.fixture
def plan(admin_actor):
    return make_plan(admin_actor)


@pytest.fixture
def plan_drill(admin_actor, plan):
    """A drill of PLAN that has run."""
    from django.utils import timezone

    drill = services.do_schedule_drill(admin_actor, plan, scenario="Region down", scheduled_for=timezone.now())
    services.do_start_drill(admin_actor, drill)
    return drill


@pytest.fixture
def eager_celery():
    """Tasks queued with .delay() run at once, in the test's process."""
    from vigil.celery import app

    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True
    yield
    app.conf.task_always_eager = False
    app.conf.task_eager_propagates = False
