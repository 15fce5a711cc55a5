"""An identity provider's groups to Vigil's role and teams, the same for OIDC, SAML and SCIM.

VIGIL_SSO_GROUP_MAP lists `group=role` or `group=role:Team name` pairs, e.g.
    vigil-admins=admin, payments-oncall=responder:Payments, everyone=viewer
A person gets the highest role among their groups' (admin > responder > viewer) and membership of every
team their groups name. It is applied at every sign-in (and every SCIM update), so a change at the
provider reaches Vigil at the person's next sign-in: roles are set exactly; memberships of the teams the
map names are set exactly (added and removed); other teams, managed by hand in Vigil, are left alone.
A person none of whose groups is in the map gets VIGIL_SSO_DEFAULT_ROLE; empty, the default: no role,
and the sign-in doors refuse them (an existing account keeps its history but loses its role).
"""

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction

from incidents.models import Team
from vigil.audit import Actor, record
from vigil.roles import ROLE_ORDER, Role, assign_role, role_of

from .group_map import MapError, parse_group_map

__all__ = ["Grant", "MapError", "do_apply_grant", "grant_for", "mapped_teams"]


@dataclass(frozen=True)
class Grant:
    """What a person's groups give them. role None: no access."""

    role: Role | None
    teams: frozenset[str] = field(default_factory=frozenset)


def mapped_teams() -> set[str]:
    """The teams the map names: their memberships follow the identity provider."""
    return {team for _role, team in parse_group_map(settings.VIGIL_SSO_GROUP_MAP).values() if team}


def grant_for(groups: Iterable[str]) -> Grant:
    mapping = parse_group_map(settings.VIGIL_SSO_GROUP_MAP)
    matched = [(Role(role), team) for role, team in (mapping[g] for g in set(groups) if g in mapping)]
    roles = {role for role, _team in matched}
    role = next((r for r in ROLE_ORDER if r in roles), None)
    if role is None and settings.VIGIL_SSO_DEFAULT_ROLE:
        role = Role(settings.VIGIL_SSO_DEFAULT_ROLE)
    return Grant(role=role, teams=frozenset(team for _role, team in matched if team))


@transaction.atomic
def do_apply_grant(actor: Actor, user, grant: Grant) -> None:
    """Give USER exactly GRANT's role (none: no role at all) and exactly GRANT's memberships among the
    mapped teams (a missing team is created). Audited only when something changed. Never deactivates:
    a groups claim the provider stopped sending must not lock everyone out (SCIM deactivates)."""
    before_role = role_of(user)
    changes = {}
    if grant.role is None:
        if before_role is not None and not user.is_superuser:
            user.groups.clear()
            user.is_staff = False
            user.save(update_fields=["is_staff"])
            changes["role"] = None
    elif before_role != grant.role:
        assign_role(user, grant.role)
        changes["role"] = grant.role.value
    managed = mapped_teams()
    current = set(user.teams.filter(name__in=managed).values_list("name", flat=True))
    for name in grant.teams - current:
        team, _ = Team.objects.get_or_create(name=name)
        team.members.add(user)
    leaving = current - grant.teams
    if leaving:
        for team in Team.objects.filter(name__in=leaving):
            team.members.remove(user)
    if grant.teams != current:
        changes["teams"] = sorted(grant.teams)
    if changes:
        record(actor, "user.sso_grant", user, **changes)
