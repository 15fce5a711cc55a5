"""Which providers carry SMS and voice, in which order (comms.failover fails over along it)."""

from django.conf import settings

from . import gateway, vonage, vonage_voice
from .base import Channel
from .twilio import TwilioSmsChannel, TwilioVoiceChannel


def twilio_ready() -> bool:
    return bool(settings.TWILIO_ACCOUNT_SID and settings.TWILIO_AUTH_TOKEN and settings.TWILIO_FROM_NUMBER)


# Provider name -> (its channel class, whether its keys are set), by medium; the default order is this one's.
PROVIDERS: dict[str, dict[str, tuple[type[Channel], object]]] = {
    "sms": {
        "twilio": (TwilioSmsChannel, twilio_ready),
        "vonage": (vonage.VonageSmsChannel, vonage.ready),
        "gateway": (gateway.SmsGatewayChannel, gateway.ready),
    },
    "voice": {
        "twilio": (TwilioVoiceChannel, twilio_ready),
        "vonage": (vonage_voice.VonageVoiceChannel, vonage_voice.ready),
    },
}
# The channel kind of a row that may fail over (comms.failover registers their classes).
FAILOVER_KINDS = {"sms": "sms_failover", "voice": "voice_failover"}


def order(medium: str) -> list[str]:
    """The configured providers of MEDIUM, in the order they are tried."""
    known = PROVIDERS.get(medium, {})
    chosen = settings.VIGIL_SMS_PROVIDERS if medium == "sms" else settings.VIGIL_VOICE_PROVIDERS
    names = [n.strip().lower() for n in chosen if n.strip()] or list(known)
    return [name for name in names if name in known and known[name][1]()]


def kind_for(medium: str) -> str | None:
    """The channel kind for MEDIUM: its one provider's, the failover channel for several, None for none."""
    names = order(medium)
    if not names:
        return None
    return PROVIDERS[medium][names[0]][0].kind if len(names) == 1 else FAILOVER_KINDS[medium]
