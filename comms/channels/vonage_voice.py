"""Voice calls through Vonage's official client (vonage 4.x: the Voice API at api.nexmo.com/v1/calls).

A call carries its NCCO inline: it reads the message and, for a page, asks to press 1, with an input
action whose event URL is Vigil's comms.provider_callbacks.vonage_voice_ack carrying the page's signed
acknowledge token (as Twilio's call carries comms.views.voice_ack). Each call also names its event_url,
comms.provider_callbacks.vonage_voice_event, with a token signing its outbox row's id (event_token): Vonage
posts there whether the call was answered, and an unanswered, busy or failed call may go on to the next
voice provider (comms.failover.take_report), as Twilio's status callback does. The Voice API authenticates with a
JWT the client signs with the application's private key (VONAGE_APPLICATION_ID, VONAGE_PRIVATE_KEY); the
client is pointed at another host with its documented option (HttpClientOptions.api_host:
VIGIL_VONAGE_API_HOST, a proxy or the tests' fake) and always speaks HTTPS.
"""

import threading

from django.conf import settings
from django.core import signing
from django.urls import reverse
from pydantic import ValidationError
from vonage import Auth, Vonage
from vonage_http_client.errors import HttpRequestError
from vonage_voice import CreateCallRequest, Input, Phone, Talk, ToPhone
from vonage_voice.errors import VoiceError
from vonage_voice.models.input_types import Dtmf

from .base import Channel, DeliveryError, Message, error_for_status
from .vonage import number, options

# Vonage's limit on one Talk action's text; a longer message is cut (a call is no place for it all).
TALK_MAX = 1500
# Seconds Vonage waits for the key after the message was read.
KEY_TIMEOUT = 10


def ready() -> bool:
    return bool(settings.VONAGE_APPLICATION_ID and settings.VONAGE_PRIVATE_KEY and settings.VONAGE_FROM)


def ack_url(token: str) -> str:
    """Where Vonage posts the key pressed during a page's call (comms.provider_callbacks.vonage_voice_ack)."""
    return settings.VIGIL_BASE_URL + reverse("comms:vonage_voice_ack", args=[token])


# The signing salt of the event URL's token: a token made for another purpose (a page's ack link) names no row here.
EVENT_SALT = "comms.vonage_voice.event"


def event_token(row_id: int) -> str:
    return signing.dumps(row_id, salt=EVENT_SALT)


def event_row(token: str) -> int | None:
    """The outbox row an event URL's TOKEN names, or None when it is not one Vigil signed."""
    try:
        row_id = signing.loads(token, salt=EVENT_SALT)
    except signing.BadSignature:
        return None
    return row_id if isinstance(row_id, int) and row_id > 0 else None


def event_url(row_id: int) -> str:
    """Where Vonage posts the call's progress (comms.provider_callbacks.vonage_voice_event)."""
    return settings.VIGIL_BASE_URL + reverse("comms:vonage_voice_event", args=[event_token(row_id)])


def ncco(message: Message) -> list:
    """Read the message; a page then asks to press 1 (bargeIn: the key may come while it is read).
    Anything else is read twice, as the Twilio call does."""
    body = message.body[:TALK_MAX]
    if not message.ack_token:
        return [Talk(text=body), Talk(text=("Again: " + body)[:TALK_MAX])]
    return [
        Talk(text=body, bargeIn=True),
        Talk(text="Press 1 to acknowledge.", bargeIn=True),
        Input(
            type=["dtmf"],
            dtmf=Dtmf(maxDigits=1, timeOut=KEY_TIMEOUT),
            eventUrl=[ack_url(message.ack_token)],
            eventMethod="POST",
        ),
    ]


class VonageVoiceChannel(Channel):
    kind = "vonage_voice"
    max_batch = 50

    def __init__(self):
        self.local = threading.local()

    @property
    def client(self) -> Vonage:
        """Per thread, as the SMS channel's: the client's HTTP session is not shared across threads."""
        if not hasattr(self.local, "client"):
            auth = Auth(application_id=settings.VONAGE_APPLICATION_ID, private_key=settings.VONAGE_PRIVATE_KEY)
            self.local.client = Vonage(auth, options())
        return self.local.client

    def send(self, message: Message) -> str:
        try:
            call = CreateCallRequest(
                to=[ToPhone(number=number(message.destination))],
                from_=Phone(number=number(settings.VONAGE_FROM)),
                ncco=ncco(message),
                event_url=[event_url(message.id)],
                event_method="POST",
            )
        except (ValidationError, VoiceError) as exc:  # a number Vonage would refuse, checked before the call
            raise DeliveryError(f"Vonage: {exc}"[:1000], permanent=True) from exc
        try:
            response = self.client.voice.create_call(call)
        except HttpRequestError as exc:
            retry_after = exc.response.headers.get("Retry-After")
            raise error_for_status(exc.response.status_code, f"Vonage: {exc.response.text[:300]}", retry_after) from exc
        return response.uuid
