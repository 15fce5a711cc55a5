"""A drill's findings become action items in the post-mortems app, which this app asks through
incidents.providers (it imports no app beside it, issue #16)."""

from django.db import transaction

from incidents import providers
from vigil.audit import Actor, record

from ..models import Drill
from .common import ActionError


def drill_action_items(drill: Drill) -> list:
    """The action items a drill raised, soonest due first."""
    return providers.action_items_linked("source", drill)


def unfiled_findings(drill: Drill, steps) -> list[str]:
    """Findings and step problems that no action item of the drill was filed from yet."""
    candidates = drill.finding_lines() + [f"{s.title}: {s.problem}" for s in steps if s.problem]
    filed = set()
    for item in drill_action_items(drill):
        filed |= {item.title, item.details}
    return [c for c in dict.fromkeys(candidates) if c not in filed]


@transaction.atomic
def do_file_finding(actor: Actor, drill: Drill, *, title: str, updates_plan: bool = False, **fields):
    """File one finding as an action item whose source is DRILL; UPDATES_PLAN targets (and flags) its plan."""
    drill = Drill.objects.select_related("plan").get(pk=drill.pk)
    if drill.started_at is None:
        raise ActionError("A drill that has not started has no findings yet.")
    try:
        item = providers.file_action_item(
            actor, title=title, source=drill, target=drill.plan if updates_plan else None, **fields
        )
    except providers.Refused as exc:
        raise ActionError(str(exc)) from exc
    record(actor, "dr_drill.finding_filed", drill, action_item=item.pk)
    return item
