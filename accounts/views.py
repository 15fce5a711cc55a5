"""The Service keys page: the keys of the teams you administer (a Vigil admin: every team's), made and
revoked through accounts.services, as the API's are."""

from datetime import timedelta

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from vigil.access import login_required
from vigil.audit import Actor

from . import services
from .forms import ServiceKeyForm
from .models import ServiceKey


@login_required
def service_keys(request):
    if not services.manages_service_keys(request.user):
        raise PermissionDenied("Only Vigil admins and teams' admins manage service keys.")
    teams = services.managed_teams(request.user)
    form = ServiceKeyForm(request.POST or None, teams=teams)
    new_key = None
    if request.method == "POST" and form.is_valid():
        new_key = _create(request, form)
        if new_key:
            form = ServiceKeyForm(teams=teams)
    keys = ServiceKey.objects.filter(team__in=teams).select_related("team", "user", "created_by")
    context = {"form": form, "keys": keys, "new_key": new_key, "now": timezone.now()}
    return render(request, "accounts/service_keys.html", context)


def _create(request, form) -> str | None:
    data = form.cleaned_data
    try:
        key, raw = services.do_create_service_key(
            Actor.from_request(request),
            data["team"],
            data["name"],
            scope=data["scope"],
            kinds=data["kinds"],
            expires_at=timezone.now() + timedelta(days=data["days"]),
        )
    except (services.Invalid, services.NotAllowed) as exc:
        form.add_error(None, str(exc))
        return None
    messages.success(request, f"Created service key “{key.name}”. Copy it now: it will not be shown again.")
    return raw


@require_POST
@login_required
def revoke_service_key(request, pk: int):
    key = get_object_or_404(ServiceKey.objects.select_related("team", "user"), pk=pk)
    try:
        services.do_revoke_service_key(Actor.from_request(request), key)
    except services.NotAllowed as exc:
        raise PermissionDenied(str(exc)) from exc
    messages.success(request, f"Revoked “{key.name}”.")
    return redirect("service_keys")
