"""A person (and a team of people) in another tool as an import Item: a person is matched to the
Vigil account with the same email, a team to the Vigil team of the same name.

Used by every importer of people (PagerDuty, Opsgenie, Grafana OnCall): one without an account gets a new,
active account with no usable password (a password reset lets them in), because rotations take
turns between active people only and a missing member would shift every later turn.
"""

from django.contrib.auth import get_user_model

from incidents.models import Team
from incidents.oncall.import_actions import do_create_person
from incidents.oncall.services import do_create_team
from vigil.roles import Role

from .base import Context, Item


def person_item(tool: str, source_id: str, email: str, name: str, role: Role, admin: bool = False) -> Item:
    email = (email or "").strip().lower()
    existing = get_user_model().objects.filter(email__iexact=email).first() if email else None
    approximations = []
    if existing is None and admin:
        approximations.append(f"{tool} admin: made a responder; give the admin role by hand")
    if existing is not None and not existing.is_active:
        approximations.append("the Vigil account is inactive: rotations and policies will refuse it")

    def build(ctx: Context):
        found = get_user_model().objects.filter(email__iexact=email).first() if email else None
        return found or do_create_person(ctx.actor, email=email, name=name or "", role=role)

    what = f'user "{name}" <{email}>'
    summary = f"{what} -> existing account" if existing else f"{what} -> new {role.value} (no password yet)"
    return Item("user", source_id, summary, build, approximations)


def team_item(tool: str, source_id: str, name: str, member_ids, approximations=()) -> Item:
    """A team with the people MEMBER_IDS (source ids of users imported by the same run, which it
    waits for). A Vigil team of the same name is joined, its members added, as components are:
    a team is who owns what, so two teams of one name would split it."""
    name = (name or source_id).strip()[:100]
    member_ids = list(dict.fromkeys(member_ids))
    approximations = list(approximations)
    if Team.objects.filter(name=name).exists():
        approximations.append(f'joins the Vigil team "{name}" that exists already (its members are added)')
    if not member_ids:
        approximations.append(f"{tool} gives no members for it: made without members; add them in Vigil")

    def build(ctx: Context):
        members = [user for user in (ctx.get("user", uid) for uid in member_ids) if user is not None]
        return do_create_team(ctx.actor, name=name, members=members)

    summary = f'team "{name}" -> team with {len(member_ids)} members'
    return Item("team", source_id, summary, build, approximations, [("user", uid) for uid in member_ids])


def first_team(tool: str, teams: list[dict], approximations: list[str]) -> str | None:
    """The source id of the team that owns an object (Vigil: one owner team), noting when there were several."""
    ids = [team["id"] for team in teams or [] if team.get("id")]
    if len(ids) > 1:
        names = ", ".join(team.get("summary") or team.get("name") or team["id"] for team in teams)
        approximations.append(f"{tool} gives it {len(ids)} teams ({names}); Vigil one owner: the first")
    return ids[0] if ids else None


def unique_name(model, name: str, tool: str) -> str:
    """NAME, or NAME (TOOL) when Vigil has one of that name already (names are unique)."""
    return f"{name[:88]} ({tool})" if model.objects.filter(name=name).exists() else name
