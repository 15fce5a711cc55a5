"""The Devices page (turn push on in this browser, list and remove devices), the app manifest, the
service worker at the site's root, and the acknowledge the service worker posts."""

import json
from functools import cache
from pathlib import Path

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from vigil.audit import Actor, client_ip

from ..acknowledge import acknowledge_by_token
from ..models import PushSubscription, StatusPageBranding
from . import services, vapid

SERVICE_WORKER = Path(__file__).with_name("sw.js")


@login_required
def devices(request):
    mine = PushSubscription.objects.filter(user=request.user)
    return render(request, "comms/push/devices.html", {"devices": mine, "vapid_public_key": vapid.public_key()})


@require_POST
@login_required
def subscribe(request):
    """The page's script posts PushSubscription.toJSON() (with the CSRF header, as any other form)."""
    try:
        data = json.loads(request.body or b"null")
        label = services.device_label(request.META.get("HTTP_USER_AGENT", ""))
        device = services.do_subscribe(Actor.from_request(request), data, label)
    except (ValueError, services.SubscriptionRefused) as exc:
        return JsonResponse({"error": str(exc)}, status=400)
    return JsonResponse({"id": device.pk, "label": device.label, "host": device.host}, status=201)


@require_POST
@login_required
def remove(request, pk: int):
    device = get_object_or_404(PushSubscription, pk=pk, user=request.user)  # another's device: not found
    services.do_remove_device(Actor.from_request(request), device)
    return redirect("comms:devices")


@csrf_exempt  # the signed, single-use token is the credential (incidents.paging); no session, no form
def acknowledge(request, token: str):
    """The service worker's Acknowledge: POST, no session. A GET (someone opened the URL) goes to the
    page's usual acknowledge link, which asks before it acts."""
    if request.method != "POST":
        return redirect("incidents:ack", token=token)
    ua = request.META.get("HTTP_USER_AGENT", "")[:300]
    status, words = acknowledge_by_token(token, "push", client_ip(request), ua)
    if status == 404:
        raise Http404(words)
    return JsonResponse({"ok": status == 200, "message": words}, status=status)


@cache
def _worker_source() -> bytes:
    return SERVICE_WORKER.read_bytes()


@require_GET
def service_worker(request):
    """At the root, so its scope is the whole site. no-cache: browsers check for a new one on each visit."""
    response = HttpResponse(_worker_source(), content_type="text/javascript; charset=utf-8")
    response["Cache-Control"] = "no-cache"
    response["Service-Worker-Allowed"] = "/"
    return response


@require_GET
def manifest(request):
    branding = StatusPageBranding.objects.filter(pk=1).first()
    name = branding.name if branding is not None and branding.name else "Vigil"
    body = {
        "name": name if name == "Vigil" else f"Vigil · {name}",
        "short_name": "Vigil",
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "theme_color": "#3056d3",
        "background_color": "#ffffff",
        "icons": [
            {"src": static("favicon.svg"), "sizes": "any", "type": "image/svg+xml"},
            {"src": static("icon-192.png"), "sizes": "192x192", "type": "image/png"},
            {"src": static("icon-512.png"), "sizes": "512x512", "type": "image/png", "purpose": "any maskable"},
        ],
        "shortcuts": [{"name": "Devices", "url": reverse("comms:devices")}],
    }
    response = JsonResponse(body, content_type="application/manifest+json")
    response["Cache-Control"] = "no-cache"
    return response
