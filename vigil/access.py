"""Access checks for dashboard views."""

from functools import wraps

from django.apps import apps
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect

from . import managed, ownership


def permission_required(perm: str, owned: str | None = None, kwarg: str = "pk", managed_edit: bool | None = None):
    """Anonymous visitors go to the login page; a signed-in user without PERM gets 403.

    OWNED ("app_label.Model") names the team-owned object the view changes, found by the URL's
    KWARG: a user whose teams do not own it gets 403 too, before the view reads any input, and so
    does one who would give it to a team not theirs (vigil.ownership). A missing object is left to
    the view (its 404). A view using a team permission (vigil.roles.team_permissions) must name OWNED.

    MANAGED_EDIT says whether a POST edits or deletes OWNED in a way the configuration files would
    undo (vigil.managed); by default, when PERM is OWNED's own change_ or delete_ permission, or the
    add_, change_ or delete_ permission of a part the files write with OWNED (a rotation). Such a
    POST on an object config manages is refused under VIGIL_MANAGED_EDITS=refuse (the view does not
    run; the object's page says why) and noted in the audit log under warn. A view that changes
    nothing the files hold (a test of the settings as typed, a new calendar token) says False.
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
                obj = _check_owned(request, model := model or apps.get_model(owned), kwargs.get(kwarg), perm)
                if request.method == "POST" and guards_managed(perm, model, managed_edit):
                    try:
                        managed.check_edit(obj)
                    except managed.ManagedByConfig as exc:
                        messages.error(request, str(exc))
                        return redirect(_page_of(request, managed.whole(obj)))
            return view(request, *args, **kwargs)

        # Read by the permission matrix (tests/test_team_matrix.py, tests/config_code/test_managed_edits.py).
        wrapper.vigil_access = {"perm": perm, "owned": owned, "kwarg": kwarg, "managed_edit": managed_edit}
        return wrapper

    return decorator


def guards_managed(perm: str, model, managed_edit: bool | None) -> bool:
    """Whether a view requiring PERM on MODEL asks vigil.managed before a POST (see permission_required)."""
    if managed_edit is not None:
        return managed_edit
    app_label, _, codename = perm.partition(".")
    action, _, name = codename.partition("_")
    if name == model._meta.model_name:  # the object itself, or a part of one (a schedule's rotation)
        return action in ("change", "delete") and managed.manageable(model)
    try:  # a part added to, changed in or deleted from the object (a rotation of the schedule)
        return action in ("add", "change", "delete") and managed.part_of(apps.get_model(app_label, name)) is model
    except LookupError:
        return False


def _page_of(request, obj) -> str:
    """Where a refused POST goes back to, to show why: the object's page, else the page it came from."""
    if hasattr(obj, "get_absolute_url"):
        return obj.get_absolute_url()
    return request.META.get("HTTP_REFERER") or "/"


def _check_owned(request, model, pk, perm: str):
    """The object PK (if the URL names one) must be the user's teams'; and what they post may not hand
    it, or the object they create, to a team not theirs. The object, or None."""
    obj = model._default_manager.filter(pk=pk).first() if pk is not None else None
    if obj is not None:
        ownership.check_change(request.user, obj, perm)
    if request.method == "POST" and (why := ownership.target_refusal(request.user, model, request.POST, perm, obj)):
        raise PermissionDenied(why)
    return obj


def login_required(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        return view(request, *args, **kwargs)

    return wrapper
