"""SMS through Vonage's official client (vonage 4.x: the SMS API at rest.nexmo.com/sms/json); its voice
calls are comms.channels.vonage_voice.

The client is pointed at another host with its documented option (HttpClientOptions.rest_host:
VIGIL_VONAGE_REST_HOST, a proxy or the tests' fake); it always speaks HTTPS. Each message names its
outbox row in client-ref, and asks for the delivery receipt at comms.provider_callbacks.vonage_dlr,
whose URL carries a token only Vigil and Vonage know (dlr_token).
"""

import hashlib
import hmac
import math
import re
import threading

from django.conf import settings
from django.urls import reverse
from vonage import Auth, HttpClientOptions, Vonage
from vonage_http_client.errors import HttpRequestError
from vonage_sms import SmsMessage
from vonage_sms.errors import SmsError

from .base import Channel, DeliveryError, Message, error_for_status

# The SMS API's status codes that may pass (throttled, internal error, too many binds); any other
# non-zero status is Vonage refusing this message for good (bad number, barred, no credit, bad keys).
TRANSIENT_STATUSES = frozenset({1, 5, 10})
# Vonage's limit on the per-message callback URL; a longer one is left out (the dashboard's URL then).
CALLBACK_MAX = 100
STATUS_RE = re.compile(r"error code (\d+)")


def ready() -> bool:
    return bool(settings.VONAGE_API_KEY and settings.VONAGE_API_SECRET and settings.VONAGE_FROM)


def dlr_token() -> str:
    """The secret path part of the delivery receipt URL: Vonage signs SMS receipts only when signed
    webhooks are turned on for the account, so the URL itself is the credential, derived from the API secret."""
    key = (settings.VONAGE_API_SECRET or "").encode()
    return hmac.new(key, b"vigil-vonage-dlr", hashlib.sha256).hexdigest()[:32]


def dlr_url() -> str:
    return settings.VIGIL_BASE_URL + reverse("comms:vonage_dlr", args=[dlr_token()])


def options() -> HttpClientOptions:
    """The client's hosts (VIGIL_VONAGE_REST_HOST for SMS, VIGIL_VONAGE_API_HOST for voice) and timeout."""
    return HttpClientOptions(
        rest_host=settings.VIGIL_VONAGE_REST_HOST,
        api_host=settings.VIGIL_VONAGE_API_HOST,
        timeout=max(1, math.ceil(settings.VIGIL_COMMS_HTTP_TIMEOUT)),
        max_retries=0,  # a retry is the outbox's decision (comms.failover), not the client's
    )


def number(e164: str) -> str:
    """Vonage takes numbers without the leading + (its receipts give them so, too)."""
    return e164.lstrip("+")


class VonageSmsChannel(Channel):
    kind = "vonage_sms"
    max_batch = 100

    def __init__(self):
        self.local = threading.local()

    @property
    def client(self) -> Vonage:
        if not hasattr(self.local, "client"):
            auth = Auth(api_key=settings.VONAGE_API_KEY, api_secret=settings.VONAGE_API_SECRET)
            self.local.client = Vonage(auth, options())
        return self.local.client

    def send(self, message: Message) -> str:
        callback = dlr_url()
        sms = SmsMessage(
            to=number(message.destination),
            from_=settings.VONAGE_FROM,
            text=message.body,
            client_ref=str(message.id),
            status_report_req=True,
            callback=callback if len(callback) <= CALLBACK_MAX else None,
        )
        try:
            response = self.client.sms.send(sms)
        except SmsError as exc:
            found = STATUS_RE.search(str(exc))
            status = int(found.group(1)) if found else 0
            raise DeliveryError(f"Vonage: {exc}"[:1000], permanent=status not in TRANSIENT_STATUSES) from exc
        except HttpRequestError as exc:
            retry_after = exc.response.headers.get("Retry-After")
            raise error_for_status(exc.response.status_code, f"Vonage: {exc.response.text[:300]}", retry_after) from exc
        return response.messages[0].message_id or ""
