"""Pages to a responder's devices by Web Push (RFC 8030), encrypted to each device (RFC 8291, aes128gcm)
and signed with the install's VAPID key (RFC 8292), by pywebpush.

A row's destination is a PushSubscription's id (comms.push.planning: one row per device). The
endpoint came from a browser, so the request goes through the one outgoing client (vigil.http: its
address rule, pinned connection, deadline and size cap): pywebpush encrypts and signs, and hands
its POST to a session whose post() is vigil.http.request.

What the push service answers becomes the outcome (RFC 8030 section 8 and the services' docs):
201 accepted; 404 or 410, the device unsubscribed or its subscription expired: the subscription is
deleted and the row fails for good ("device unsubscribed"); 413, the payload is too large: permanent;
429 and 5xx: tried again after Retry-After or a back-off; any other refusal (400, 401, 403: a bad
key or JWT) is permanent.
"""

from django.utils import timezone
from pywebpush import WebPushException, webpush

from incidents.models import Page
from vigil import http

from ..models import PushSubscription
from ..push import payload, services, vapid
from .base import ConcurrentChannel, DeliveryError, Message, error_for_status

# Seconds a push service keeps a page for a device that is offline; a page older than this is stale.
TTL = 3600
UNSUBSCRIBED = "device unsubscribed"


class _Answer:
    """vigil.http's Response as much as pywebpush reads of a requests.Response."""

    def __init__(self, response: http.Response):
        self.status_code = response.status_code
        self.headers = response.headers
        self.text = response.text[:300]
        self.reason = ""


class _GuardedSession:
    """The `requests_session` handed to pywebpush: its one POST goes through vigil.http."""

    def post(self, url, data=None, headers=None, timeout=None):
        try:
            return _Answer(http.request("POST", url, data=data, headers=dict(headers or {})))
        except http.RefusedURL as exc:
            raise DeliveryError(str(exc), permanent=True) from None


class WebPushChannel(ConcurrentChannel):
    """Many devices at once: a push service answers in tens of milliseconds, and a page to a team is a
    batch. The database is read before the threads start (prepare) and written as outcomes come
    (settle), in the sending task's own thread."""

    kind = "webpush"
    max_batch = 100
    concurrency = 16

    def prepare(self, messages: list[Message]) -> None:
        self.subscriptions = PushSubscription.objects.in_bulk([_int(m.destination) for m in messages])
        page_ids = [m.page_id for m in messages if m.page_id is not None]
        self.pages = Page.objects.select_related("incident").in_bulk(page_ids)
        self.signer = vapid.signer() if messages else None

    def send(self, message: Message) -> str:
        subscription = self.subscriptions.get(_int(message.destination))
        if subscription is None:
            raise DeliveryError("The device was removed before this was sent.", permanent=True)
        if message.page_id is None:  # a test page (comms.test_pages): no incident, nothing to acknowledge
            data = payload.for_test(message.body)
        else:
            data = payload.for_page(self.pages[message.page_id], message.body)
        try:
            response = webpush(
                subscription.subscription_info(),
                data=data,
                vapid_private_key=self.signer,
                vapid_claims=vapid.claims(),
                ttl=TTL,
                headers={"Urgency": "high"},
                requests_session=_GuardedSession(),
            )
        except WebPushException as exc:
            raise self._refusal(exc.response) from None
        return f"http-{response.status_code}"  # the Location names the message at the push service: not kept

    def settle(self, message: Message, outcome) -> None:
        pk = _int(message.destination)
        if isinstance(outcome, str):
            PushSubscription.objects.filter(pk=pk).update(last_success_at=timezone.now())
        elif outcome.reason == UNSUBSCRIBED:
            services.forget_gone(pk)

    @staticmethod
    def _refusal(response) -> DeliveryError:
        status = getattr(response, "status_code", 0)
        if status in (404, 410):
            return DeliveryError(UNSUBSCRIBED, permanent=True)  # settle() forgets the subscription
        if status == 413:
            return DeliveryError("HTTP 413: the push service refused the payload as too large.", permanent=True)
        if not status:
            return DeliveryError("The push service gave no answer.")
        return error_for_status(status, response.text, response.headers.get("Retry-After"))


def _int(value: str) -> int:
    return int(value) if value.isdigit() else 0
