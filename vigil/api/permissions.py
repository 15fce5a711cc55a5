from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from rest_framework import permissions, status
from rest_framework.exceptions import APIException, PermissionDenied

from vigil import managed, ownership
from vigil.people import is_service_account


def _team_allows(request, obj, perms) -> bool:
    """Writes to a team-owned object need its team (vigil.ownership), and may not hand it to a team not
    the caller's; reads need only the role."""
    if request.method in permissions.SAFE_METHODS:
        return True
    try:
        for perm in perms or [None]:
            ownership.check_change(request.user, obj, perm)
    except DjangoPermissionDenied as exc:
        raise PermissionDenied(str(exc)) from exc
    _check_target(request, type(obj), perms, obj)
    return True


def _check_target(request, model, perms, obj=None) -> None:
    for perm in perms or [None]:
        if why := ownership.target_refusal(request.user, model, request.data, perm, obj):
            raise PermissionDenied(why)


class ManagedByConfigConflict(APIException):
    """409: config manages the object and VIGIL_MANAGED_EDITS=refuse (vigil.managed); the detail names the key."""

    status_code = status.HTTP_409_CONFLICT
    default_code = "managed_by_config"
    default_detail = "Managed by config: change it in the configuration file and apply."


def _check_managed(request, obj) -> None:
    """An edit or a deletion of an object config manages: refused under "refuse", noted under "warn".
    A PATCH of fields the files do not set (a component's status) is neither."""
    if request.method == "PATCH" and hasattr(request.data, "keys") and not managed.sets_any(type(obj), request.data):
        return
    if request.method in ("PUT", "PATCH", "DELETE"):
        try:
            managed.check_edit(obj)
        except managed.ManagedByConfig as exc:
            raise ManagedByConfigConflict(str(exc)) from exc


def _give_the_keys_team(request, model) -> None:
    """What a service key creates without naming a team is its team's (a service key acts for its team
    alone: vigil.ownership), so the key may go on changing it."""
    field = ownership.direct_team_field(model)
    teams = ownership.team_ids(request.user)
    if field is None or len(teams) != 1 or not is_service_account(request.user):
        return
    data = request.data
    if hasattr(data, "get") and data.get(field) in (None, ""):
        if hasattr(data, "_mutable"):
            data._mutable = True
        data[field] = next(iter(teams))


class RoleModelPermissions(permissions.DjangoModelPermissions):
    """Django model permissions, with reads needing the view permission too, team ownership on writes, and
    a 409 for an edit or a deletion of an object config manages under VIGIL_MANAGED_EDITS=refuse.

    The roles (vigil.roles) are groups of these permissions, so one check serves
    the dashboard and the API alike; vigil.ownership narrows writes to the object's team, and a
    creation to the caller's teams (the new object's `team`, or its parent's).
    """

    perms_map = {
        **permissions.DjangoModelPermissions.perms_map,
        "GET": ["%(app_label)s.view_%(model_name)s"],
        "HEAD": ["%(app_label)s.view_%(model_name)s"],
        "OPTIONS": ["%(app_label)s.view_%(model_name)s"],
    }

    def _perms(self, request, view):
        model = self._queryset(view).model
        return model, self.get_required_permissions(request.method, model)

    def has_permission(self, request, view):
        if not super().has_permission(request, view):
            return False
        if request.method == "POST" and view.kwargs.get(getattr(view, "lookup_url_kwarg", None) or "pk") is None:
            model, perms = self._perms(request, view)
            _give_the_keys_team(request, model)
            _check_target(request, model, perms)
        return True

    def has_object_permission(self, request, view, obj):
        _, perms = self._perms(request, view)
        allowed = _team_allows(request, obj, perms)
        _check_managed(request, obj)  # after the team's check: an outsider learns nothing of the key
        return allowed


def action_permission(perm: str):
    """A permission class requiring PERM (e.g. 'incidents.change_incident') for an action, on an object
    the caller's teams may change (vigil.ownership). An action needing only a view permission is one
    its own rule decides for a person (a plan's approver, a reviewer), so teams do not narrow it."""
    team_scoped = ".view_" not in perm

    class HasPermission(permissions.IsAuthenticated):
        def has_permission(self, request, view):
            return super().has_permission(request, view) and request.user.has_perm(perm)

        def has_object_permission(self, request, view, obj):
            return not team_scoped or _team_allows(request, obj, [perm])

    HasPermission.team_scoped = team_scoped
    HasPermission.__name__ = f"Has_{perm.replace('.', '_')}"
    return HasPermission
