"""The ingest endpoint senders post to, and the dashboard pages that manage integrations."""

import json
import logging

from django.contrib import messages
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from incidents.models import Integration
from vigil import ownership
from vigil.access import permission_required
from vigil.audit import Actor

from . import parsers, pipeline, reads, services, throttle
from .access import access_integration
from .forms import IntegrationEditForm, IntegrationForm

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 1024 * 1024


class BodyTooLarge(Exception):
    pass


def _refuse(status: int, error: str, detail: str) -> JsonResponse:
    return JsonResponse({"error": error, "detail": detail}, status=status)


def _not_found() -> JsonResponse:
    return _refuse(404, "not_found", "No enabled integration of this kind has this URL.")


def _alerts_in(request, kind: str) -> list[parsers.ParsedAlert]:
    """The body's alerts. Raises BodyTooLarge, or PayloadError naming what is wrong."""
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        raise parsers.PayloadError("Content-Length is not a number") from None
    if declared > MAX_BODY_BYTES:
        raise BodyTooLarge
    body = request.read(MAX_BODY_BYTES + 1)
    if len(body) > MAX_BODY_BYTES:
        raise BodyTooLarge
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError) as exc:
        raise parsers.PayloadError(f"the body is not JSON ({exc})") from None
    return parsers.parse(kind, payload)


@csrf_exempt
@require_POST
def ingest(request, kind: str, token: str):
    """Alerts in. No login: the secret in the URL is the credential."""
    if kind not in parsers.PARSERS:
        return _not_found()
    wait = throttle.wait_seconds(request, kind, token)
    if wait:
        response = _refuse(429, "throttled", f"Too many requests for this integration: retry in {wait} s.")
        response["Retry-After"] = str(wait)
        return response
    try:
        alerts = _alerts_in(request, kind)
    except (BodyTooLarge, parsers.PayloadError) as exc:
        return _refuse_payload(kind, token, exc)
    result = pipeline.ingest(kind, token, alerts)
    if result is None:
        return _not_found()
    return JsonResponse(result.as_dict())


def _refuse_payload(kind: str, token: str, exc: Exception) -> JsonResponse:
    # The token is checked here, not first: a valid payload's token is checked by the
    # same statement that counts a repeated alert (pipeline.ingest).
    integration = access_integration(kind, token)
    if integration is None:
        return _not_found()
    if isinstance(exc, BodyTooLarge):
        return _refuse(413, "too_large", f"The body is over {MAX_BODY_BYTES} bytes.")
    logger.warning("Integration %s (%s) refused a payload: %s", integration.pk, kind, exc)
    return _refuse(400, "invalid_payload", str(exc))


# --- Dashboard ---------------------------------------------------------------------


@permission_required("incidents.view_integration")
def integration_list(request):
    integrations, team_scope = ownership.list_scope(request, reads.integrations())
    context = {"integrations": integrations, "team_scope": team_scope}
    return render(request, "incidents/integrations/list.html", context)


@permission_required("incidents.add_integration")
def integration_create(request):
    form = IntegrationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        integration = services.do_create_integration(Actor.from_request(request), **form.cleaned_data)
        messages.success(request, f"Created {integration.name}. Give its URL to the sender.")
        return redirect(integration)
    return render(request, "incidents/integrations/create.html", {"form": form}, status=400 if form.errors else 200)


def _detail(request, integration: Integration, form=None, status: int = 200):
    if form is None and request.user.has_perm("incidents.change_integration"):
        form = IntegrationEditForm(instance=integration)
    context = {"integration": integration, "form": form, **reads.alerts_of(integration)}
    return render(request, "incidents/integrations/detail.html", context, status=status)


@permission_required("incidents.view_integration")
def integration_detail(request, pk: int):
    return _detail(request, get_object_or_404(Integration, pk=pk))


@require_POST
@permission_required("incidents.change_integration", owned="incidents.Integration")
def integration_edit(request, pk: int):
    integration = get_object_or_404(Integration, pk=pk)
    form = IntegrationEditForm(request.POST, instance=integration)
    if not form.is_valid():
        integration.refresh_from_db()  # the form's validation wrote the bad values on it
        return _detail(request, integration, form=form, status=400)
    services.do_update_integration(Actor.from_request(request), integration, **form.cleaned_data)
    messages.success(request, "Saved.")
    return redirect(integration)


@require_POST
# Never refused for being managed by config: a leaked token must be revocable at 3 a.m.; the file's
# ${env:...} then needs the new token before the next apply (README, Configuration as code).
@permission_required("incidents.change_integration", owned="incidents.Integration", managed_edit=False)
def integration_rotate_token(request, pk: int):
    integration = get_object_or_404(Integration, pk=pk)
    services.do_rotate_token(Actor.from_request(request), integration)
    messages.success(request, "New URL made. The old one no longer works: give the new one to the sender.")
    return redirect(integration)
