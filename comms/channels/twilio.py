"""SMS and voice through Twilio's official client, many at once within a messages-per-second rate."""

import threading
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings
from django.urls import reverse
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client
from twilio.twiml.voice_response import VoiceResponse

from .base import ConcurrentChannel, DeliveryError, Message, error_for_status


class VigilTwilioHttpClient(TwilioHttpClient):
    """Twilio's HTTP client, remembering the last Retry-After, and optionally sending every
    request to another scheme and host (VIGIL_TWILIO_API_URL: a proxy, or a test's fake Twilio).

    Rewriting each URL is the one way that covers every Twilio domain; client.api.base_url
    covers only part of the API.
    """

    def __init__(self, base_url: str = "", **kwargs):
        super().__init__(timeout=settings.VIGIL_COMMS_HTTP_TIMEOUT, **kwargs)
        self.base = urlsplit(base_url) if base_url else None
        self.retry_after: str | None = None

    def request(self, method, url, *args, **kwargs):
        if self.base:
            url = urlunsplit(urlsplit(url)._replace(scheme=self.base.scheme, netloc=self.base.netloc))
        response = super().request(method, url, *args, **kwargs)
        self.retry_after = response.headers.get("Retry-After") if response.headers else None
        return response


def voice_twiml(message: Message) -> str:
    """Read the message twice; a page also asks to press 1, which acknowledges it (comms.views.voice_ack)."""
    response = VoiceResponse()
    if message.ack_url:
        gather = response.gather(num_digits=1, action=message.ack_url, method="POST", timeout=10)
        gather.say(message.body)
        gather.say("Press 1 to acknowledge.")
        response.say("No answer received. Goodbye.")
    else:
        response.say(message.body)
        response.say("Again: " + message.body)
    return str(response)


def status_callback(message: Message) -> str:
    """Where Twilio posts what became of MESSAGE (comms.provider_callbacks.twilio_status). The row id in the path is
    covered by Twilio's signature, so the callback finds its row before the send's outcome is written."""
    return settings.VIGIL_BASE_URL + reverse("comms:twilio_status", args=[message.id])


class TwilioChannel(ConcurrentChannel):
    """The Twilio client is per thread: its HTTP session is not shared across threads."""

    max_batch = 500

    def __init__(self):
        self.local = threading.local()
        self.concurrency = settings.VIGIL_TWILIO_CONCURRENCY
        self.rate = settings.VIGIL_TWILIO_RATE

    @property
    def client(self) -> Client:
        if not hasattr(self.local, "client"):
            http = VigilTwilioHttpClient(settings.VIGIL_TWILIO_API_URL)
            self.local.client = Client(settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN, http_client=http)
        return self.local.client

    def send(self, message: Message) -> str:
        try:
            return self.create(message)
        except TwilioRestException as exc:
            retry_after = self.client.http_client.retry_after
            raise error_for_status(exc.status, f"{exc.code}: {exc.msg}", retry_after) from exc
        except TwilioException as exc:
            raise DeliveryError(str(exc)[:1000]) from exc

    def create(self, message: Message) -> str:
        raise NotImplementedError


class TwilioSmsChannel(TwilioChannel):
    kind = "twilio_sms"

    def create(self, message: Message) -> str:
        sms = self.client.messages.create(
            to=message.destination,
            from_=settings.TWILIO_FROM_NUMBER,
            body=message.body,
            status_callback=status_callback(message),
        )
        return sms.sid


class TwilioVoiceChannel(TwilioChannel):
    kind = "twilio_voice"

    def create(self, message: Message) -> str:
        twiml = voice_twiml(message)
        call = self.client.calls.create(
            to=message.destination,
            from_=settings.TWILIO_FROM_NUMBER,
            twiml=twiml,
            status_callback=status_callback(message),
        )
        return call.sid
