from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db import connection
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from . import services
from .access import login_required, permission_required
from .audit import Actor
from .forms import ApiKeyForm
from .models import ApiKey, AuditEntry


def healthz(request):
    """For load balancers and docker-compose: the process answers and the database too."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return HttpResponse("ok", content_type="text/plain")


@login_required
def system(request):
    context = {
        **services.worker_status(),
        "database": connection.vendor,
        "broker": "redis" if settings.REDIS_URL else "embedded (SQLite)",
        "cache": settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1],
        "stale_after": int(settings.VIGIL_HEARTBEAT_STALE_AFTER.total_seconds()),
    }
    return render(request, "vigil/system.html", context)


@login_required
def api_keys(request):
    form = ApiKeyForm(request.POST or None)
    new_key = None
    if request.method == "POST" and form.is_valid():
        key, new_key = services.do_create_api_key(Actor.from_request(request), request.user, form.cleaned_data["name"])
        messages.success(request, f"Created key “{key.name}”. Copy it now: it will not be shown again.")
        form = ApiKeyForm()
    keys = ApiKey.objects.filter(user=request.user)
    return render(request, "vigil/api_keys.html", {"form": form, "keys": keys, "new_key": new_key})


@require_POST
@login_required
def revoke_api_key(request, pk: int):
    key = get_object_or_404(ApiKey, pk=pk)
    if not services.can_manage_api_key(request.user, key):
        return HttpResponse("You may revoke only your own keys.", status=403)
    services.do_revoke_api_key(Actor.from_request(request), key)
    messages.success(request, f"Revoked “{key.name}”.")
    return redirect("api_keys")


@permission_required("vigil.view_auditentry")
def audit_log(request):
    entries = AuditEntry.objects.select_related("target_type")
    action = request.GET.get("action", "")
    if action:
        entries = entries.filter(action__startswith=action)
    page = Paginator(entries, 100).get_page(request.GET.get("page"))
    return render(request, "vigil/audit_log.html", {"page": page, "action": action})
