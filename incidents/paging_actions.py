"""Actions that page people about an incident: escalate now, page the on-call, start an escalation
policy, and acknowledge by a page's one-click link (SMS code, voice key).

They follow the rules of incidents.services (check the move, write the change, its timeline row and
its audit entry in one transaction) and drive the escalation engine (incidents.escalation).
"""

import uuid

from django.db import transaction
from django.utils import timezone

from vigil.audit import Actor, record

from . import escalation, paging
from .models import EscalationPolicy, Incident, IncidentEvent, Page, Status
from .services import ActionError, _event, _locked, do_acknowledge


def do_acknowledge_by_link(page: Page, via: str = "link", ip: str | None = None, user_agent: str = "") -> Incident:
    """Acknowledge PAGE's incident as its person, once: the link (or SMS code, or voice key) is then used.

    Raises paging.LinkRefused when it was used before, or its person may no longer acknowledge; and
    ActionError when the incident is past acknowledging (the link stays unused).
    Locks the incident, then the page: the order do_acknowledge takes them in, so the two cannot deadlock.
    """
    with transaction.atomic():
        Incident.objects.select_for_update().filter(pk=page.incident_id).first()
        page = Page.objects.select_for_update().select_related("incident", "user").get(pk=page.pk)
        use = paging.link_use(page)
        if use is not None:
            raise paging.LinkRefused(paging.used_message(use))
        if not paging.may_acknowledge(page.user):
            raise paging.LinkRefused(paging.refusal(page.user))
        actor = Actor(user=page.user, ip=ip, via=via, user_agent=user_agent)
        incident = do_acknowledge(actor, page.incident)
        Page.objects.filter(pk=page.pk).update(link_used_at=timezone.now(), link_used_via=via)
    return incident


def do_escalate(actor: Actor, incident: Incident) -> Incident:
    """Page the next level now, without waiting for the timeout."""
    with transaction.atomic():
        incident = _locked(incident)
        if incident.status != Status.TRIGGERED:
            raise ActionError("Only an unacknowledged incident escalates.")
        if not incident.escalation_snapshot:
            raise ActionError("This incident has no escalation policy; choose one to start paging.")
        if incident.escalation_id is None:
            raise ActionError("Escalation has run through every level; nobody acknowledged.")
        record(actor, "incident.escalate", incident)
        escalation.run_step(incident, incident.escalation_id, incident.escalation_step, actor=actor)
    return incident


@transaction.atomic
def do_page_oncall(actor: Actor, incident: Incident, policy: EscalationPolicy | None = None) -> Incident:
    """*Page the on-call*: one click when nobody is being paged.

    Without POLICY, the one escalation.suggested_plan names (the incident's default when it reaches
    someone now, else the first policy that does). A triggered incident escalates with it until
    someone acknowledges; one already acknowledged pages its first level once, for help. The caller
    learns who was reached from the timeline and the page rows, as with any escalation.
    """
    incident = _locked(incident)
    if not incident.is_open:
        raise ActionError("This incident is resolved: reopen it before paging anyone.")
    if policy is None:
        policy = escalation.suggested_plan(incident).policy
    if policy is None:
        raise ActionError(
            "Nobody can be paged: no escalation policy has anyone on call now. Set one up under On-call, "
            "or give a severity a default policy."
        )
    if incident.status == Status.TRIGGERED:
        message = f"Paging {policy.name} (asked by {actor.label})"
        _event(incident, actor, IncidentEvent.Kind.ESCALATED, message, policy=policy.pk)
        escalation.start(actor, incident, policy)
    else:
        escalation.page_once(actor, incident, policy)
    record(actor, "incident.page_oncall", incident, policy=policy.name)
    return incident


@transaction.atomic
def do_start_escalation(actor: Actor, incident: Incident, policy: EscalationPolicy) -> Incident:
    incident = _locked(incident)
    if incident.status != Status.TRIGGERED:
        raise ActionError("Only an unacknowledged incident is escalated.")
    escalation.start(actor, incident, policy)
    record(actor, "incident.escalation_start", incident, policy=policy.name)
    return incident


@transaction.atomic
def do_page_users(actor: Actor, incident: Incident, users, reason: str = "") -> list[Page]:
    """Page USERS about INCIDENT now, once, whatever its escalation does (Slack's `/vigil page @rita`).

    Each gets a Page in a round of its own (as escalation.page_once makes one), so a later escalation
    step never mistakes it for its own; acknowledging it acknowledges the incident as usual.
    """
    incident = _locked(incident)
    if not incident.is_open:
        raise ActionError("This incident is resolved: reopen it before paging anyone.")
    users = [u for u in users if u.is_active]
    if not users:
        raise ActionError("Nobody to page: the people named are not active Vigil users.")
    round_id = uuid.uuid4()
    pages = [paging.page(user, incident, escalation_id=round_id, step=0, level=0) for user in users]
    names = ", ".join(p.user.get_username() for p in pages)
    _event(
        incident,
        actor,
        IncidentEvent.Kind.PAGED,
        f"Paged {names}" + (f" ({reason})" if reason else "") + f", asked by {actor.label}",
        users=[p.user_id for p in pages],
    )
    incident.save(update_fields=["updated_at"])  # what the incident page's live version watches
    record(actor, "incident.page_users", incident, users=[p.user.get_username() for p in pages])
    return pages
