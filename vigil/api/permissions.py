from rest_framework import permissions


class RoleModelPermissions(permissions.DjangoModelPermissions):
    """Django model permissions, with reads needing the view permission too.

    The roles (vigil.roles) are groups of these permissions, so one check serves
    the dashboard and the API alike.
    """

    perms_map = {
        **permissions.DjangoModelPermissions.perms_map,
        "GET": ["%(app_label)s.view_%(model_name)s"],
        "HEAD": ["%(app_label)s.view_%(model_name)s"],
        "OPTIONS": ["%(app_label)s.view_%(model_name)s"],
    }


def action_permission(perm: str):
    """A permission class requiring PERM (e.g. 'incidents.change_incident') for an action."""

    class HasPermission(permissions.IsAuthenticated):
        def has_permission(self, request, view):
            return super().has_permission(request, view) and request.user.has_perm(perm)

    HasPermission.__name__ = f"Has_{perm.replace('.', '_')}"
    return HasPermission
