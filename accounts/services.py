"""A person's life in Vigil as the identity provider runs it: their groups' grant, leaving, coming back.

SCIM (accounts.scim) calls only these. Deactivating is the one way a person leaves: nobody is
deleted, so incidents, timelines and the audit log keep their name (audit rows carry actor_label).
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from django.urls import reverse

from incidents import providers
from incidents.oncall.services import MANAGE, Departure, do_remove_from_oncall
from vigil.audit import Actor, record
from vigil.people import display_name
from vigil.roles import Role

from .mapping import do_apply_grant, grant_for


def do_sync_scim_groups(actor: Actor, user) -> None:
    """Give USER the role and mapped teams their SCIM groups grant, as the groups claim does at sign-in."""
    names = user.scim_groups.values_list("display_name", flat=True)
    do_apply_grant(actor, user, grant_for(names))


@transaction.atomic
def do_deactivate_user(actor: Actor, user) -> Departure | None:
    """USER leaves: they can no longer sign in (Django refuses inactive users, their open sessions
    included) or use an API key (vigil.api.authentication), they are taken off on-call from now on
    (incidents.oncall.services.do_remove_from_oncall), and the owners of each schedule they were on
    are emailed, since what they covered is now a gap. Already inactive: nothing happens (None)."""
    user = get_user_model().objects.select_for_update().get(pk=user.pk)
    if not user.is_active:
        return None
    user.is_active = False
    user.save(update_fields=["is_active"])
    departure = do_remove_from_oncall(actor, user)
    record(actor, "user.deactivate", user, schedules=[s.pk for s in departure.schedules])
    for schedule in departure.schedules:
        _warn_owners(schedule, user, departure)
    return departure


@transaction.atomic
def do_reactivate_user(actor: Actor, user) -> None:
    """USER may sign in again. Their rotations and overrides are not given back: the schedule's owners
    decide whether and where they take turns again."""
    if user.is_active:
        return
    get_user_model().objects.filter(pk=user.pk).update(is_active=True)
    user.is_active = True
    record(actor, "user.reactivate", user)


def schedule_owners(schedule, leaving) -> list:
    """Who hears that a schedule lost someone: the members of its team who may manage it, else every admin."""
    users = get_user_model().objects.filter(is_active=True).exclude(pk=leaving.pk)
    if schedule.team_id is not None:
        managers = [u for u in users.filter(teams=schedule.team_id) if u.has_perm(MANAGE)]
        if managers:
            return managers
    return list(users.filter(Q(is_superuser=True) | Q(groups__name=Role.ADMIN.value)).distinct())


def _warn_owners(schedule, leaving, departure: Departure) -> int:
    name = display_name(leaving)
    lines = [f"{name} was deactivated by your identity provider and is no longer on call on {schedule.name}."]
    for rotation in (r for r in departure.rotations if r.schedule_id == schedule.pk):
        empty = rotation in departure.emptied
        lines.append(f"- Taken out of the layer {rotation.name}" + (": nobody is left in it." if empty else "."))
    for override in (o for o in departure.overrides if o.schedule_id == schedule.pk):
        lines.append(f"- Their override from {override.starts_at:%Y-%m-%d %H:%M} UTC is removed.")
    lines += ["", "The time they covered is a gap until someone takes it: check the schedule.", _url(schedule)]
    subject = f"On-call gap: {name} left {schedule.name}"
    return providers.email_people(schedule_owners(schedule, leaving), subject, "\n".join(lines))


def _url(schedule) -> str:
    return settings.VIGIL_BASE_URL + reverse("oncall:schedule", args=[schedule.pk])
