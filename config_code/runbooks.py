"""DR plans as code: a plan's settings, its owner and approver by email, its components by key,
and its runbook steps in order.

Everything is written through dr_plans' actions, which keep the plans' versioning: a plan the
files leave as it is is not touched; a change to an approved plan moves it back to draft (the
actions compare its snapshot, dr_plans.services.plans._edited), and its approver approves the
next version in the dashboard, as for any edit. Config never approves: the versions record who
approved what. Steps have no key: the n-th written is the plan's n-th step, changed in place
when it differs, added when there are more, deleted when there are fewer. Pruning a plan retires
it (its approved versions are history, never deleted).
"""

from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Model
from pydantic import Field, field_validator, model_validator

from dr_plans import services as dr
from dr_plans.models import DRPlan, Step
from vigil.audit import Actor

from .definition import Definition, KeySet, from_model, reference
from .positions import by_position

STEP_FIELDS = ["section", "title", "instructions", "owner_role", "expected_minutes", "command", "link"]


class _StepChecks(Definition):
    @model_validator(mode="after")
    def _model_checks(self):
        """The model's own field checks (a link that is a URL), as the dashboard's form makes them."""
        try:
            Step(**self.model_dump()).full_clean(exclude=["plan", "position"])
        except ValidationError as exc:
            raise ValueError("; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())) from exc
        return self


StepDefinition = from_model("Step", Step, STEP_FIELDS, base=_StepChecks, keyed=False)


def _person(description: str) -> tuple[Any, Any]:
    return str | None, Field(default=None, description=f"{description}, by email (from SCIM or an import).")


class _PlanChecks(Definition):
    @field_validator("owner", "approver", check_fields=False)
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        return value.strip().lower() if value else value


PLAN_FIELDS = ["name", "description", "rto_minutes", "rpo_minutes", "review_every_days"]
DRPlanDefinition = from_model(
    "DRPlan",
    DRPlan,
    PLAN_FIELDS,
    base=_PlanChecks,
    team=reference("teams", "The team that owns the plan"),
    owner=_person("Who keeps the plan current"),
    approver=_person("Who may approve it besides admins"),
    components=(KeySet, Field(default_factory=list, description="Components (keys) the plan recovers.")),
    steps=(
        list[StepDefinition] | None,
        Field(default=None, description="The runbook, in order. Left out, the steps are left as they are."),
    ),
)


def read_steps(plan: DRPlan, key_of) -> list[dict]:
    return [{name: getattr(step, name) for name in STEP_FIELDS} for step in plan.steps.all()]


def write_steps(steps: list[dict] | None, resolve) -> list[dict] | None:
    return None if steps is None else [dict(step, position=n) for n, step in enumerate(steps)]


def read_person(field_name: str):
    def read(plan: DRPlan, key_of) -> str | None:
        person = getattr(plan, field_name)
        return person.email.lower() if person else None

    return read


def set_steps(actor: Actor, plan: DRPlan, steps: list[dict]) -> None:
    """Make PLAN's runbook STEPS through dr_plans' step actions: the n-th step changed in place if
    it differs, the missing added, the extra deleted."""
    by_position(
        list(plan.steps.all()),
        steps,
        changes=lambda step, wanted: {name: value for name, value in wanted.items() if getattr(step, name) != value},
        update=lambda step, changes: dr.do_save_step(actor, plan, step, **changes),
        create=lambda wanted: dr.do_save_step(actor, plan, **wanted),
        delete=lambda step: dr.do_delete_step(actor, step),
    )


def create_plan(actor: Actor, values: dict) -> Model:
    steps = values.pop("steps")
    plan = dr.do_create_plan(actor, **values)
    if steps is not None:
        set_steps(actor, plan, steps)
    return plan


def update_plan(actor: Actor, plan: DRPlan, changes: dict) -> Model:
    steps = changes.pop("steps", None)
    if changes:
        plan = dr.do_update_plan(actor, plan, **changes)
    if steps is not None:
        set_steps(actor, plan, steps)
    return plan


def retire_plan(actor: Actor, plan: DRPlan) -> None:
    """Pruned: retired, not deleted (its approved versions stay, PlanVersion protects them)."""
    if plan.status != DRPlan.Status.RETIRED:
        dr.do_retire(actor, plan)
