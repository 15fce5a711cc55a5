"""Redundancy groups: the actions on a named group of replicas, and the counts of how many are up.

The actions take the Actor first and record the audit entry, as monitoring.services' actions do; a change
that alters a group's membership or name refreshes the title of the group's open incident after
commit (refresh_groups_after_commit, which the monitor actions call too: a replica created,
paused, resumed, moved or deleted changes its group's count).

Below the actions: the reads the dashboard and the API share (the redundancy of a component and
of a group of replicas).
"""

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from vigil.audit import Actor, record
from vigil.text import clean_line

from . import alerting
from .models import Monitor, RedundancyGroup

State = Monitor.State


def refresh_groups_after_commit(*group_ids: int | None) -> None:
    """The open incidents of these groups get titles that count their members as they are now."""
    for group_id in {pk for pk in group_ids if pk is not None}:
        transaction.on_commit(lambda pk=group_id: alerting.refresh_group_incident(pk))


@transaction.atomic
def do_create_redundancy_group(actor: Actor, *, name: str) -> RedundancyGroup:
    """A new, empty group of replicas; monitors join it through their redundancy_group setting."""
    group = RedundancyGroup(name=clean_line(name).strip())
    group.full_clean()
    group.save()
    record(actor, "redundancy_group.create", group)
    return group


@transaction.atomic
def do_rename_redundancy_group(actor: Actor, group: RedundancyGroup, *, name: str | None = None) -> RedundancyGroup:
    """A new name for GROUP; its open incident's title follows."""
    group = RedundancyGroup.objects.select_for_update().get(pk=group.pk)
    if name is None or clean_line(name).strip() == group.name:
        return group
    previous, group.name = group.name, clean_line(name).strip()
    group.full_clean()
    group.save(update_fields=["name"])
    record(actor, "redundancy_group.rename", group, previous=previous)
    refresh_groups_after_commit(group.pk)
    return group


@transaction.atomic
def do_delete_redundancy_group(actor: Actor, group: RedundancyGroup) -> None:
    """Delete GROUP: its monitors stay, each on its own from now on. An incident it opened stays open
    (its replicas' recovery still resolves it: monitoring.alerting reads the group from the key)."""
    record(actor, "redundancy_group.delete", group, members=list(group.monitors.values_list("pk", flat=True)))
    group.delete()


def redundancy_group_named(actor: Actor, name: str) -> RedundancyGroup:
    """The group called NAME, made now if there is none (the monitor form's "new group" box)."""
    existing = RedundancyGroup.objects.filter(name__iexact=clean_line(name).strip()).first()
    return existing or do_create_redundancy_group(actor, name=name)


# --------------------------------------------------------------------------- reads


# Redundancy: how many of the monitors backing a component, or of a group's replicas, are up. The
# same rule as monitoring.alerting's "redundancy lost": paused monitors are not watched, and a
# watched monitor counts as up until it is confirmed down. Only a group's count is redundancy
# (alerting acts on it); a component's count only says how many of its monitors are up.
WATCHED = ~Q(state=State.PAUSED)
NOT_DOWN = ~Q(state=State.DOWN)


@dataclass(frozen=True, slots=True)
class Redundancy:
    up: int
    total: int

    def __str__(self) -> str:
        return f"{self.up} of {self.total} monitor{'s' if self.total != 1 else ''} up"

    @property
    def state(self) -> str:
        """ "up" (all up), "degraded" (redundancy lost) or "down" (none up): the words the badges use."""
        if self.up == self.total:
            return "up"
        return "down" if self.up == 0 else "degraded"


def component_redundancy(component_ids: Iterable[int]) -> dict[int, Redundancy]:
    """Redundancy of each component that has watched monitors, in one query."""
    rows = (
        Monitor.objects.filter(WATCHED, component_id__in=list(component_ids))
        .order_by()
        .values("component_id")
        .annotate(total=Count("pk"), up=Count("pk", filter=NOT_DOWN))
    )
    return {row["component_id"]: Redundancy(row["up"], row["total"]) for row in rows}


def with_redundancy(monitors: QuerySet) -> QuerySet:
    """MONITORS annotated with redundancy_up and redundancy_total of their redundancy group (0 without one).

    Two correlated counts in the same query, so a page of monitors costs no extra query.
    """

    def count(condition: Q):
        replicas = Monitor.objects.filter(condition, redundancy_group_id=OuterRef("redundancy_group_id")).order_by()
        counted = replicas.values("redundancy_group_id").annotate(n=Count("pk")).values("n")
        return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))

    return monitors.annotate(redundancy_total=count(WATCHED), redundancy_up=count(WATCHED & NOT_DOWN))


def redundancy_of(monitor: Monitor) -> Redundancy | None:
    """The redundancy a with_redundancy() monitor carries; None when it belongs to no group of replicas."""
    if not monitor.redundancy_group_id or not getattr(monitor, "redundancy_total", 0):
        return None
    return Redundancy(monitor.redundancy_up, monitor.redundancy_total)


def group_redundancy(group_ids: Iterable[int]) -> dict[int, Redundancy]:
    """Redundancy of each group of replicas that has watched members, in one query."""
    rows = (
        Monitor.objects.filter(WATCHED, redundancy_group_id__in=list(group_ids))
        .order_by()
        .values("redundancy_group_id")
        .annotate(total=Count("pk"), up=Count("pk", filter=NOT_DOWN))
    )
    return {row["redundancy_group_id"]: Redundancy(row["up"], row["total"]) for row in rows}
