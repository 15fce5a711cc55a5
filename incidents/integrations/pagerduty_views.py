"""PagerDuty's Events API v2 endpoints, answered as PagerDuty answers them (pagerduty.py reads the body).

POST /v2/enqueue and /v2/change/enqueue (a sender wired to PagerDuty swaps only the host), also
under /integrations/pagerduty/. No login and no CSRF token: the body's routing_key is the
credential, an enabled integration's token of kind pagerduty. An unknown key is answered as
PagerDuty answers one ("Invalid routing key"). Over VIGIL_INGEST_RATE for its routing key
(throttle.py), a request is answered 429 as PagerDuty answers one, with Retry-After.
"""

from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from incidents.models import Integration

from . import pagerduty, pipeline, throttle
from .access import access_integration
from .acknowledge import acknowledge_alert
from .changes import do_record_change
from .services import note_integration_received

KIND = Integration.Kind.PAGERDUTY


class BodyTooLarge(Exception):
    pass


@csrf_exempt
@require_POST
def enqueue(request):
    """An alert event: trigger and resolve go through the alert pipeline, acknowledge through the action."""
    try:
        event = pagerduty.parse_event(_data(request))
    except BodyTooLarge:
        return _too_large()
    except pagerduty.EventError as exc:
        return _invalid(exc.errors)
    wait = throttle.wait_seconds(request, KIND, event.routing_key)
    if wait:
        return _throttled(wait)
    if event.action == pagerduty.ACKNOWLEDGE:
        integration = access_integration(KIND, event.routing_key)
        if integration is None:
            return _invalid_routing_key()
        acknowledge_alert(integration, event.fingerprint)
    elif pipeline.ingest(KIND, event.routing_key, [event.alert]) is None:
        return _invalid_routing_key()
    return _accepted("Event processed", dedup_key=event.dedup_key)


@csrf_exempt
@require_POST
def change_enqueue(request):
    """A change event: stored for the incident page's Recent changes (changes.py)."""
    try:
        change = pagerduty.parse_change(_data(request))
    except BodyTooLarge:
        return _too_large()
    except pagerduty.EventError as exc:
        return _invalid(exc.errors)
    wait = throttle.wait_seconds(request, KIND, change.routing_key)
    if wait:
        return _throttled(wait)
    integration = access_integration(KIND, change.routing_key)
    if integration is None:
        return _invalid_routing_key()
    do_record_change(integration, change)
    note_integration_received(integration, timezone.now())
    return _accepted("Change event processed")


def _data(request) -> dict:
    """The body's JSON object, read no further than PagerDuty's cap."""
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        raise pagerduty.EventError("Content-Length is not a number") from None
    if declared > pagerduty.MAX_BODY_BYTES:
        raise BodyTooLarge
    body = request.read(pagerduty.MAX_BODY_BYTES + 1)
    if len(body) > pagerduty.MAX_BODY_BYTES:
        raise BodyTooLarge
    return pagerduty.decode(body)


def _accepted(message: str, **extra) -> JsonResponse:
    return JsonResponse({"status": "success", "message": message, **extra}, status=202)


def _invalid(errors: list[str], status: int = 400) -> JsonResponse:
    return JsonResponse(
        {"status": "invalid event", "message": "Event object is invalid", "errors": errors}, status=status
    )


def _invalid_routing_key() -> JsonResponse:
    return _invalid(["Invalid routing key"])


def _throttled(wait: int) -> JsonResponse:
    response = JsonResponse(
        {"status": "throttle event", "message": "Requests for this routing key are arriving too quickly."},
        status=429,
    )
    response["Retry-After"] = str(wait)
    return response


def _too_large() -> JsonResponse:
    return _invalid([f"Event object is over {pagerduty.MAX_BODY_BYTES // 1024} KB"], status=413)
