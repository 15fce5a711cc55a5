"""A person's life in Vigil as the identity provider runs it (their groups' grant, leaving, coming
back), and teams' service keys (made and revoked by the team's admins).

SCIM (accounts.scim) calls only these. Deactivating is the one way a person leaves: nobody is
deleted, so incidents, timelines and the audit log keep their name (audit rows carry actor_label).
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from incidents import providers
from incidents.models import Team
from incidents.oncall.services import MANAGE, Departure, do_remove_from_oncall
from vigil.audit import Actor, record
from vigil.people import display_name, is_service_account, people
from vigil.roles import Role, assign_role, role_of

from .mapping import do_apply_grant, grant_for
from .models import ServiceKey
from .people import unique_username
from .scopes import check_kinds, write_permissions


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
    users = people().exclude(pk=leaving.pk)
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


# --- Service keys ---------------------------------------------------------------------------------


class NotAllowed(Exception):
    """The actor may not manage this team's service keys (403)."""


class Invalid(ValueError):
    """The key asked for cannot be made: a bad scope, kind or expiry (400)."""


def managed_teams(user):
    """The teams whose service keys USER manages: every team for a Vigil admin, else those they administer.
    A service key's own account manages none, whatever it is given."""
    if user is None or not user.is_authenticated or is_service_account(user):
        return Team.objects.none()
    if role_of(user) == Role.ADMIN:
        return Team.objects.all()
    return Team.objects.filter(admins=user)


def manages_service_keys(user) -> bool:
    """Whether USER may open the service keys' page and API at all: a Vigil admin (even before any team
    exists), or the admin of some team."""
    if user is None or not user.is_authenticated or is_service_account(user):
        return False
    return role_of(user) == Role.ADMIN or managed_teams(user).exists()


def may_manage_service_keys(user, team) -> bool:
    return team is not None and managed_teams(user).filter(pk=team.pk).exists()


@transaction.atomic
def do_create_service_key(
    actor: Actor,
    team: Team,
    name: str,
    scope: str = ServiceKey.Scope.READ,
    kinds: list[str] | None = None,
    expires_at: datetime | None = None,
) -> tuple[ServiceKey, str]:
    """A key for TEAM and its service account. Returns the row and the raw key, which is never stored.
    Only a Vigil admin or one of TEAM's admins may make one (a script acting without a person may too);
    a read key names no kinds; a key expires within VIGIL_SERVICE_KEY_MAX_DAYS."""
    if actor.user is not None and not may_manage_service_keys(actor.user, team):
        raise NotAllowed(f"Only a Vigil admin or an admin of the team {team} may make its service keys.")
    kinds = _checked_scope(scope, kinds or [])
    _check_no_more_than_maker(actor.user, kinds)
    expires_at = _checked_expiry(expires_at)
    account = _make_account(team, name, kinds)
    raw = ServiceKey.generate()
    key = ServiceKey.objects.create(
        team=team,
        name=name,
        user=account,
        prefix=raw[: len(ServiceKey.PREFIX) + 6],
        hashed_key=ServiceKey.hash(raw),
        scope=scope,
        kinds=kinds,
        expires_at=expires_at,
        created_by=actor.user,
    )
    record(actor, "service_key.create", key, team=team.name, account=account.username, scope=scope, kinds=kinds)
    return key, raw


@transaction.atomic
def do_revoke_service_key(actor: Actor, key: ServiceKey) -> ServiceKey:
    """End KEY now: its next request is refused (401), and its account is deactivated so it can do
    nothing by any other door. Revoking twice keeps the first time."""
    if actor.user is not None and not may_manage_service_keys(actor.user, key.team):
        raise NotAllowed("Only a Vigil admin or an admin of the key's team may revoke it.")
    if ServiceKey.objects.filter(pk=key.pk, revoked_at__isnull=True).update(revoked_at=timezone.now()):
        get_user_model().objects.filter(pk=key.user_id).update(is_active=False)
        record(actor, "service_key.revoke", key, team=str(key.team or ""), account=key.user.username)
    key.refresh_from_db()
    return key


def _checked_scope(scope: str, kinds: list[str]) -> list[str]:
    if scope not in ServiceKey.Scope.values:
        raise Invalid(f"Scope must be one of: {', '.join(ServiceKey.Scope.values)}.")
    try:
        kinds = check_kinds(kinds)
    except ValueError as exc:
        raise Invalid(str(exc)) from exc
    if scope == ServiceKey.Scope.READ and kinds:
        raise Invalid("A read-only key writes nothing: name no kinds, or choose the write scope.")
    if scope == ServiceKey.Scope.WRITE and not kinds:
        raise Invalid("A write key needs at least one kind it may write.")
    return kinds


def _check_no_more_than_maker(maker, kinds: list[str]) -> None:
    """A key never writes what its maker may not: a team admin with the viewer role makes read keys only,
    a responder gives write to what responders write. Vigil admins (and makers without a person, such
    as a management command) may give any kind of the list."""
    if maker is None or role_of(maker) == Role.ADMIN:
        return
    for perm in write_permissions(kinds).select_related("content_type"):
        if not maker.has_perm(f"{perm.content_type.app_label}.{perm.codename}"):
            raise NotAllowed(f"You may not give a key what your role does not allow you: {perm.name.lower()}.")


def _checked_expiry(expires_at: datetime | None) -> datetime:
    now = timezone.now()
    if expires_at is None:
        return now + timedelta(days=settings.VIGIL_SERVICE_KEY_DEFAULT_DAYS)
    if expires_at <= now:
        raise Invalid("The expiry must be in the future.")
    if expires_at > now + timedelta(days=settings.VIGIL_SERVICE_KEY_MAX_DAYS):
        raise Invalid(f"A service key lasts at most {settings.VIGIL_SERVICE_KEY_MAX_DAYS} days.")
    return expires_at


def _make_account(team: Team, name: str, kinds: list[str]):
    """The key's service account: no password, no email, a viewer and a member of TEAM, holding add and
    change of KINDS besides (its own permissions, not a group's). Its username says whose and what it is."""
    user = get_user_model()(username=unique_username(f"svc-{team.name}-{name}".lower().replace(" ", "-")))
    user.set_unusable_password()
    user.save()
    assign_role(user, Role.VIEWER)
    user.user_permissions.set(write_permissions(kinds))
    team.members.add(user)
    return user
