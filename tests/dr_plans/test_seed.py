"""seed_demo loads Vigil's own DR plan (approved, using manage.py backup/restore) and an example plan."""

from django.core.management import call_command

from dr_plans.demo import DB_PLAN, VIGIL_PLAN
from dr_plans.models import DRPlan


def test_seed_demo_loads_the_approved_self_recovery_plan_once(db):
    call_command("seed_demo")
    call_command("seed_demo")
    vigil = DRPlan.objects.get(name=VIGIL_PLAN)
    assert vigil.status == DRPlan.Status.APPROVED
    version = vigil.versions.get()
    commands = " ".join(step["command"] for step in version.steps)
    assert "manage.py restore" in commands
    example = DRPlan.objects.get(name=DB_PLAN)
    assert example.status == DRPlan.Status.APPROVED
    assert [c.name for c in example.components.all()] == ["Database"]
    assert example.backups.get().plans_missed() == [example]
