"""The Slack app's request URLs (manifest.yml): slash commands, interactivity (buttons and modals) and
events; and the page that links a Slack account to a Vigil account.

Each Slack request is verified first (verify.py: 401 and nothing done otherwise), then answered within
Slack's 3 s: only opening a modal or checking a modal's fields runs here; everything else is queued as
it came (chat.tasks.run: the worker finds the user and checks their role) and Slack gets an empty 200.
"""

import json
import logging

from django.contrib.auth.decorators import login_required
from django.core import signing
from django.core.cache import cache
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from vigil.queue import enqueue

from . import dispatch, identity
from .client import enabled
from .verify import Refused, verify

logger = logging.getLogger(__name__)

EVENT_SEEN_SECONDS = 3600  # Slack retries an event for up to about an hour


def _refused(request) -> HttpResponse | None:
    if not enabled():
        return HttpResponse("Slack is not configured on this Vigil.", status=404, content_type="text/plain")
    try:
        verify(request)
    except Refused as exc:
        logger.warning("Slack request refused: %s", exc)
        return HttpResponse(status=401)
    return None


def _answer(request: dispatch.Request) -> HttpResponse:
    """Run or queue REQUEST's handler; what Slack gets back within its 3 s."""
    handler = dispatch.handler_for(request)
    if handler is None:
        return HttpResponse(status=200)
    if not handler.in_request:
        # Queued as it came: who the user is and what they may do is checked by the worker (dispatch.run),
        # which tells them why not at the response_url. The answer to Slack costs no query and no Slack call.
        enqueue("chat.tasks.run", request.kind, request.payload)
        return HttpResponse(status=200)
    try:
        dispatch.authorise(request, handler)
        return _reply(request, handler.run(request))
    except dispatch.Refusal as exc:
        if request.kind == "view":  # the modal turns into the reason (errors must name one of its fields)
            return JsonResponse({"response_action": "update", "view": dispatch.notice_view(str(exc))})
        return _reply(request, dispatch.ephemeral(str(exc)))


def _reply(request: dispatch.Request, reply: dispatch.Reply | None) -> HttpResponse:
    """A command's reply is the answer's body; Slack ignores the body of a button press's answer, so a
    button's reply goes to its response_url (queued: no Slack call while Slack waits)."""
    if not reply:
        return HttpResponse(status=200)
    if request.kind == "action":
        if request.response_url:
            enqueue("chat.tasks.reply", request.response_url, {"replace_original": False, **reply})
        return HttpResponse(status=200)
    return JsonResponse(reply)


@csrf_exempt
@require_POST
def commands(request):
    refused = _refused(request)
    if refused:
        return refused
    return _answer(dispatch.request_from(kind="command", payload=request.POST.dict()))


@csrf_exempt
@require_POST
def interactions(request):
    refused = _refused(request)
    if refused:
        return refused
    try:
        payload = json.loads(request.POST.get("payload", ""))
    except ValueError:
        return HttpResponse("The payload is not JSON.", status=400, content_type="text/plain")
    kind = {"block_actions": "action", "view_submission": "view"}.get(payload.get("type"))
    if kind is None:  # view_closed, shortcuts, message actions: nothing to do
        return HttpResponse(status=200)
    return _answer(dispatch.request_from(kind=kind, payload=payload))


@csrf_exempt
@require_POST
def events(request):
    refused = _refused(request)
    if refused:
        return refused
    try:
        body = json.loads(request.body)
    except ValueError:
        return HttpResponse("The body is not JSON.", status=400, content_type="text/plain")
    if body.get("type") == "url_verification":
        return JsonResponse({"challenge": body.get("challenge", "")})
    if body.get("type") != "event_callback" or not isinstance(body.get("event"), dict):
        return HttpResponse(status=200)
    if body.get("event_id") and not cache.add(f"slack-event:{body['event_id']}", 1, timeout=EVENT_SEEN_SECONDS):
        return HttpResponse(status=200)  # a retry of an event already taken
    return _answer(dispatch.request_from(kind="event", payload=body))


@login_required
def link(request, token: str):
    """Link the Slack account named in TOKEN (from an ephemeral message) to the signed-in Vigil user."""
    try:
        slack_user_id, team_id = identity.read_link(token)
    except signing.BadSignature:
        return render(
            request,
            "chat/slack_link.html",
            {"error": "This link is not valid or is over an hour old. Run the command in Slack again for a new one."},
            status=400,
        )
    if request.method == "POST":
        identity.do_link(request.user, slack_user_id, team_id)
        return render(request, "chat/slack_link.html", {"done": True, "slack_user_id": slack_user_id})
    return render(request, "chat/slack_link.html", {"slack_user_id": slack_user_id})
