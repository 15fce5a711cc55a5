"""Opsgenie's Alert API v2 as a drop-in: create, close, acknowledge and notes (opsgenie.py reads the bodies).

The credential is the header `Authorization: GenieKey <token>`, the token of an enabled Opsgenie
integration; no login, no CSRF token. Answers are Opsgenie's: 202 {"result": "Request will be
processed", "took", "requestId"} once the request is done (Vigil acts before it answers), else
{"message", "took", "requestId"} with 401 (no or unknown key), 400 (not JSON), 413 (over
views.MAX_BODY_BYTES) or 422 (a body Opsgenie would refuse). A refused request stores nothing.

As views.ingest does, a create's key is checked by the pipeline's own statements, not first: a
repeated alert costs no extra query. The other requests look the integration up first.
"""

import json
import logging
import time
import uuid
from collections.abc import Callable

from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from incidents.models import Integration

from . import opsgenie, opsgenie_actions, throttle
from .access import access_integration
from .parsers import PayloadError
from .views import MAX_BODY_BYTES, BodyTooLarge

logger = logging.getLogger(__name__)

KIND = Integration.Kind.OPSGENIE
ACCEPTED = "Request will be processed"


class NotJson(PayloadError):
    pass


@csrf_exempt
@require_POST
def create_alert(request):
    started = time.monotonic()
    key = _genie_key(request)
    if key is None:
        return _unauthenticated(started)
    if wait := throttle.wait_seconds(request, KIND, key):
        return _throttled(started, wait)
    try:
        alert = opsgenie.parse_create(_json_body(request))
    except (BodyTooLarge, PayloadError) as exc:
        return _refuse(started, key, exc)
    if opsgenie_actions.create_alert(key, alert) is None:
        return _unauthenticated(started)
    return _accepted(started)


@csrf_exempt
@require_POST
def close_alert(request, identifier: str):
    return _act(request, identifier, opsgenie_actions.close_alert)


@csrf_exempt
@require_POST
def acknowledge_alert(request, identifier: str):
    return _act(request, identifier, _with_integration(opsgenie_actions.acknowledge_alert))


@csrf_exempt
@require_POST
def add_note(request, identifier: str):
    return _act(request, identifier, _with_integration(opsgenie_actions.note_alert), note_required=True)


# --- Shared by the views -------------------------------------------------------------------


def _with_integration(action: Callable) -> Callable[[str, str, opsgenie.AlertAction], bool]:
    """ACTION(integration, fingerprint, body) for the integration KEY names; False when none does."""

    def act(key: str, fingerprint: str, body: opsgenie.AlertAction) -> bool:
        integration = access_integration(KIND, key)
        if integration is None:
            return False
        action(integration, fingerprint, body)
        return True

    return act


def _act(request, identifier: str, act: Callable, note_required: bool = False) -> JsonResponse:
    """Close, acknowledge or notes: ACT(key, fingerprint, body) is False when the key names no integration."""
    started = time.monotonic()
    key = _genie_key(request)
    if key is None:
        return _unauthenticated(started)
    if wait := throttle.wait_seconds(request, KIND, key):
        return _throttled(started, wait)
    try:
        fingerprint = opsgenie.identified(identifier, request.GET.get("identifierType"))
        body = opsgenie.parse_action(_json_body(request, empty_ok=True), note_required=note_required)
    except (BodyTooLarge, PayloadError) as exc:
        return _refuse(started, key, exc)
    if not act(key, fingerprint, body):
        return _unauthenticated(started)
    return _accepted(started)


def _genie_key(request) -> str | None:
    scheme, _, key = request.META.get("HTTP_AUTHORIZATION", "").strip().partition(" ")
    key = key.strip()
    return key if scheme.lower() == "geniekey" and key else None


def _json_body(request, empty_ok: bool = False):
    """The decoded body. Raises BodyTooLarge, or NotJson. An empty body is None when EMPTY_OK."""
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        raise NotJson("Content-Length is not a number") from None
    if declared > MAX_BODY_BYTES:
        raise BodyTooLarge
    body = request.read(MAX_BODY_BYTES + 1)
    if len(body) > MAX_BODY_BYTES:
        raise BodyTooLarge
    if empty_ok and not body.strip():
        return None
    try:
        return json.loads(body)
    except (ValueError, RecursionError) as exc:
        raise NotJson(f"the body is not JSON ({exc})") from None


def _refuse(started: float, key: str, exc: Exception) -> JsonResponse:
    # Whether the key is good is said first, as Opsgenie does: nobody learns more without one.
    integration = access_integration(KIND, key)
    if integration is None:
        return _unauthenticated(started)
    if isinstance(exc, BodyTooLarge):
        return _answer(started, 413, message=f"The body is over {MAX_BODY_BYTES} bytes.")
    logger.warning("Integration %s (%s) refused a request: %s", integration.pk, KIND, exc)
    return _answer(started, 400 if isinstance(exc, NotJson) else 422, message=str(exc))


def _unauthenticated(started: float) -> JsonResponse:
    return _answer(started, 401, message="Could not authenticate")


def _throttled(started: float, wait: int) -> JsonResponse:
    response = _answer(started, 429, message="You are making too many requests! Please retry later.")
    response["Retry-After"] = str(wait)
    return response


def _accepted(started: float) -> JsonResponse:
    return _answer(started, 202, result=ACCEPTED)


def _answer(started: float, status: int, **fields) -> JsonResponse:
    took = round(time.monotonic() - started, 3)
    return JsonResponse({**fields, "took": took, "requestId": str(uuid.uuid4())}, status=status)
