"""A DR plan attached to an incident: a checklist copied from its approved version, ticked in the timeline.

The incidents app does not import this one; this app writes to the incident's timeline
through incidents.services.do_add_note, the same call a responder's note makes.
"""

from django.db import IntegrityError, transaction
from django.utils import timezone

from incidents.models import Incident
from incidents.services import do_add_note
from vigil.audit import Actor, record

from ..models import ChecklistItem, DRPlan, IncidentChecklist
from .common import ActionError


def do_attach_plan(actor: Actor, incident: Incident, plan: DRPlan) -> IncidentChecklist:
    """Copy the plan's latest approved steps onto the incident. Later edits to the plan do not reach it."""
    version = plan.latest_version()
    if version is None or plan.status == DRPlan.Status.RETIRED:
        raise ActionError(f"{plan} has no approved version in force to attach.")
    try:
        with transaction.atomic():
            checklist = IncidentChecklist.objects.create(
                incident=incident, plan=plan, version=version, attached_by=actor.user
            )
            ChecklistItem.objects.bulk_create(
                ChecklistItem(
                    checklist=checklist,
                    position=i,
                    section=s["section"],
                    title=s["title"],
                    instructions=s["instructions"],
                    command=s["command"],
                    link=s["link"],
                )
                for i, s in enumerate(version.steps)
            )
            do_add_note(
                actor, incident, f"DR plan attached: {plan} (version {version.number}, {len(version.steps)} steps)"
            )
            record(actor, "dr_plan.attach", checklist, incident=incident.pk)
    except IntegrityError:
        raise ActionError(f"{plan} is already attached to this incident.") from None
    return checklist


@transaction.atomic
def do_tick_item(actor: Actor, item: ChecklistItem, done: bool = True) -> ChecklistItem:
    """Mark a step done (or not), and say so in the incident's timeline with who and when."""
    item = (
        ChecklistItem.objects.select_for_update()
        .select_related("checklist__incident", "checklist__plan")
        .get(pk=item.pk)
    )
    if bool(item.done_at) == done:
        raise ActionError("That step is already done." if done else "That step is not done.")
    if done:
        item.done_at, item.done_by, item.done_by_label = timezone.now(), actor.user, actor.label
    else:
        item.done_at, item.done_by, item.done_by_label = None, None, ""
    item.save(update_fields=["done_at", "done_by", "done_by_label"])
    checklist = item.checklist
    verb = "done" if done else "reopened"
    where = f"{item.section} / " if item.section else ""
    do_add_note(actor, checklist.incident, f"DR step {verb}: {where}{item.title} ({checklist.plan})")
    return item
