"""The buttons of a page's Slack DM (chat.slack.pages): Acknowledge and Escalate.

Whoever presses acts as themselves (Actor via="slack"), with the permission the web's Acknowledge and
Escalate buttons need (incidents.paging.ACK_PERMISSION): any responder may acknowledge an incident on
the web, so the paged person and any other responder may here too, and a viewer is told why not. The
actions are incidents' own (do_acknowledge, do_escalate): timeline, audit log and signals as on the web,
and the incident_acknowledged signal edits every DM of the incident (pages.on_answered).
"""

from incidents.models import Page
from incidents.paging import ACK_PERMISSION
from incidents.paging_actions import do_escalate
from incidents.services import ActionError, do_acknowledge

from .dispatch import Refusal, Request, action, ephemeral
from .pages import ACK, ESCALATE


def _page(request: Request) -> Page:
    page_id = str(request.action.get("action_id", "")).partition(":")[2]
    page = Page.objects.select_related("incident").filter(pk=int(page_id) if page_id.isdigit() else 0).first()
    if page is None:
        raise Refusal("This page is no longer in Vigil.")
    return page


@action(ACK, permission=ACK_PERMISSION)
def acknowledge(request: Request):
    page = _page(request)
    try:
        incident = do_acknowledge(request.actor, page.incident)
    except ActionError as exc:
        raise Refusal(str(exc)) from None
    return ephemeral(f"You acknowledged #{incident.pk} {incident.title}. Paging has stopped.")


@action(ESCALATE, permission=ACK_PERMISSION)
def escalate(request: Request):
    page = _page(request)
    try:
        incident = do_escalate(request.actor, page.incident)
    except ActionError as exc:
        raise Refusal(str(exc)) from None
    return ephemeral(f"Escalated #{incident.pk}: the next level is paged now.")
