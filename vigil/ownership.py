"""Teams as the unit of ownership (issue #20): who may change an object, beyond their role.

A role says what kind of thing a person may change (vigil.roles); ownership says which ones. Each
app registers, for each model a team owns, the path from the model to its team (`team`,
`owner_team`, `schedule__team`...) or, for an incident, a predicate of its own. Then:

- an admin may change everything;
- anyone else may change an owned object only when they are in its team (membership: Team.members);
- an object no team owns is shared: the role alone decides, as before teams existed. An upgrade
  gives everything that existed the default team with everyone in it (vigil.default_team), so
  nothing changes for anyone until admins split teams;
- a model no app registered is not team-scoped.

Team permissions: what a team manages for itself (its schedules, escalation policies, DR plans,
components, stakeholder groups), each app lists in AppConfig.team_permissions. A responder holds
them through TeamPermissionBackend, and only on objects one of their teams owns: never on shared
ones, which stay an admin's as before teams existed.

Every front door asks this module: dashboard views through vigil.access.permission_required(owned=...),
the API through vigil.api.permissions (object permissions on every write), chat and config through
`check_change`. vigil imports no app: models are registered by the apps, and a user's teams are read
through the `teams` relation the incidents app's Team declares.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied
from django.db import models

from .people import is_service_account
from .roles import Role, role_of, team_permissions


@dataclass(frozen=True)
class Owned:
    path: str | None = None  # lookup path to the owning team's FK, e.g. "plan__team"
    check: Callable | None = None  # (user, obj, team_ids) -> bool, for objects with no single team


_registry: dict[type, Owned] = {}


def register(model: type[models.Model], path: str | None = None, check: Callable | None = None) -> None:
    """Declare that MODEL is owned by the team at PATH (or decided by CHECK)."""
    if (path is None) == (check is None):
        raise ValueError("register() needs exactly one of path and check")
    _registry[model] = Owned(path, check)


def registered() -> dict[type, Owned]:
    return dict(_registry)


def owned_spec(model) -> Owned | None:
    return _registry.get(model if isinstance(model, type) else type(model))


def direct_team_field(model) -> str | None:
    """The field of MODEL that names its team (`team`, `owner_team`), when it has one of its own."""
    spec = owned_spec(model)
    if spec is None or spec.path is None or "__" in spec.path:
        return None
    return spec.path


def team_ids(user) -> frozenset[int]:
    """The ids of USER's teams, read once per user object (a request's user lives one request)."""
    if user is None or not user.is_authenticated:
        return frozenset()
    cached = getattr(user, "_vigil_team_ids", None)
    if cached is None:
        cached = frozenset(user.teams.values_list("pk", flat=True))
        user._vigil_team_ids = cached
    return cached


def owner_team_id(obj) -> int | None:
    """The id of the team that owns OBJ through its registered path, or None (shared)."""
    spec = owned_spec(obj)
    if spec is None or spec.path is None:
        return None
    *hops, last = spec.path.split("__")
    for hop in hops:
        obj = getattr(obj, hop, None)
        if obj is None:
            return None
    return getattr(obj, f"{last}_id", None)


def _is_admin(user) -> bool:
    """Read once per user object, like team_ids: one request asks it for every check it makes."""
    if user is None or not user.is_authenticated:
        return False
    cached = user.__dict__.get("_vigil_is_admin")
    if cached is None:
        cached = user.__dict__["_vigil_is_admin"] = role_of(user) == Role.ADMIN
    return cached


def by_role(user, perm: str | None) -> bool:
    """Whether USER's role itself holds PERM (not only a team grant of TeamPermissionBackend)."""
    return perm is None or _ROLE_BACKEND.has_perm(user, perm)


def may_change_owned_by(user, owner_id: int | None, perm: str | None = None) -> bool:
    """Whether USER may use PERM on an object of the team OWNER_ID (None: shared, no team owns it)."""
    if _is_admin(user):
        return True
    if owner_id is None:
        # A service key acts for its team alone (accounts.ServiceKey): a shared object is no team's.
        return by_role(user, perm) and not is_service_account(user)
    return owner_id in team_ids(user)


def may_change(user, obj, perm: str | None = None) -> bool:
    """Whether USER's teams let them use PERM (their role's, or their team's) on OBJ.

    Their own team's objects: yes. Another team's: no. A shared object: only with a permission of
    their role: a team grant (roles.team_permissions) reaches their team's objects alone.
    """
    spec = owned_spec(obj)
    if spec is None or _is_admin(user):
        return True
    if user is None or not user.is_authenticated:
        return False
    if spec.check is not None:
        return bool(spec.check(user, obj, team_ids(user)))
    return may_change_owned_by(user, owner_team_id(obj), perm)


def refusal(obj) -> str:
    """The sentence a refused person reads: whose object it is, so they know whom to ask."""
    label = obj._meta.verbose_name
    spec = owned_spec(obj)
    if spec is not None and spec.path is not None:
        owner = obj
        for hop in spec.path.split("__"):
            owner = getattr(owner, hop, None)
        if owner is not None:
            return f"This {label} belongs to team {owner}; only its members (and admins) may change it."
        return f"This {label} belongs to no team: only admins may change it."
    return f"Only the teams this {label} concerns (and admins) may act on it."


def check_change(user, obj, perm: str | None = None) -> None:
    """Raise PermissionDenied, with whose object it is, when USER's teams may not use PERM on OBJ."""
    if not may_change(user, obj, perm):
        raise PermissionDenied(refusal(obj))


def target_refusal(user, model, data, perm: str | None = None, obj=None) -> str | None:
    """Why USER may not give a MODEL object (OBJ, when it exists already) the owner named in DATA (a
    form's or a request's fields), or None. The owner is the `team` field itself, or the parent (a
    rotation's `schedule`) whose team decides; a field DATA does not name changes nothing here, a
    missing parent is the form's error, and making a team's object shared is an admin's decision."""
    spec = owned_spec(model)
    if spec is None or spec.path is None or _is_admin(user) or not hasattr(data, "get"):
        return None
    field, _, rest = spec.path.partition("__")
    if field not in data:
        return None
    value = data.get(field)
    if value in (None, ""):
        if not rest and obj is not None and owner_team_id(obj) is not None:
            return "Only an admin makes a team's object shared (no team)."
        return None
    try:
        pk = int(getattr(value, "pk", value))
    except (TypeError, ValueError):
        return None
    if not rest:
        if may_change_owned_by(user, pk, perm):
            return None
        return "You may give it only to one of your teams."
    parent = model._meta.get_field(field).related_model._default_manager.filter(pk=pk).first()
    if parent is None or may_change(user, parent, perm):
        return None
    return refusal(parent)


def may_assign(user, team_id: int | None) -> bool:
    """Whether USER may give an object to the team TEAM_ID: admins any; others one of theirs, or none."""
    return _is_admin(user) or team_id is None or team_id in team_ids(user)


class TeamPermissionBackend(ModelBackend):
    """Grants a responder who is in a team the team permissions (vigil.roles.team_permissions).

    Asked without an object (a view's first check), it answers for the kind of object; every view and
    API route using such a permission then checks the object with `may_change(user, obj, perm)`, which
    confines it to the responder's own teams' objects (tests/test_team_matrix.py holds them to it).
    It authenticates nobody.
    """

    def authenticate(self, request, **credentials):
        return None

    def has_perm(self, user_obj, perm, obj=None):
        if not user_obj.is_active or perm not in team_permissions():
            return False
        return role_of(user_obj) == Role.RESPONDER and bool(team_ids(user_obj))

    def get_all_permissions(self, user_obj, obj=None):
        return set()


_ROLE_BACKEND = ModelBackend()


def mine(queryset: models.QuerySet, user) -> models.QuerySet:
    """QUERYSET narrowed to what USER's teams own, plus what no team owns (shared)."""
    spec = owned_spec(queryset.model)
    if spec is None or spec.path is None:
        return queryset
    theirs = models.Q(**{f"{spec.path}__in": team_ids(user)})
    return queryset.filter(theirs | models.Q(**{f"{spec.path}__isnull": True}))


def list_scope(request, queryset: models.QuerySet) -> tuple[models.QuerySet, str | None]:
    """A dashboard list's rows and scope: `mine` (their teams' and shared objects) by default for a member
    of any team, `all` one click away (the `teams` query parameter). Someone in no team sees all, and
    no choice (scope None); templates/_team_scope.html shows the choice."""
    if not team_ids(request.user):
        return queryset, None
    scope = "all" if request.GET.get("teams") == "all" else "mine"
    return (mine(queryset, request.user) if scope == "mine" else queryset), scope
