"""Access checks for dashboard views."""

from functools import wraps

from django.apps import apps
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied

from . import ownership


def permission_required(perm: str, owned: str | None = None, kwarg: str = "pk"):
    """Anonymous visitors go to the login page; a signed-in user without PERM gets 403.

    OWNED ("app_label.Model") names the team-owned object the view changes, found by the URL's
    KWARG: a user whose teams do not own it gets 403 too, before the view reads any input, and so
    does one who would give it to a team not theirs (vigil.ownership). A missing object is left to
    the view (its 404). A view using a team permission (vigil.roles.team_permissions) must name OWNED.
    """
    model = None

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            nonlocal model
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not request.user.has_perm(perm):
                raise PermissionDenied(f"Your role does not allow this ({perm}).")
            if owned is not None:
                _check_owned(request, model := model or apps.get_model(owned), kwargs.get(kwarg), perm)
            return view(request, *args, **kwargs)

        # Read by the permission matrix (tests/test_team_matrix.py): what each view requires.
        wrapper.vigil_access = {"perm": perm, "owned": owned, "kwarg": kwarg}
        return wrapper

    return decorator


def _check_owned(request, model, pk, perm: str) -> None:
    """The object PK (if the URL names one) must be the user's teams'; and what they post may not hand
    it, or the object they create, to a team not theirs."""
    obj = model._default_manager.filter(pk=pk).first() if pk is not None else None
    if obj is not None:
        ownership.check_change(request.user, obj, perm)
    if request.method == "POST" and (why := ownership.target_refusal(request.user, model, request.POST, perm, obj)):
        raise PermissionDenied(why)


def login_required(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        return view(request, *args, **kwargs)

    return wrapper
