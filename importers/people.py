"""A person in another tool as an import Item: matched to the Vigil account with the same email.

Used by every importer of people (PagerDuty, Opsgenie, Grafana OnCall): one without an account gets a new,
active account with no usable password (a password reset lets them in), because rotations take
turns between active people only and a missing member would shift every later turn.
"""

from django.contrib.auth import get_user_model

from incidents.oncall.import_actions import do_create_person
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


def unique_name(model, name: str, tool: str) -> str:
    """NAME, or NAME (TOOL) when Vigil has one of that name already (names are unique)."""
    return f"{name[:88]} ({tool})" if model.objects.filter(name=name).exists() else name
