"""What this app does when it, the incidents app or the post-mortems app announces something."""

from django.template.loader import render_to_string

from vigil.queue import enqueue

from . import services
from .models import DRPlan
from .views.checklists import checklist_context


def incident_page_panel(sender, incident, request, **kwargs) -> str:
    """The DR checklist block for the incident page (incidents.signals.incident_page_panels).

    Ticking a step there returns to the incident page (next=).
    """
    if not request.user.has_perm("dr_plans.view_incidentchecklist"):
        return ""
    context = {**checklist_context(incident), "next": request.get_full_path(), "with_styles": True}
    return render_to_string("dr_plans/_incident_checklist.html", context, request=request)


def flag_targeted_plan(sender, item, changed, actor, **kwargs) -> None:
    """An action item that targets a DR plan ("update step 4") flags the plan for review
    (incidents.signals.action_item_saved, sent by postmortems after commit)."""
    if "target" not in changed or not isinstance(item.target, DRPlan):
        return
    services.do_request_review(
        actor, item.target, key=f"postmortems.actionitem:{item.pk}", reason=item.title, url=item.get_absolute_url()
    )


# Mail goes out from a task (dr_plans.notices): these run after commit and only queue it.


def _queue_notice(kind: str, *args, **kwargs) -> None:
    # The change is committed and shown in the dashboard; a broker that is down costs only the mail (robust).
    enqueue("dr_plans.tasks.send_notice", kind, *args, on_commit=False, robust=True, kwargs=kwargs)


def mail_review_due(sender, plan, due_at, overdue, **kwargs) -> None:
    _queue_notice("review_due", plan.pk, due_at=due_at.isoformat(), overdue=overdue)


def mail_review_requested(sender, plan, request, **kwargs) -> None:
    _queue_notice("review_requested", request.pk)


def mail_drill_participants(sender, drill, **kwargs) -> None:
    _queue_notice("drill_scheduled", drill.pk)
