"""Who hears a public update.

The audience of an incident is
- the members of the groups chosen for it (IncidentAudience), except a member whose
  component interests are set and miss every affected component;
- and every stakeholder interested in one of the affected components.
A stakeholder with no component interests hears about every incident of their groups.
"""

from django.db.models import Q, QuerySet

from incidents.models import IncidentComponent

from .models import IncidentAudience, Stakeholder, StakeholderGroup


def chosen_groups(incident) -> QuerySet:
    audience = IncidentAudience.objects.filter(incident=incident).first()
    return audience.groups.all() if audience else StakeholderGroup.objects.none()


def affected_component_ids(incident) -> list[int]:
    return list(IncidentComponent.objects.filter(incident=incident).values_list("component_id", flat=True))


def select(incident) -> QuerySet:
    affected = affected_component_ids(incident)
    in_group = Q(groups__in=chosen_groups(incident)) & (Q(components__isnull=True) | Q(components__in=affected))
    interested = Q(components__in=affected)
    ids = Stakeholder.objects.filter(in_group | interested).values("pk")
    return Stakeholder.objects.filter(pk__in=ids).order_by("pk")
