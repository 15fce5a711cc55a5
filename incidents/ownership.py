"""What the incidents app's teams own (vigil.ownership), and who may act on an incident.

An incident has no single team: it may touch several teams' components. A responder may act on it
when it affects a component their team owns or no team owns, when it affects no component yet (a
fresh declaration belongs to whoever picks it up), or when it concerns them in person: they were
paged for it, declared it or hold one of its roles. Admins act on all.
"""

from vigil import ownership

from .models import Component, EscalationLevel, EscalationPolicy, Incident, Integration, Rotation, Schedule


def may_act_on_incident(user, incident: Incident, team_ids: frozenset[int]) -> bool:
    if user.pk in (incident.created_by_id, incident.commander_id, incident.comms_lead_id, incident.scribe_id):
        return True
    owners = list(incident.affected.values_list("component__owner_team_id", flat=True))
    if not owners or None in owners or team_ids.intersection(owners):
        return True
    return incident.pages.filter(user=user).exists()


def register() -> None:
    ownership.register(Component, "owner_team")
    ownership.register(Integration, "team")
    ownership.register(Schedule, "team")
    ownership.register(Rotation, "schedule__team")
    ownership.register(EscalationPolicy, "team")
    ownership.register(EscalationLevel, "policy__team")
    ownership.register(Incident, check=may_act_on_incident)
