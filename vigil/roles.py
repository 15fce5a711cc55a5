"""The three roles, as Django groups with model permissions.

- viewer: reads everything in the domain apps.
- responder: a viewer who also works incidents: may add and change the models each
  domain app lists in its AppConfig.responder_models (and the app's custom permissions
  listed in AppConfig.responder_permissions).
- admin: every permission, plus access to Django's admin (is_staff).

The groups are rebuilt after every migrate (sync_roles), so a new model's
permissions reach the roles without a hand-written migration. This module reads
app configs through the registry; it imports no app.
"""

import functools

from django.apps import apps
from django.contrib.auth.models import Group, Permission
from django.db import models, transaction


class Role(models.TextChoices):
    ADMIN = "admin", "Admin"
    RESPONDER = "responder", "Responder"
    VIEWER = "viewer", "Viewer"


# Highest first: a user in several groups holds the highest role.
ROLE_ORDER = [Role.ADMIN, Role.RESPONDER, Role.VIEWER]
DOMAIN_APPS = ["incidents", "monitoring", "reputation", "comms", "postmortems", "dr_plans"]


def _domain_configs():
    return [apps.get_app_config(label) for label in DOMAIN_APPS if apps.is_installed(label)]


def permissions_for(role: Role) -> models.QuerySet:
    if role == Role.ADMIN:
        return Permission.objects.all()
    configs = _domain_configs()
    query = models.Q(content_type__app_label__in=[c.label for c in configs], codename__startswith="view_")
    if role == Role.RESPONDER:
        for config in configs:
            for model in getattr(config, "responder_models", ()):
                query |= models.Q(
                    content_type__app_label=config.label,
                    codename__in=[f"add_{model}", f"change_{model}"],
                )
            for codename in getattr(config, "responder_permissions", ()):
                query |= models.Q(content_type__app_label=config.label, codename=codename)
    return Permission.objects.filter(query)


@functools.cache
def team_permissions() -> frozenset[str]:
    """ "app_label.codename" of what a responder may change only on their own teams' objects.

    Each domain app lists them in AppConfig.team_permissions; vigil.ownership.TeamPermissionBackend
    grants them, and vigil.ownership confines them to objects a team of the responder owns.
    """
    return frozenset(
        f"{config.label}.{codename}"
        for config in _domain_configs()
        for codename in getattr(config, "team_permissions", ())
    )


@transaction.atomic
def sync_roles() -> None:
    for role in ROLE_ORDER:
        group, _ = Group.objects.get_or_create(name=role.value)
        group.permissions.set(permissions_for(role))


def sync_roles_after_migrate(sender, **kwargs) -> None:
    # post_migrate fires once per app; the last Vigil app is the one moment every
    # permission exists. Tests that flush the database also re-run it.
    if sender.label == "dr_plans":
        sync_roles()


def role_of(user) -> Role | None:
    if not user.is_authenticated or not user.is_active:
        return None
    if user.is_superuser:
        return Role.ADMIN
    names = {g.name for g in user.groups.all()}
    return next((role for role in ROLE_ORDER if role.value in names), None)


def assign_role(user, role: Role) -> None:
    """Give USER exactly ROLE. Admins get is_staff so Django's admin opens for them."""
    groups = Group.objects.filter(name=role.value)
    user.groups.set(groups)
    user.is_staff = role == Role.ADMIN
    user.save(update_fields=["is_staff"])
    # Django caches permissions on the instance; the new role must apply at once.
    for cache in ("_perm_cache", "_user_perm_cache", "_group_perm_cache", "_vigil_is_admin"):
        user.__dict__.pop(cache, None)
