"""What a service key may do: read everything a viewer reads, and add and change the kinds it names.

WRITABLE_KINDS is the one list of kinds a key may be given: the objects automation keeps (monitors,
components, integrations, schedules, maintenance, runbooks) and works (incidents and their updates,
post-mortems and action items). A kind outside it cannot be chosen. A key never gets delete (no role
below admin holds it, and a script's mistake should be undoable) nor anything of an admin's.
"""

from django.contrib.auth.models import Permission
from django.db.models import Q, QuerySet

WRITABLE_KINDS: dict[str, str] = {
    "incidents.incident": "Incidents",
    "incidents.incidentupdate": "Incident updates",
    "incidents.component": "Components",
    "incidents.integration": "Integrations",
    "incidents.schedule": "On-call schedules",
    "incidents.override": "On-call overrides",
    "incidents.escalationpolicy": "Escalation policies",
    "monitoring.monitor": "Monitors",
    "monitoring.maintenancewindow": "Maintenance windows",
    "comms.scheduledmaintenance": "Scheduled maintenance",
    "comms.stakeholdergroup": "Stakeholder groups",
    "dr_plans.drplan": "DR plans",
    "postmortems.postmortem": "Post-mortems",
    "postmortems.actionitem": "Action items",
}

# What "write" means for a kind: Django's model permissions of these actions.
WRITE_ACTIONS = ("add", "change")


class UnknownKind(ValueError):
    pass


def check_kinds(kinds) -> list[str]:
    """KINDS as a sorted list without repeats; UnknownKind names the first that is not writable."""
    if not isinstance(kinds, (list, tuple, set)):
        raise UnknownKind("Kinds must be a list of names such as monitoring.monitor.")
    for kind in kinds:
        if kind not in WRITABLE_KINDS:
            choices = ", ".join(WRITABLE_KINDS)
            raise UnknownKind(f"{kind!r} is not a kind a service key may write. Choose from: {choices}.")
    return sorted(set(kinds))


def write_permissions(kinds: list[str]) -> QuerySet:
    """The add and change permissions of KINDS (model labels), the only permissions a key holds of its own."""
    query = Q(pk__in=[])
    for kind in kinds:
        app_label, model = kind.split(".")
        codenames = [f"{action}_{model}" for action in WRITE_ACTIONS]
        query |= Q(content_type__app_label=app_label, codename__in=codenames)
    return Permission.objects.filter(query)
